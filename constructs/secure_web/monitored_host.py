"""MonitoredHost: hardened EC2 hosts with the CloudWatch agent, its configuration in SSM, and alarms."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Mapping

import cdktf
from constructs import Construct

from .agent_config import HOST_METRICS_NAMESPACE, AgentLogGroups, agent_config_json, prometheus_scrape_yaml
from .aws import blocks, resource_module
from .connections import Connections
from .contract import DOMAIN_PATTERN, DOMAIN_RULE, HOST_AGENT_POLICY
from .host_bootstrap import (RESERVED_PORTS, Application, HostBootstrapParams, Upstream, compressed_user_data,
                             render_user_data)
from .kms import AccountContext, encryption_key
from .network import CLOUDWATCH_RETENTION_DAYS, SECURE_LOG_RETENTION_DAYS
from .tree import path_of
from .validation import (AMI_ID_PATTERN, SNS_TOPIC_ARN_PATTERN, SUBNET_ID_PATTERN, TARGET_GROUP_ARN_PATTERN,
                         VPC_ID_PATTERN, Checks, announce_weakened, is_ip_address, validate_props)

DEBIAN_AMI_OWNER = "136693071363"
DEBIAN_12_AMI_NAME = "debian-12-amd64-*"
HOST_ROLES = ("web", "app")
INSTANCE_TYPE_PATTERN = r"[a-z][a-z0-9-]*\d[a-z0-9-]*\.(nano|micro|small|medium|large|metal|\d{0,2}xlarge)"
# IAM role name_prefix allows 38 characters: "secure-web-" + name + "-".
HOST_NAME_PATTERN = r"[a-z][a-z0-9-]{0,25}"
HOST_NAME_RULE = "must be 1-26 characters of a-z, 0-9 and '-', starting with a letter (IAM role prefix limit)"
# Graviton families carry a 'g' right after the generation digit (t4g, m7g, c6gn, r8gd, is4gen); a1 came first.
GRAVITON_FAMILY_PATTERN = r"a1|[a-z]+\d+g[a-z]*"
DEFAULT_AMI_ARCHITECTURE = "x86_64"
DEFAULT_AMI_ARCHITECTURE_RULE = ("must be an x86_64 type like t3.small when ami_id is not given: the default AMI "
                                 f"({DEBIAN_12_AMI_NAME}) cannot boot Graviton (arm64) types; give an arm64 ami_id "
                                 "to use one")
TARGET_GROUP_ARN_EXAMPLE = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef"
HOST_NAME_DNS_PATTERN = r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
PROXIED_PATH_PATTERN = r"/[A-Za-z0-9._~\-/]{0,200}"
PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"
COMMAND_PATTERN = r"/[^\s\x00-\x1f]+( [^\x00-\x1f]*)?"
ENVIRONMENT_NAME_PATTERN = r"[A-Z_][A-Z0-9_]{0,127}"
ENVIRONMENT_VALUE_PATTERN = r"[^\x00-\x1f\x7f\"'\\]{0,1000}"
DEBIAN_PACKAGE_PATTERN = r"[a-z0-9][a-z0-9+.-]{1,100}"
SSM_PARAMETER_NAME_PATTERN = r"/?[A-Za-z0-9_.\-/]{1,1011}"
HEALTH_PATH = "/healthz"


@dataclass(frozen=True, kw_only=True)
class MonitoredHostProps:
    """Options for MonitoredHost.

    Attributes:
        name (str): Short name, 1-26 characters a-z 0-9 '-'; names the SSM parameter ``AmazonCloudWatch-<name>`` and
            log groups. Required.
        vpc_id (str): VPC the hosts' security group belongs to. Required.
        subnet_ids (tuple[str, ...]): Private subnets to spread the hosts over, one per AZ. Required.
        allowed_https_cidrs (tuple[str, ...]): Ranges the host firewall admits on ``https_port`` (the VPC, where the
            load balancer is). Required.
        role (str): 'web' (TLS site behind the load balancer) or 'app' (TLS service for the web tier).
            Default: 'web'.
        instance_count (int): Hosts kept running by the Auto Scaling group, 1 to 100. Default: 3.
        instance_type (str): EC2 instance type. Default: t3.small.
        https_port (int): Port the host serves TLS on. Default: 443.
        ami_id (str | None): AMI to boot. Default: the newest official Debian 12 amd64 AMI (owner 136693071363).
        root_volume_size_gb (int): Encrypted gp3 root volume size, 8 to 1024 GiB. Default: 20.
        log_retention_days (int): Days the nginx and agent log groups are kept; below 365 warns. Default: 365.
        cloudwatch_agent_install (bool): Install the CloudWatch and SSM agents at boot; only hosts outside AWS turn
            this off (warns). Default: True.
        ssh_allowed_cidrs (tuple[str, ...]): Ranges the host firewall admits on port 22; security groups never open
            22. Non-empty warns. Default: none.
        server_names (tuple[str, ...]): Host names nginx serves the site for (lower-case DNS names, '*.' allowed);
            any other Host header gets 421 Misdirected Request, and ``/healthz`` answers any. Empty serves every Host
            header and warns. Default: none (warns).
        target_group_arns (tuple[str, ...]): Load balancer target groups to register the hosts in (health checks
            then replace hosts). Default: none.
        alarm_topic_arn (str | None): SNS topic for the host alarms; leaving it out leaves them without a
            destination and warns (a SecureWebTier always passes its topic). Default: none (warns).
        cpu_alarm_threshold_percent (int): Average CPU over 5 minutes that raises the CPU alarm, 1 to 100.
            Default: 80.
        upstream (Upstream | None): Web role only: the app tier nginx proxies to over verified TLS; none serves a
            static page. Default: none.
        application (Application | None): App role only: the service behind nginx on loopback. Default: the
            built-in application (a marker page and a database health check).
        tags (Mapping[str, str]): Tags for every resource and instance, per AWS tag rules; no 'aws:' or
            'secure-web:' keys. Default: none.
    """

    name: str
    """Short name, 1-26 characters a-z 0-9 '-'; names the SSM parameter ``AmazonCloudWatch-<name>`` and log groups. Required."""
    vpc_id: str
    """VPC the hosts' security group belongs to. Required."""
    subnet_ids: tuple[str, ...]
    """Private subnets to spread the hosts over, one per AZ. Required."""
    allowed_https_cidrs: tuple[str, ...]
    """Ranges the host firewall admits on ``https_port`` (the VPC, where the load balancer is). Required."""
    role: str = "web"
    """'web' (TLS site behind the load balancer) or 'app' (TLS service for the web tier). Default: 'web'."""
    instance_count: int = 3
    """Hosts kept running by the Auto Scaling group, 1 to 100. Default: 3."""
    instance_type: str = "t3.small"
    """EC2 instance type. Default: t3.small."""
    https_port: int = 443
    """Port the host serves TLS on. Default: 443."""
    ami_id: str | None = None
    """AMI to boot. Default: the newest official Debian 12 amd64 AMI (owner 136693071363)."""
    root_volume_size_gb: int = 20
    """Encrypted gp3 root volume size, 8 to 1024 GiB. Default: 20."""
    log_retention_days: int = SECURE_LOG_RETENTION_DAYS
    """Days the nginx and agent log groups are kept; below 365 warns. Default: 365."""
    cloudwatch_agent_install: bool = True
    """Install the CloudWatch and SSM agents at boot; only hosts outside AWS turn this off (warns). Default: True."""
    ssh_allowed_cidrs: tuple[str, ...] = ()
    """Ranges the host firewall admits on port 22; security groups never open 22. Non-empty warns. Default: none."""
    server_names: tuple[str, ...] = ()
    """Host names nginx serves the site for (lower-case DNS names, '*.' allowed); any other Host header gets 421 Misdirected Request, and ``/healthz`` answers any. Empty serves every Host header and warns. Default: none (warns)."""
    target_group_arns: tuple[str, ...] = ()
    """Load balancer target groups to register the hosts in (health checks then replace hosts). Default: none."""
    alarm_topic_arn: str | None = None
    """SNS topic for the host alarms; leaving it out leaves them without a destination and warns (a SecureWebTier always passes its topic). Default: none (warns)."""
    cpu_alarm_threshold_percent: int = 80
    """Average CPU over 5 minutes that raises the CPU alarm, 1 to 100. Default: 80."""
    upstream: Upstream | None = None
    """Web role only: the app tier nginx proxies to over verified TLS; none serves a static page. Default: none."""
    application: Application | None = None
    """App role only: the service behind nginx on loopback. Default: the built-in application (a marker page and a database health check)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every resource and instance, per AWS tag rules; no 'aws:' or 'secure-web:' keys. Default: none."""


