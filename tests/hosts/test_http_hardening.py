"""nginx's HTTP behaviour toward a hostile or careless client: security headers once each, short
patience for slow clients, a bounded request body.

Each check sends real requests to the host's HTTPS port from the host itself and judges what comes back.
"""

from __future__ import annotations

import re
import shlex
import time

import pytest

ONE_YEAR_SECONDS = 31_536_000
HEADER_TIMEOUT_LIMIT_SECONDS = 15
"""A client that stops sending its request headers is cut off before this; nginx's own default is 60 s."""
BODY_LIMIT_BYTES = 1024 * 1024


UNKNOWN_HOST = "unknown-name.invalid"
AN_ADDRESS = "10.0.2.15"
"""A Host header a load balancer's health check sends: the target's address."""
CSP_DIRECTIVES = ("default-src 'none'", "frame-ancestors 'none'")


def response_headers(host, https_port: int, path: str = "/healthz", host_name: str | None = None
                     ) -> list[tuple[str, str]]:
    header = f"-H {shlex.quote('Host: ' + host_name)} " if host_name else ""
    raw = host.check_output(f"curl -skI --max-time 10 {header}https://127.0.0.1:{https_port}{path}")
    return [(name.strip().lower(), value.strip()) for name, _, value in
            (line.partition(":") for line in raw.splitlines()[1:] if ":" in line)]


def status_for(host, https_port: int, path: str, host_name: str) -> str:
    return host.check_output(f"curl -sk -o /dev/null -w '%{{http_code}}' --max-time 10 "
                             f"-H {shlex.quote('Host: ' + host_name)} https://127.0.0.1:{https_port}{path}")


@pytest.fixture(scope="module")
def server_names(bootstrap_env) -> list[str]:
    """The names the site answers to, wildcards made concrete; none is the server_names opt-out, which fails."""
    names = bootstrap_env.get("SERVER_NAMES", "").split()
    assert names, "no server names: this host serves every Host header (the server_names opt-out)"
    return [name.replace("*.", "probe.", 1) for name in names]


def test_every_security_header_is_sent_exactly_once(host, https_port):
    headers = response_headers(host, https_port)
    names = [name for name, _ in headers]
    for name in ("strict-transport-security", "x-content-type-options", "x-frame-options", "referrer-policy",
                 "content-security-policy"):
        assert names.count(name) == 1, f"{name}: {names.count(name)} times in {headers}"


@pytest.mark.parametrize("path", ["/", "/.env"], ids=["page", "refused-dotfile"])
def test_the_sites_pages_carry_the_strict_content_security_policy(host, https_port, server_names, path):
    # "/" may come from the app tier (whose own policy then passes through); a dotfile is refused by this nginx.
    policies = [value for name, value in response_headers(host, https_port, path, server_names[0])
                if name == "content-security-policy"]
    assert len(policies) == 1 and all(directive in policies[0] for directive in CSP_DIRECTIVES), policies


def test_an_unknown_host_name_is_misdirected(host, https_port, server_names):
    assert status_for(host, https_port, "/", UNKNOWN_HOST) == "421"
    assert status_for(host, https_port, "/", AN_ADDRESS) == "421"


def test_the_sites_names_are_served_and_health_checks_answered_by_address(host, https_port, server_names):
    assert all(status_for(host, https_port, "/", name) != "421" for name in server_names)
    assert status_for(host, https_port, "/healthz", AN_ADDRESS) == "200"


def test_hsts_lasts_a_year_or_more_and_covers_subdomains(host, https_port):
    (value,) = [value for name, value in response_headers(host, https_port) if name == "strict-transport-security"]
    directives = [part.strip().lower() for part in value.split(";")]
    max_age = [int(match.group(1)) for part in directives if (match := re.fullmatch(r"max-age=(\d+)", part))]
    assert max_age and max_age[0] >= ONE_YEAR_SECONDS and "includesubdomains" in directives, value


def test_a_client_that_stalls_its_headers_is_cut_off(host, https_port):
    # Half a request, then silence for 30 s; openssl exits as soon as nginx closes the connection (bash does not
    # wait for the process substitution, which holds no descriptor of the SSH session).
    command = (f"timeout 40 openssl s_client -quiet -connect 127.0.0.1:{https_port} -servername localhost "
               "< <(exec 2>/dev/null; printf 'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\n'; sleep 30) "
               ">/dev/null 2>&1")
    started = time.monotonic()
    host.run(f"bash -c {shlex.quote(command)}")
    elapsed = time.monotonic() - started
    assert elapsed < HEADER_TIMEOUT_LIMIT_SECONDS, f"the stalled connection stayed open {elapsed:.1f} s"


@pytest.mark.parametrize(("size", "expected"), [(BODY_LIMIT_BYTES // 2, "200"), (2 * BODY_LIMIT_BYTES, "413")])
def test_request_bodies_over_the_limit_are_refused(host, https_port, size, expected):
    status = host.check_output(
        f"head -c {size} /dev/zero | curl -sk --max-time 20 -o /dev/null -w '%{{http_code}}' "
        f"-H 'Content-Type: application/octet-stream' --data-binary @- https://127.0.0.1:{https_port}/healthz")
    assert status == expected
