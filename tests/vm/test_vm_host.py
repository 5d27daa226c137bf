"""A MonitoredHost's synthesized user data, booted on a real Debian 12 VM, passes the host suite.

GIVEN a Debian 12 qemu VM seeded with the exact user data MonitoredHost puts in
its launch template (agent install off, SSH allowed from qemu's network),
WHEN cloud-init has run it,
THEN cloud-init reports no error, a second run changes nothing, tests/hosts
passes, and after the host is deliberately broken the same suite fails on
exactly the broken checks.

The tests run in order against the session's one VM (``conftest.py``): the last
one breaks the host, so it is marked ``breaks_host`` and runs after every other VM
test. Opt in with ``pytest -m vm tests/vm`` after ``.ci/vm-setup.sh``; a run that
does not select the ``vm`` marker skips this module.
"""

from __future__ import annotations

import base64
import json
import shlex
import time

import pytest

from harness import VM_HOST_PROPS
from host_suite import AGENT_SKIPS, APP_CHECK_SKIPS, run_host_suite

pytestmark = pytest.mark.vm

# Applied after the good run: a firewall that accepts by default, unconditionally, a port range and a port from
# anywhere, and lets every user reach the metadata service; ICMP redirects accepted; legacy TLS, stub_status on
# every address, the app tier unverified, HSTS for the host name only, a minute's patience for stalled headers,
# the site served for any Host header, no Content-Security-Policy.
BREAK_HOST = """
nft 'chain inet secure_web input { policy accept; }'
nft 'chain inet secure_web forward { policy accept; }'
nft add rule inet secure_web input accept
nft add rule inet secure_web input tcp dport 8000-8100 ip saddr 10.0.0.0/8 accept
nft add rule inet secure_web input tcp dport 9100 accept
nft flush chain inet secure_web output
sysctl -qw net.ipv4.conf.all.accept_redirects=1
sed -i -e 's/ssl_protocols TLSv1.2 TLSv1.3;/ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;/' \
       -e 's/ssl_ciphers [^;]*;/ssl_ciphers DEFAULT:@SECLEVEL=0;/' /etc/nginx/conf.d/secure-web.conf
sed -i 's/listen 127.0.0.1:8080;/listen 0.0.0.0:8080;/' /etc/nginx/conf.d/secure-web-status.conf
sed -i 's/proxy_ssl_verify on;/proxy_ssl_verify off;/' /etc/nginx/conf.d/secure-web.conf
sed -i -e 's/; includeSubDomains"/"/' -e 's/client_header_timeout 10s;/client_header_timeout 60s;/' /etc/nginx/conf.d/secure-web.conf
sed -i -e 's/        return 421;/        return 200;/' -e '/add_header Content-Security-Policy/d' /etc/nginx/conf.d/secure-web.conf
nginx -t -q
# A restart, not a reload: nginx cannot bind 0.0.0.0:8080 while it holds 127.0.0.1:8080.
systemctl restart nginx
for attempt in $(seq 30); do ss -Hltn | grep -q '^LISTEN.* 0.0.0.0:8080 ' && exit 0; sleep 1; done
exit 1
"""

EXPECTED_BROKEN_FAILURES = {
    "test_nftables.py::test_hook_policy_is_drop[input]",
    "test_nftables.py::test_hook_policy_is_drop[forward]",
    "test_nftables.py::test_https_port_admitted_only_from_allowed_cidrs",
    "test_nftables.py::test_ssh_admitted_only_from_ssh_cidrs",
    "test_nftables.py::test_no_input_accept_is_unconditional",
    "test_nftables.py::test_no_input_accept_opens_a_port_range",
    "test_nftables.py::test_every_input_port_accept_names_its_sources",
    "test_nftables.py::test_metadata_service_only_for_root_the_agent_and_the_app",
    "test_nftables.py::test_the_web_server_user_cannot_reach_the_metadata_service",
    "test_sysctl.py::test_kernel_setting_is_hardened[net.ipv4.conf.all.accept_redirects]",
    "test_sockets.py::test_listens_on_loopback_only[stub_status]",
    "test_tls.py::test_legacy_protocol_is_refused[tls1]",
    "test_tls.py::test_legacy_protocol_is_refused[tls1_1]",
    "test_tiers.py::test_every_proxy_location_verifies_the_app_tier",
    "test_http_hardening.py::test_hsts_lasts_a_year_or_more_and_covers_subdomains",
    "test_http_hardening.py::test_a_client_that_stalls_its_headers_is_cut_off",
    "test_http_hardening.py::test_every_security_header_is_sent_exactly_once",
    "test_http_hardening.py::test_the_sites_pages_carry_the_strict_content_security_policy[refused-dotfile]",
    "test_http_hardening.py::test_an_unknown_host_name_is_misdirected",
}

