"""SecureWebTier: an HTTPS load balancer in front of a web tier and a separate app tier, TLS end to end.

The request path: client → ALB (HTTPS) → web host nginx (HTTPS) → internal ALB (HTTPS, the app tier's
name and ACM certificate, verified by the web host) → app host nginx (TLS on the app port) → the
application on loopback → the database (TLS verified against the RDS CA) once ``connect_database``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Mapping

import cdktf

from constructs import Construct

from .alarms import (AlarmTopic, QpsAlarmSettings, dashboard_body, fleet_qps_alarms, fleet_qps_anomaly_alarm,
                     load_balancer_health_alarms)
from .aws import blocks, resource_module
from .certificate import (CERTIFICATE_ARN_PATTERN, DOMAIN_PATTERN, DOMAIN_RULE, HOSTED_ZONE_PATTERN,
                          HOSTED_ZONE_RULE, CertificateProps, DnsValidatedCertificate)
from .connections import Connections
from .contract import ALLOWED_SSL_POLICIES, DEFAULT_APP_PORT, LISTENER_RESPONSE_HEADERS, MYSQL_PORT, WORLD
from .host_bootstrap import RESERVED_PORTS, Application, Upstream
from .kms import AccountContext, encryption_key
from .log_bucket import ACCESS_LOG_PREFIX, CONNECTION_LOG_PREFIX, AccessLogBucket
from .monitored_host import (DEFAULT_AMI_ARCHITECTURE, DEFAULT_AMI_ARCHITECTURE_RULE, HEALTH_PATH,
                             INSTANCE_TYPE_PATTERN, MonitoredHost, MonitoredHostProps, check_application,
                             check_upstream, instance_architecture)
from .naming import ALB_NAME_MAX, NAME_PREFIX_PATTERN, NAME_PREFIX_RULE, TARGET_GROUP_NAME_MAX, aws_name
from .network import CLOUDWATCH_RETENTION_DAYS, SECURE_LOG_RETENTION_DAYS, NetworkRef, check_network_ref
from .qps import FLEET_QPS
from .tree import path_of
from .validation import (AMI_ID_PATTERN, SNS_TOPIC_ARN_PATTERN, Checks, announce_weakened, is_token,
                         validate_props)
from .web_acl import DEFAULT_MANAGED_RULE_GROUPS, DEFAULT_RATE_LIMIT, ManagedWebAcl

if TYPE_CHECKING:
    from .replicated_mysql import ReplicatedMySQL

DESYNC_MODES = ("defensive", "strictest")
HEALTH_CHECK_PATH = HEALTH_PATH
CAA_RECORDS = ('0 issue "amazon.com"', '0 issue "amazontrust.com"', '0 issue "awstrust.com"',
               '0 issue "amazonaws.com"', '0 issuewild ";"')
"""The certificate authorities ACM may use for the site's name, and no wildcard certificates at all."""
APP_DOMAIN_LABEL = "app-internal"
"""The app tier's internal name is ``app-internal.<domain_name>`` unless ``app_domain_name`` is given."""
RESERVED_APP_PORTS = tuple(sorted({*RESERVED_PORTS, 443, MYSQL_PORT}))
"""The host's own reserved ports, the web tier's HTTPS port and MySQL's: never the app port."""
WORLD_OPEN_PORTS = (80, 443)
NEVER_OPEN_PORTS = (22, 3306)
MAX_ANOMALY_BAND_STDDEVS = 10
WEAKER_SSL_POLICIES = ("ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04")
"""Allowed, but they add TLS 1.2 CBC suites to what the default offers: choosing one warns."""
WAF_RULE_GROUP_PATTERN = r"AWSManagedRules[A-Za-z0-9]{1,100}"
RULE_DESCRIPTION_PATTERN = r"[A-Za-z0-9. _\-:/()#,@\[\]+=&;{}!$*]{1,255}"


@dataclass(frozen=True, kw_only=True)
class AlbIngressRule:
    """One extra TCP ingress rule on the load balancer's security group.

    Attributes:
        port (int): TCP port, 1 to 65535; only 80 and 443 may be open to the world, 22, 3306 and the app port never.
            Required.
        cidr (str): Source range, IPv4 or IPv6 CIDR. Required.
        description (str): Why the rule exists, 1-255 characters of the security group description alphabet.
            Required.
    """

    port: int
    """TCP port, 1 to 65535; only 80 and 443 may be open to the world, 22, 3306 and the app port never. Required."""
    cidr: str
    """Source range, IPv4 or IPv6 CIDR. Required."""
    description: str
    """Why the rule exists, 1-255 characters of the security group description alphabet. Required."""


