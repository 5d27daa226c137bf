"""Render ``bootstrap/host_bootstrap.sh`` into the user data a MonitoredHost boots with.

The bootstrap is a real bash script shipped as package data, so it can be read,
linted and run on its own. Rendering replaces its one marker line with
shell-quoted variable assignments; nothing else in the script changes. Plain
Python, no cdktf: the same text is what the launch template carries and what
the test VM boots with.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import re
import shlex
from dataclasses import dataclass, field
from importlib import resources
from typing import Mapping

from .contract import DOMAIN_PATTERN, DOMAIN_RULE

PARAMETERS_MARKER = "# @@SECURE_WEB_PARAMETERS@@"
USER_DATA_LIMIT_BYTES = 16384
"""EC2 rejects user data larger than 16 KiB (before base64 encoding)."""
RESERVED_PORTS = (22, 80, 8080, 9113)
"""SSH, plain HTTP, and the loopback-only stub_status and exporter ports."""
ROLE_PATTERN = r"[a-z][a-z0-9-]{0,31}"
PARAMETER_NAME_PATTERN = r"AmazonCloudWatch-[A-Za-z0-9_.\-/]{1,1000}"
CONFIG_PATH_PATTERN = r"/[A-Za-z0-9_.\-/]{1,255}"
AMAZON_DNS = "169.254.169.253"
"""The VPC's Amazon-provided DNS resolver, reachable from every subnet."""
DEFAULT_APPLICATION_PORT = 8000


@dataclass(frozen=True, kw_only=True)
class Upstream:
    """Where a web host proxies requests: the app tier, over TLS with certificate and name verification.

    Attributes:
        address (str): Host name or IP address the web host connects to (the app tier's internal load balancer).
            Required.
        port (int): TLS port of the app tier. Required.
        server_name (str): Name the app tier's certificate must carry (SNI and verification). Required.
        ca_pem (str): PEM certificates the web host trusts for the app tier; empty trusts Amazon Root CA 1-4 (ACM).
            Default: empty.
        paths (tuple[str, ...]): nginx location prefixes proxied to the app tier; /healthz always stays on the web
            host. Default: ('/',) (everything).
        resolver (str): DNS resolver nginx re-resolves ``address`` with. Default: 169.254.169.253 (Amazon DNS).
        connect_timeout_seconds (int): Connect timeout per try, 1 to 60. Default: 3.
        read_timeout_seconds (int): Read and send timeout, 1 to 300. Default: 30.
        tries (int): Attempts on a connection error or timeout (never after a response), 1 to 5. Default: 2.
    """

    address: str
    """Host name or IP address the web host connects to (the app tier's internal load balancer). Required."""
    port: int
    """TLS port of the app tier. Required."""
    server_name: str
    """Name the app tier's certificate must carry (SNI and verification). Required."""
    ca_pem: str = ""
    """PEM certificates the web host trusts for the app tier; empty trusts Amazon Root CA 1-4 (ACM). Default: empty."""
    paths: tuple[str, ...] = ("/",)
    """nginx location prefixes proxied to the app tier; /healthz always stays on the web host. Default: ('/',) (everything)."""
    resolver: str = AMAZON_DNS
    """DNS resolver nginx re-resolves ``address`` with. Default: 169.254.169.253 (Amazon DNS)."""
    connect_timeout_seconds: int = 3
    """Connect timeout per try, 1 to 60. Default: 3."""
    read_timeout_seconds: int = 30
    """Read and send timeout, 1 to 300. Default: 30."""
    tries: int = 2
    """Attempts on a connection error or timeout (never after a response), 1 to 5. Default: 2."""


@dataclass(frozen=True, kw_only=True)
class Application:
    """What an app host runs on loopback behind its nginx (which terminates TLS on the app port).

    The service runs as the system user ``secure-web-app`` with, in its environment,
    SECURE_WEB_APP_LISTEN (127.0.0.1:<port>), SECURE_WEB_DATABASE_CONFIG (the connection
    JSON's path), SECURE_WEB_DATABASE_CA (the CA bundle), and on EC2
    SECURE_WEB_DATABASE_PARAMETER and AWS_REGION.

    Attributes:
        command (str): Absolute command line systemd runs (ExecStart); empty runs the built-in application.
            Default: empty.
        port (int): Loopback port the application listens on, 1024 to 65535. Default: 8000.
        environment (Mapping[str, str]): Extra environment variables for the application. Default: none.
        packages (tuple[str, ...]): Debian packages the application needs, installed at boot. Default: none.
        database_config_parameter (str): SSM parameter with the database connection JSON; empty when no database
            is connected. Default: empty.
        database_ca_pem (str): PEM certificates trusted for the database; empty uses the RDS CA bundle of the
            host's region. Default: empty.
    """

    command: str = ""
    """Absolute command line systemd runs (ExecStart); empty runs the built-in application. Default: empty."""
    port: int = DEFAULT_APPLICATION_PORT
    """Loopback port the application listens on, 1024 to 65535. Default: 8000."""
    environment: Mapping[str, str] = field(default_factory=dict)
    """Extra environment variables for the application. Default: none."""
    packages: tuple[str, ...] = ()
    """Debian packages the application needs, installed at boot. Default: none."""
    database_config_parameter: str = ""
    """SSM parameter with the database connection JSON; empty when no database is connected. Default: empty."""
    database_ca_pem: str = ""
    """PEM certificates trusted for the database; empty uses the RDS CA bundle of the host's region. Default: empty."""


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
    server_names: tuple[str, ...] = ()
    """Host names the site answers to; other Host headers get 421 (``/healthz`` answers any). Empty: any name. Default: empty."""
    agent_config_parameter: str
    """SSM parameter holding the agent configuration, ``AmazonCloudWatch-...``. Required."""
    agent_config_json: str
    """The agent configuration (JSON object naming ``prometheus_config_path``), also written to the host. Required."""
    prometheus_scrape_yaml: str
    """Prometheus scrape configuration written to ``prometheus_config_path``; ``@INSTANCE_ID@`` is filled in. Required."""
    upstream: Upstream | None = None
    """Web role: the app tier to proxy to; none serves a static page. Default: none."""
    application: Application | None = None
    """App role: the application behind nginx; none runs the built-in one. Default: the built-in application."""


