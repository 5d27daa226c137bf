"""Only the HTTPS port is open to the network; status and metrics listen on loopback only."""

import pytest

STUB_STATUS_PORT = 8080
EXPORTER_PORT = 9113


def test_https_port_listens_on_all_addresses(listening, https_port):
    assert "0.0.0.0" in listening.get(https_port, set())


@pytest.mark.parametrize("port", [STUB_STATUS_PORT, EXPORTER_PORT], ids=["stub_status", "exporter"])
def test_listens_on_loopback_only(listening, port):
    assert listening.get(port) == {"127.0.0.1"}


def test_no_plain_http_listener(listening):
    assert 80 not in listening
