#!/usr/bin/env bash
# Builds a minimal Linux guest for Tandem's direct kernel boot:
#   OUTDIR/vmlinuz        the Debian i386 "686" kernel (a bzImage)
#   OUTDIR/initrd.cpio.gz a busybox initramfs whose /init starts a shell on ttyS0
#   OUTDIR/kernel-release the kernel's release (e.g. 6.1.0-50-686; tests expect it from `uname -r`)
#   OUTDIR/kernel-package the Debian package the kernel came from
#
# Usage: guests/build-linux-guest.sh [OUTDIR]
#   OUTDIR defaults to $TANDEM_GUEST_CACHE/out (guests/cache/out), which is where the tests that use
#   a real kernel look for it.
#
# Needs root (dpkg --add-architecture, apt-get update, mknod) and access to the Debian package
# archive. Downloads are cached in $TANDEM_GUEST_CACHE (default: guests/cache/, git-ignored), so a
# second run does not touch the network. The run is idempotent: the outputs are rebuilt from the
# cached packages each time and come out byte-identical.
#
# The cpio archive is made by the host's GNU cpio (installed with apt-get when missing). Set
# TANDEM_INITRAMFS_JAR to the emulator-core jar to use Tandem's own builder instead
# (java -cp JAR dev.tandem.core.boot.Initramfs DIR OUT --dev ...); $JAVA (default: java) runs it.
set -euo pipefail

if [ $# -gt 1 ]; then
    echo "usage: $0 [OUTDIR]" >&2
    exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${TANDEM_GUEST_CACHE:-$HERE/cache}
OUTDIR=${1:-$CACHE/out}
DEBS=$CACHE/debs
mkdir -p "$DEBS" "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)

log() { echo "build-linux-guest: $*" >&2; }
die() { echo "build-linux-guest: error: $*" >&2; exit 1; }

as_root() {
    [ "$(id -u)" = 0 ] || die "this step needs root: $*"
    "$@"
}

# ---------------------------------------------------------------- download (cached)

have_deb() { compgen -G "$DEBS/$1" > /dev/null; }

apt_ready=
ensure_apt() {
    [ -n "$apt_ready" ] && return 0
    if ! dpkg --print-foreign-architectures | grep -qx i386 \
        && [ "$(dpkg --print-architecture)" != i386 ]; then
        log "adding the i386 architecture to dpkg"
        as_root dpkg --add-architecture i386
        refresh=1
    fi
    if [ -n "${refresh:-}" ] || ! apt-cache show linux-image-686:i386 > /dev/null 2>&1; then
        log "apt-get update"
        # A partial failure (one mirror index mid-sync) is tolerated: what matters is whether the
        # packages below resolve afterwards.
        as_root apt-get update -q > "$CACHE/apt-update.log" 2>&1 || log "apt-get update reported errors (see $CACHE/apt-update.log)"
    fi
    apt-cache show linux-image-686:i386 > /dev/null 2>&1 \
        || die "linux-image-686:i386 is unknown to apt even after apt-get update"
    apt_ready=1
}

download() {
    # $1 package spec for apt-get download
    ensure_apt
    log "downloading $1"
    (cd "$DEBS" && apt-get download -q "$1" > /dev/null 2>"$CACHE/download.err") \
        || { cat "$CACHE/download.err" >&2; die "apt-get download $1 failed"; }
}

# The meta-package linux-image-686 only depends on the versioned image package
# (linux-image-6.1.0-NN-686); the kernel itself is in the latter. The resolved name is remembered
# in the cache so that a cached run needs no apt lists at all.
if [ ! -s "$CACHE/kernel-package" ] || ! have_deb "$(cat "$CACHE/kernel-package")_*_i386.deb"; then
    ensure_apt
    kpkg=$(apt-cache depends linux-image-686:i386 \
        | sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*\)\(:i386\)\?$/\1/p' | head -n 1)
    [ -n "$kpkg" ] || die "cannot resolve the kernel package that linux-image-686:i386 depends on"
    have_deb "linux-image-686_*_i386.deb" || download linux-image-686:i386
    have_deb "${kpkg}_*_i386.deb" || download "$kpkg:i386"
    echo "$kpkg" > "$CACHE/kernel-package"
fi
kpkg=$(cat "$CACHE/kernel-package")
have_deb "busybox-static_*_i386.deb" || download busybox-static:i386

kdeb=$(ls "$DEBS/${kpkg}"_*_i386.deb | sort | tail -n 1)
bdeb=$(ls "$DEBS"/busybox-static_*_i386.deb | sort | tail -n 1)
log "kernel package:  $(basename "$kdeb")"
log "busybox package: $(basename "$bdeb")"

# ---------------------------------------------------------------- extract

WORK=$CACHE/work
rm -rf "$WORK"
mkdir -p "$WORK/kernel" "$WORK/busybox"
dpkg-deb -x "$kdeb" "$WORK/kernel"
dpkg-deb -x "$bdeb" "$WORK/busybox"

vmlinuz=$(ls "$WORK"/kernel/boot/vmlinuz-* 2>/dev/null | head -n 1)
[ -n "$vmlinuz" ] || die "no boot/vmlinuz-* in $kdeb"
busybox=$WORK/busybox/bin/busybox
[ -f "$busybox" ] || die "no bin/busybox in $bdeb"

# ---------------------------------------------------------------- initramfs tree

ROOT=$WORK/initramfs
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,etc}
install -m 0755 "$busybox" "$ROOT/bin/busybox"

