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


def response_headers(host, https_port: int, path: str = "/healthz") -> list[tuple[str, str]]:
    raw = host.check_output(f"curl -skI --max-time 10 https://127.0.0.1:{https_port}{path}")
    return [(name.strip().lower(), value.strip()) for name, _, value in
            (line.partition(":") for line in raw.splitlines()[1:] if ":" in line)]


def test_every_security_header_is_sent_exactly_once(host, https_port):
    headers = response_headers(host, https_port)
    names = [name for name, _ in headers]
    for name in ("strict-transport-security", "x-content-type-options", "x-frame-options", "referrer-policy"):
        assert names.count(name) == 1, f"{name}: {names.count(name)} times in {headers}"


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
