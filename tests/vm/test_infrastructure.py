"""The request-path test infrastructure itself, checked on the CI machine without booting a VM.

GIVEN a test CA, a second CA, and MariaDB servers from ``mysql_server.running_mysql`` (one
with a certificate from the test CA and require_secure_transport, one without TLS, one with
a certificate from the other CA, one whose certificate names another host),
WHEN the Debian ``mariadb`` client connects to them over TCP,
THEN a client that verifies the server (``--ssl-verify-server-cert --ssl-ca``) talks TLS 1.2+
to the first and refuses every other one, and a plain client is refused by the first.

These tests request no ``vm`` fixture, so selecting them with ``-m vm`` boots nothing.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from mysql_server import MySqlServer, running_mysql
from tls_material import CertificateAuthority, issue, make_ca

pytestmark = pytest.mark.vm

CLIENT_TIMEOUT_SECONDS = 30
SSL_VERSION = "SHOW SESSION STATUS LIKE 'Ssl_version'"


@pytest.fixture(scope="module", autouse=True)
def mariadb_installed() -> None:
    missing = [tool for tool in ("mariadb", "mariadb-install-db") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: run .ci/vm-setup.sh")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("infra")


@pytest.fixture(scope="module")
def test_ca(workdir) -> CertificateAuthority:
    return make_ca(workdir, "test-ca")


@pytest.fixture(scope="module")
def other_ca(workdir) -> CertificateAuthority:
    return make_ca(workdir, "other-ca")


@pytest.fixture(scope="module")
def tls_server(workdir, test_ca) -> Iterator[MySqlServer]:
    leaf = issue(test_ca, workdir, "database", ip_addresses=("127.0.0.1",))
    with running_mysql(workdir, tls=leaf, require_secure_transport=True) as server:
        yield server


@pytest.fixture(scope="module")
def plain_server(workdir) -> Iterator[MySqlServer]:
    with running_mysql(workdir, tls=None, require_secure_transport=False) as server:
        yield server


@pytest.fixture(scope="module")
def other_ca_server(workdir, other_ca) -> Iterator[MySqlServer]:
    leaf = issue(other_ca, workdir, "database", ip_addresses=("127.0.0.1",))
    with running_mysql(workdir, tls=leaf, require_secure_transport=False) as server:
        yield server


@pytest.fixture(scope="module")
def wrong_name_server(workdir, test_ca) -> Iterator[MySqlServer]:
    leaf = issue(test_ca, workdir, "elsewhere", dns_names=("db.elsewhere.test",), ip_addresses=("127.0.0.2",))
    with running_mysql(workdir, tls=leaf, require_secure_transport=False) as server:
        yield server


def verifying(ca: CertificateAuthority) -> tuple[str, ...]:
    return "--ssl-verify-server-cert", f"--ssl-ca={ca.cert_path}"


def mariadb(server: MySqlServer, *options: str, sql: str = SSL_VERSION) -> subprocess.CompletedProcess[str]:
    """The Debian ``mariadb`` client as the app account, over TCP to ``server``, running ``sql``."""
    return subprocess.run(
        ["mariadb", "--no-defaults", "--batch", "--skip-column-names", f"--host={server.host}",
         f"--port={server.port}", f"--user={server.username}", f"--password={server.password}",
         f"--database={server.database}", *options, f"--execute={sql}"],
        capture_output=True, text=True, timeout=CLIENT_TIMEOUT_SECONDS, stdin=subprocess.DEVNULL,
    )


def test_verifying_client_talks_tls_to_the_server_its_ca_signed(tls_server, test_ca):
    accepted_before = tls_server.global_status("Ssl_accepts")
    result = mariadb(tls_server, *verifying(test_ca))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() in (["Ssl_version", "TLSv1.2"], ["Ssl_version", "TLSv1.3"])
    assert tls_server.global_status("Ssl_accepts") == accepted_before + 1  # counted by the server itself


def test_verifying_client_refuses_a_server_without_tls(plain_server, test_ca):
    result = mariadb(plain_server, *verifying(test_ca))
    assert result.returncode != 0
    assert "SSL is required, but the server does not support it" in result.stderr


def test_client_without_verification_silently_talks_plain_to_a_server_without_tls(plain_server, test_ca):
    """The broken twin of the test above: mariadb 10.11's ``--ssl-ca`` alone does not insist on TLS."""
    result = mariadb(plain_server, f"--ssl-ca={test_ca.cert_path}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["Ssl_version"]


def test_verifying_client_refuses_a_certificate_from_another_ca(other_ca_server, test_ca):
    result = mariadb(other_ca_server, *verifying(test_ca))
    assert result.returncode != 0
    assert "TLS/SSL error: unable to get local issuer certificate" in result.stderr


def test_the_other_ca_server_is_sound_for_a_client_trusting_its_ca(other_ca_server, other_ca):
    """The twin of the test above: the refusal is about the CA, not a broken server."""
    result = mariadb(other_ca_server, *verifying(other_ca))
    assert result.returncode == 0, result.stderr


def test_verifying_client_refuses_a_certificate_for_another_name(wrong_name_server, test_ca):
    result = mariadb(wrong_name_server, *verifying(test_ca))
    assert result.returncode != 0
    assert "TLS/SSL error: Validation of SSL server certificate failed" in result.stderr


def test_plain_client_is_refused_by_the_server_requiring_secure_transport(tls_server):
    # mariadb 10.11 reports require_secure_transport's refusal as "Access denied" (1045).
    result = mariadb(tls_server, "--skip-ssl")
    assert result.returncode != 0
    assert "ERROR 1045" in result.stderr and "Access denied" in result.stderr


def test_plain_client_reaches_a_server_without_tls(plain_server):
    """The twin of the test above: ``--skip-ssl`` is a working plain client, so that refusal is the server's."""
    result = mariadb(plain_server, "--skip-ssl")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["Ssl_version"]


def test_tls_server_requires_secure_transport_and_the_app_account_requires_ssl(tls_server, test_ca):
    result = mariadb(tls_server, *verifying(test_ca),
                     sql="SELECT @@global.require_secure_transport; SHOW GRANTS FOR CURRENT_USER")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "1"
    assert any(line.startswith("GRANT USAGE ON *.* TO `app`@`%`") and "REQUIRE SSL" in line for line in lines)
    assert "GRANT SELECT ON `app`.* TO `app`@`%`" in lines


def test_server_without_tls_has_a_plain_account(plain_server):
    result = mariadb(plain_server, "--skip-ssl", sql="SELECT @@global.require_secure_transport; SHOW GRANTS")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "0"
    assert "REQUIRE SSL" not in result.stdout