@dataclass(frozen=True, kw_only=True)
class HostAlarm:
    """One alarm on the hosts of a MonitoredHost, aggregated over its Auto Scaling group."""

    construct_id: str
    title: str
    namespace: str
    metric_name: str
    statistic: str
    period_seconds: int
    evaluation_periods: int
    threshold: float
    comparison_operator: str
    treat_missing_data: str
    description: str


def host_alarms(props: MonitoredHostProps) -> tuple[HostAlarm, ...]:
    """CPU high, a failed status check, and memory high (no memory data means the agent stopped)."""
    return (
        HostAlarm(construct_id="cpu-alarm", title="CPU high", namespace="AWS/EC2", metric_name="CPUUtilization",
                  statistic="Average", period_seconds=300, evaluation_periods=1,
                  threshold=props.cpu_alarm_threshold_percent, comparison_operator="GreaterThanThreshold",
                  treat_missing_data="missing",
                  description=f"Average CPU of {props.name} hosts above {props.cpu_alarm_threshold_percent}%"),
        HostAlarm(construct_id="status-check-alarm", title="status check failed", namespace="AWS/EC2",
                  metric_name="StatusCheckFailed", statistic="Maximum", period_seconds=60, evaluation_periods=2,
                  threshold=1, comparison_operator="GreaterThanOrEqualToThreshold", treat_missing_data="breaching",
                  description=f"An instance or system status check of a {props.name} host failed"),
        HostAlarm(construct_id="memory-alarm", title="memory high", namespace=HOST_METRICS_NAMESPACE,
                  metric_name="mem_used_percent", statistic="Maximum", period_seconds=300, evaluation_periods=1,
                  threshold=90, comparison_operator="GreaterThanThreshold", treat_missing_data="breaching",
                  description=f"Memory use of a {props.name} host above 90% (missing data: the agent stopped)"),
    )