def render_user_data(params: HostBootstrapParams) -> str:
    """The bootstrap script with ``params`` filled in; raises ValueError naming every invalid field."""
    problems = _problems(params)
    if problems:
        raise ValueError("HostBootstrapParams: " + "; ".join(problems))
    script = bootstrap_script()
    rendered = script.replace(PARAMETERS_MARKER, _assignments(params), 1)
    size = len(compressed_user_data(rendered))
    if size > USER_DATA_LIMIT_BYTES:
        raise ValueError(
            "HostBootstrapParams: the gzip-compressed user data must be at most "
            f"{USER_DATA_LIMIT_BYTES} bytes (EC2's limit); got {size} bytes "
            "(shorten 'agent_config_json', 'prometheus_scrape_yaml' or the PEM bundles)"
        )
    return rendered


def compressed_user_data(script: str) -> bytes:
    """What the launch template carries: ``script`` gzip-compressed (cloud-init inflates it), byte-stable."""
    return gzip.compress(script.encode(), compresslevel=9, mtime=0)


def builtin_application_source() -> str:
    """The built-in application (``bootstrap/secure_web_app.py``) an app host runs by default."""
    return resources.files(__package__).joinpath("bootstrap/secure_web_app.py").read_text(encoding="utf-8")


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
    upstream = params.upstream
    application = params.application or Application() if params.role == "app" else None
    values = {
        "ROLE": params.role,
        "HTTPS_PORT": str(params.https_port),
        "ALLOWED_HTTPS_CIDRS": " ".join(params.allowed_https_cidrs),
        "SSH_ALLOWED_CIDRS": " ".join(params.ssh_allowed_cidrs),
        "CLOUDWATCH_AGENT": "1" if params.cloudwatch_agent else "0",
        "SERVER_NAMES": " ".join(params.server_names),
        "AGENT_CONFIG_PARAMETER": params.agent_config_parameter,
        "PROMETHEUS_SCRAPE_CONFIG_PATH": prometheus_config_path(params.agent_config_json),
        "AGENT_CONFIG_JSON": params.agent_config_json,
        "PROMETHEUS_SCRAPE_YAML": params.prometheus_scrape_yaml,
        "UPSTREAM_ADDRESS": upstream.address if upstream else "",
        "UPSTREAM_PORT": str(upstream.port) if upstream else "",
        "UPSTREAM_SERVER_NAME": upstream.server_name if upstream else "",
        "UPSTREAM_CA_PEM": upstream.ca_pem.strip() if upstream else "",
        "PROXIED_PATHS": " ".join(upstream.paths) if upstream else "",
        "DNS_RESOLVER": upstream.resolver if upstream else "",
        "UPSTREAM_CONNECT_TIMEOUT": str(upstream.connect_timeout_seconds) if upstream else "",
        "UPSTREAM_READ_TIMEOUT": str(upstream.read_timeout_seconds) if upstream else "",
        "UPSTREAM_TRIES": str(upstream.tries) if upstream else "",
        "APP_COMMAND": application.command if application else "",
        "APP_PORT": str(application.port) if application else "",
        "APP_ENVIRONMENT": "\n".join(f"{name}={value}" for name, value in sorted(application.environment.items()))
        if application else "",
        "APP_PACKAGES": " ".join(application.packages) if application else "",
        "APP_SOURCE": builtin_application_source() if application and not application.command else "",
        "DATABASE_CONFIG_PARAMETER": application.database_config_parameter if application else "",
        "DATABASE_CA_PEM": application.database_ca_pem.strip() if application else "",
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
    names = params.server_names
    if not isinstance(names, tuple):
        fail("server_names", "must be a tuple of host names", names)
    else:
        for index, name in enumerate(names):
            if not isinstance(name, str) or not re.fullmatch(DOMAIN_PATTERN, name):
                fail(f"server_names[{index}]", DOMAIN_RULE, name)
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
    if params.upstream is not None and params.role != "web":
        fail("upstream", "is only for the web role", params.role)
    if params.application is not None and params.role != "app":
        fail("application", "is only for the app role", params.role)
    return problems


def _is_cidr(value: object) -> bool:
    try:
        ipaddress.ip_network(value, strict=True)
    except (TypeError, ValueError):
        return False
    return isinstance(value, str) and "/" in value


def _abbreviated(value: object) -> object:
    return value[:60] + "..." if isinstance(value, str) and len(value) > 60 else value
