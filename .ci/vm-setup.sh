#!/bin/bash
# Install what tests/vm needs to build and boot its Debian 12 VMs, to run the
# MySQL-compatible server the app VM connects to, and to carry the VMs' guest
# forwards (socat). Idempotent: installs only the packages that are missing.
set -Eeuo pipefail
export DEBIAN_FRONTEND=noninteractive

readonly PACKAGES=(qemu-system-x86 qemu-utils mmdebstrap e2fsprogs genisoimage openssh-client shellcheck
                   mariadb-server mariadb-client socat)

sudo_cmd=()
((EUID == 0)) || sudo_cmd=(sudo)

missing=()
for package in "${PACKAGES[@]}"; do
    [[ $(dpkg-query -W -f='${Status}' "$package" 2>/dev/null) == "install ok installed" ]] || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "vm-setup: installing ${missing[*]}"
    "${sudo_cmd[@]}" apt-get update -q
    "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# mariadb-server's postinst enables the distro's server (sysv links and the systemd
# unit) and starts it wherever an init system runs; in a container policy-rc.d or an
# unknown runlevel keep it stopped. The tests run their own mariadbd
# (tests/vm/mysql_server.py), so the distro's one is stopped and disabled on every run.
if [[ -d /run/systemd/system ]]; then
    "${sudo_cmd[@]}" systemctl disable --now --quiet mariadb.service
else
    if "${sudo_cmd[@]}" /etc/init.d/mariadb status >/dev/null 2>&1; then
        "${sudo_cmd[@]}" /etc/init.d/mariadb stop
    fi
    "${sudo_cmd[@]}" update-rc.d mariadb disable >/dev/null
    if command -v systemctl >/dev/null; then
        "${sudo_cmd[@]}" systemctl disable --quiet mariadb.service
    fi
fi
echo "vm-setup: ready (${PACKAGES[*]})"
