"""The request path on booted hosts: client -> web host -> app host -> MySQL, TLS verified on every hop.

GIVEN a web VM and an app VM, each a Debian 12 guest booted by cloud-init from the user
data MonitoredHost synthesizes for its role, and MariaDB servers from Debian packages on
this machine (one with TLS from the test CA and require_secure_transport, one with a
certificate from another CA, one without TLS),
WHEN a client asks the web host over HTTPS,
THEN the request reaches the application on the app host through the web host's verified
TLS proxy, the application's health endpoint runs a real query over verified TLS, and every
hop fails closed when its peer cannot be trusted.

What stands in for AWS (there is none in a VM), and how:
- the internal load balancer: the app host's nginx presents the certificate the internal
  ALB would (a test-CA certificate for the app tier's name, installed by the test);
- name resolution: the web host's ``Upstream.address`` is the guest address that qemu
  forwards to the app VM (``guestfwd``); the name verified is ``Upstream.server_name``;
- the SSM parameter and the Secrets Manager secret: the test writes the parameter's JSON
  (host, port, database, and a credentials file in place of the secret ARN) where the app
  reads it, and the credentials into that file.
The test CA enters through the props production uses: ``Upstream.ca_pem`` on the web host,
``Application.database_ca_pem`` on the app host.
"""

from __future__ import annotations

import http.client
import json
import ssl
import time

import pytest

from harness import QEMU_NETWORK, SITE_NAME, VirtualMachine
from host_suite import AGENT_SKIPS, PROXY_CHECK_SKIPS, run_host_suite
from request_path import (APP_ADDRESS, APP_NAME, APP_PORT, DATABASE_ADDRESSES, RequestPath, write_database_settings)

pytestmark = pytest.mark.vm

REQUEST_TIMEOUT_SECONDS = 60


def exchange(vm: VirtualMachine, path: str, host_name: str = SITE_NAME) -> tuple[int, list[tuple[str, str]], str]:
    """GET ``path`` from the web VM's HTTPS port (forwarded to 127.0.0.1) as a client on the internet would:
    status, every header line (lower-case names, repeats kept), body.

    The client does not verify the web host's certificate: it is self-signed on the host, as
    behind the public ALB (which does not verify it either); the hops under test are the next ones.
    """
    connection = http.client.HTTPSConnection("127.0.0.1", vm.https_port, timeout=REQUEST_TIMEOUT_SECONDS,
                                             context=ssl._create_unverified_context())
    try:
        connection.request("GET", path, headers={"Host": host_name})
        response = connection.getresponse()
        return response.status, [(k.lower(), v) for k, v in response.getheaders()], response.read().decode()
    finally:
        connection.close()


def get(vm: VirtualMachine, path: str) -> tuple[int, dict[str, str], str]:
    """Like ``exchange`` for the site's name, with the headers as a dict."""
    status, headers, body = exchange(vm, path)
    return status, dict(headers), body


def wait_for(vm: VirtualMachine, path: str, status: int, deadline_seconds: float = 90) -> tuple[int, dict, str]:
    """The first answer with ``status`` within the deadline (services settle after a reload), else the last one."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        answer = get(vm, path)
        if answer[0] == status or time.monotonic() > deadline:
            return answer
        time.sleep(2)


def error_log_since(vm: VirtualMachine, mark: int) -> str:
    """What nginx wrote to its error log after byte ``mark``."""
    return vm.ssh(f"tail -c +{mark + 1} /var/log/nginx/error.log").stdout


def error_log_size(vm: VirtualMachine) -> int:
    return int(vm.ssh("stat -c %s /var/log/nginx/error.log").stdout)


def app_requests(path: RequestPath) -> int:
    """Requests the app host's nginx has logged so far (its access log)."""
    return int(path.app.ssh("wc -l < /var/log/nginx/access.log").stdout)


