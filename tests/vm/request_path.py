"""The web -> app -> MySQL request path the VM suite boots: names, addresses, TLS material and props.

Production and the VMs differ only in values, never in how a value reaches a host: the
test CA goes in through ``Upstream.ca_pem`` (web) and ``Application.database_ca_pem``
(app), the app tier's address and name through ``Upstream.address`` / ``server_name``,
and the database's address through the connection document the app reads (on EC2, the
SSM parameter ``SecureWebTier.connect_database`` writes).
"""

from __future__ import annotations

import base64
import json
import shlex
from dataclasses import dataclass
from pathlib import Path

from harness import QEMU_NETWORK, SITE_NAME, VM_HOST_PROPS, VirtualMachine
from mysql_server import MySqlServer
from tls_material import CertificateAuthority, Leaf, issue, make_ca

WEB_VM = str(VM_HOST_PROPS["name"])
APP_VM = "vm-app"
"""The VMs' names: each is its guest's host name and its MonitoredHost's name (the agent parameter's suffix)."""
APP_NAME = "app-internal.vm.test"
"""The app tier's name the web host verifies (on AWS: ``app-internal.<domain>``, the internal ALB's)."""
APP_ADDRESS = "10.0.2.100"
"""Where the web guest connects for the app tier: qemu carries it to the app VM's TLS port."""
APP_PORT = 8443
MYSQL_PORT = 3306
DATABASE_ADDRESSES = {"trusted": "10.0.2.200", "untrusted": "10.0.2.201", "plain": "10.0.2.202"}
"""Guest addresses of the three MariaDB servers: test-CA TLS, another CA's TLS, no TLS."""
DATABASE_SETTINGS = "/etc/secure-web/app/database.json"
CREDENTIALS_FILE = "/etc/secure-web/app/credentials.json"
SERVER_CERTIFICATE = "/etc/secure-web/tls/server.crt"
SERVER_KEY = "/etc/secure-web/tls/server.key"


@dataclass(frozen=True)
class Pki:
    """The test CA, the certificates it issues, and the broken twins from another CA."""

    ca: CertificateAuthority
    app: Leaf
    """For APP_NAME, from the test CA: what the internal ALB presents."""
    wrong_name: Leaf
    """From the test CA, for another name."""
    untrusted_app: Leaf
    """For APP_NAME, from a CA the web host does not trust."""
    database: Leaf
    """For the trusted server's guest address, from the test CA."""
    untrusted_database: Leaf
    """For the untrusted server's guest address, from the other CA."""


def make_pki(directory: Path) -> Pki:
    ca = make_ca(directory, "secure-web-test")
    other = make_ca(directory, "not-trusted")
    return Pki(
        ca=ca,
        app=issue(ca, directory, APP_NAME, dns_names=(APP_NAME,)),
        wrong_name=issue(ca, directory, "other.vm.test", dns_names=("other.vm.test",)),
        untrusted_app=issue(other, directory, APP_NAME, dns_names=(APP_NAME,)),
        database=issue(ca, directory, "db-trusted", ip_addresses=(DATABASE_ADDRESSES["trusted"],)),
        untrusted_database=issue(other, directory, "db-untrusted", ip_addresses=(DATABASE_ADDRESSES["untrusted"],)),
    )


def web_host_props(pki: Pki) -> dict[str, object]:
    """The web VM's MonitoredHostProps fields: the suite's host, proxying to the app tier."""
    from secure_web import Upstream

    return {**VM_HOST_PROPS, "upstream": Upstream(address=APP_ADDRESS, port=APP_PORT, server_name=APP_NAME,
                                                  ca_pem=pki.ca.cert_pem)}


def app_host_props(pki: Pki) -> dict[str, object]:
    """The app VM's MonitoredHostProps fields: the built-in application, trusting the test CA for the database."""
    from secure_web import Application

    return {"name": APP_VM, "role": "app", "https_port": APP_PORT, "allowed_https_cidrs": ("10.0.0.0/16",),
            "ssh_allowed_cidrs": (QEMU_NETWORK,), "cloudwatch_agent_install": False, "server_names": (SITE_NAME,),
            "application": Application(database_ca_pem=pki.ca.cert_pem,
                                       database_config_parameter="/secure-web/vm-app/database")}


@dataclass(frozen=True)
class RequestPath:
    """The booted path: both VMs, the three database servers by kind, and the TLS material."""

    web: VirtualMachine
    app: VirtualMachine
    databases: dict[str, MySqlServer]
    pki: Pki

    def present_app_certificate(self, kind: str) -> None:
        """Make the app tier present the ``kind`` certificate ('trusted', 'untrusted', 'wrong-name'), as the
        internal ALB presents its ACM certificate, and reload nginx."""
        leaf = {"trusted": self.pki.app, "untrusted": self.pki.untrusted_app, "wrong-name": self.pki.wrong_name}[kind]
        write_file(self.app, SERVER_CERTIFICATE, leaf.cert_pem, "0644", "root")
        write_file(self.app, SERVER_KEY, leaf.key_pem, "0600", "root")
        self.app.ssh("nginx -t -q && systemctl reload nginx")


def write_file(vm: VirtualMachine, path: str, text: str, mode: str, group: str) -> None:
    encoded = base64.b64encode(text.encode()).decode()
    vm.ssh(f"echo {encoded} | base64 -d | install -D -m {mode} -o root -g {group} /dev/stdin {shlex.quote(path)}")


def write_database_settings(path: RequestPath, server: str) -> None:
    """Point the app at the ``server`` database: the connection document (the SSM parameter's shape, with a
    credentials file where EC2 has the secret's ARN) and the credentials, readable by the app's user only."""
    database = path.databases[server]
    write_file(path.app, CREDENTIALS_FILE, json.dumps({"username": database.username, "password": database.password}),
               "0640", "secure-web-app")
    write_file(path.app, DATABASE_SETTINGS, json.dumps({
        "host": DATABASE_ADDRESSES[server], "port": MYSQL_PORT, "database": database.database,
        "credentials_file": CREDENTIALS_FILE}), "0640", "secure-web-app")
