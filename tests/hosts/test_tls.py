"""nginx speaks TLS 1.2 and 1.3 only, answers /healthz, and hides its version.

The probes lower the client's own OpenSSL security level, so a refusal can only
come from the server's configuration, not from the client's defaults.
"""

import pytest


def handshake(host, port: int, protocol: str):
    return host.run(
        f"timeout 20 openssl s_client -connect 127.0.0.1:{port} -servername localhost "
        f"-{protocol} -cipher 'DEFAULT:@SECLEVEL=0' < /dev/null"
    )


@pytest.mark.parametrize("protocol", ["tls1", "tls1_1"])
def test_legacy_protocol_is_refused(host, https_port, protocol):
    assert handshake(host, https_port, protocol).rc != 0


@pytest.mark.parametrize("protocol", ["tls1_2", "tls1_3"])
def test_modern_protocol_is_accepted(host, https_port, protocol):
    assert handshake(host, https_port, protocol).rc == 0


def test_healthz_returns_200_over_https(host, https_port):
    status = host.check_output(
        f"curl -sk -o /dev/null -w '%{{http_code}}' --max-time 10 https://127.0.0.1:{https_port}/healthz"
    )
    assert status == "200"


def test_server_header_has_no_version(host, https_port):
    headers = host.check_output(f"curl -skI --max-time 10 https://127.0.0.1:{https_port}/healthz")
    server = [line for line in headers.splitlines() if line.lower().startswith("server:")]
    assert [line.strip() for line in server] == ["Server: nginx"]