@dataclass(frozen=True, kw_only=True)
class SecureWebTierProps:
    """Options for SecureWebTier. Give ``hosted_zone_id`` and either ``domain_name`` or ``certificate_arn``.

    Attributes:
        network (NetworkRef): Where to place the tier: load balancer in public subnets, hosts in private subnets.
            Required.
        name (str): Prefix of AWS names, 1-20 characters a-z 0-9 '-'; hosts become '<name>-web' and '<name>-app'.
            Default: 'sweb'.
        domain_name (str | None): Domain of the ACM certificate, validated by DNS in ``hosted_zone_id``.
            Default: none (then certificate_arn).
        hosted_zone_id (str | None): Route 53 zone for the certificates' validation records and the site's and the
            app tier's alias records; must be given. Default: none.
        certificate_arn (str | None): An existing ACM certificate instead of a new one. Default: none.
        app_domain_name (str | None): Internal name of the app tier (its internal load balancer), in
            ``hosted_zone_id``; the web hosts verify it. Default: 'app-internal.<domain_name>'; required with
            certificate_arn.
        app_certificate_arn (str | None): An existing ACM certificate for ``app_domain_name``. Default: a new one,
            DNS-validated in ``hosted_zone_id``.
        server_names (tuple[str, ...]): Host names the site answers to (lower-case DNS names, '*.' allowed); the web
            and app hosts answer any other Host header with 421. Give the names ``certificate_arn`` covers; left
            empty with it, the hosts serve every Host header (recorded as their ``server_names`` opt-out).
            Default: (domain_name,).
        app_proxied_paths (tuple[str, ...]): Path prefixes the web hosts proxy to the app tier; their own /healthz
            never. Default: ('/',) (everything else).
        application (Application | None): What the app hosts run behind nginx (command, loopback port,
            environment, packages); its database settings are set by ``connect_database``. Default: the built-in
            application (marker page and /healthz/database).
        ssl_policy (str): HTTPS listener policy of both load balancers, one of the TLS 1.3-capable
            ALLOWED_SSL_POLICIES; a policy with TLS 1.2 CBC suites warns, Ext2 is refused. Default:
            ELBSecurityPolicy-TLS13-1-2-Res-2021-06.
        instance_count (int): Web hosts, spread over the private subnets, 2 to 100. Default: 3.
        instance_type (str): Web host instance type. Default: t3.small.
        app_instance_count (int): App tier hosts, 2 to 100. Default: 2.
        app_instance_type (str): App host instance type. Default: t3.small.
        app_port (int): TLS port the app tier serves on; only the web tier may reach it. Default: 8443.
        ami_id (str | None): AMI for all hosts. Default: the newest official Debian 12 AMI.
        drop_invalid_header_fields (bool): ALB drops headers that are not valid HTTP; False warns. Default: True.
        desync_mitigation_mode (str): ALB HTTP desync mitigation, 'defensive' or 'strictest'; 'defensive' warns.
            Default: 'strictest'.
        enable_deletion_protection (bool): ALB deletion protection; False warns. Default: True.
        access_log_retention_days (int): Days ALB access logs stay in S3 and WAF/host logs in CloudWatch; below 365
            warns. Default: 365.
        waf_managed_rule_groups (tuple[str, ...]): AWS managed WAF rule groups blocking on the ALB, at least one;
            leaving out a default group warns. Default: common, known bad inputs, IP reputation, SQLi, Linux.
        waf_rate_limit (int | None): Requests per client IP in any 5 minutes above which the WAF blocks that IP,
            100 to 2,000,000,000; None removes the rule and warns. Default: 2000.
        alarm_topic_arn (str | None): SNS topic for the QPS and host alarms; without one the tier makes its own
            (attribute ``alarm_topic_arn``). Default: a new KMS-encrypted topic owned by the tier.
        qps_high_threshold (float): Fleet QPS above which the high alarm fires. Default: 1000.
        qps_low_threshold (float): Fleet QPS below which the low alarm fires (no traffic counts as low).
            Default: 0.1.
        qps_evaluation_periods (int): Consecutive 1-minute periods that must breach, 1 to 60. Default: 5.
        qps_anomaly_band_stddevs (float | None): Adds an anomaly-detection alarm on fleet QPS with a band this many
            standard deviations wide, above 0 and at most 10 (2 is usual; CloudWatch bills the model). Default: no
            band.
        extra_alb_ingress (tuple[AlbIngressRule, ...]): Extra ingress rules on the load balancer's group (the 80/443
            world rules always exist); non-empty warns. Default: none.
        tags (Mapping[str, str]): Tags for every resource, per AWS tag rules; no 'aws:' or 'secure-web:' keys.
            Default: none.
    """

    network: NetworkRef
    """Where to place the tier: load balancer in public subnets, hosts in private subnets. Required."""
    name: str = "sweb"
    """Prefix of AWS names, 1-20 characters a-z 0-9 '-'; hosts become '<name>-web' and '<name>-app'. Default: 'sweb'."""
    domain_name: str | None = None
    """Domain of the ACM certificate, validated by DNS in ``hosted_zone_id``. Default: none (then certificate_arn)."""
    hosted_zone_id: str | None = None
    """Route 53 zone for the certificates' validation records and the site's and the app tier's alias records; must be given. Default: none."""
    certificate_arn: str | None = None
    """An existing ACM certificate instead of a new one. Default: none."""
    app_domain_name: str | None = None
    """Internal name of the app tier (its internal load balancer), in ``hosted_zone_id``; the web hosts verify it. Default: 'app-internal.<domain_name>'; required with certificate_arn."""
    app_certificate_arn: str | None = None
    """An existing ACM certificate for ``app_domain_name``. Default: a new one, DNS-validated in ``hosted_zone_id``."""
    server_names: tuple[str, ...] = ()
    """Host names the site answers to (lower-case DNS names, '*.' allowed); the web and app hosts answer any other Host header with 421. Give the names ``certificate_arn`` covers; left empty with it, the hosts serve every Host header (recorded as their ``server_names`` opt-out). Default: (domain_name,)."""
    app_proxied_paths: tuple[str, ...] = ("/",)
    """Path prefixes the web hosts proxy to the app tier; their own /healthz never. Default: ('/',) (everything else)."""
    application: Application | None = None
    """What the app hosts run behind nginx (command, loopback port, environment, packages); its database settings are set by ``connect_database``. Default: the built-in application (marker page and /healthz/database)."""
    ssl_policy: str = ALLOWED_SSL_POLICIES[0]
    """HTTPS listener policy of both load balancers, one of the TLS 1.3-capable ALLOWED_SSL_POLICIES; a policy with TLS 1.2 CBC suites warns, Ext2 is refused. Default: ELBSecurityPolicy-TLS13-1-2-Res-2021-06."""
    instance_count: int = 3
    """Web hosts, spread over the private subnets, 2 to 100. Default: 3."""
    instance_type: str = "t3.small"
    """Web host instance type. Default: t3.small."""
    app_instance_count: int = 2
    """App tier hosts, 2 to 100. Default: 2."""
    app_instance_type: str = "t3.small"
    """App host instance type. Default: t3.small."""
    app_port: int = DEFAULT_APP_PORT
    """TLS port the app tier serves on; only the web tier may reach it. Default: 8443."""
    ami_id: str | None = None
    """AMI for all hosts. Default: the newest official Debian 12 AMI."""
    drop_invalid_header_fields: bool = True
    """ALB drops headers that are not valid HTTP; False warns. Default: True."""
    desync_mitigation_mode: str = "strictest"
    """ALB HTTP desync mitigation, 'defensive' or 'strictest'; 'defensive' warns. Default: 'strictest'."""
    enable_deletion_protection: bool = True
    """ALB deletion protection; False warns. Default: True."""
    access_log_retention_days: int = SECURE_LOG_RETENTION_DAYS
    """Days ALB access logs stay in S3 and WAF/host logs in CloudWatch; below 365 warns. Default: 365."""
    waf_managed_rule_groups: tuple[str, ...] = DEFAULT_MANAGED_RULE_GROUPS
    """AWS managed WAF rule groups blocking on the ALB, at least one; leaving out a default group warns. Default: common, known bad inputs, IP reputation, SQLi, Linux."""
    waf_rate_limit: int | None = DEFAULT_RATE_LIMIT
    """Requests per client IP in any 5 minutes above which the WAF blocks that IP, 100 to 2,000,000,000; None removes the rule and warns. Default: 2000."""
    alarm_topic_arn: str | None = None
    """SNS topic for the QPS and host alarms; without one the tier makes its own (attribute ``alarm_topic_arn``). Default: a new KMS-encrypted topic owned by the tier."""
    qps_high_threshold: float = 1000.0
    """Fleet QPS above which the high alarm fires. Default: 1000."""
    qps_low_threshold: float = 0.1
    """Fleet QPS below which the low alarm fires (no traffic counts as low). Default: 0.1."""
    qps_evaluation_periods: int = 5
    """Consecutive 1-minute periods that must breach, 1 to 60. Default: 5."""
    qps_anomaly_band_stddevs: float | None = None
    """Adds an anomaly-detection alarm on fleet QPS with a band this many standard deviations wide, above 0 and at most 10 (2 is usual; CloudWatch bills the model). Default: no band."""
    extra_alb_ingress: tuple[AlbIngressRule, ...] = ()
    """Extra ingress rules on the load balancer's group (the 80/443 world rules always exist); non-empty warns. Default: none."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every resource, per AWS tag rules; no 'aws:' or 'secure-web:' keys. Default: none."""