def host_user_data(props: MonitoredHostProps) -> str:
    """The exact script MonitoredHost passes as user data (before base64)."""
    return render_user_data(
        HostBootstrapParams(
            role=props.role,
            https_port=props.https_port,
            allowed_https_cidrs=tuple(props.allowed_https_cidrs),
            ssh_allowed_cidrs=tuple(props.ssh_allowed_cidrs),
            cloudwatch_agent=props.cloudwatch_agent_install,
            server_names=tuple(props.server_names),
            agent_config_parameter=agent_parameter_name(props.name),
            agent_config_json=agent_config_json(log_groups=log_group_names(props.name)),
            prometheus_scrape_yaml=prometheus_scrape_yaml(tier=props.name),
            upstream=props.upstream,
            application=props.application,
        )
    )


def agent_parameter_name(name: str) -> str:
    """SSM parameter holding the agent configuration; the agent's managed policy reads ``AmazonCloudWatch-*``."""
    return f"AmazonCloudWatch-{name}"


SESSION_MANAGER_ACTIONS = ("ssm:UpdateInstanceInformation", "ssmmessages:CreateControlChannel",
                           "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel",
                           "ssmmessages:OpenDataChannel")
"""What the SSM agent needs to register the host and carry Session Manager sessions (AWS's documented minimum)."""

RUN_COMMAND_ACTIONS = ("ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage",
                       "ec2messages:GetEndpoint", "ec2messages:GetMessages", "ec2messages:SendReply")
"""What the SSM agent needs to receive Run Command documents: the README's host audit puts its key this way."""


