"""Two booted VMs per pytest session (a web host and an app host), shared by every module of the VM suite.

Booting takes minutes under TCG, so both guests boot once, in parallel, and every
``tests/vm`` module runs against them, in file order; the web VM (``vm``) proxies to the
app VM, which reaches MariaDB servers on this machine (``request_path``). A test marked
``breaks_host`` (it deliberately breaks the web guest) always runs last, whatever order
the modules were named in on the command line.
Opt in with ``pytest -m vm tests/vm`` after ``.ci/vm-setup.sh``; a run that does not
select the ``vm`` marker skips the suite.
"""

from __future__ import annotations

import base64
import re
import shlex
import shutil
from collections.abc import Callable, Iterator

import pytest

from harness import GuestForward, SynthesizedHost, VirtualMachine, VmSpec, booted_vms, free_port, \
    synthesized_host
from mysql_server import MySqlServer, running_mysql
from request_path import (APP_ADDRESS, APP_PORT, APP_VM, DATABASE_ADDRESSES, MYSQL_PORT, WEB_VM, Pki, RequestPath,
                          app_host_props, make_pki, web_host_props, write_database_settings)

REQUIRED_TOOLS = ("qemu-system-x86_64", "qemu-img", "mmdebstrap", "mkfs.ext4", "genisoimage", "ssh", "ssh-keygen")
BREAKS_HOST = "breaks_host"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{BREAKS_HOST}: leaves the shared VM broken, so it runs last")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker(BREAKS_HOST) is not None)


def print_past_capture(config: pytest.Config, text: str) -> None:
    """Print past pytest's output capture, so timings and tables show in every run."""
    capture = config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(text, flush=True)


@pytest.fixture(scope="session")
def report(request) -> Callable[[str], None]:
    """Prints a line of text past pytest's output capture."""
    return lambda text: print_past_capture(request.config, text)


@pytest.fixture(scope="session", autouse=True)
def vm_selected(request) -> None:
    markexpr = request.config.getoption("markexpr") or ""
    if not re.search(r"(?<!not )\bvm\b", markexpr):
        pytest.skip("boots a VM for minutes: select it with -m vm (after .ci/vm-setup.sh)")
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: run .ci/vm-setup.sh")


@pytest.fixture(scope="session")
def timings(report) -> Iterator[dict[str, float]]:
    measured: dict[str, float] = {}
    yield measured
    lines = [f"  {phase:<22} {seconds:7.1f} s" for phase, seconds in measured.items()]
    report("\nsecure_web VM timings:\n" + "\n".join(lines))


def emulate_fetch_config(machine: VirtualMachine, synthesized: SynthesizedHost) -> None:
    """What ``amazon-cloudwatch-agent-ctl -a fetch-config -c ssm:NAME`` leaves on an EC2 host, emulated.

    The VM has no SSM (and boots without the agent), so the parameter's value, as Terraform
    evaluates it offline, is written where fetch-config writes it; tests/hosts reads that file.
    """
    path = f"/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.d/ssm_AmazonCloudWatch-{machine.name}"
    encoded = base64.b64encode(synthesized.agent_config.encode()).decode()
    machine.ssh(f"echo {encoded} | base64 -d | install -D -m 0644 /dev/stdin {shlex.quote(path)}")


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def synthesized(pki) -> SynthesizedHost:
    return synthesized_host(**web_host_props(pki))


@pytest.fixture(scope="session")
def synthesized_app(pki) -> SynthesizedHost:
    return synthesized_host(**app_host_props(pki))


@pytest.fixture(scope="session")
def user_data(synthesized) -> bytes:
    return synthesized.user_data


@pytest.fixture(scope="session")
def databases(pki, tmp_path_factory) -> Iterator[dict[str, MySqlServer]]:
    """The trusted (test CA, TLS required), untrusted (another CA) and plain (no TLS) MariaDB servers."""
    root = tmp_path_factory.mktemp("mysql")
    with running_mysql(root, tls=pki.database, require_secure_transport=True) as trusted, \
            running_mysql(root, tls=pki.untrusted_database, require_secure_transport=True) as untrusted, \
            running_mysql(root, tls=None, require_secure_transport=False) as plain:
        yield {"trusted": trusted, "untrusted": untrusted, "plain": plain}


@pytest.fixture(scope="session")
def booted(request, timings, user_data, synthesized, synthesized_app, databases, report) \
        -> Iterator[dict[str, VirtualMachine]]:
    """Both VMs, booted in parallel: the web VM reaches the app VM's TLS port, the app VM the databases."""
    app_tls_port = free_port()
    web = VmSpec(name=WEB_VM, user_data=user_data,
                 guest_forwards=(GuestForward(APP_ADDRESS, APP_PORT, app_tls_port),))
    app = VmSpec(name=APP_VM, user_data=synthesized_app.user_data, guest_ports=(APP_PORT,),
                 host_ports={APP_PORT: app_tls_port},
                 guest_forwards=tuple(GuestForward(DATABASE_ADDRESSES[kind], MYSQL_PORT, server.port)
                                      for kind, server in databases.items()))
    failures_before = request.session.testsfailed
    with booted_vms([web, app], timings) as machines:
        emulate_fetch_config(machines[WEB_VM], synthesized)
        emulate_fetch_config(machines[APP_VM], synthesized_app)
        yield machines
        if request.session.testsfailed > failures_before:
            for machine in machines.values():
                output = machine.ssh("tail -n 60 /var/log/cloud-init-output.log", check=False).stdout
                report(f"---- {machine.name} cloud-init-output.log tail ----\n{output}\n{machine.serial_tail()}")


@pytest.fixture(scope="session")
def vm(booted) -> VirtualMachine:
    """The web VM: the host suite's subject, and the request path's front door."""
    return booted[WEB_VM]


@pytest.fixture(scope="session")
def request_path(booted, databases, pki) -> RequestPath:
    path = RequestPath(web=booted[WEB_VM], app=booted[APP_VM], databases=databases, pki=pki)
    path.present_app_certificate("trusted")
    write_database_settings(path, "trusted")
    return path