def check_props(props: SecureWebTierProps, checks: Checks) -> None:
    """Adds every problem with ``props`` to ``checks``."""
    if checks.matches("name", props.name, NAME_PREFIX_PATTERN, NAME_PREFIX_RULE):
        checks.require(not f"{props.name}-".startswith("internal-"), "name",
                       "must not start with 'internal' (AWS reserves load balancer names beginning 'internal-')",
                       props.name)
    if props.certificate_arn is not None:
        checks.require(props.domain_name is None, "certificate_arn",
                       "must not be combined with domain_name (pick one certificate source)", props.certificate_arn)
        checks.matches("certificate_arn", props.certificate_arn, CERTIFICATE_ARN_PATTERN,
                       "must be an ACM certificate ARN")
        checks.require(props.app_domain_name is not None, "app_domain_name",
                       "is required with certificate_arn (the app tier's internal name cannot be derived)",
                       props.app_domain_name)
    else:
        checks.require(props.domain_name is not None, "domain_name",
                       "is required when certificate_arn is not given", props.domain_name)
        if props.domain_name is not None:
            checks.matches("domain_name", props.domain_name, DOMAIN_PATTERN, DOMAIN_RULE)
    checks.require(props.hosted_zone_id is not None, "hosted_zone_id",
                   "is required: the app tier's internal name (and its certificate's validation) live in it",
                   props.hosted_zone_id)
    if props.hosted_zone_id is not None:
        checks.matches("hosted_zone_id", props.hosted_zone_id, HOSTED_ZONE_PATTERN, HOSTED_ZONE_RULE)
    if props.app_domain_name is not None:
        if checks.matches("app_domain_name", props.app_domain_name, DOMAIN_PATTERN, DOMAIN_RULE):
            checks.require(props.app_domain_name != props.domain_name and not props.app_domain_name.startswith("*"),
                           "app_domain_name", "must be its own name, not the site's domain or a wildcard",
                           props.app_domain_name)
    checks.ids("server_names", checks.sequence("server_names", props.server_names, "host names", ("www.example.com",)),
               DOMAIN_PATTERN, DOMAIN_RULE)
    if props.app_certificate_arn is not None:
        checks.matches("app_certificate_arn", props.app_certificate_arn, CERTIFICATE_ARN_PATTERN,
                       "must be an ACM certificate ARN")
    check_upstream(Upstream(address="app.example.com", port=props.app_port if isinstance(props.app_port, int)
                            else DEFAULT_APP_PORT, server_name="app.example.com", paths=props.app_proxied_paths),
                   "web", _Renamed(checks, "upstream.paths", "app_proxied_paths"))
    if props.application is not None:
        check_application(props.application, "app", props.app_port, checks)
    checks.one_of("ssl_policy", props.ssl_policy, ALLOWED_SSL_POLICIES)
    checks.between("instance_count", props.instance_count, 2, 100)
    checks.between("app_instance_count", props.app_instance_count, 2, 100)
    _check_instance_types(props, checks)
    if checks.between("app_port", props.app_port, 1024, 65535):
        checks.require(props.app_port not in RESERVED_APP_PORTS, "app_port",
                       f"must not be one of the reserved ports {RESERVED_APP_PORTS}", props.app_port)
    checks.one_of("desync_mitigation_mode", props.desync_mitigation_mode, DESYNC_MODES)
    checks.one_of("access_log_retention_days", props.access_log_retention_days, CLOUDWATCH_RETENTION_DAYS)
    waf_groups = checks.sequence("waf_managed_rule_groups", props.waf_managed_rule_groups,
                                 "AWS managed rule group names", ("AWSManagedRulesCommonRuleSet",))
    checks.count("waf_managed_rule_groups", waf_groups, 1, "must name at least one AWS managed rule group")
    if props.waf_rate_limit is not None:
        checks.between("waf_rate_limit", props.waf_rate_limit, 100, 2_000_000_000)
    low_ok = checks.number("qps_low_threshold", props.qps_low_threshold)
    high_ok = checks.number("qps_high_threshold", props.qps_high_threshold)
    if low_ok and high_ok and not is_token([props.qps_low_threshold, props.qps_high_threshold]):
        checks.require(props.qps_low_threshold >= 0, "qps_low_threshold", "must not be negative",
                       props.qps_low_threshold)
        checks.require(props.qps_high_threshold > 0, "qps_high_threshold", "must be positive",
                       props.qps_high_threshold)
        checks.require(props.qps_low_threshold < props.qps_high_threshold, "qps_low_threshold",
                       f"must be below qps_high_threshold ({props.qps_high_threshold})", props.qps_low_threshold)
    checks.between("qps_evaluation_periods", props.qps_evaluation_periods, 1, 60)
    band = props.qps_anomaly_band_stddevs
    if band is not None and checks.number("qps_anomaly_band_stddevs", band) and not is_token(band):
        checks.require(0 < band <= MAX_ANOMALY_BAND_STDDEVS, "qps_anomaly_band_stddevs",
                       f"must be above 0 and at most {MAX_ANOMALY_BAND_STDDEVS}", band)
    for field_name in ("drop_invalid_header_fields", "enable_deletion_protection"):
        checks.boolean(field_name, getattr(props, field_name))
    checks.ids("waf_managed_rule_groups", waf_groups, WAF_RULE_GROUP_PATTERN,
               "must be an AWS managed rule group name like AWSManagedRulesCommonRuleSet")
    if props.ami_id is not None:
        checks.matches("ami_id", props.ami_id, AMI_ID_PATTERN, "must be an AMI id like ami-0123456789abcdef0")
    if props.alarm_topic_arn is not None:
        checks.matches("alarm_topic_arn", props.alarm_topic_arn, SNS_TOPIC_ARN_PATTERN, "must be an SNS topic ARN")
    checks.tags("tags", props.tags)
    _check_extra_ingress(props, checks)
    _check_network(props.network, checks)