def host_agent_policy(*, log_group_arns: list[str], parameter_arn: str) -> dict:
    """The host role's one policy: what the CloudWatch and SSM agents do, on this tier's resources only.

    It replaces CloudWatchAgentServerPolicy and AmazonSSMManagedInstanceCore, which allow
    ``logs:CreateLogGroup``/``PutRetentionPolicy``/``PutLogEvents`` on every log group and
    ``ssm:GetParameter(s)`` on every parameter. The log groups exist before the hosts
    (Terraform makes them, with retention and a key), so the agent only adds streams and
    events to its own three; it reads its own configuration parameter; it publishes
    metrics in the tier's namespace only (the QPS records reach CloudWatch as embedded
    metric format through the prometheus log group); ``ec2:DescribeTags`` (which takes no
    resource) fills the AutoScalingGroupName dimension. Session Manager and Run Command are
    how operators reach a host (the host audit in the README uses both); no State Manager,
    inventory or patch snapshots, no parameter but the agent's own.
    """
    streams = [f"{arn}:log-stream:*" for arn in log_group_arns]
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "AgentLogs", "Effect": "Allow",
         "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
         "Resource": [*log_group_arns, *streams]},
        {"Sid": "AgentConfiguration", "Effect": "Allow", "Action": "ssm:GetParameter", "Resource": parameter_arn},
        {"Sid": "HostMetrics", "Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*",
         "Condition": {"StringEquals": {"cloudwatch:namespace": HOST_METRICS_NAMESPACE}}},
        {"Sid": "AgentDimensions", "Effect": "Allow", "Action": "ec2:DescribeTags", "Resource": "*"},
        {"Sid": "SessionManager", "Effect": "Allow", "Action": list(SESSION_MANAGER_ACTIONS), "Resource": "*"},
        {"Sid": "RunCommand", "Effect": "Allow", "Action": list(RUN_COMMAND_ACTIONS), "Resource": "*"},
    ]}


def log_group_names(name: str) -> AgentLogGroups:
    """Where the agent ships the nginx logs and the Prometheus (QPS) records."""
    return AgentLogGroups(
        access=f"/secure-web/{name}/nginx/access",
        error=f"/secure-web/{name}/nginx/error",
        prometheus=f"/secure-web/{name}/prometheus",
    )


def check_upstream(upstream: object, role: str, checks: Checks) -> None:
    """The web host's proxy to the app tier: a name it verifies, a trust bundle of certificates only."""
    if not isinstance(upstream, Upstream):
        checks.fail("upstream", "must be an Upstream(address=..., port=..., server_name=...)", upstream)
        return
    checks.require(role == "web", "upstream", "is only for web hosts (role='web')", role)
    for name, value in (("address", upstream.address), ("server_name", upstream.server_name)):
        if checks.known(f"upstream.{name}", value, "it is written into nginx's configuration at boot"):
            checks.require(isinstance(value, str) and (re.fullmatch(HOST_NAME_DNS_PATTERN, value) is not None
                                                       or (name == "address" and is_ip_address(value))),
                           f"upstream.{name}", "must be a lower-case DNS name" + (" or an IP address" if name ==
                                                                                  "address" else ""), value)
    checks.between("upstream.port", upstream.port, 1, 65535)
    _check_pem("upstream.ca_pem", upstream.ca_pem, checks)
    paths = checks.sequence("upstream.paths", upstream.paths, "location prefixes", ("/", "/api/"))
    checks.count("upstream.paths", paths, 1, "must name at least one path (leave upstream out to proxy nothing)")
    for index, path in enumerate(paths or ()):
        if checks.matches(f"upstream.paths[{index}]", path, PROXIED_PATH_PATTERN,
                          "must be a path prefix like /api/ of A-Z a-z 0-9 . _ ~ - /"):
            checks.require(not path.startswith(HEALTH_PATH), f"upstream.paths[{index}]",
                           f"must not cover the web host's own health check {HEALTH_PATH}", path)
    if paths is not None:
        checks.require(len(set(paths)) == len(paths), "upstream.paths", "must not repeat a path", list(paths))
    checks.require(isinstance(upstream.resolver, str) and is_ip_address(upstream.resolver), "upstream.resolver",
                   "must be an IP address", upstream.resolver)
    checks.between("upstream.connect_timeout_seconds", upstream.connect_timeout_seconds, 1, 60)
    checks.between("upstream.read_timeout_seconds", upstream.read_timeout_seconds, 1, 300)
    checks.between("upstream.tries", upstream.tries, 1, 5)


