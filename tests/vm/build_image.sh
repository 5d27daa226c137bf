#!/bin/bash
# Build the Debian 12 test VM image for the MonitoredHost harness.
#
# Usage: build_image.sh OUTPUT_DIR
# Writes OUTPUT_DIR/root.raw (an ext4 file system, no partition table),
# OUTPUT_DIR/vmlinuz and OUTPUT_DIR/initrd.img (booted with qemu -kernel/-initrd).
#
# The guest has no network beyond qemu's user-net, so every package the
# bootstrap needs is baked in here; the bootstrap then installs nothing.
# The harness caches the output keyed by a hash of this file: change the
# package list or the steps here and the next run rebuilds.
set -Eeuo pipefail

readonly OUTPUT_DIR=${1:?usage: build_image.sh OUTPUT_DIR}
readonly IMAGE_SIZE=3G
readonly SOURCES=/etc/apt/sources.list.d/debian.sources

readonly PACKAGES=(
    # boot and base system
    systemd-sysv udev dbus linux-image-amd64 initramfs-tools procps iproute2 netbase sudo
    # how the test harness reaches the guest
    cloud-init openssh-server python3
    # what the bootstrap configures (preinstalled: the guest cannot download)
    nginx nftables openssl prometheus-nginx-exporter curl ca-certificates
    # what the app host's bootstrap installs on EC2 (preinstalled here for the same reason)
    mariadb-client python3-boto3
)

rootfs=$(mktemp -d /var/tmp/secure-web-rootfs.XXXXXX)
trap 'rm -rf -- "$rootfs"' EXIT

# The host's apt sources are the mirror: the same registry the host already uses.
# The hooks are single-quoted on purpose: mmdebstrap runs them with the root as $1.
# shellcheck disable=SC2016
mmdebstrap --variant=minbase --include="$(IFS=,; echo "${PACKAGES[*]}")" \
    --customize-hook='echo "/dev/vda / ext4 defaults,errors=remount-ro 0 1" > "$1/etc/fstab"' \
    --customize-hook='mkdir -p "$1/etc/systemd/network"' \
    --customize-hook='printf "[Match]\nName=en* eth*\n\n[Network]\nDHCP=ipv4\n" > "$1/etc/systemd/network/20-wired.network"' \
    --customize-hook='chroot "$1" systemctl enable systemd-networkd.service' \
    --customize-hook='cat > "$1/etc/cloud/cloud.cfg.d/90-secure-web-vm.cfg" <<EOF
# Test VM: seed from a NoCloud cidata disk only; networkd owns the network;
# no locales package, no partition to grow; the host name resolves without
# DNS (the guest has none); the default user is "admin" as on the official
# Debian AMIs.
datasource_list: [NoCloud]
network: {config: disabled}
locale: false
growpart: {mode: "off"}
resize_rootfs: false
manage_etc_hosts: true
apt: {preserve_sources_list: true}
system_info:
  default_user:
    name: admin
EOF' \
    bookworm "$rootfs" "$SOURCES"

mkdir -p "$OUTPUT_DIR"
cp "$rootfs"/boot/vmlinuz-* "$OUTPUT_DIR/vmlinuz"
cp "$rootfs"/boot/initrd.img-* "$OUTPUT_DIR/initrd.img"
rm -f "$OUTPUT_DIR/root.raw"
mkfs.ext4 -q -L root -d "$rootfs" "$OUTPUT_DIR/root.raw" "$IMAGE_SIZE"