class _Renamed(Checks):
    """Checks that report a host prop under the tier's name for it (``upstream.paths`` → ``app_proxied_paths``)."""

    def __init__(self, checks: Checks, prefix: str, renamed: str) -> None:
        super().__init__()
        self.problems = checks.problems
        self._prefix, self._renamed = prefix, renamed

    def fail(self, field: str, rule: str, value: object) -> None:
        super().fail(self._renamed + field[len(self._prefix):] if field.startswith(self._prefix) else field,
                     rule, value)


def _check_instance_types(props: SecureWebTierProps, checks: Checks) -> None:
    """Both are instance types; with the default AMI both are x86_64, with one ami_id they share an architecture."""
    fields = ("instance_type", "app_instance_type")
    typed = [checks.matches(field_name, getattr(props, field_name), INSTANCE_TYPE_PATTERN,
                            "must be an EC2 instance type like t3.small") for field_name in fields]
    if not all(typed) or is_token([props.instance_type, props.app_instance_type]):
        return
    if props.ami_id is None:
        for field_name in fields:
            checks.require(instance_architecture(getattr(props, field_name)) == DEFAULT_AMI_ARCHITECTURE, field_name,
                           DEFAULT_AMI_ARCHITECTURE_RULE, getattr(props, field_name))
        return
    web = instance_architecture(props.instance_type)
    checks.require(instance_architecture(props.app_instance_type) == web, "app_instance_type",
                   f"must have the architecture of instance_type ({props.instance_type}, {web}): one ami_id boots "
                   "both tiers", props.app_instance_type)