def test_both_hosts_booted_their_roles_without_error(request_path):
    for vm, role in ((request_path.web, "web"), (request_path.app, "app")):
        assert vm.cloud_init_result["errors"] == [], vm.serial_tail()
        assert f"ROLE='{role}'" in vm.ssh("cat /etc/secure-web/bootstrap.env").stdout
        state = vm.ssh("systemctl is-system-running || systemctl --failed --no-legend", check=False).stdout
        assert state.strip() == "running", (role, state)


def test_a_request_to_the_web_host_reaches_the_application_on_the_app_host(request_path):
    before = app_requests(request_path)
    status, headers, body = wait_for(request_path.web, "/", 200)
    app_host = request_path.app.ssh("hostname").stdout.strip()
    assert (status, body) == (200, f"secure_web app {app_host}\n")
    assert headers["x-secure-web-app"] == app_host != request_path.web.ssh("hostname").stdout.strip()
    assert app_requests(request_path) == before + 1


def test_a_proxied_page_carries_exactly_one_content_security_policy(request_path):
    # The app host's nginx adds the strict default (the built-in application sets none); the web host sees the
    # upstream's policy and adds none of its own. A web host adding its own regardless would send two.
    status, headers, _ = exchange(request_path.web, "/")
    policies = [value for name, value in headers if name == "content-security-policy"]
    assert status == 200 and len(policies) == 1 and "default-src 'none'" in policies[0], headers


def test_a_request_for_another_name_is_misdirected_and_never_reaches_the_app_tier(request_path):
    before = app_requests(request_path)
    assert exchange(request_path.web, "/", "elb-name.eu-west-1.elb.amazonaws.com")[0] == 421
    assert app_requests(request_path) == before


def test_the_web_host_keeps_its_own_health_endpoint(request_path):
    before = app_requests(request_path)
    assert get(request_path.web, "/healthz")[::2] == (200, "ok\n")
    assert app_requests(request_path) == before


def test_the_application_health_endpoint_queries_the_database_over_verified_tls(request_path):
    good = request_path.databases["trusted"]
    write_database_settings(request_path, "trusted")
    accepted_before = good.global_status("Ssl_accepts")
    status, _, body = wait_for(request_path.web, "/healthz/database", 200)
    answer = json.loads(body)
    assert (status, answer["database"], answer["host"]) == (200, "ok", DATABASE_ADDRESSES["trusted"]), body
    assert answer["tls"] in ("TLSv1.2", "TLSv1.3")
    # Measured on the server, independently of the app's own report: a TLS session was accepted.
    assert good.global_status("Ssl_accepts") > accepted_before


@pytest.mark.parametrize("server, expected", [
    ("untrusted", ("certificate verify failed", "self-signed certificate in certificate chain",
                   "unable to get local issuer certificate")),
    ("plain", ("SSL is required", "TLS/SSL error", "SSL connection error")),
])
def test_the_app_refuses_a_database_it_cannot_trust(request_path, server, expected):
    database = request_path.databases[server]
    selects_before = database.global_status("Com_select")
    write_database_settings(request_path, server)
    try:
        status, _, body = wait_for(request_path.web, "/healthz/database", 503, deadline_seconds=30)
        answer = json.loads(body)
        assert (status, answer["database"]) == (503, "failed"), body
        assert any(text in answer["error"] for text in expected), answer["error"]
        # Measured on the server: the app came, and left before running any query.
        assert database.global_status("Com_select") == selects_before
    finally:
        write_database_settings(request_path, "trusted")


@pytest.mark.parametrize("certificate, log_text", [
    ("untrusted", "upstream SSL certificate verify error"),
    ("wrong-name", "upstream SSL certificate does not match"),
])
def test_the_web_host_refuses_an_app_tier_it_cannot_trust(request_path, certificate, log_text):
    request_path.present_app_certificate(certificate)
    try:
        mark, before = error_log_size(request_path.web), app_requests(request_path)
        status, _, body = wait_for(request_path.web, "/", 502, deadline_seconds=30)
        assert status == 502 and "secure_web app" not in body
        assert log_text in error_log_since(request_path.web, mark)
        assert app_requests(request_path) == before  # the handshake failed: no request reached the app host
    finally:
        request_path.present_app_certificate("trusted")
    assert wait_for(request_path.web, "/", 200)[0] == 200


