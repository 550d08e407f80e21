#!/bin/bash
# Builds the Debian 13 VM image the e2e test boots: a minimal system with what a real cloud image
# has (cloud-init, OpenSSH, netplan with systemd-networkd, dbus, sudo), as an ext4 filesystem
# image plus the kernel and initrd to boot it directly. The harness caches the result keyed by
# the hash of this file, so changing the recipe here rebuilds it.
#
# usage: build-image.sh OUTPUT_DIR     (as root; needs debootstrap, e2fsprogs and network)
set -euo pipefail

out=$1
mirror=http://deb.debian.org/debian
work=$(mktemp -d)
rootfs=$work/rootfs

cleanup() {
    for mount in dev/pts dev sys proc; do
        umount "$rootfs/$mount" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

# debootstrap's --include cannot resolve cloud-init's dependencies, so install in a second step.
debootstrap --variant=minbase trixie "$rootfs" "$mirror"

cat >"$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror trixie main
deb $mirror trixie-updates main
deb http://deb.debian.org/debian-security trixie-security main
SOURCES

mount -t proc proc "$rootfs/proc"
mount -t sysfs sys "$rootfs/sys"
mount --bind /dev "$rootfs/dev"
mount --bind /dev/pts "$rootfs/dev/pts"

# ifupdown + isc-dhcp-client hang at "Raise network interfaces" on trixie: netplan + networkd instead.
# Without e2fsprogs cloud-init's resizefs reports an error; without dbus, systemctl fails for users.
chroot "$rootfs" apt-get update -qq
chroot "$rootfs" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    systemd-sysv linux-image-cloud-amd64 initramfs-tools cloud-init openssh-server openssh-client \
    netplan.io systemd-resolved e2fsprogs sudo python3 locales dbus iproute2 ca-certificates >/dev/null
chroot "$rootfs" apt-get clean

echo "LABEL=oc-root / ext4 defaults 0 1" >"$rootfs/etc/fstab"
# First boot must look first: a fresh machine id and host keys, no cloud-init state.
: >"$rootfs/etc/machine-id"
rm -f "$rootfs/var/lib/dbus/machine-id" "$rootfs"/etc/ssh/ssh_host_*
rm -rf "$rootfs/var/lib/cloud"

for mount in dev/pts dev sys proc; do
    umount "$rootfs/$mount"
done

mkdir -p "$out"
cp "$rootfs"/boot/vmlinuz-* "$out/vmlinuz"
cp "$rootfs"/boot/initrd.img-* "$out/initrd.img"
mkfs.ext4 -q -L oc-root -d "$rootfs" "$out/root.img" 8G