def _check_extra_ingress(props: SecureWebTierProps, checks: Checks) -> None:
    seen: set[tuple[int, str]] = set()
    rules = checks.sequence("extra_alb_ingress", props.extra_alb_ingress, "AlbIngressRule values",
                            (AlbIngressRule(port=443, cidr="192.0.2.0/24", description="office"),))
    for index, rule in enumerate(rules or ()):
        field_name = f"extra_alb_ingress[{index}]"
        if not isinstance(rule, AlbIngressRule):
            checks.fail(field_name, "must be an AlbIngressRule(port=..., cidr=..., description=...)", rule)
            continue
        port_ok = checks.between(f"{field_name}.port", rule.port, 1, 65535)
        network = checks.cidr(f"{field_name}.cidr", rule.cidr)
        checks.matches(f"{field_name}.description", rule.description, RULE_DESCRIPTION_PATTERN,
                       "must be 1-255 characters of a-z A-Z 0-9 space and . _ - : / ( ) # , @ [ ] + = & ; { } ! $ *")
        if not port_ok or is_token(rule.port):
            continue
        if not checks.require(rule.port not in NEVER_OPEN_PORTS, f"{field_name}.port",
                              "must never open SSH (22) or MySQL (3306) on the load balancer", rule.port):
            continue
        if not checks.require(rule.port != props.app_port, f"{field_name}.port",
                              f"must not be the app port {props.app_port}: only the web tier reaches the app tier",
                              rule.port):
            continue
        if network is None:
            continue
        world = network.prefixlen == 0
        checks.require(not world or rule.port in WORLD_OPEN_PORTS, f"{field_name}.port",
                       f"must be 80 or 443 when the cidr is the whole internet ({rule.cidr})", rule.port)
        checks.require(not (world and rule.cidr in WORLD and rule.port in WORLD_OPEN_PORTS), field_name,
                       "must not repeat a built-in rule (80 and 443 are always open to 0.0.0.0/0)",
                       f"{rule.port} from {rule.cidr}")
        key = (rule.port, str(network))
        checks.require(key not in seen, field_name, "must not repeat an earlier extra_alb_ingress rule",
                       f"{rule.port} from {rule.cidr}")
        seen.add(key)


def _check_network(network: NetworkRef, checks: Checks) -> None:
    subnets = check_network_ref(network, checks)
    if subnets is None:
        return
    checks.known("network.vpc_cidr", network.vpc_cidr, "the hosts' firewalls admit the load balancer from it at boot")
    public, private = subnets["public"], subnets["private"]
    checks.count("network.public_subnet_ids", public, 2,
                 "must name at least 2 subnets in different AZs (an ALB needs two)")
    checks.count("network.private_subnet_ids", private, 2, "must name at least 2 subnets so hosts span AZs")
    if public is not None and private is not None:
        known_public = {subnet for subnet in public if isinstance(subnet, str) and not is_token(subnet)}
        shared = sorted(known_public.intersection(subnet for subnet in private if isinstance(subnet, str)))
        checks.require(not shared, "network.private_subnet_ids",
                       "must not reuse public subnets: hosts never sit in the load balancer's subnets", shared)


