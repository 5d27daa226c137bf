"""Host suite: checks a host configured by the secure_web bootstrap, over testinfra.

Pick the host at run time, e.g. ``pytest tests/hosts --hosts=ssh://admin@10.1.2.3 --sudo``
(or ``paramiko://``, ``local://``); tests/vm does this against a qemu VM. Without
``--hosts`` (or ``--connection``) every test here is skipped, so the ordinary
unit run never probes the machine it runs on.

Values the checks compare against (port, CIDRs, paths) come from
``/etc/secure-web/bootstrap.env``, which the bootstrap writes; tests/vm checks
that file against the props the VM was booted with.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

HOSTS_DIR = Path(__file__).resolve().parent
BOOTSTRAP_ENV = "/etc/secure-web/bootstrap.env"
AGENT_CONFIG_DIR = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.d"
"""Where ``amazon-cloudwatch-agent-ctl -a fetch-config -c ssm:NAME`` leaves the configuration the agent runs."""


def fetched_agent_config_path(parameter: str) -> str:
    """The file fetch-config writes for ``ssm:<parameter>``: ``ssm_`` + the name with / : and spaces as ``_``."""
    escaped = parameter.replace("/", "_").replace(" ", "_").replace(":", "_")
    return f"{AGENT_CONFIG_DIR}/ssm_{escaped}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.option.hosts is not None or config.option.connection is not None:
        return
    skip = pytest.mark.skip(reason="host suite: no host given; pass --hosts=ssh://user@host (tests/vm does)")
    for item in items:
        if HOSTS_DIR in Path(item.path).parents:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def bootstrap_env(host) -> dict[str, str]:
    """The bootstrap's record of what it configured (``KEY='value'`` lines)."""
    content = host.file(BOOTSTRAP_ENV).content_string
    values: dict[str, str] = {}
    for line in content.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            (values[name],) = shlex.split(value) or ("",)
    return values


@pytest.fixture(scope="module")
def fetched_agent_config(bootstrap_env) -> str:
    """Path of the agent configuration fetch-config wrote for this host's parameter."""
    return fetched_agent_config_path(bootstrap_env["AGENT_CONFIG_PARAMETER"])


@pytest.fixture(scope="module")
def https_port(bootstrap_env) -> int:
    return int(bootstrap_env["HTTPS_PORT"])


@pytest.fixture(scope="module")
def agent_installed(bootstrap_env) -> bool:
    return bootstrap_env["CLOUDWATCH_AGENT"] == "1"


@pytest.fixture
def requires_agent(agent_installed) -> None:
    if not agent_installed:
        pytest.skip("CloudWatch agent switched off on this host (CLOUDWATCH_AGENT=0 in bootstrap.env)")


@pytest.fixture
def listening(host) -> dict[int, set[str]]:
    """Listening TCP ports mapped to the local addresses they are bound to."""
    sockets: dict[int, set[str]] = {}
    for line in host.check_output("ss -Hltn").splitlines():
        local = line.split()[3]
        address, _, port = local.rpartition(":")
        sockets.setdefault(int(port), set()).add(address.strip("[]"))
    return sockets


@pytest.fixture
def nft_ruleset(host) -> list[dict[str, object]]:
    """``nft -j list ruleset``: its objects (tables, chains, rules), each a one-key dict."""
    return json.loads(host.check_output("nft -j list ruleset"))["nftables"]
