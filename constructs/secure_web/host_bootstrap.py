"""Render ``bootstrap/host_bootstrap.sh`` into the user data a MonitoredHost boots with.

The bootstrap is a real bash script shipped as package data, so it can be read,
linted and run on its own. Rendering replaces its one marker line with
shell-quoted variable assignments; nothing else in the script changes. Plain
Python, no cdktf: the same text is what the launch template carries and what
the test VM boots with.
"""

from __future__ import annotations

import ipaddress
import json
import re
import shlex
from dataclasses import dataclass
from importlib import resources

PARAMETERS_MARKER = "# @@SECURE_WEB_PARAMETERS@@"
USER_DATA_LIMIT_BYTES = 16384
"""EC2 rejects user data larger than 16 KiB (before base64 encoding)."""
RESERVED_PORTS = (22, 80, 8080, 9113)
"""SSH, plain HTTP, and the loopback-only stub_status and exporter ports."""
ROLE_PATTERN = r"[a-z][a-z0-9-]{0,31}"
PARAMETER_NAME_PATTERN = r"AmazonCloudWatch-[A-Za-z0-9_.\-/]{1,1000}"
CONFIG_PATH_PATTERN = r"/[A-Za-z0-9_.\-/]{1,255}"


@dataclass(frozen=True, kw_only=True)
class HostBootstrapParams:
    """What the bootstrap configures on one host."""

    role: str
    """Host role, 'web' or 'app' (1-32 of a-z, 0-9, '-'); names the site and labels. Required."""
    https_port: int = 443
    """Port nginx serves TLS on; not 22, 80, 8080 or 9113. Default: 443."""
    allowed_https_cidrs: tuple[str, ...]
    """Ranges the nftables firewall admits on ``https_port`` (the VPC); at least one. Required."""
    ssh_allowed_cidrs: tuple[str, ...] = ()
    """Ranges the firewall admits on port 22; EC2 hosts use SSM Session Manager instead. Default: none."""
    cloudwatch_agent: bool = True
    """Install the CloudWatch and SSM agents and load the config from SSM; False only outside AWS. Default: True."""
    agent_config_parameter: str
    """SSM parameter holding the agent configuration, ``AmazonCloudWatch-...``. Required."""
    agent_config_json: str
    """The agent configuration (JSON object naming ``prometheus_config_path``), also written to the host. Required."""
    prometheus_scrape_yaml: str
    """Prometheus scrape configuration written to ``prometheus_config_path``; ``@INSTANCE_ID@`` is filled in. Required."""


def render_user_data(params: HostBootstrapParams) -> str:
    """The bootstrap script with ``params`` filled in; raises ValueError naming every invalid field."""
    problems = _problems(params)
    if problems:
        raise ValueError("HostBootstrapParams: " + "; ".join(problems))
    script = bootstrap_script()
    rendered = script.replace(PARAMETERS_MARKER, _assignments(params), 1)
    size = len(rendered.encode())
    if size > USER_DATA_LIMIT_BYTES:
        raise ValueError(
            "HostBootstrapParams: the rendered user data must be at most "
            f"{USER_DATA_LIMIT_BYTES} bytes (EC2's limit); got {size} bytes "
            "(shorten 'agent_config_json' or 'prometheus_scrape_yaml')"
        )
    return rendered


def bootstrap_script() -> str:
    """The unrendered ``bootstrap/host_bootstrap.sh`` shipped with the package."""
    script = resources.files(__package__).joinpath("bootstrap/host_bootstrap.sh").read_text(encoding="utf-8")
    if script.count(PARAMETERS_MARKER) != 1:
        raise ValueError(f"bootstrap/host_bootstrap.sh must contain the line {PARAMETERS_MARKER!r} exactly once")
    return script


def prometheus_config_path(agent_config_json: str) -> str:
    """Where the agent configuration tells the agent to read its Prometheus scrape configuration."""
    config = json.loads(agent_config_json)
    return config["logs"]["metrics_collected"]["prometheus"]["prometheus_config_path"]


def _assignments(params: HostBootstrapParams) -> str:
    values = {
        "ROLE": params.role,
        "HTTPS_PORT": str(params.https_port),
        "ALLOWED_HTTPS_CIDRS": " ".join(params.allowed_https_cidrs),
        "SSH_ALLOWED_CIDRS": " ".join(params.ssh_allowed_cidrs),
        "CLOUDWATCH_AGENT": "1" if params.cloudwatch_agent else "0",
        "AGENT_CONFIG_PARAMETER": params.agent_config_parameter,
        "PROMETHEUS_SCRAPE_CONFIG_PATH": prometheus_config_path(params.agent_config_json),
        "AGENT_CONFIG_JSON": params.agent_config_json,
        "PROMETHEUS_SCRAPE_YAML": params.prometheus_scrape_yaml,
    }
    lines = [f"{name}={shlex.quote(value)}" for name, value in values.items()]
    lines.append("readonly " + " ".join(values))
    return "\n".join(lines)


def _problems(params: HostBootstrapParams) -> list[str]:
    problems: list[str] = []

    def fail(field: str, rule: str, value: object) -> None:
        problems.append(f"'{field}' {rule}; got {value!r}")

    if not isinstance(params.role, str) or not re.fullmatch(ROLE_PATTERN, params.role):
        fail("role", "must be 1-32 characters of a-z, 0-9 and '-', starting with a letter", params.role)
    port = params.https_port
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        fail("https_port", "must be a whole number between 1 and 65535", port)
    elif port in RESERVED_PORTS:
        fail("https_port", f"must not be one of {', '.join(map(str, RESERVED_PORTS))}", port)
    if not params.allowed_https_cidrs:
        fail("allowed_https_cidrs", "must name at least one range", params.allowed_https_cidrs)
    for field in ("allowed_https_cidrs", "ssh_allowed_cidrs"):
        for index, cidr in enumerate(getattr(params, field)):
            if not _is_cidr(cidr):
                fail(f"{field}[{index}]", "must be a CIDR block with no host bits set, like 10.0.0.0/16", cidr)
    if not isinstance(params.cloudwatch_agent, bool):
        fail("cloudwatch_agent", "must be True or False", params.cloudwatch_agent)
    if not isinstance(params.agent_config_parameter, str) or not re.fullmatch(
        PARAMETER_NAME_PATTERN, params.agent_config_parameter
    ):
        fail("agent_config_parameter", "must be an SSM parameter name starting 'AmazonCloudWatch-'",
             params.agent_config_parameter)
    try:
        path = prometheus_config_path(params.agent_config_json)
    except (TypeError, ValueError, KeyError):
        fail("agent_config_json", "must be a JSON object with logs.metrics_collected.prometheus.prometheus_config_path",
             _abbreviated(params.agent_config_json))
    else:
        if not isinstance(path, str) or not re.fullmatch(CONFIG_PATH_PATTERN, path) or ".." in path:
            fail("agent_config_json", "must name an absolute prometheus_config_path of A-Z a-z 0-9 _ . - /", path)
    if not isinstance(params.prometheus_scrape_yaml, str) or not params.prometheus_scrape_yaml.strip():
        fail("prometheus_scrape_yaml", "must not be empty", params.prometheus_scrape_yaml)
    return problems


def _is_cidr(value: object) -> bool:
    try:
        ipaddress.ip_network(value, strict=True)
    except (TypeError, ValueError):
        return False
    return isinstance(value, str) and "/" in value


def _abbreviated(value: object) -> object:
    return value[:60] + "..." if isinstance(value, str) and len(value) > 60 else value
