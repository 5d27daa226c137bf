"""Running tests/hosts against a booted VM, and what the VM runs are expected to skip."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

from harness import VirtualMachine

REPO_ROOT = Path(__file__).resolve().parents[2]
HOSTS_SUITE = REPO_ROOT / "tests" / "hosts"
SUITE_TIMEOUT_SECONDS = 900

AGENT_OFF = "CloudWatch agent switched off on this host (CLOUDWATCH_AGENT=0 in bootstrap.env)"
AGENT_SKIPS = {
    f"{module}::{test}[{name}]": AGENT_OFF
    for module, test in (("test_packages.py", "test_agent_package_is_installed"),
                         ("test_services.py", "test_agent_service_is_running"),
                         ("test_services.py", "test_agent_service_is_enabled"),
                         ("test_services.py", "test_agent_service_restarts_on_failure"))
    for name in ("amazon-cloudwatch-agent", "amazon-ssm-agent")
}
"""The VMs boot with cloudwatch_agent_install=False (no AWS to fetch the agents from): these skip on both."""
APP_CHECK_SKIPS = {
    f"test_tiers.py::{test}": "app host check; this host's role is web (ROLE in bootstrap.env)"
    for test in ("test_application_runs_as_its_own_user_and_restarts_on_failure",
                 "test_application_listens_on_loopback_only", "test_application_settings_are_readable_by_its_user_only",
                 "test_database_ca_is_a_certificate_bundle")
}
"""On a web host."""
PROXY_CHECK_SKIPS = {
    f"test_tiers.py::{test}": "proxying web host check; this host's role is app (ROLE, PROXIED_PATHS in bootstrap.env)"
    for test in ("test_every_proxy_location_verifies_the_app_tier", "test_upstream_trust_is_a_certificate_bundle")
}
"""On an app host."""


@dataclass(frozen=True)
class SuiteRun:
    """One run of tests/hosts against the VM: the process, and each case's id by outcome."""

    process: subprocess.CompletedProcess[str]
    failed: set[str]
    skipped: dict[str, str]
    """id -> the reason pytest recorded."""
    passed: int


def run_host_suite(vm: VirtualMachine, junit_xml: Path) -> SuiteRun:
    """Runs tests/hosts against the VM and reads every case's outcome from its JUnit report."""
    command = [
        sys.executable, "-m", "pytest", str(HOSTS_SUITE), "-q", "-p", "no:cacheprovider", "-o", "addopts=",
        f"--hosts={vm.testinfra_host}", f"--ssh-config={vm.ssh_config}", "--sudo", f"--junitxml={junit_xml}",
    ]
    run = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=SUITE_TIMEOUT_SECONDS)
    failed, skipped, passed = set(), {}, 0
    for case in ElementTree.parse(junit_xml).iter("testcase"):
        case_id = case_id_of(case)
        skip = case.find("skipped")
        if case.find("failure") is not None or case.find("error") is not None:
            failed.add(case_id)
        elif skip is not None:
            skipped[case_id] = re.sub(r"^Skipped: ", "", skip.get("message", ""))
        else:
            passed += 1
    return SuiteRun(run, failed, skipped, passed)


def case_id_of(case: ElementTree.Element) -> str:
    """``module.py::test[params]`` of a JUnit test case, without testinfra's host id."""
    module = case.get("classname", "").rpartition(".")[2]
    name = re.sub(r"\[[a-z]+://[^\]-]*(-|(?=\]))", "[", case.get("name", "")).replace("[]", "")
    return f"{module}.py::{name}"
