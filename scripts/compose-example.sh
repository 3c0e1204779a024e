#!/usr/bin/env bash
# The README's quick start: compose the bundled Debian minbase treefile into an OSTree repo.
# The treefile reads fixtures/build/mirror-minbase, a local mirror of real Debian packages that
# make-deb-mirror (../shared/tools) builds with the machine's own apt configuration.
set -euo pipefail
cd "$(dirname "$0")/.."
MIRROR=fixtures/build/mirror-minbase
TOOL=../shared/tools/make-deb-mirror
if [ ! -f "$MIRROR/dists/bookworm/Release" ]; then
  [ -x "$TOOL" ] || { echo "compose-example: $TOOL not found: it builds the local Debian mirror the example composes from" >&2; exit 1; }
  "$TOOL" --cache fixtures/build/deb-cache "$MIRROR" minbase
fi
node dist/cli/main.js compose treefiles/debian-minbase.yaml --repo example-repo --cachedir fixtures/build/example-cache "$@"
node dist/cli/main.js ls --repo example-repo debian/12/x86_64/minbase /
