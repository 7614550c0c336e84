#!/usr/bin/env python3
"""bench/wal_pages.py - which b-trees a SQLite commit writes, and how many
pages of each (bench/README.md "Pages per commit").

    python3 bench/wal_pages.py DIR [COMMITS]

DIR holds a copy of roomgate.db and roomgate.db-wal taken while the WAL
still has frames: `MICRO_SEATS_KEEP=DIR build/bench/micro_seats` leaves
one under DIR/plain and DIR/recorded; for a running server, stop it with
SIGSTOP, copy DATA/roomgate.db*, then SIGCONT.  Reads the frames of the
WAL's current generation (those after the last checkpoint: their salt
matches the header's), groups them by commit, checkpoints a scratch copy
of DIR (DIR.ck) and names each page by the table or index that owns it
(dbstat).  Prints the distinct pages per commit over the last COMMITS
(default 100) commits, by b-tree, leaves and interior pages apart.  Only
the standard library and Python's own sqlite3 (with dbstat, as Debian's).
"""
import collections
import shutil
import sqlite3
import struct
import sys


def commits_of(wal):
    magic, _version, page_size, _ckpt, salt1, salt2 = struct.unpack('>IIIIII', wal[:24])
    if magic not in (0x377f0682, 0x377f0683):
        sys.exit('not a WAL file')
    commits, current, off = [], [], 32
    while off + 24 + page_size <= len(wal):
        page, size_after, s1, s2 = struct.unpack('>IIII', wal[off:off + 16])
        if (s1, s2) != (salt1, salt2):
            break  # an older generation's frame: the current one ended
        current.append(page)
        if size_after:  # the commit's last frame
            commits.append(current)
            current = []
        off += 24 + page_size
    return commits, page_size


def owners(directory):
    scratch = directory.rstrip('/') + '.ck'
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(directory, scratch)
    db = sqlite3.connect(scratch + '/roomgate.db')
    db.execute('PRAGMA wal_checkpoint(TRUNCATE)')
    return {page: name + ('' if kind == 'leaf' else ' (' + kind + ')')
            for name, page, kind in db.execute('SELECT name, pageno, pagetype FROM dbstat')}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    directory = sys.argv[1]
    last = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    with open(directory + '/roomgate.db-wal', 'rb') as f:
        commits, page_size = commits_of(f.read())
    if not commits:
        sys.exit('no commit in the WAL (was it checkpointed?)')
    owner = owners(directory)
    sample = commits[-last:]
    count = collections.Counter()
    for pages in sample:
        for page in set(pages):
            count[owner.get(page, 'page %d (freed since)' % page)] += 1
    total = sum(len(set(p)) for p in sample)
    print('%d commits in the WAL, the last %d: %.1f distinct pages of %d bytes per commit'
          % (len(commits), len(sample), total / len(sample), page_size))
    for name, n in count.most_common():
        print('%7.2f  %s' % (n / len(sample), name))


if __name__ == '__main__':
    main()