def check_application(application: object, role: str, https_port: int, checks: Checks) -> None:
    """The app host's service: an absolute command, a loopback port of its own, plain environment values."""
    if not isinstance(application, Application):
        checks.fail("application", "must be an Application(...)", application)
        return
    checks.require(role == "app", "application", "is only for app hosts (role='app')", role)
    if application.command:
        checks.matches("application.command", application.command, COMMAND_PATTERN,
                       "must be an absolute command line on one line, like /usr/bin/node /srv/app/server.js")
    if checks.between("application.port", application.port, 1024, 65535):
        checks.require(application.port not in (*RESERVED_PORTS, https_port), "application.port",
                       f"must not be the host's HTTPS port {https_port} or one of {RESERVED_PORTS}", application.port)
    if not isinstance(application.environment, Mapping):
        checks.fail("application.environment", "must be a mapping of variable names to values",
                    application.environment)
    else:
        for name, value in application.environment.items():
            if checks.matches("application.environment key", name, ENVIRONMENT_NAME_PATTERN,
                              "must be an upper-case variable name like APP_MODE"):
                checks.require(not name.startswith(("SECURE_WEB_", "AWS_")), "application.environment key",
                               "must not start with SECURE_WEB_ or AWS_ (set by secure_web)", name)
            checks.matches(f"application.environment[{name!r}]", value, ENVIRONMENT_VALUE_PATTERN,
                           "must be at most 1000 characters on one line, without quotes or backslashes")
    packages = checks.sequence("application.packages", application.packages, "Debian package names", ("nodejs",))
    checks.ids("application.packages", packages, DEBIAN_PACKAGE_PATTERN, "must be a Debian package name")
    if application.database_config_parameter:
        checks.matches("application.database_config_parameter", application.database_config_parameter,
                       SSM_PARAMETER_NAME_PATTERN, "must be an SSM parameter name like /shop/app/database")
    _check_pem("application.database_ca_pem", application.database_ca_pem, checks)


def _check_pem(field_name: str, value: object, checks: Checks) -> None:
    """Empty, or PEM certificates only: a trust bundle is public, and a private key must never reach user data."""
    if not checks.known(field_name, value, "it is written to the host at boot") or value == "":
        return
    checks.require(isinstance(value, str) and value.strip().startswith(PEM_CERTIFICATE) and "PRIVATE KEY" not in value
                   and value.count(PEM_CERTIFICATE) == value.count("-----END CERTIFICATE-----"),
                   field_name, "must be PEM certificates (-----BEGIN CERTIFICATE-----) and nothing else",
                   value[:40] + "..." if isinstance(value, str) and len(value) > 40 else value)


def instance_architecture(instance_type: str) -> str:
    """'arm64' for a Graviton instance type (t4g.small, c6gn.large, a1.medium), else 'x86_64'."""
    return "arm64" if re.fullmatch(GRAVITON_FAMILY_PATTERN, instance_type.split(".")[0]) else "x86_64"