# What the bootstrap manages; a second run must leave all of it byte for byte.
MANAGED_STATE = (
    "find /etc/nginx /etc/secure-web /var/www/secure-web /etc/nftables.conf /etc/sysctl.d/60-secure-web.conf "
    "/etc/default/prometheus-nginx-exporter "
    "/etc/systemd/system -type f -print0 | sort -z | tee >(xargs -0 sha256sum) | xargs -0 stat -c '%n %Y %a %U:%G'; "
    "ls /etc/nginx/sites-enabled; nft list ruleset | sha256sum"
)


EXPECTED_SKIPS = {**AGENT_SKIPS, **APP_CHECK_SKIPS}
"""The VM boots with cloudwatch_agent_install=False (no AWS to fetch the agents from) as a web host: exactly the
agent checks and the app host checks skip."""


def test_cloud_init_reports_no_error(vm):
    assert vm.cloud_init_result["errors"] == [], vm.serial_tail()


def test_every_unit_started(vm):
    state = vm.ssh("systemctl is-system-running || systemctl --failed --no-legend", check=False).stdout
    assert state.strip() == "running"


def test_guest_ran_the_synthesized_user_data(vm, user_data, synthesized):
    # cloud-init keeps the user data as received (gzip-compressed) and the part it ran, inflated.
    received = vm.ssh("base64 -w0 /var/lib/cloud/instance/user-data.txt").stdout
    assert base64.b64decode(received) == user_data and user_data[:2] == b"\x1f\x8b"
    assert vm.ssh("cat /var/lib/cloud/instance/scripts/part-001").stdout == synthesized.script


def bootstrap_record(vm) -> dict[str, str]:
    """/etc/secure-web/bootstrap.env as a dict."""
    lines = vm.ssh("grep -v '^#' /etc/secure-web/bootstrap.env").stdout.splitlines()
    return {name: (shlex.split(value) or [""])[0] for name, _, value in (line.partition("=") for line in lines)}


def test_host_agent_configuration_is_what_terraform_hands_the_agent(vm, synthesized):
    # The SSM parameter's value as Terraform evaluates it (offline), against the copy the bootstrap wrote.
    path = bootstrap_record(vm)["AGENT_CONFIG_PATH"]
    on_host = json.loads(vm.ssh(f"cat {shlex.quote(path)}").stdout)
    assert on_host == json.loads(synthesized.agent_config)
    assert on_host["metrics"]["append_dimensions"] == {"InstanceId": "${aws:InstanceId}",
                                                       "AutoScalingGroupName": "${aws:AutoScalingGroupName}"}


def test_bootstrap_env_records_the_props(vm):
    recorded = bootstrap_record(vm)
    expected = {
        "ROLE": VM_HOST_PROPS["role"],
        "HTTPS_PORT": str(VM_HOST_PROPS["https_port"]),
        "ALLOWED_HTTPS_CIDRS": " ".join(VM_HOST_PROPS["allowed_https_cidrs"]),
        "SSH_ALLOWED_CIDRS": " ".join(VM_HOST_PROPS["ssh_allowed_cidrs"]),
        "CLOUDWATCH_AGENT": "0",
    }
    assert {name: recorded.get(name) for name in expected} == expected


def test_second_run_changes_nothing(vm, timings):
    before = vm.ssh(MANAGED_STATE).stdout
    started = time.monotonic()
    rerun = vm.ssh("bash /var/lib/cloud/instance/scripts/part-001", timeout=600)
    timings["bootstrap re-run"] = time.monotonic() - started
    assert [line for line in rerun.stdout.splitlines() if " wrote " in line or "generating" in line] == []
    assert vm.ssh(MANAGED_STATE).stdout == before


def test_host_suite_passes(vm, timings, tmp_path):
    started = time.monotonic()
    suite = run_host_suite(vm, tmp_path / "good.xml")
    timings["host suite"] = time.monotonic() - started
    assert (suite.process.returncode, suite.failed) == (0, set()), suite.process.stdout[-6000:]
    # A skip is not a pass: only the agent checks may skip, each for its stated reason.
    assert suite.skipped == EXPECTED_SKIPS and suite.passed > 0


@pytest.mark.breaks_host
def test_broken_host_fails_exactly_the_broken_checks(vm, timings, tmp_path):
    vm.ssh(BREAK_HOST)
    started = time.monotonic()
    suite = run_host_suite(vm, tmp_path / "broken.xml")
    timings["host suite (broken)"] = time.monotonic() - started
    assert suite.failed == EXPECTED_BROKEN_FAILURES, suite.process.stdout[-6000:]
    assert suite.skipped == EXPECTED_SKIPS