# Applet list: ask the (i386, static) binary itself, which runs on an x86-64 host with IA-32
# emulation; otherwise fall back to a fixed list of the applets /init and a shell session need.
if applets=$("$ROOT/bin/busybox" --list-full 2>/dev/null) && [ -n "$applets" ]; then
    log "busybox lists $(echo "$applets" | wc -l) applets"
else
    log "cannot run the i386 busybox here; using a fixed applet list"
    applets=$(printf '%s\n' bin/sh bin/ash bin/cat bin/echo bin/ls bin/mount bin/umount bin/mkdir \
        bin/dmesg bin/uname bin/ps bin/sleep bin/rm bin/cp bin/mv bin/ln bin/grep bin/vi \
        bin/setsid bin/cttyhack bin/mknod bin/hostname bin/sync bin/date \
        sbin/poweroff sbin/reboot sbin/halt sbin/ifconfig usr/bin/free usr/bin/top usr/bin/uptime \
        usr/bin/head usr/bin/tail usr/bin/wc usr/bin/md5sum usr/bin/env)
fi
while IFS= read -r app; do
    [ -n "$app" ] || continue
    [ "$app" = bin/busybox ] && continue
    mkdir -p "$ROOT/$(dirname "$app")"
    # relative target so the link works both in the tree and in the guest
    depth=$(echo "$app" | tr -cd / | wc -c)
    up=$(for _ in $(seq 1 "$depth"); do printf '../'; done)
    ln -sfn "${up}bin/busybox" "$ROOT/$app"
done <<< "$applets"

cat > "$ROOT/init" <<'INIT'
#!/bin/sh
# Tandem guest init: mount the kernel file systems, say hello, run a shell on the serial console.
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo
echo "=== Tandem Linux guest: $(uname -sr) $(uname -m) ==="
echo "=== $(grep -c ^processor /proc/cpuinfo) CPU(s), $(grep MemTotal /proc/meminfo) ==="
echo
exec /bin/busybox setsid /bin/busybox cttyhack /bin/sh < /dev/ttyS0 > /dev/ttyS0 2>&1
INIT
chmod 0755 "$ROOT/init"
echo "tandem" > "$ROOT/etc/hostname"

# /dev/console must exist before devtmpfs is mounted (the kernel opens it for init's stdio).
have_console=
if [ "$(id -u)" = 0 ] && mknod -m 0600 "$ROOT/dev/console" c 5 1 2>/dev/null; then
    have_console=1
    mknod -m 0666 "$ROOT/dev/null" c 1 3
    mknod -m 0660 "$ROOT/dev/ttyS0" c 4 64
fi

# Fixed times and modes for a reproducible archive.
find "$ROOT" -exec touch -h -d @0 {} +

# ---------------------------------------------------------------- archive

out_cpio=$OUTDIR/initrd.cpio.gz
tmp_out=$OUTDIR/.tmp-initrd.cpio.gz
if [ -n "${TANDEM_INITRAMFS_JAR:-}" ]; then
    log "building the initramfs with Tandem's Initramfs builder"
    rm -f "$ROOT/dev/console" "$ROOT/dev/null" "$ROOT/dev/ttyS0"
    "${JAVA:-java}" -cp "$TANDEM_INITRAMFS_JAR" dev.tandem.core.boot.Initramfs "$ROOT" "$tmp_out" \
        --dev /dev/console:c:5:1:0600 --dev /dev/null:c:1:3:0666 --dev /dev/ttyS0:c:4:64:0660
else
    if ! command -v cpio > /dev/null; then
        log "installing cpio"
        as_root apt-get install -y -q cpio > "$CACHE/apt-install.log" 2>&1 \
            || die "cannot install cpio (see $CACHE/apt-install.log)"
    fi
    [ -n "$have_console" ] || log "warning: cannot mknod /dev/console; the kernel's built-in initramfs must provide it"
    log "building the initramfs with the host cpio"
    (cd "$ROOT" && find . -mindepth 1 | LC_ALL=C sort \
        | cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -n -9 > "$tmp_out"
fi
mv -f "$tmp_out" "$out_cpio"
cp -f "$vmlinuz" "$OUTDIR/vmlinuz.tmp" && mv -f "$OUTDIR/vmlinuz.tmp" "$OUTDIR/vmlinuz"
echo "$kpkg" > "$OUTDIR/kernel-package"
# the kernel's release (what `uname -r` prints in the guest), from the image's own file name
echo "${vmlinuz##*/vmlinuz-}" > "$OUTDIR/kernel-release"

log "wrote $OUTDIR/vmlinuz ($(stat -c %s "$OUTDIR/vmlinuz") bytes, from $(basename "$vmlinuz"))"
log "wrote $out_cpio ($(stat -c %s "$out_cpio") bytes)"