def test_plain_http_to_the_app_port_is_refused(request_path):
    before = app_requests(request_path)
    # From the web host, to the address the app tier is reached at, without TLS.
    answer = request_path.web.ssh(
        f"curl -sS -o /dev/stdout -w ' %{{http_code}}' --max-time 20 http://{APP_ADDRESS}:{APP_PORT}/").stdout
    assert answer.endswith(" 400") and "secure_web app" not in answer, answer
    assert "The plain HTTP request was sent to HTTPS port" in answer
    assert app_requests(request_path) == before + 1  # nginx logged the refusal; the application saw nothing


def test_the_app_host_takes_traffic_only_on_its_tls_port(request_path):
    # Every socket listening beyond loopback: the app port, and SSH for this harness (closed on EC2).
    listening = request_path.app.ssh("ss -Hltn | awk '{print $4}'").stdout.split()
    public = {address.rpartition(":")[2] for address in listening
              if not address.startswith(("127.", "[::1]", "[::ffff:127."))}
    assert public == {str(APP_PORT), "22"}
    # The application itself listens on loopback only.
    assert any(address == "127.0.0.1:8000" for address in listening)
    # And the firewall admits the app port only from the allowed range (the VPC, where the internal ALB is).
    ruleset = request_path.app.ssh("nft list ruleset").stdout
    assert f"tcp dport {APP_PORT} ip saddr 10.0.0.0/16 accept" in ruleset
    assert f"tcp dport 22 ip saddr {QEMU_NETWORK} accept" in ruleset


def test_the_upstream_trust_and_name_come_from_the_props(request_path):
    config = request_path.web.ssh("cat /etc/nginx/conf.d/secure-web.conf").stdout
    assert f"proxy_ssl_name {APP_NAME};" in config and "proxy_ssl_verify on;" in config
    trusted = request_path.web.ssh("cat /etc/secure-web/tls/upstream-ca.pem").stdout
    assert trusted.strip() == request_path.pki.ca.cert_pem.strip()
    database_ca = request_path.app.ssh("cat /etc/secure-web/tls/database-ca.pem").stdout
    assert database_ca.strip() == request_path.pki.ca.cert_pem.strip()


def test_the_app_host_passes_the_host_suite(request_path, timings, tmp_path):
    started = time.monotonic()
    suite = run_host_suite(request_path.app, tmp_path / "app.xml")
    timings["host suite (app)"] = time.monotonic() - started
    assert (suite.process.returncode, suite.failed) == (0, set()), suite.process.stdout[-6000:]
    assert suite.skipped == {**AGENT_SKIPS, **PROXY_CHECK_SKIPS} and suite.passed > 0


# Applied after the good run: the application's settings readable by everyone, the application running as root.
BREAK_APP_HOST = """
chmod 0755 /etc/secure-web/app
sed -i 's/^User=.*/User=root/; s/^Group=.*/Group=root/' /etc/systemd/system/secure-web-app.service
systemctl daemon-reload
systemctl restart secure-web-app.service
"""


@pytest.mark.breaks_host
def test_a_broken_app_host_fails_exactly_the_broken_checks(request_path, tmp_path):
    request_path.app.ssh(BREAK_APP_HOST)
    suite = run_host_suite(request_path.app, tmp_path / "app-broken.xml")
    assert suite.failed == {"test_tiers.py::test_application_runs_as_its_own_user_and_restarts_on_failure",
                            "test_tiers.py::test_application_settings_are_readable_by_its_user_only"}, \
        suite.process.stdout[-6000:]