def check_props(props: MonitoredHostProps, checks: Checks) -> None:
    """Adds every problem with ``props`` to ``checks``."""
    checks.matches("name", props.name, HOST_NAME_PATTERN, HOST_NAME_RULE)
    checks.matches("vpc_id", props.vpc_id, VPC_ID_PATTERN, "must be a VPC id like vpc-0123456789abcdef0")
    subnets = checks.sequence("subnet_ids", props.subnet_ids, "subnet ids", ("subnet-0123456789abcdef0",))
    checks.ids("subnet_ids", subnets, SUBNET_ID_PATTERN, "must be a subnet id like subnet-0123456789abcdef0")
    checks.count("subnet_ids", subnets, 1, "must name at least one subnet")
    if props.ami_id is not None:
        checks.matches("ami_id", props.ami_id, AMI_ID_PATTERN, "must be an AMI id like ami-0123456789abcdef0")
    target_groups = checks.sequence("target_group_arns", props.target_group_arns, "ELBv2 target group ARNs",
                                    (TARGET_GROUP_ARN_EXAMPLE,))
    checks.ids("target_group_arns", target_groups, TARGET_GROUP_ARN_PATTERN, "must be an ELBv2 target group ARN")
    if props.alarm_topic_arn is not None:
        checks.matches("alarm_topic_arn", props.alarm_topic_arn, SNS_TOPIC_ARN_PATTERN, "must be an SNS topic ARN")
    checks.boolean("cloudwatch_agent_install", props.cloudwatch_agent_install)
    names = checks.sequence("server_names", props.server_names, "host names", ("www.example.com",))
    for index, name in enumerate(names or ()):
        if checks.known(f"server_names[{index}]", name, "it is written into nginx's configuration at boot"):
            checks.matches(f"server_names[{index}]", name, DOMAIN_PATTERN, DOMAIN_RULE)
    checks.tags("tags", props.tags)
    checks.one_of("role", props.role, HOST_ROLES)
    checks.between("instance_count", props.instance_count, 1, 100)
    if checks.matches("instance_type", props.instance_type, INSTANCE_TYPE_PATTERN,
                      "must be an EC2 instance type like t3.small") and props.ami_id is None:
        checks.require(instance_architecture(props.instance_type) == DEFAULT_AMI_ARCHITECTURE, "instance_type",
                       DEFAULT_AMI_ARCHITECTURE_RULE, props.instance_type)
    checks.between("https_port", props.https_port, 1, 65535)
    checks.require(props.https_port not in RESERVED_PORTS, "https_port",
                   "must not be 22, 80, or the loopback-only 8080/9113", props.https_port)
    checks.between("root_volume_size_gb", props.root_volume_size_gb, 8, 1024)
    checks.one_of("log_retention_days", props.log_retention_days, CLOUDWATCH_RETENTION_DAYS)
    checks.between("cpu_alarm_threshold_percent", props.cpu_alarm_threshold_percent, 1, 100)
    https = checks.sequence("allowed_https_cidrs", props.allowed_https_cidrs, "CIDR strings", ("10.0.0.0/16",))
    checks.count("allowed_https_cidrs", https, 1, "must name at least one range")
    for index, cidr in enumerate(https or ()):
        if checks.known(f"allowed_https_cidrs[{index}]", cidr, "it is written into the hosts' firewall at boot"):
            network = checks.cidr(f"allowed_https_cidrs[{index}]", cidr)
            if network is not None:
                checks.require(network.prefixlen > 0, f"allowed_https_cidrs[{index}]",
                               "must not admit the whole internet; hosts take traffic from the load balancer only",
                               cidr)
    if props.upstream is not None:
        check_upstream(props.upstream, props.role, checks)
    if props.application is not None:
        check_application(props.application, props.role, props.https_port, checks)
    ssh = checks.sequence("ssh_allowed_cidrs", props.ssh_allowed_cidrs, "CIDR strings", ("192.0.2.0/24",))
    for index, cidr in enumerate(ssh or ()):
        if checks.known(f"ssh_allowed_cidrs[{index}]", cidr, "it is written into the hosts' firewall at boot"):
            network = checks.cidr(f"ssh_allowed_cidrs[{index}]", cidr)
            if network is not None:
                checks.require(network.prefixlen > 0, f"ssh_allowed_cidrs[{index}]", "must not open SSH to the world",
                               cidr)


