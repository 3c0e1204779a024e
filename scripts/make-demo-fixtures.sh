#!/usr/bin/env bash
# Builds fixtures/demo/{deb,rpm}: the two package mirrors `jigtree demo` composes from, emits a
# jigdo into a copy of, and assembles from (issue 6, "The whole story in one command").
#
#   scripts/make-demo-fixtures.sh
#
# Why the output is committed (unlike fixtures/**/build/): the demo must run on a machine that has
# nothing but Node (`npm ci && npx jigtree demo`) — no dpkg, apt, rpm, rpmbuild, createrepo_c or
# ostree — so the mirrors travel with the package (package.json `files`) instead of being built.
# Keep them small (the whole of fixtures/demo stays well under 2 MB).
#
#   fixtures/demo/deb/  a real Debian 12 apt repository (pool/, dists/bookworm/main/binary-amd64,
#                       unsigned Release, packages.list) made by ../shared/tools/make-deb-mirror
#                       from the host's apt lists: a handful of real bookworm packages that depend
#                       on nothing (no libc, so the closure is the selection itself), ~240 KB.
#   fixtures/demo/rpm/  the RPM fixture repository make-rpm-repo builds for the tests
#                       (fixtures/build/rpm-repo/repo: rpmbuild output + createrepo_c repodata,
#                       unsigned, reproducible through SOURCE_DATE_EPOCH), copied whole, ~370 KB.
# The demo treefiles next to them (fixtures/demo/debian.yaml, rpm.yaml) are written by hand, not
# generated; their `baseurl`s name these two directories relative to the treefile.
#
# Idempotent: make-deb-mirror leaves an unchanged mirror untouched (its Release keeps its Date), the
# .debs come from fixtures/build/deb-cache (downloaded once), and the RPM copy is byte-identical
# when the build is. Needs: apt, apt-utils, xz-utils (make-deb-mirror); rpm, createrepo-c, gcc only
# when fixtures/build/rpm-repo is missing. $JIGTREE_SHARED overrides ../shared.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${JIGTREE_SHARED:-../shared}
DEB_TOOL=$SHARED/tools/make-deb-mirror
RPM_TOOL=$SHARED/tools/make-rpm-repo
OUT=fixtures/demo
# Arch-independent packages with no Depends/Pre-Depends at all (checked with `apt-cache show`):
# the mirror holds exactly these five and the composed tree is a few hundred files.
DEB_PACKAGES=(netbase media-types sensible-utils debian-archive-keyring usr-is-merged)

for t in "$DEB_TOOL" "$RPM_TOOL"; do
  [ -x "$t" ] || { echo "make-demo-fixtures: $t not found (set JIGTREE_SHARED)" >&2; exit 1; }
done
mkdir -p "$OUT"

# --- deb: built in place, so an unchanged rerun rewrites nothing ---------------------------------
"$DEB_TOOL" --cache fixtures/build/deb-cache "$OUT/deb" "${DEB_PACKAGES[@]}"
# Each pool file is a hard link into the cache; give the committed copy its own inode, so a later
# change to the cache never reaches the fixture.
find "$OUT/deb/pool" -type f -links +1 -name '*.deb' -exec sh -c 'cp -p "$1" "$1.tmp" && mv -f "$1.tmp" "$1"' _ {} \;
rm -rf "$OUT/deb/.gnupg" "$OUT/deb/.server.pid"

# --- rpm: the tests' fixture repository, copied ---------------------------------------------------
RPM_BUILD=fixtures/build/rpm-repo
if [ ! -f "$RPM_BUILD/repo/repodata/repomd.xml" ]; then
  "$RPM_TOOL" --no-verify "$RPM_BUILD"
fi
rm -rf "$OUT/rpm.tmp"
mkdir -p "$OUT/rpm.tmp"
cp -r "$RPM_BUILD/repo/." "$OUT/rpm.tmp/"
rm -rf "$OUT/rpm.tmp/.gnupg" "$OUT/rpm.tmp/repodata/repomd.xml.asc" "$OUT/rpm.tmp/repodata/repomd.xml.key"
if [ -d "$OUT/rpm" ] && diff -r -q "$OUT/rpm" "$OUT/rpm.tmp" >/dev/null; then
  rm -rf "$OUT/rpm.tmp"
else
  rm -rf "$OUT/rpm"
  mv "$OUT/rpm.tmp" "$OUT/rpm"
fi

du -sh "$OUT/deb" >&2; du -sh "$OUT/rpm" >&2; du -sh "$OUT" >&2
