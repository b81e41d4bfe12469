#!/usr/bin/env bash
# Builds the anchors' benchmark guest for `tandem bench boot`:
#   OUTDIR/vmlinuz        the Debian i386 "686" kernel
#   OUTDIR/bench.cpio.gz  the anchors' benchmark initramfs (MARK/RES lines, then reboot -f)
#   OUTDIR/dirty.cpio.gz  the anchors' memory-dirtying initramfs (for migration)
#
# Usage: guests/build-bench-guest.sh [OUTDIR]
#   OUTDIR defaults to guests/cache/bench, where `./tandem bench boot` looks by default.
#
# The guest is made by the anchors' own script, ../shared/anchors/make-guest.sh ($TANDEM_SHARED
# overrides ../shared), so it is byte for byte the guest QEMU was measured with (RESULTS.md). The
# Debian packages already downloaded by guests/build-linux-guest.sh (guests/cache/debs) are reused;
# otherwise make-guest.sh fetches them (needs `dpkg --add-architecture i386; apt-get update`, as
# build-linux-guest.sh does), and it needs nasm and cpio.
set -euo pipefail

if [ $# -gt 1 ]; then
    echo "usage: $0 [OUTDIR]" >&2
    exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED=${TANDEM_SHARED:-$HERE/../../shared}
CACHE=${TANDEM_GUEST_CACHE:-$HERE/cache}
OUTDIR=${1:-$CACHE/bench}
MAKE=$SHARED/anchors/make-guest.sh
[ -f "$MAKE" ] || { echo "build-bench-guest: error: $MAKE not found (put the shared directory beside the checkout as ../shared, or set TANDEM_SHARED)" >&2; exit 1; }
mkdir -p "$OUTDIR"
if compgen -G "$CACHE/debs/linux-image-*-686_*_i386.deb" > /dev/null && compgen -G "$CACHE/debs/busybox-static_*_i386.deb" > /dev/null; then
    exec bash "$MAKE" "$OUTDIR" "$CACHE/debs"
fi
exec bash "$MAKE" "$OUTDIR"