class SecureWebTier(Construct):
    """Internet → ALB (80 redirects, 443 TLS 1.3 policy) → web hosts (HTTPS) → internal ALB (HTTPS, verified
    name) → app hosts (TLS on the app port) → application on loopback.

    Both load balancers drop invalid headers, mitigate desync, are deletion-protected and
    log to a private, encrypted, TLS-only bucket; the public one sits behind a WAF web ACL.
    Security groups chain by reference: only the public ALB's group takes traffic from the world,
    web hosts reach the app tier only through the internal ALB. Connect a database with
    ``tier.connect_database(database)``.
    """

    def __init__(self, scope: Construct, construct_id: str, props: SecureWebTierProps) -> None:
        validate_props(check_props, props, scope, construct_id)
        super().__init__(scope, construct_id)
        self._announce_weakened_defaults(props)
        tags = {**props.tags, "secure-web:tier": props.name}
        self._tags = tags
        network = props.network

        certificate_arn = props.certificate_arn or DnsValidatedCertificate(
            self, "certificate",
            CertificateProps(domain_name=props.domain_name or "", hosted_zone_id=props.hosted_zone_id or ""),
        ).certificate_arn

        alb_group = resource_module("security_group").SecurityGroup(
            self, "alb-security-group", name_prefix=f"{props.name}-alb-", vpc_id=network.vpc_id,
            description=f"{path_of(self)} load balancer: HTTP/HTTPS from the internet, HTTPS to web hosts",
            tags={**tags, "Name": f"{path_of(self)}/alb"}, lifecycle={"create_before_destroy": True},
        )
        self.alb_connections = Connections(self, alb_group.id, default_port=443)
        for cidr in WORLD:
            self.alb_connections.allow_from_cidr(cidr, 443, "HTTPS from the internet")
            self.alb_connections.allow_from_cidr(cidr, 80, "HTTP from the internet, only redirected to HTTPS")
        for rule in props.extra_alb_ingress:
            self.alb_connections.allow_from_cidr(rule.cidr, rule.port, rule.description)

        log_bucket = AccessLogBucket(self, "access-logs", retention_days=props.access_log_retention_days, tags=tags)
        alb = resource_module("lb").Lb(
            self, "alb", name=aws_name(props.name, "alb", path_of(self), ALB_NAME_MAX), internal=False,
            load_balancer_type="application", ip_address_type="ipv4", security_groups=[alb_group.id],
            subnets=list(network.public_subnet_ids), drop_invalid_header_fields=props.drop_invalid_header_fields,
            desync_mitigation_mode=props.desync_mitigation_mode,
            enable_deletion_protection=props.enable_deletion_protection, enable_http2=True,
            enable_waf_fail_open=False, xff_header_processing_mode="append",
            access_logs={"bucket": log_bucket.bucket_name, "prefix": ACCESS_LOG_PREFIX, "enabled": True},
            connection_logs={"bucket": log_bucket.bucket_name, "prefix": CONNECTION_LOG_PREFIX, "enabled": True},
            tags=tags, depends_on=[log_bucket],
        )
        target_group = resource_module("lb_target_group").LbTargetGroup(
            self, "web-targets", name=aws_name(props.name, "web", path_of(self), TARGET_GROUP_NAME_MAX),
            port=443, protocol="HTTPS", protocol_version="HTTP1", target_type="instance", vpc_id=network.vpc_id,
            deregistration_delay="30",
            health_check={"enabled": True, "protocol": "HTTPS", "port": "traffic-port", "path": HEALTH_CHECK_PATH,
                          "matcher": "200", "interval": 15, "timeout": 5, "healthy_threshold": 2,
                          "unhealthy_threshold": 3},
            tags=tags, lifecycle={"create_before_destroy": True},
        )
        listener = resource_module("lb_listener").LbListener
        https = listener(
            self, "https-listener", load_balancer_arn=alb.arn, port=443, protocol="HTTPS",
            ssl_policy=props.ssl_policy, certificate_arn=certificate_arn, **LISTENER_RESPONSE_HEADERS,
            default_action=blocks([{"type": "forward", "target_group_arn": target_group.arn}]), tags=tags,
        )
        listener(
            self, "http-redirect-listener", load_balancer_arn=alb.arn, port=80, protocol="HTTP",
            default_action=blocks([{"type": "redirect",
                                    "redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}}]),
            tags=tags,
        )

        context = AccountContext.of(self)
        log_key = encryption_key(self, "waf-log-key", context=context, description=f"{path_of(self)} WAF logs",
                                 services=["logs"])
        ManagedWebAcl(
            self, "waf", name=aws_name(props.name, "waf", path_of(self), 64),
            rule_groups=props.waf_managed_rule_groups, resource_arn=alb.arn, rate_limit=props.waf_rate_limit,
            log_retention_days=props.access_log_retention_days, log_key_arn=log_key.arn, tags=tags,
        )

        self.alarm_topic_arn: str = props.alarm_topic_arn or AlarmTopic(self, "alarm-topic", tags=props.tags).topic_arn
        self.app_domain_name: str = props.app_domain_name or f"{APP_DOMAIN_LABEL}.{props.domain_name}"
        # The web hosts pass the client's Host header on to the app tier, so both serve the site's names.
        self.server_names: tuple[str, ...] = tuple(props.server_names) or (
            (props.domain_name,) if props.domain_name else ())
        self.database_config_parameter_name: str = f"/secure-web/{props.name}-app/database"
        app_alb, app_target_group = self._internal_load_balancer(props, log_bucket, tags)
        self.web_hosts = MonitoredHost(self, "web-hosts", MonitoredHostProps(
            name=f"{props.name}-web", role="web", vpc_id=network.vpc_id, subnet_ids=network.private_subnet_ids,
            allowed_https_cidrs=network.load_balancer_cidrs("public"), instance_count=props.instance_count,
            instance_type=props.instance_type, https_port=443, ami_id=props.ami_id,
            log_retention_days=props.access_log_retention_days, target_group_arns=(target_group.arn,),
            alarm_topic_arn=self.alarm_topic_arn, tags=props.tags, server_names=self.server_names,
            upstream=Upstream(address=self.app_domain_name, port=props.app_port, server_name=self.app_domain_name,
                              paths=props.app_proxied_paths),
        ))
        application = replace(props.application or Application(),
                              database_config_parameter=self.database_config_parameter_name)
        self.app_hosts = MonitoredHost(self, "app-hosts", MonitoredHostProps(
            name=f"{props.name}-app", role="app", vpc_id=network.vpc_id, subnet_ids=network.private_subnet_ids,
            allowed_https_cidrs=network.load_balancer_cidrs("private"), instance_count=props.app_instance_count,
            instance_type=props.app_instance_type, https_port=props.app_port, ami_id=props.ami_id,
            log_retention_days=props.access_log_retention_days, target_group_arns=(app_target_group.arn,),
            alarm_topic_arn=self.alarm_topic_arn, tags=props.tags, application=application,
            server_names=self.server_names,
        ))
        self.web_hosts.connections.allow_default_port_from(self.alb_connections, "HTTPS from the load balancer only")
        self.app_alb_connections.allow_default_port_from(
            self.web_hosts.connections, f"App traffic (TLS on {props.app_port}) from the web tier only"
        )
        self.app_hosts.connections.allow_default_port_from(
            self.app_alb_connections, f"App traffic (TLS on {props.app_port}) from the internal load balancer only"
        )
        self.web_connections = self.web_hosts.connections
        self.app_connections = self.app_hosts.connections

        settings = QpsAlarmSettings(high_threshold=props.qps_high_threshold, low_threshold=props.qps_low_threshold,
                                    evaluation_periods=props.qps_evaluation_periods,
                                    period_seconds=FLEET_QPS.period_seconds)
        high, low = fleet_qps_alarms(self, name=path_of(self), load_balancer_arn_suffix=alb.arn_suffix,
                                     settings=settings, topic_arn=self.alarm_topic_arn)
        anomaly = None
        if props.qps_anomaly_band_stddevs is not None:
            anomaly = fleet_qps_anomaly_alarm(
                self, name=path_of(self), load_balancer_arn_suffix=alb.arn_suffix, settings=settings,
                band_stddevs=props.qps_anomaly_band_stddevs, topic_arn=self.alarm_topic_arn,
            )
        load_balancer_health_alarms(self, name=f"{path_of(self)} web tier", load_balancer_arn_suffix=alb.arn_suffix,
                                    target_group_arn_suffix=target_group.arn_suffix, topic_arn=self.alarm_topic_arn)
        app_monitoring = Construct(self, "app-monitoring")
        app_high, app_low = fleet_qps_alarms(
            app_monitoring, name=f"{path_of(self)} app tier", load_balancer_arn_suffix=app_alb.arn_suffix,
            settings=settings, topic_arn=self.alarm_topic_arn)
        self.app_qps_high_alarm_name: str = app_high.alarm_name
        self.app_qps_low_alarm_name: str = app_low.alarm_name
        load_balancer_health_alarms(app_monitoring, name=f"{path_of(self)} app tier",
                                    load_balancer_arn_suffix=app_alb.arn_suffix,
                                    target_group_arn_suffix=app_target_group.arn_suffix,
                                    topic_arn=self.alarm_topic_arn)
        dashboard = resource_module("cloudwatch_dashboard").CloudwatchDashboard(
            self, "dashboard", dashboard_name=aws_name(props.name, "dashboard", path_of(self), 255),
            dashboard_body=dashboard_body(region=context.region, load_balancer_arn_suffix=alb.arn_suffix,
                                          target_group_arn_suffix=target_group.arn_suffix, tier=f"{props.name}-web",
                                          period_seconds=FLEET_QPS.period_seconds,
                                          band_stddevs=props.qps_anomaly_band_stddevs,
                                          app_load_balancer_arn_suffix=app_alb.arn_suffix,
                                          app_target_group_arn_suffix=app_target_group.arn_suffix,
                                          app_tier=f"{props.name}-app"),
        )

        self.load_balancer_arn: str = alb.arn
        self.load_balancer_arn_suffix: str = alb.arn_suffix
        self.dns_name: str = alb.dns_name
        self.url: str = f"https://{props.domain_name}" if props.domain_name else f"https://{alb.dns_name}"
        self.https_listener_arn: str = https.arn
        self.target_group_arn: str = target_group.arn
        self.certificate_arn: str = certificate_arn
        self.security_group_id: str = alb_group.id
        self.access_log_bucket: str = log_bucket.bucket_name
        self.dashboard_name: str = dashboard.dashboard_name
        self.qps_high_alarm_name: str = high.alarm_name
        self.qps_low_alarm_name: str = low.alarm_name
        self.qps_anomaly_alarm_name: str | None = anomaly.alarm_name if anomaly is not None else None
        self.app_load_balancer_arn: str = app_alb.arn
        self.app_load_balancer_arn_suffix: str = app_alb.arn_suffix
        self.app_target_group_arn: str = app_target_group.arn
        self.app_url: str = f"https://{self.app_domain_name}:{props.app_port}"
        if props.domain_name and props.hosted_zone_id:
            resource_module("route53_record").Route53Record(
                self, "alias", zone_id=props.hosted_zone_id, name=props.domain_name, type="A",
                alias={"name": alb.dns_name, "zone_id": alb.zone_id, "evaluate_target_health": True},
            )
            # Only Amazon may issue for the site (and, by CAA's tree climbing, for the app tier's name under it).
            resource_module("route53_record").Route53Record(
                self, "caa", zone_id=props.hosted_zone_id, name=props.domain_name, type="CAA", ttl=3600,
                records=list(CAA_RECORDS),
            )

    def _internal_load_balancer(self, props: SecureWebTierProps, log_bucket: AccessLogBucket,
                                tags: Mapping[str, str]) -> tuple[object, object]:
        """The app tier's entry: an internal ALB in the private subnets with an HTTPS listener on the app port,
        a certificate for ``app_domain_name`` and an alias record for that name; only web hosts reach it."""
        network = props.network
        certificate_arn = props.app_certificate_arn or DnsValidatedCertificate(
            self, "app-certificate",
            CertificateProps(domain_name=self.app_domain_name, hosted_zone_id=props.hosted_zone_id or ""),
        ).certificate_arn
        self.app_certificate_arn: str = certificate_arn
        group = resource_module("security_group").SecurityGroup(
            self, "app-alb-security-group", name_prefix=f"{props.name}-app-alb-", vpc_id=network.vpc_id,
            description=f"{path_of(self)} internal load balancer: app port from web hosts, to app hosts",
            tags={**tags, "Name": f"{path_of(self)}/app-alb"}, lifecycle={"create_before_destroy": True},
        )
        self.app_alb_connections = Connections(self, group.id, default_port=props.app_port)
        alb = resource_module("lb").Lb(
            self, "app-alb", name=aws_name(props.name, "app", path_of(self), ALB_NAME_MAX), internal=True,
            load_balancer_type="application", ip_address_type="ipv4", security_groups=[group.id],
            subnets=list(network.private_subnet_ids), drop_invalid_header_fields=props.drop_invalid_header_fields,
            desync_mitigation_mode=props.desync_mitigation_mode,
            enable_deletion_protection=props.enable_deletion_protection, enable_http2=True,
            xff_header_processing_mode="append",
            access_logs={"bucket": log_bucket.bucket_name, "prefix": ACCESS_LOG_PREFIX, "enabled": True},
            connection_logs={"bucket": log_bucket.bucket_name, "prefix": CONNECTION_LOG_PREFIX, "enabled": True},
            tags=tags, depends_on=[log_bucket],
        )
        target_group = resource_module("lb_target_group").LbTargetGroup(
            self, "app-targets", name=aws_name(props.name, "app", path_of(self), TARGET_GROUP_NAME_MAX),
            port=props.app_port, protocol="HTTPS", protocol_version="HTTP1", target_type="instance",
            vpc_id=network.vpc_id, deregistration_delay="30",
            health_check={"enabled": True, "protocol": "HTTPS", "port": "traffic-port", "path": HEALTH_CHECK_PATH,
                          "matcher": "200", "interval": 15, "timeout": 5, "healthy_threshold": 2,
                          "unhealthy_threshold": 3},
            tags=tags, lifecycle={"create_before_destroy": True},
        )
        self.app_https_listener_arn: str = resource_module("lb_listener").LbListener(
            self, "app-https-listener", load_balancer_arn=alb.arn, port=props.app_port, protocol="HTTPS",
            ssl_policy=props.ssl_policy, certificate_arn=certificate_arn, **LISTENER_RESPONSE_HEADERS,
            default_action=blocks([{"type": "forward", "target_group_arn": target_group.arn}]), tags=tags,
        ).arn
        resource_module("route53_record").Route53Record(
            self, "app-alias", zone_id=props.hosted_zone_id, name=self.app_domain_name, type="A",
            alias={"name": alb.dns_name, "zone_id": alb.zone_id, "evaluate_target_health": True},
        )
        return alb, target_group

    def connect_database(self, database: "ReplicatedMySQL") -> None:
        """Make the app tier a client of ``database``: MySQL's port from the app hosts only, the connection
        settings in the SSM parameter the app hosts read, and read access to the database secret and its key.

        The parameter (``database_config_parameter_name``) holds JSON: host (the writer endpoint), port,
        database and secret_arn; no secret is written anywhere but Secrets Manager.
        """
        database.connections.allow_default_port_from(self.app_connections, "MySQL from the app tier only")
        parameter = resource_module("ssm_parameter").SsmParameter(
            self, "database-config", name=self.database_config_parameter_name, type="String", tier="Standard",
            description=f"{path_of(self)}: how the app tier reaches {path_of(database)} (no secret)",
            value=cdktf.Fn.jsonencode({"host": database.writer_endpoint, "port": database.port,
                                       "database": database.database_name,
                                       "secret_arn": database.master_user_secret_arn}),
            tags=self._tags,
        )
        self.database_config_parameter_name = parameter.name  # from here on, outputs depend on the parameter
        self.app_hosts.grant_database_access(parameter_arn=parameter.arn, secret_arn=database.master_user_secret_arn,
                                             key_arn=database.key_arn)

    def _announce_weakened_defaults(self, props: SecureWebTierProps) -> None:
        if not props.drop_invalid_header_fields:
            announce_weakened(self, "drop_invalid_header_fields", False, True)
        if props.desync_mitigation_mode != "strictest":
            announce_weakened(self, "desync_mitigation_mode", props.desync_mitigation_mode, "strictest")
        if not props.enable_deletion_protection:
            announce_weakened(self, "enable_deletion_protection", False, True)
        if props.access_log_retention_days < SECURE_LOG_RETENTION_DAYS:
            announce_weakened(self, "access_log_retention_days", props.access_log_retention_days,
                              SECURE_LOG_RETENTION_DAYS)
        if props.ssl_policy in WEAKER_SSL_POLICIES:
            announce_weakened(self, "ssl_policy", props.ssl_policy, ALLOWED_SSL_POLICIES[0])
        if props.waf_rate_limit is None:
            announce_weakened(self, "waf_rate_limit", None, DEFAULT_RATE_LIMIT)
        dropped = [group for group in DEFAULT_MANAGED_RULE_GROUPS if group not in props.waf_managed_rule_groups]
        if dropped:
            announce_weakened(self, "waf_managed_rule_groups", list(props.waf_managed_rule_groups),
                              list(DEFAULT_MANAGED_RULE_GROUPS))
        if props.extra_alb_ingress:
            announce_weakened(self, "extra_alb_ingress",
                              [f"{rule.port} from {rule.cidr}" for rule in props.extra_alb_ingress], [])
