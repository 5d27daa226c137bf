"""One booted VM per pytest session, shared by every module of the VM suite.

Booting takes minutes under TCG, so every ``tests/vm`` module runs against the same
guest, in file order, and a test marked ``breaks_host`` (it deliberately breaks the
guest) always runs last, whatever order the modules were named in on the command line.
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

from harness import VM_HOST_PROPS, SynthesizedHost, VirtualMachine, booted_vm, synthesized_host

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
    name = VM_HOST_PROPS["name"]
    path = f"/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.d/ssm_AmazonCloudWatch-{name}"
    encoded = base64.b64encode(synthesized.agent_config.encode()).decode()
    machine.ssh(f"echo {encoded} | base64 -d | install -D -m 0644 /dev/stdin {shlex.quote(path)}")


@pytest.fixture(scope="session")
def synthesized() -> SynthesizedHost:
    return synthesized_host(**VM_HOST_PROPS)


@pytest.fixture(scope="session")
def user_data(synthesized) -> str:
    return synthesized.user_data


@pytest.fixture(scope="session")
def vm(request, timings, user_data, synthesized, report) -> Iterator[VirtualMachine]:
    failures_before = request.session.testsfailed
    with booted_vm(user_data, timings) as machine:
        emulate_fetch_config(machine, synthesized)
        yield machine
        if request.session.testsfailed > failures_before:
            output = machine.ssh("tail -n 60 /var/log/cloud-init-output.log", check=False).stdout
            report(f"---- cloud-init-output.log tail ----\n{output}\n{machine.serial_tail()}")