class MonitoredHost(Construct):
    """Hosts from one launch template in an Auto Scaling group, each running the CloudWatch agent.

    Every host: IMDSv2 required, encrypted EBS, no public IP, detailed monitoring,
    an instance profile whose role has one inline policy (``host_agent_policy``: the
    tier's own log groups, its agent parameter, metrics in its namespace, Session
    Manager) and no managed policy, the agent configuration from the SSM parameter
    ``AmazonCloudWatch-<name>``, and user data rendered from
    ``bootstrap/host_bootstrap.sh`` (nginx over TLS, nftables, the nginx exporter).
    The security group starts with no ingress; callers open it with ``connections``.
    """

    def __init__(self, scope: Construct, construct_id: str, props: MonitoredHostProps) -> None:
        validate_props(check_props, props, scope, construct_id)
        super().__init__(scope, construct_id)
        self.props = props
        self._announce_weakened_defaults(props)
        tags = {**props.tags, "secure-web:tier": props.name, "secure-web:role": props.role}
        context = AccountContext.of(self)

        self.security_group = resource_module("security_group").SecurityGroup(
            self, "security-group", name_prefix=f"secure-web-{props.name}-", vpc_id=props.vpc_id,
            description=f"{props.role} hosts of {props.name}: ingress only from the tier in front",
            tags={**tags, "Name": f"{path_of(self)}"}, lifecycle={"create_before_destroy": True},
        )
        self.connections = Connections(self, self.security_group.id, default_port=props.https_port)
        self.connections.allow_egress_to_cidr("0.0.0.0/0", 443, "AWS APIs (SSM, CloudWatch) and package mirrors over HTTPS via NAT")
        self.connections.allow_egress_to_cidr("0.0.0.0/0", 80, "Debian package mirrors over HTTP (apt verifies signatures) via NAT")

        log_group_arns = self._log_groups(props, context, tags)
        parameter = resource_module("ssm_parameter").SsmParameter(
            self, "agent-config", name=agent_parameter_name(props.name), type="String", tier="Standard",
            description=f"CloudWatch agent configuration for {path_of(self)}",
            value=agent_config_json(log_groups=log_group_names(props.name)), tags=tags,
        )
        profile = self._instance_profile(props, tags, host_agent_policy(log_group_arns=log_group_arns,
                                                                        parameter_arn=parameter.arn))
        template = self._launch_template(props, profile.arn, tags)
        group = resource_module("autoscaling_group").AutoscalingGroup(
            self, "hosts", name_prefix=f"secure-web-{props.name}-", min_size=props.instance_count,
            max_size=props.instance_count, desired_capacity=props.instance_count,
            vpc_zone_identifier=list(props.subnet_ids),
            launch_template={"id": template.id, "version": cdktf.Token.as_string(template.latest_version)},
            target_group_arns=list(props.target_group_arns) or None,
            health_check_type="ELB" if props.target_group_arns else "EC2", health_check_grace_period=600,
            enabled_metrics=["GroupInServiceInstances", "GroupDesiredCapacity", "GroupTotalInstances"],
            instance_refresh={"strategy": "Rolling", "preferences": {"min_healthy_percentage": 66}},
            tag=blocks([{"key": key, "value": value, "propagate_at_launch": True} for key, value in sorted(tags.items())]),
            depends_on=[parameter],
        )
        self.auto_scaling_group_name: str = group.name
        self.launch_template_id: str = template.id
        self.security_group_id: str = self.security_group.id
        self.agent_config_parameter_name: str = parameter.name
        self._alarms(props, group.name)

    def grant_database_access(self, *, parameter_arn: str, secret_arn: str, key_arn: str) -> None:
        """Let these hosts read the database connection parameter and the database secret, and nothing more.

        One inline policy: ``ssm:GetParameter`` on the parameter, ``secretsmanager:GetSecretValue``
        on the secret, ``kms:Decrypt`` on its key only through Secrets Manager in this region.
        """
        context = AccountContext.of(self)
        resource_module("iam_role_policy").IamRolePolicy(
            self, "database-access", name="database-access", role=self.role_name,
            policy=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Sid": "ConnectionParameter", "Effect": "Allow", "Action": "ssm:GetParameter",
                 "Resource": parameter_arn},
                {"Sid": "DatabaseSecret", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                 "Resource": secret_arn},
                {"Sid": "DecryptSecretThroughSecretsManager", "Effect": "Allow", "Action": "kms:Decrypt",
                 "Resource": key_arn,
                 "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{context.region}.amazonaws.com"}}},
            ]}),
        )

    def _announce_weakened_defaults(self, props: MonitoredHostProps) -> None:
        if not props.cloudwatch_agent_install:
            announce_weakened(self, "cloudwatch_agent_install", False, True)
        if props.ssh_allowed_cidrs:
            announce_weakened(self, "ssh_allowed_cidrs", list(props.ssh_allowed_cidrs), [])
        if props.log_retention_days < SECURE_LOG_RETENTION_DAYS:
            announce_weakened(self, "log_retention_days", props.log_retention_days, SECURE_LOG_RETENTION_DAYS)
        if props.alarm_topic_arn is None:
            announce_weakened(self, "alarm_topic_arn", None, "an SNS topic")
        if not props.server_names:
            announce_weakened(self, "server_names", [], "the site's host names (other Host headers get 421)")

    def _log_groups(self, props: MonitoredHostProps, context: AccountContext,
                    tags: Mapping[str, str]) -> list[str]:
        key = encryption_key(self, "log-key", context=context, description=f"{path_of(self)} logs", services=["logs"])
        names = log_group_names(props.name)
        return [
            resource_module("cloudwatch_log_group").CloudwatchLogGroup(
                self, f"{kind}-logs", name=name, retention_in_days=props.log_retention_days, kms_key_id=key.arn,
                tags=tags,
            ).arn
            for kind, name in (("access", names.access), ("error", names.error), ("prometheus", names.prometheus))
        ]

    def _instance_profile(self, props: MonitoredHostProps, tags: Mapping[str, str], agent_policy: dict):
        role = resource_module("iam_role").IamRole(
            self, "role", name_prefix=f"secure-web-{props.name}-", tags=tags,
            description=f"{path_of(self)}: CloudWatch agent and SSM Session Manager only",
            assume_role_policy=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                               "Principal": {"Service": "ec2.amazonaws.com"}}],
            }),
        )
        resource_module("iam_role_policy").IamRolePolicy(
            self, "agent-policy", name=HOST_AGENT_POLICY, role=role.name, policy=json.dumps(agent_policy),
        )
        self.role_name: str = role.name
        return resource_module("iam_instance_profile").IamInstanceProfile(
            self, "instance-profile", name_prefix=f"secure-web-{props.name}-", role=role.name, tags=tags
        )

    def _launch_template(self, props: MonitoredHostProps, profile_arn: str, tags: Mapping[str, str]):
        image_id = props.ami_id or resource_module("data_aws_ami").DataAwsAmi(
            self, "debian-12", most_recent=True, owners=[DEBIAN_AMI_OWNER],
            filter=blocks([{"name": "name", "values": [DEBIAN_12_AMI_NAME]},
                           {"name": "architecture", "values": ["x86_64"]},
                           {"name": "virtualization-type", "values": ["hvm"]}]),
        ).id
        user_data = base64.b64encode(compressed_user_data(host_user_data(props))).decode()
        return resource_module("launch_template").LaunchTemplate(
            self, "launch-template", name_prefix=f"secure-web-{props.name}-", image_id=image_id,
            instance_type=props.instance_type, update_default_version=True,
            iam_instance_profile={"arn": profile_arn},
            metadata_options={"http_endpoint": "enabled", "http_tokens": "required",
                              "http_put_response_hop_limit": 1, "instance_metadata_tags": "enabled"},
            monitoring={"enabled": True},
            ebs_optimized="true",
            block_device_mappings=blocks([{"device_name": "/dev/xvda", "ebs": {
                "volume_size": props.root_volume_size_gb, "volume_type": "gp3", "encrypted": "true",
                "delete_on_termination": "true"}}]),
            network_interfaces=blocks([{"associate_public_ip_address": "false", "delete_on_termination": "true",
                                        "security_groups": [self.security_group.id]}]),
            user_data=user_data,
            tag_specifications=blocks([{"resource_type": kind, "tags": {**tags, "Name": path_of(self)}}
                                       for kind in ("instance", "volume")]),
            tags=tags,
        )

    def _alarms(self, props: MonitoredHostProps, group_name: str) -> None:
        actions = [props.alarm_topic_arn] if props.alarm_topic_arn else None
        alarm = resource_module("cloudwatch_metric_alarm").CloudwatchMetricAlarm
        for spec in host_alarms(props):
            alarm(self, spec.construct_id, alarm_name=f"{path_of(self)} {spec.title}", namespace=spec.namespace,
                  metric_name=spec.metric_name, dimensions={"AutoScalingGroupName": group_name},
                  statistic=spec.statistic, period=spec.period_seconds, evaluation_periods=spec.evaluation_periods,
                  threshold=spec.threshold, comparison_operator=spec.comparison_operator,
                  treat_missing_data=spec.treat_missing_data, alarm_description=spec.description,
                  alarm_actions=actions, ok_actions=actions)
