"""Kernel network settings a server that routes nothing needs (CIS Debian 12 3.3, dev-sec linux-baseline sysctl).

Judged on the running kernel (``/proc/sys``) and in the file that sets them again at every boot.
"""

import pytest

SETTINGS_FILE = "/etc/sysctl.d/60-secure-web.conf"
HARDENED = {
    "net.ipv4.ip_forward": "0",
    "net.ipv4.conf.all.send_redirects": "0",
    "net.ipv4.conf.default.send_redirects": "0",
    "net.ipv4.conf.all.accept_redirects": "0",
    "net.ipv4.conf.default.accept_redirects": "0",
    "net.ipv4.conf.all.secure_redirects": "0",
    "net.ipv4.conf.default.secure_redirects": "0",
    "net.ipv6.conf.all.accept_redirects": "0",
    "net.ipv6.conf.default.accept_redirects": "0",
    "net.ipv4.conf.all.accept_source_route": "0",
    "net.ipv4.conf.default.accept_source_route": "0",
    "net.ipv6.conf.all.accept_source_route": "0",
    "net.ipv6.conf.default.accept_source_route": "0",
    "net.ipv4.conf.all.rp_filter": "1",
    "net.ipv4.conf.default.rp_filter": "1",
    "net.ipv4.conf.all.log_martians": "1",
    "net.ipv4.conf.default.log_martians": "1",
    "net.ipv4.icmp_echo_ignore_broadcasts": "1",
    "net.ipv4.icmp_ignore_bogus_error_responses": "1",
    "net.ipv4.tcp_syncookies": "1",
    "kernel.dmesg_restrict": "1",
    "kernel.kptr_restrict": "2",
    "kernel.randomize_va_space": "2",
    "fs.suid_dumpable": "0",
}


@pytest.mark.parametrize("name, value", sorted(HARDENED.items()), ids=sorted(HARDENED))
def test_kernel_setting_is_hardened(host, name, value):
    assert host.check_output(f"sysctl -n {name}").strip() == value


def test_settings_are_applied_again_at_boot(host):
    written = {}
    for line in host.file(SETTINGS_FILE).content_string.splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            written[key.strip()] = value.strip()
    assert written == HARDENED
