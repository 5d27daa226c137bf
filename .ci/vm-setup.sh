#!/bin/bash
# Install what tests/vm needs to build and boot its Debian 12 VM. Idempotent:
# installs only the packages that are missing.
set -Eeuo pipefail
export DEBIAN_FRONTEND=noninteractive

readonly PACKAGES=(qemu-system-x86 qemu-utils mmdebstrap e2fsprogs genisoimage openssh-client shellcheck)

missing=()
for package in "${PACKAGES[@]}"; do
    [[ $(dpkg-query -W -f='${Status}' "$package" 2>/dev/null) == "install ok installed" ]] || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "vm-setup: installing ${missing[*]}"
    sudo_cmd=()
    ((EUID == 0)) || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -q
    "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
echo "vm-setup: ready (${PACKAGES[*]})"
