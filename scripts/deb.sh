#!/usr/bin/env bash
# scripts/deb.sh - `make deb`: a Debian binary package of roomgate built
# from `make install PREFIX=/usr` into a staging root (README "Operations").
#
# Prints the path of the package, build/roomgate_VERSION_ARCH.deb, on its
# last line.  The runtime dependencies are computed by dpkg-shlibdeps from
# the libraries the binary links (never listed by hand), the files belong to
# root (dpkg-deb --root-owner-group, no fakeroot needed), the binary is
# stripped and the man page compressed as Debian policy asks, and the
# systemd unit goes to /lib/systemd/system as on Debian 12.  The example
# environment file under /etc is a conffile, so an upgrade keeps an edited
# copy.  Nothing is installed on this machine.
#   DEB_VERSION      the package version (default 0.1.0+git<commits>.<commit>)
#   DEB_MAINTAINER   the Maintainer field
set -euo pipefail
cd "$(dirname "$0")/.."
umask 022

bin=build/roomgate
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
count=$(git rev-list --count HEAD 2>/dev/null || echo 0)
version=${DEB_VERSION:-0.1.0+git$count.$commit}
maintainer=${DEB_MAINTAINER:-roomgate maintainers <roomgate@example.org>}
arch=$(dpkg --print-architecture)
work=build/deb
root=$work/debian/roomgate
out=build/roomgate_${version}_${arch}.deb
doc=$root/usr/share/doc/roomgate

[ -x "$bin" ] || { echo "deb: $bin is missing: run make first" >&2; exit 1; }
rm -rf "$work" build/roomgate_*.deb
mkdir -p "$root/DEBIAN" "$work/debian"

make -s --no-print-directory install PREFIX=/usr DESTDIR="$PWD/$root" UNITDIR=/lib/systemd/system \
    >/dev/null
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/roomgate"
gzip -9n "$root/usr/share/man/man1/roomgate.1"

install -d "$doc"
cat >"$doc/copyright" <<EOF
roomgate: an access server for video rooms
Source: https://github.com/roomgate/roomgate

Copyright (C) 2026 the roomgate authors.

No licence has been declared for roomgate yet: see the project's README.md.
EOF
date=$(git log -1 --format=%aD 2>/dev/null || date -R)
{
    printf 'roomgate (%s) unstable; urgency=medium\n\n' "$version"
    printf '  * Built by make deb from commit %s.\n\n' "$commit"
    printf ' -- %s  %s\n' "$maintainer" "$date"
} | gzip -9n >"$doc/changelog.gz"
chmod 0644 "$doc/copyright" "$doc/changelog.gz"

# dpkg-shlibdeps reads a debian/control beside it (the source package's);
# a minimal one is enough for a binary package built by hand.
printf 'Source: roomgate\n\nPackage: roomgate\nArchitecture: any\n' >"$work/debian/control"
deps=$(cd "$work" && dpkg-shlibdeps -O -edebian/roomgate/usr/bin/roomgate | sed -n 's/^shlibs:Depends=//p')
[ -n "$deps" ] || { echo "deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

(cd "$root" && find etc -type f -printf '/%p\n') >"$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
    xargs -0 md5sum) >"$root/DEBIAN/md5sums"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<EOF
Package: roomgate
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: $deps
Section: net
Priority: optional
Homepage: https://github.com/roomgate/roomgate
Description: self-hosted access server for video rooms
 roomgate mints and validates access tokens for video rooms (Twilio and
 VideoSDK formats), keeps accounts, keys, rooms and participants in SQLite,
 relays signaling over WebSocket and serves encrypted recordings.
 .
 The package installs the server, its web SDK and demo page, the man page
 roomgate(1), a hardened systemd unit (roomgate.service, not enabled) and an
 example environment file in /etc/roomgate.
EOF
chmod 0644 "$root/DEBIAN/"*

dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "$out"
