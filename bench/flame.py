#!/usr/bin/env python3
"""flame.py - a flame graph from `perf script`, with nothing but Python 3.

    perf record -F 999 -g -o perf.data -- build/bench/micro_token --count validate 3000000
    perf script -i perf.data | bench/flame.py > flame.svg        # open in a browser
    perf script -i perf.data | bench/flame.py --folded | sort -k2 -nr | head   # text

Reads perf script's sample blocks (a header line, then one indented line per
frame, leaf first, then a blank line), folds each stack into
"comm;root;...;leaf" with its sample count (Brendan Gregg's folded format,
which his flamegraph.pl and other tools read too), and draws the graph: one
box per function per stack prefix, as wide as its share of the samples, the
root at the bottom.  Hover a box for its name, samples and percentage.
Frames perf could not name stay "[unknown]": build with frame pointers
(make OPT="-O2 -fno-omit-frame-pointer") or record with --call-graph dwarf.
"""
import html
import re
import sys
from collections import Counter

FRAME = re.compile(r'^\s+[0-9a-f]+\s+(.*?)(?:\+0x[0-9a-f]+)?\s+\((.*)\)$')


def fold(lines):
    """perf script text -> Counter of folded stacks."""
    stacks, head, frames = Counter(), None, []

    def flush():
        if head is not None and frames:
            stacks[';'.join([head] + frames[::-1])] += 1

    for line in lines:
        line = line.rstrip('\n')
        if not line.strip():
            flush()
            head, frames = None, []
        elif not line[0].isspace():
            flush()
            head, frames = line.split()[0], []
        else:
            m = FRAME.match(line)
            if m:
                name = m.group(1) or '[unknown]'
                dso = m.group(2).split('/')[-1]
                if name == '[unknown]' and dso != '[unknown]':  # which library, at least
                    name = '[' + dso + ']'
                frames.append(name.replace(' ', '_'))  # the folded format ends in " count"
    flush()
    return stacks


def tree(stacks):
    """Folded stacks -> nested {name: [count, children]}."""
    root = [0, {}]
    for stack, n in stacks.items():
        node = root
        node[0] += n
        for name in stack.split(';'):
            node = node[1].setdefault(name, [0, {}])
            node[0] += n
    return root


def color(name):
    h = sum(ord(c) for c in name)
    return 'rgb(%d,%d,%d)' % (205 + h % 50, 80 + (h * 7) % 120, 40 + (h * 13) % 50)


def svg(root, width=1200, row=17, title='perf'):
    total = root[0] or 1
    boxes, depth = [], 0

    def walk(node, x, level):
        nonlocal depth
        depth = max(depth, level)
        for name, child in sorted(node[1].items()):
            w = child[0] / total * (width - 20)
            if w >= 0.3:
                boxes.append((x, level, w, name, child[0]))
                walk(child, x, level + 1)
            x += w

    walk(root, 10.0, 0)
    height = (depth + 2) * row + 40
    out = ['<?xml version="1.0" standalone="no"?>',
           '<svg version="1.1" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg" '
           'font-family="monospace" font-size="11">' % (width, height),
           '<rect width="100%" height="100%" fill="#f8f8f8"/>',
           '<text x="%d" y="20" text-anchor="middle" font-size="15">%s: %d samples</text>'
           % (width // 2, html.escape(title), total)]
    for x, level, w, name, n in boxes:
        y = height - (level + 1) * row - 10
        label = html.escape(name)
        chars = int(w / 7)
        text = label if len(name) <= chars else (html.escape(name[:chars - 2]) + '..' if chars > 3 else '')
        out.append('<g><title>%s (%d samples, %.2f%%)</title><rect x="%.1f" y="%d" width="%.1f" '
                   'height="%d" fill="%s" rx="2"/><text x="%.1f" y="%d">%s</text></g>'
                   % (label, n, 100.0 * n / total, x, y, w, row - 1, color(name), x + 3, y + row - 5, text))
    out.append('</svg>')
    return '\n'.join(out) + '\n'


def main(argv):
    stacks = fold(sys.stdin)
    if not stacks:
        sys.exit('flame.py: no samples with call stacks on stdin (perf record -g, then perf script)')
    if '--folded' in argv:
        for stack, n in stacks.items():
            sys.stdout.write('%s %d\n' % (stack, n))
    else:
        sys.stdout.write(svg(tree(stacks)))


if __name__ == '__main__':
    main(sys.argv[1:])
