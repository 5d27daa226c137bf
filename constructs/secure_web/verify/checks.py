"""The verifier's checks: one small function each, returning the findings (failures) it saw.

Each check reads the deployment through ``Deployment`` (which fetches and caches what
several checks share) and returns a ``Finding`` per failure, naming the resource, what
was expected and what was found. An empty list is a pass. Every AWS call here is a
read-only action listed in ``secure_web/verify/verifier-policy.json``.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property

from botocore.exceptions import BotoCoreError, ClientError

from ..agent_config import HOST_METRICS_NAMESPACE
from ..qps import FLEET_QPS, HOST_QPS, RAW_QUERY_ID, MetricDataValues, QpsMetric, metric_data_queries, qps_from_metric_data
from .clients import Clients
from ..contract import ALLOWED_SSL_POLICIES, HOST_AGENT_POLICY, MYSQL_PORT, WORLD, host_statement_problems
from .outputs import DeploymentOutputs
from .settings import VerifySettings

HTTPS_PORT = 443
HTTP_PORT = 80
SSH_PORT = 22
AGENT_METRIC = "mem_used_percent"
TIER_TAG = "secure-web:tier"
HOST_EGRESS_PORTS = (HTTPS_PORT, HTTP_PORT)
"""Ports every host may reach anywhere (AWS APIs, package mirrors, through the NAT gateways)."""
DATABASE_ACCESS_POLICY = "database-access"
"""The one inline policy of the app hosts' role (``MonitoredHost.grant_database_access``)."""
DATABASE_CONFIG_KEYS = frozenset({"host", "port", "database", "secret_arn"})
"""What the database connection parameter holds (``SecureWebTier.connect_database``)."""
SECRET_LIKE_KEY = re.compile(r"pass|pwd|secret(?!_arn$)|token|credential|private", re.IGNORECASE)
"""A key of the connection parameter that looks like it carries a secret rather than pointing at one."""


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One failure: which resource, what was expected, what was found."""

    check_id: str
    resource: str
    expected: str
    found: str

    def __str__(self) -> str:
        return f"{self.resource}: expected {self.expected}; found {self.found}"


class Deployment:
    """The deployed resources as AWS reports them, fetched once and shared by the checks."""

    def __init__(self, outputs: DeploymentOutputs, clients: Clients, *, settings: VerifySettings | None = None,
                 now: datetime | None = None) -> None:
        self.outputs = outputs
        self.clients = clients
        self.settings = settings or VerifySettings()
        self.now = now or datetime.now(timezone.utc)

    @cached_property
    def load_balancer(self) -> Mapping[str, object]:
        response = self.clients("elbv2").describe_load_balancers(LoadBalancerArns=[self.outputs.alb_arn])
        return response["LoadBalancers"][0]

    @cached_property
    def listeners(self) -> list[Mapping[str, object]]:
        response = self.clients("elbv2").describe_listeners(LoadBalancerArn=self.outputs.alb_arn)
        return response["Listeners"]

    @cached_property
    def target_group(self) -> Mapping[str, object]:
        response = self.clients("elbv2").describe_target_groups(TargetGroupArns=[self.outputs.target_group_arn])
        return response["TargetGroups"][0]

    @cached_property
    def app_load_balancer(self) -> Mapping[str, object]:
        arn = self.outputs.app_load_balancer_arn
        return self.clients("elbv2").describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]

    @cached_property
    def app_listeners(self) -> list[Mapping[str, object]]:
        return self.clients("elbv2").describe_listeners(LoadBalancerArn=self.outputs.app_load_balancer_arn)["Listeners"]

    @cached_property
    def app_target_group(self) -> Mapping[str, object]:
        arn = self.outputs.app_target_group_arn
        return self.clients("elbv2").describe_target_groups(TargetGroupArns=[arn])["TargetGroups"][0]

    @cached_property
    def security_group_rules(self) -> list[Mapping[str, object]]:
        """Ingress and egress rules of the five tier groups and of every group the hosts are in."""
        group_ids = sorted(set(self.tier_groups.values()) | {
            group["GroupId"] for instance in self.instances for group in instance.get("SecurityGroups", [])
        })
        rules: list[Mapping[str, object]] = []
        for page in self.clients("ec2").get_paginator("describe_security_group_rules").paginate(
            Filters=[{"Name": "group-id", "Values": group_ids}]
        ):
            rules.extend(page["SecurityGroupRules"])
        return rules

    @property
    def ingress_rules(self) -> list[Mapping[str, object]]:
        return [rule for rule in self.security_group_rules if not rule["IsEgress"]]

    @property
    def egress_rules(self) -> list[Mapping[str, object]]:
        return [rule for rule in self.security_group_rules if rule["IsEgress"]]

    @property
    def tier_groups(self) -> dict[str, str]:
        return {
            "load balancer": self.outputs.alb_security_group_id,
            "web": self.outputs.web_security_group_id,
            "internal load balancer": self.outputs.app_alb_security_group_id,
            "app": self.outputs.app_security_group_id,
            "database": self.outputs.db_security_group_id,
        }

    @cached_property
    def database_config(self) -> Mapping[str, object] | None:
        """The app tier's database connection parameter (GetParameter's ``Parameter``); None if it does not exist."""
        try:
            return self.clients("ssm").get_parameter(Name=self.outputs.database_config_parameter_name)["Parameter"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "ParameterNotFound":
                raise
            return None

    @cached_property
    def instances_by_group(self) -> dict[str, list[Mapping[str, object]]]:
        """Instances of the web and app Auto Scaling groups, by group name."""
        names = [self.outputs.web_autoscaling_group, self.outputs.app_autoscaling_group]
        groups = self.clients("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=names)
        ids_by_group = {group["AutoScalingGroupName"]: [i["InstanceId"] for i in group["Instances"]]
                        for group in groups["AutoScalingGroups"]}
        all_ids = [instance_id for ids in ids_by_group.values() for instance_id in ids]
        described: dict[str, Mapping[str, object]] = {}
        if all_ids:
            for page in self.clients("ec2").get_paginator("describe_instances").paginate(InstanceIds=all_ids):
                for reservation in page["Reservations"]:
                    described.update({instance["InstanceId"]: instance for instance in reservation["Instances"]})
        return {name: [described[i] for i in ids_by_group.get(name, []) if i in described] for name in names}

    @property
    def instances(self) -> list[Mapping[str, object]]:
        return [instance for group in self.instances_by_group.values() for instance in group]

    @cached_property
    def cluster(self) -> Mapping[str, object]:
        response = self.clients("rds").describe_db_clusters(DBClusterIdentifier=self.outputs.db_cluster_identifier)
        return response["DBClusters"][0]

    @cached_property
    def qps_alarms(self) -> dict[str, Mapping[str, object]]:
        names = [self.outputs.qps_high_alarm, self.outputs.qps_low_alarm]
        response = self.clients("cloudwatch").describe_alarms(AlarmNames=names, AlarmTypes=["MetricAlarm"])
        return {alarm["AlarmName"]: alarm for alarm in response["MetricAlarms"]}

    def qps_datapoints(self, metric: QpsMetric, dimensions: Mapping[str, str]) -> int:
        """Periods with a datapoint in ``settings.qps_window``, computed with ``secure_web.qps``.

        The raw per-period sums (``m1``) are returned alongside the ``Sum / PERIOD``
        expression and QPS is computed from them with ``qps_from_metric_data``: the same
        numbers, and independent of metric-math support (moto does not evaluate PERIOD()).
        """
        queries = [{**query, "ReturnData": True} if query["Id"] == RAW_QUERY_ID else query
                   for query in metric_data_queries(metric, dimensions)]
        response = self.clients("cloudwatch").get_metric_data(
            MetricDataQueries=queries, StartTime=self.now - self.settings.qps_window, EndTime=self.now,
        )
        sums = next(result for result in response["MetricDataResults"] if result["Id"] == RAW_QUERY_ID)
        series = qps_from_metric_data({"Timestamps": sums["Timestamps"], "Values": sums["Values"]},
                                      metric.period_seconds, values=MetricDataValues.SUMS)
        return len(series.points)


@dataclass(frozen=True, kw_only=True)
class Check:
    """A named verification of the deployment."""

    check_id: str
    title: str
    run: Callable[[Deployment], list[Finding]]


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    """What one check found."""

    check: Check
    findings: tuple[Finding, ...]

    @property
    def passed(self) -> bool:
        return not self.findings


CHECKS: list[Check] = []


def check(check_id: str, title: str) -> Callable[[Callable[[Deployment, str], Iterable[Finding]]], Check]:
    """Register ``function`` in ``CHECKS``; it yields a ``fail(...)`` finding per failure."""

    def register(function: Callable[[Deployment, str], Iterable[Finding]]) -> Check:
        registered = Check(check_id=check_id, title=title, run=lambda deployment: list(function(deployment, check_id)))
        CHECKS.append(registered)
        return registered

    return register


def fail(check_id: str, resource: str, expected: str, found: object) -> Finding:
    return Finding(check_id=check_id, resource=resource, expected=expected, found=str(found))


def run_checks(deployment: Deployment, checks: Iterable[Check] = CHECKS) -> list[CheckResult]:
    """Run ``checks`` in order; an AWS error becomes a finding of the check that hit it."""
    results = []
    for item in checks:
        try:
            findings = item.run(deployment)
        except (ClientError, BotoCoreError) as error:
            findings = [fail(item.check_id, item.title, "the AWS API to answer", f"an error: {error}")]
        results.append(CheckResult(check=item, findings=tuple(findings)))
    return results


def _attributes(pairs: Iterable[Mapping[str, str]]) -> dict[str, str]:
    return {pair["Key"]: pair["Value"] for pair in pairs}


# --- Load balancer ---------------------------------------------------------------------------------

@check("VFY_SWEB_001", "Ensure the load balancer is internet-facing")
def alb_internet_facing(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    scheme = deployment.load_balancer["Scheme"]
    if scheme != "internet-facing":
        yield fail(check_id, f"load balancer {deployment.outputs.alb_arn}", "Scheme internet-facing", scheme)


@check("VFY_SWEB_002", "Ensure the HTTPS listener uses the expected certificate and a TLS 1.3 policy")
def https_listener(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    outputs = deployment.outputs
    https = [listener for listener in deployment.listeners if listener["Port"] == HTTPS_PORT]
    if not https:
        yield fail(check_id, f"load balancer {outputs.alb_arn}", "a listener on 443",
                   f"ports {sorted(listener['Port'] for listener in deployment.listeners)}")
        return
    listener = https[0]
    resource = f"listener {listener['ListenerArn']}"
    if listener["Protocol"] != "HTTPS":
        yield fail(check_id, resource, "Protocol HTTPS", listener["Protocol"])
    certificates = [certificate["CertificateArn"] for certificate in listener.get("Certificates", [])]
    if certificates != [outputs.certificate_arn]:
        yield fail(check_id, resource, f"certificate {outputs.certificate_arn}", certificates)
    if listener.get("SslPolicy") not in ALLOWED_SSL_POLICIES:
        yield fail(check_id, resource, f"SslPolicy one of {list(ALLOWED_SSL_POLICIES)}", listener.get("SslPolicy"))
    forwards = [action.get("TargetGroupArn") for action in listener["DefaultActions"] if action["Type"] == "forward"]
    if forwards != [outputs.target_group_arn]:
        yield fail(check_id, resource, f"default action forward to {outputs.target_group_arn}",
                   listener["DefaultActions"])


@check("VFY_SWEB_003", "Ensure port 80 only redirects to HTTPS (301) and no other listener exists")
def http_redirect_listener(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    expected = {"Protocol": "HTTPS", "Port": str(HTTPS_PORT), "StatusCode": "HTTP_301"}
    for listener in deployment.listeners:
        if listener["Port"] == HTTPS_PORT:
            continue
        resource = f"listener {listener['ListenerArn']} (port {listener['Port']})"
        if listener["Port"] != HTTP_PORT:
            yield fail(check_id, resource, "listeners on 80 and 443 only", f"a listener on {listener['Port']}")
            continue
        actions = listener["DefaultActions"]
        redirects = [action.get("RedirectConfig", {}) for action in actions if action["Type"] == "redirect"]
        if len(actions) != 1 or len(redirects) != 1 or any(redirects[0].get(k) != v for k, v in expected.items()):
            yield fail(check_id, resource, f"a single redirect action {expected}", actions)


def load_balancer_attribute_findings(deployment: Deployment, check_id: str, arn: str,
                                     resource: str) -> Iterable[Finding]:
    """What is wrong with the attributes of the load balancer ``arn``: every secure_web load balancer drops
    invalid headers, is deletion-protected and logs access and connections to the tier's bucket."""
    response = deployment.clients("elbv2").describe_load_balancer_attributes(LoadBalancerArn=arn)
    attributes = _attributes(response["Attributes"])
    expected = {
        "routing.http.drop_invalid_header_fields.enabled": "true",
        "deletion_protection.enabled": "true",
        "access_logs.s3.enabled": "true",
        "access_logs.s3.bucket": deployment.outputs.access_log_bucket,
        "connection_logs.s3.enabled": "true",
        "connection_logs.s3.bucket": deployment.outputs.access_log_bucket,
    }
    for key, value in expected.items():
        if attributes.get(key) != value:
            yield fail(check_id, resource, f"attribute {key}={value}", attributes.get(key))


@check("VFY_SWEB_004", "Ensure the load balancer drops invalid headers, is deletion-protected and logs access and "
                       "connections")
def alb_attributes(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    arn = deployment.outputs.alb_arn
    yield from load_balancer_attribute_findings(deployment, check_id, arn, f"load balancer {arn}")


COMMON_RULE_SET = ("AWS", "AWSManagedRulesCommonRuleSet")
"""(vendor, name) of the managed rule group every secure_web web ACL must use (``waf_managed_rule_groups``)."""
GROUP_WEAKENINGS = ("RuleActionOverrides", "ExcludedRules", "ScopeDownStatement")
"""Parts of a managed rule group statement that switch off or narrow what the group blocks."""
VISIBILITY = ("SampledRequestsEnabled", "CloudWatchMetricsEnabled")


def _off(visibility: Mapping[str, object] | None) -> list[str]:
    return [setting for setting in VISIBILITY if not (visibility or {}).get(setting)]


def _actions(action: Mapping[str, object] | None) -> str:
    return ", ".join(sorted(action or {})) or "none"


def web_acl_findings(check_id: str, acl: Mapping[str, object]) -> Iterable[Finding]:
    """What is wrong with ``acl`` (a GetWebACLForResource ``WebACL``) for a secure_web load balancer.

    The tier's ACL allows by default, blocks clients over its rate limit and blocks what its
    AWS managed rule groups match: one rule is a rate-based rule per client IP with action
    Block and no scope-down statement; every other rule is a managed rule group with
    override action None (a group set to Count only counts), unchanged by rule overrides,
    exclusions or a scope-down statement; the common rule set is among the groups; the ACL
    and each rule publish metrics and sampled requests.
    """
    resource = f"web ACL {acl.get('Name')} ({acl.get('ARN')})"
    if sorted(acl.get("DefaultAction") or {}) != ["Allow"]:
        yield fail(check_id, resource, "DefaultAction Allow (its managed rule groups do the blocking)",
                   _actions(acl.get("DefaultAction")))
    if off := _off(acl.get("VisibilityConfig")):
        yield fail(check_id, resource, f"VisibilityConfig with {list(VISIBILITY)} true", f"{off} not true")
    rules = sorted(acl.get("Rules") or [], key=lambda rule: rule.get("Priority", 0))
    common = "/".join(COMMON_RULE_SET)
    if not rules:
        yield fail(check_id, resource, f"rules of AWS managed rule groups, {common} among them", "no rules")
        return
    groups, rate_rules = [], 0
    for rule in rules:
        rule_resource = f"{resource} rule {rule.get('Name')!r}"
        if off := _off(rule.get("VisibilityConfig")):
            yield fail(check_id, rule_resource, f"VisibilityConfig with {list(VISIBILITY)} true", f"{off} not true")
        rate = (rule.get("Statement") or {}).get("RateBasedStatement")
        if rate is not None:
            rate_rules += 1
            yield from _rate_rule_findings(check_id, rule_resource, rule, rate)
            continue
        statement = (rule.get("Statement") or {}).get("ManagedRuleGroupStatement")
        if statement is None:
            yield fail(check_id, rule_resource, "a ManagedRuleGroupStatement or a RateBasedStatement",
                       f"a {_actions(rule.get('Statement'))} statement")
            continue
        groups.append(f"{statement.get('VendorName')}/{statement.get('Name')}")
        if sorted(rule.get("OverrideAction") or {}) != ["None"]:
            yield fail(check_id, rule_resource, "OverrideAction None (the group's own block actions apply)",
                       _actions(rule.get("OverrideAction")))
        if weakened := [part for part in GROUP_WEAKENINGS if statement.get(part)]:
            yield fail(check_id, rule_resource, f"the whole group in force (no {', '.join(GROUP_WEAKENINGS)})",
                       weakened)
    if common not in groups:
        yield fail(check_id, resource, f"the managed rule group {common} among its rules", f"groups {groups}")
    if not rate_rules:
        yield fail(check_id, resource, "a rate-based rule blocking clients over the rate limit (waf_rate_limit)",
                   "no rate-based rule")


def _rate_rule_findings(check_id: str, resource: str, rule: Mapping[str, object],
                        rate: Mapping[str, object]) -> Iterable[Finding]:
    if sorted(rule.get("Action") or {}) != ["Block"]:
        yield fail(check_id, resource, "Action Block (clients over the limit are stopped, not counted)",
                   _actions(rule.get("Action")))
    if rate.get("AggregateKeyType") != "IP":
        yield fail(check_id, resource, "AggregateKeyType IP (a limit per client address)", rate.get("AggregateKeyType"))
    if rate.get("ScopeDownStatement"):
        yield fail(check_id, resource, "the limit on every request (no ScopeDownStatement)", "a ScopeDownStatement")


@check("VFY_SWEB_005", "Ensure the load balancer's WAF web ACL allows by default, rate-limits each client IP and "
                       "blocks with AWS managed rule groups, the common rule set among them")
def waf_web_acl(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    response = deployment.clients("wafv2").get_web_acl_for_resource(ResourceArn=deployment.outputs.alb_arn)
    acl = response.get("WebACL")
    if not acl:
        yield fail(check_id, f"load balancer {deployment.outputs.alb_arn}", "an associated WAF web ACL",
                   "no web ACL")
        return
    yield from web_acl_findings(check_id, acl)


# --- Targets ---------------------------------------------------------------------------------------

def target_group_findings(check_id: str, group: Mapping[str, object]) -> Iterable[Finding]:
    """What is wrong with ``group`` (a DescribeTargetGroups entry): traffic and health checks must be HTTPS."""
    resource = f"target group {group['TargetGroupArn']}"
    if group["Protocol"] != "HTTPS":
        yield fail(check_id, resource, "Protocol HTTPS", group["Protocol"])
    if group.get("HealthCheckProtocol") != "HTTPS" or not group.get("HealthCheckEnabled", True):
        yield fail(check_id, resource, "enabled HTTPS health checks",
                   f"HealthCheckProtocol {group.get('HealthCheckProtocol')}, "
                   f"HealthCheckEnabled {group.get('HealthCheckEnabled')}")


@check("VFY_SWEB_006", "Ensure the target group uses HTTPS to the hosts and HTTPS health checks")
def target_group_https(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    yield from target_group_findings(check_id, deployment.target_group)


@check("VFY_SWEB_007", "Ensure every registered target of the web and app target groups is healthy")
def targets_healthy(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    for arn in (deployment.outputs.target_group_arn, deployment.outputs.app_target_group_arn):
        response = deployment.clients("elbv2").describe_target_health(TargetGroupArn=arn)
        descriptions = response["TargetHealthDescriptions"]
        if not descriptions:
            yield fail(check_id, f"target group {arn}", "at least one registered target", "none")
        for description in descriptions:
            health = description["TargetHealth"]
            if health["State"] != "healthy":
                yield fail(check_id, f"target {description['Target']['Id']} of {arn}", "state healthy",
                           f"{health['State']} ({health.get('Reason', 'no reason')})")


# --- Security groups -------------------------------------------------------------------------------

RuleKey = tuple[str, int, int, str]
"""(protocol, from port, to port, source or destination) of one security group rule."""


def _rule_key(rule: Mapping[str, object]) -> RuleKey:
    source = rule.get("CidrIpv4") or rule.get("CidrIpv6") or rule.get("PrefixListId") or \
        (rule.get("ReferencedGroupInfo") or {}).get("GroupId", "?")
    return (str(rule["IpProtocol"]), int(rule["FromPort"]), int(rule["ToPort"]), str(source))


def expected_ingress(outputs: DeploymentOutputs, app_port: int) -> dict[str, set[RuleKey]]:
    """The exact ingress chain: world → ALB (80, 443) → web (443) → internal ALB (app port) → app (app port)
    → database (3306)."""
    return {
        outputs.alb_security_group_id: {("tcp", port, port, cidr) for cidr in WORLD for port in (HTTP_PORT, HTTPS_PORT)},
        outputs.web_security_group_id: {("tcp", HTTPS_PORT, HTTPS_PORT, outputs.alb_security_group_id)},
        outputs.app_alb_security_group_id: {("tcp", app_port, app_port, outputs.web_security_group_id)},
        outputs.app_security_group_id: {("tcp", app_port, app_port, outputs.app_alb_security_group_id)},
        outputs.db_security_group_id: {("tcp", MYSQL_PORT, MYSQL_PORT, outputs.app_security_group_id)},
    }


def expected_egress(outputs: DeploymentOutputs, app_port: int) -> dict[str, set[RuleKey]]:
    """Each ingress of the chain has its egress twin in the group in front; hosts also reach 443 and 80 anywhere."""
    anywhere = {("tcp", port, port, cidr) for cidr in WORLD for port in HOST_EGRESS_PORTS}
    return {
        outputs.alb_security_group_id: {("tcp", HTTPS_PORT, HTTPS_PORT, outputs.web_security_group_id)},
        outputs.web_security_group_id: {("tcp", app_port, app_port, outputs.app_alb_security_group_id), *anywhere},
        outputs.app_alb_security_group_id: {("tcp", app_port, app_port, outputs.app_security_group_id)},
        outputs.app_security_group_id: {("tcp", MYSQL_PORT, MYSQL_PORT, outputs.db_security_group_id), *anywhere},
        outputs.db_security_group_id: set(),
    }


@check("VFY_SWEB_008", "Ensure the security groups admit and send exactly the tier chain "
                       "(world → ALB → web → internal ALB → app → database)")
def security_group_chain(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    for direction, rules, expected in (
        ("ingress", deployment.ingress_rules, expected_ingress(deployment.outputs, deployment.settings.app_port)),
        ("egress", deployment.egress_rules, expected_egress(deployment.outputs, deployment.settings.app_port)),
    ):
        found: dict[str, set[RuleKey]] = {group: set() for group in expected}
        for rule in rules:
            if rule["GroupId"] in found:
                found[rule["GroupId"]].add(_rule_key(rule))
        for name, group_id in deployment.tier_groups.items():
            if found[group_id] != expected[group_id]:
                yield fail(check_id, f"{name} security group {group_id}",
                           f"{direction} exactly {_describe(expected[group_id])}", _describe(found[group_id]))


def _describe(rules: Iterable[RuleKey]) -> str:
    return "[" + ", ".join(f"{protocol} {start}-{end} from {source}"
                           for protocol, start, end, source in sorted(rules)) + "]"


@check("VFY_SWEB_009", "Ensure no security group of the stack or its hosts admits SSH")
def no_ssh(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    for rule in deployment.ingress_rules:
        protocol, start, end, source = _rule_key(rule)
        if protocol == "-1" or (protocol in ("tcp", "6") and start <= SSH_PORT <= end):
            yield fail(check_id, f"security group {rule['GroupId']} rule {rule.get('SecurityGroupRuleId')}",
                       "no ingress on port 22", f"{protocol} {start}-{end} from {source}")


# --- Hosts -----------------------------------------------------------------------------------------

@check("VFY_SWEB_010", "Ensure both Auto Scaling groups have running hosts")
def hosts_present(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    for name, instances in deployment.instances_by_group.items():
        if not instances:
            yield fail(check_id, f"Auto Scaling group {name}", "at least one instance", "none")


@check("VFY_SWEB_011", "Ensure every host requires IMDSv2")
def hosts_imdsv2(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    for instance in deployment.instances:
        tokens = instance.get("MetadataOptions", {}).get("HttpTokens")
        if tokens != "required":
            yield fail(check_id, f"instance {instance['InstanceId']}", "MetadataOptions.HttpTokens required", tokens)


@check("VFY_SWEB_012", "Ensure no host has a public IP address")
def hosts_no_public_ip(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    for instance in deployment.instances:
        if instance.get("PublicIpAddress"):
            yield fail(check_id, f"instance {instance['InstanceId']}", "no public IP address",
                       instance["PublicIpAddress"])


@dataclass(frozen=True)
class RolePolicies:
    """What one instance profile's roles may do: attached managed policy names and inline policy documents."""

    managed: frozenset[str]
    inline: Mapping[str, Mapping[str, object]]


def _role_policies(iam, profile_arn: str) -> RolePolicies:
    profile = iam.get_instance_profile(InstanceProfileName=profile_arn.rsplit("/", 1)[-1])["InstanceProfile"]
    managed: set[str] = set()
    inline: dict[str, Mapping[str, object]] = {}
    for role in profile["Roles"]:
        name = role["RoleName"]
        attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
        managed |= {policy["PolicyName"] for policy in attached}
        for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            document = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
            inline[policy_name] = json.loads(document) if isinstance(document, str) else document
    return RolePolicies(managed=frozenset(managed), inline=inline)


def expected_database_access(deployment: Deployment) -> list[dict[str, object]]:
    """The app role's three statements, each (Action, Resource, Condition) as the deployment's own ARNs make them."""
    parameter = deployment.database_config or {}
    secret = deployment.cluster.get("MasterUserSecret") or {}
    secrets_manager = f"secretsmanager.{deployment.clients.region}.amazonaws.com"
    via_secrets_manager = {"StringEquals": {"kms:ViaService": secrets_manager}}
    return [
        {"Action": ["ssm:GetParameter"], "Resource": [parameter.get("ARN", "the database config parameter's ARN")],
         "Condition": None},
        {"Action": ["secretsmanager:GetSecretValue"], "Resource": [secret.get("SecretArn", "the master user secret")],
         "Condition": None},
        {"Action": ["kms:Decrypt"], "Resource": [secret.get("KmsKeyId", "the master user secret's key")],
         "Condition": via_secrets_manager},
    ]


def _granted(statement: Mapping[str, object]) -> dict[str, object]:
    """A statement's grant in the shape of ``expected_database_access``, or its whole text when it is not an Allow
    of plain Action and Resource (NotAction and NotResource grant everything they do not name)."""
    if statement.get("Effect") != "Allow" or {"NotAction", "NotResource", "NotPrincipal"} & set(statement):
        return {"Statement": dict(statement)}
    listed = {key: [statement[key]] if isinstance(statement.get(key), str) else list(statement.get(key) or [])
              for key in ("Action", "Resource")}
    return {**listed, "Condition": statement.get("Condition") or None}


def _canonical(grant: Mapping[str, object]) -> str:
    return json.dumps(grant, sort_keys=True)


def _statements(document: Mapping[str, object]) -> list[Mapping[str, object]]:
    statements = document.get("Statement") or []
    return [statements] if isinstance(statements, Mapping) else list(statements)


@check("VFY_SWEB_013", "Ensure every host's role has no managed policy and a scoped agent policy, and the app hosts' "
                       "role one more inline policy reading exactly its database parameter, secret and key")
def hosts_instance_profile(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    iam = deployment.clients("iam")
    app_group = deployment.outputs.app_autoscaling_group
    by_profile: dict[str, RolePolicies] = {}
    for group_name, instances in deployment.instances_by_group.items():
        expected_inline = {HOST_AGENT_POLICY, DATABASE_ACCESS_POLICY} if group_name == app_group \
            else {HOST_AGENT_POLICY}
        for instance in instances:
            arn = (instance.get("IamInstanceProfile") or {}).get("Arn")
            if not arn:
                yield fail(check_id, f"instance {instance['InstanceId']}", "an IAM instance profile", "none")
                continue
            if arn not in by_profile:
                by_profile[arn] = _role_policies(iam, arn)
            policies = by_profile[arn]
            resource = f"instance {instance['InstanceId']} profile {arn}"
            if policies.managed:
                yield fail(check_id, resource, "no managed policy (the host agent policy replaces them)",
                           sorted(policies.managed))
            if set(policies.inline) != expected_inline:
                yield fail(check_id, resource, f"inline policies exactly {sorted(expected_inline)}",
                           sorted(policies.inline))
                continue
            problems = [problem for statement in _statements(policies.inline[HOST_AGENT_POLICY])
                        for problem in host_statement_problems(statement)]
            if problems:
                yield fail(check_id, f"{resource} inline policy {HOST_AGENT_POLICY}",
                           "only agent actions on the tier's own logs, parameter and metric namespace", problems)
            if DATABASE_ACCESS_POLICY in expected_inline:
                expected = expected_database_access(deployment)
                granted = [_granted(statement) for statement in _statements(policies.inline[DATABASE_ACCESS_POLICY])]
                if sorted(map(_canonical, granted)) != sorted(map(_canonical, expected)):
                    yield fail(check_id, f"{resource} inline policy {DATABASE_ACCESS_POLICY}",
                               f"exactly the statements {expected}", granted)


@check("VFY_SWEB_014", "Ensure every host is registered and online in SSM")
def hosts_ssm_online(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    ids = [instance["InstanceId"] for instance in deployment.instances]
    if not ids:
        return
    status: dict[str, str] = {}
    for page in deployment.clients("ssm").get_paginator("describe_instance_information").paginate(
        Filters=[{"Key": "InstanceIds", "Values": ids}]
    ):
        status.update({info["InstanceId"]: info.get("PingStatus", "?") for info in page["InstanceInformationList"]})
    for instance_id in ids:
        if status.get(instance_id) != "Online":
            yield fail(check_id, f"instance {instance_id}", "SSM PingStatus Online",
                       status.get(instance_id, "not registered with SSM"))


@check("VFY_SWEB_015", "Ensure the CloudWatch agent's metrics arrive from every host")
def hosts_agent_metrics(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    ids = [instance["InstanceId"] for instance in deployment.instances]
    if not ids:
        return
    window = deployment.settings.agent_metrics_window
    queries = [
        {"Id": f"mem{index}", "ReturnData": True, "MetricStat": {
            "Metric": {"Namespace": HOST_METRICS_NAMESPACE, "MetricName": AGENT_METRIC,
                       "Dimensions": [{"Name": "InstanceId", "Value": instance_id}]},
            "Period": 60, "Stat": "Maximum"}}
        for index, instance_id in enumerate(ids)
    ]
    response = deployment.clients("cloudwatch").get_metric_data(
        MetricDataQueries=queries, StartTime=deployment.now - window, EndTime=deployment.now)
    counts = {result["Id"]: len(result["Values"]) for result in response["MetricDataResults"]}
    for index, instance_id in enumerate(ids):
        if not counts.get(f"mem{index}"):
            yield fail(check_id, f"instance {instance_id}",
                       f"{HOST_METRICS_NAMESPACE}/{AGENT_METRIC} datapoints in the last {window}", "none")


# --- QPS -------------------------------------------------------------------------------------------

@check("VFY_SWEB_016", "Ensure fleet QPS (ALB RequestCount Sum / PERIOD) has datapoints")
def fleet_qps(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    dimensions = {"LoadBalancer": deployment.outputs.load_balancer_dimension}
    if not deployment.qps_datapoints(FLEET_QPS, dimensions):
        yield fail(check_id, f"load balancer {deployment.outputs.alb_arn}",
                   f"{FLEET_QPS.namespace}/{FLEET_QPS.metric_name} datapoints in the last "
                   f"{deployment.settings.qps_window}", "none (no traffic, or the ALB is not serving)")


@check("VFY_SWEB_017", "Ensure per-host QPS (nginx_http_requests_total Sum / PERIOD) has datapoints for every host")
def host_qps(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    for instance in deployment.instances:
        resource = f"instance {instance['InstanceId']}"
        tier = _attributes(instance.get("Tags", [])).get(TIER_TAG)
        if not tier:
            yield fail(check_id, resource, f"a {TIER_TAG} tag naming its Tier dimension", "no tag")
            continue
        if not deployment.qps_datapoints(HOST_QPS, {"InstanceId": instance["InstanceId"], "Tier": tier}):
            yield fail(check_id, resource, f"{HOST_QPS.namespace}/{HOST_QPS.metric_name} datapoints "
                       f"(Tier {tier}) in the last {deployment.settings.qps_window}", "none")


@check("VFY_SWEB_018", "Ensure the QPS alarms exist, use fleet QPS, notify the alarm topic and have data")
def qps_alarms(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    outputs, settings = deployment.outputs, deployment.settings
    for name in (outputs.qps_high_alarm, outputs.qps_low_alarm):
        alarm = deployment.qps_alarms.get(name)
        resource = f"alarm {name!r}"
        if alarm is None:
            yield fail(check_id, resource, "a CloudWatch metric alarm", "no such alarm")
            continue
        expressions = [query.get("Expression") for query in alarm.get("Metrics", [])]
        metrics = [query["MetricStat"]["Metric"].get("MetricName") for query in alarm.get("Metrics", [])
                   if "MetricStat" in query]
        if FLEET_QPS.expression not in expressions or FLEET_QPS.metric_name not in metrics:
            yield fail(check_id, resource, f"metric math {FLEET_QPS.expression!r} over {FLEET_QPS.metric_name}",
                       f"expressions {expressions}, metrics {metrics}")
        if outputs.alarm_topic_arn not in alarm.get("AlarmActions", []):
            yield fail(check_id, resource, f"AlarmActions including {outputs.alarm_topic_arn}",
                       alarm.get("AlarmActions", []))
        since = alarm["StateUpdatedTimestamp"]
        if alarm["StateValue"] == "INSUFFICIENT_DATA" and deployment.now - since > settings.insufficient_data_grace:
            yield fail(check_id, resource, f"INSUFFICIENT_DATA for at most {settings.insufficient_data_grace}",
                       f"INSUFFICIENT_DATA since {since.isoformat()}")


# --- Database --------------------------------------------------------------------------------------

def _cluster_resource(deployment: Deployment) -> str:
    return f"DB cluster {deployment.outputs.db_cluster_identifier}"


@check("VFY_SWEB_019", "Ensure the database is Multi-AZ")
def db_multi_az(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    cluster = deployment.cluster
    members = cluster.get("DBClusterMembers", [])
    is_aurora = str(cluster["Engine"]).startswith("aurora")
    if is_aurora and len(members) < 2:
        yield fail(check_id, _cluster_resource(deployment), "an Aurora cluster with at least 2 instances",
                   f"{len(members)} instance(s)")
    elif not is_aurora and not cluster.get("MultiAZ"):
        yield fail(check_id, _cluster_resource(deployment), "MultiAZ true",
                   f"MultiAZ {cluster.get('MultiAZ')} with {len(members)} member(s)")


@check("VFY_SWEB_020", "Ensure the database is available")
def db_available(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    if deployment.cluster["Status"] != "available":
        yield fail(check_id, _cluster_resource(deployment), "Status available", deployment.cluster["Status"])


@check("VFY_SWEB_021", "Ensure the database storage is encrypted")
def db_encrypted(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    if not deployment.cluster.get("StorageEncrypted"):
        yield fail(check_id, _cluster_resource(deployment), "StorageEncrypted true",
                   deployment.cluster.get("StorageEncrypted"))


@check("VFY_SWEB_022", "Ensure the database is deletion-protected")
def db_deletion_protected(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    if not deployment.cluster.get("DeletionProtection"):
        yield fail(check_id, _cluster_resource(deployment), "DeletionProtection true",
                   deployment.cluster.get("DeletionProtection"))


@check("VFY_SWEB_023", "Ensure the database keeps automated backups for at least 7 days")
def db_backups(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    days = deployment.cluster.get("BackupRetentionPeriod", 0)
    minimum = deployment.settings.min_backup_retention_days
    if days < minimum:
        yield fail(check_id, _cluster_resource(deployment), f"BackupRetentionPeriod >= {minimum}", days)


@check("VFY_SWEB_024", "Ensure the master password is managed in Secrets Manager")
def db_managed_secret(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    secret = deployment.cluster.get("MasterUserSecret") or {}
    if not secret.get("SecretArn"):
        yield fail(check_id, _cluster_resource(deployment), "a MasterUserSecret (RDS-managed password)", "none")


@check("VFY_SWEB_025", "Ensure the database has a reader endpoint")
def db_reader_endpoint(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    if not deployment.cluster.get("ReaderEndpoint"):
        yield fail(check_id, _cluster_resource(deployment), "a ReaderEndpoint", "none")


# --- Logs ------------------------------------------------------------------------------------------

@check("VFY_SWEB_026", "Ensure the access log bucket blocks all public access")
def log_bucket_private(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    bucket = deployment.outputs.access_log_bucket
    try:
        block = deployment.clients("s3").get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "NoSuchPublicAccessBlockConfiguration":
            raise
        block = {}
    expected = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    off = [setting for setting in expected if not block.get(setting)]
    if off:
        yield fail(check_id, f"S3 bucket {bucket}", f"public access block with {list(expected)} true",
                   f"{off} not true")


# --- App tier --------------------------------------------------------------------------------------

def _app_resource(deployment: Deployment) -> str:
    return f"internal load balancer {deployment.outputs.app_load_balancer_arn}"


@check("VFY_SWEB_027", "Ensure the app tier's load balancer is internal, drops invalid headers, is deletion-protected "
                       "and logs access and connections")
def app_alb_internal(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    scheme = deployment.app_load_balancer["Scheme"]
    if scheme != "internal":
        yield fail(check_id, _app_resource(deployment), "Scheme internal", scheme)
    yield from load_balancer_attribute_findings(deployment, check_id, deployment.outputs.app_load_balancer_arn,
                                                _app_resource(deployment))


@check("VFY_SWEB_028", "Ensure the app tier's load balancer has one listener: HTTPS on the app port, with a TLS 1.3 "
                       "policy, forwarding to the app target group")
def app_https_listener(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    port, target_group = deployment.settings.app_port, deployment.outputs.app_target_group_arn
    listeners = deployment.app_listeners
    if [listener["Port"] for listener in listeners] != [port]:
        yield fail(check_id, _app_resource(deployment), f"exactly one listener, on {port}",
                   f"listeners on {sorted((listener['Port'], listener['Protocol']) for listener in listeners)}")
    for listener in listeners:
        resource = f"listener {listener['ListenerArn']} (port {listener['Port']})"
        if listener["Protocol"] != "HTTPS":
            yield fail(check_id, resource, "Protocol HTTPS", listener["Protocol"])
            continue
        if listener.get("SslPolicy") not in ALLOWED_SSL_POLICIES:
            yield fail(check_id, resource, f"SslPolicy one of {list(ALLOWED_SSL_POLICIES)}", listener.get("SslPolicy"))
        if not listener.get("Certificates"):
            yield fail(check_id, resource, "an ACM certificate", "none")
        actions = listener["DefaultActions"]
        forwards = [action.get("TargetGroupArn") for action in actions if action["Type"] == "forward"]
        if forwards != [target_group] or len(actions) != 1:
            yield fail(check_id, resource, f"default action forward to {target_group}", listener["DefaultActions"])


@check("VFY_SWEB_029", "Ensure the app target group uses HTTPS to the app hosts and HTTPS health checks")
def app_target_group_https(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    yield from target_group_findings(check_id, deployment.app_target_group)


@check("VFY_SWEB_030", "Ensure the app tier's database parameter names this database and its secret, and holds no "
                       "secret itself")
def database_config_parameter(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    name = deployment.outputs.database_config_parameter_name
    resource = f"SSM parameter {name}"
    parameter = deployment.database_config
    if parameter is None:
        yield fail(check_id, resource, "a parameter", "no such parameter")
        return
    if parameter.get("Type") != "String":
        yield fail(check_id, resource, "Type String (it holds no secret)", parameter.get("Type"))
    try:
        value = json.loads(str(parameter.get("Value")))
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        yield fail(check_id, resource, f"a JSON object with {sorted(DATABASE_CONFIG_KEYS)}", "something else")
        return
    if missing := DATABASE_CONFIG_KEYS - set(value):
        yield fail(check_id, resource, f"keys {sorted(DATABASE_CONFIG_KEYS)}", f"{sorted(missing)} missing")
    if secret_like := sorted(key for key in value if SECRET_LIKE_KEY.search(str(key))):
        yield fail(check_id, resource, "no password-like key (the password stays in Secrets Manager)",
                   f"keys {secret_like}")
    cluster = deployment.cluster
    expected = {"host": deployment.outputs.db_writer_endpoint, "port": cluster.get("Port"),
                "secret_arn": (cluster.get("MasterUserSecret") or {}).get("SecretArn")}
    for key, wanted in expected.items():
        if key in value and value[key] != wanted:
            yield fail(check_id, resource, f"{key} {wanted!r} (the deployed database)", repr(value[key]))


LISTENER_HEADERS = {
    "routing.http.response.x_content_type_options.header_value": "nosniff",
    "routing.http.response.x_frame_options.header_value": "DENY",
    "routing.http.response.server.enabled": "false",
}
"""Listener attributes every HTTPS listener of the tier has, besides HSTS (judged by ``hsts_is_strong``)."""
HSTS_ATTRIBUTE = "routing.http.response.strict_transport_security.header_value"
ONE_YEAR_SECONDS = 31_536_000


def hsts_is_strong(value: object) -> bool:
    """One ``max-age`` of a year or more, and ``includeSubDomains``."""
    directives = [part.strip().lower() for part in str(value or "").split(";")]
    ages = [int(match.group(1)) for part in directives if (match := re.fullmatch(r"max-age=(\d+)", part))]
    return len(ages) == 1 and ages[0] >= ONE_YEAR_SECONDS and "includesubdomains" in directives


@check("VFY_SWEB_031", "Ensure every HTTPS listener of both load balancers adds HSTS (a year or more, "
                       "includeSubDomains), nosniff and DENY, and sends no Server header")
def listener_security_headers(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    elbv2 = deployment.clients("elbv2")
    for listener in [*deployment.listeners, *deployment.app_listeners]:
        if listener["Protocol"] != "HTTPS":
            continue
        resource = f"listener {listener['ListenerArn']} (port {listener['Port']})"
        attributes = _attributes(elbv2.describe_listener_attributes(ListenerArn=listener["ListenerArn"])["Attributes"])
        if not hsts_is_strong(attributes.get(HSTS_ATTRIBUTE)):
            yield fail(check_id, resource, f"{HSTS_ATTRIBUTE} with max-age >= {ONE_YEAR_SECONDS} and includeSubDomains",
                       attributes.get(HSTS_ATTRIBUTE))
        for key, value in LISTENER_HEADERS.items():
            if attributes.get(key) != value:
                yield fail(check_id, resource, f"attribute {key}={value}", attributes.get(key))


IMPLICIT_DENY_RULE = 32767
"""The last entry of every network ACL, AWS's own deny-all; never an allow."""
TCP = "6"


def _network_acl_entries(acl: Mapping[str, object]) -> list[Mapping[str, object]]:
    return [entry for entry in acl.get("Entries", []) if entry.get("RuleNumber") != IMPLICIT_DENY_RULE]


def _inside(cidr: object, vpc: ipaddress.IPv4Network) -> bool:
    try:
        block = ipaddress.ip_network(str(cidr))
    except ValueError:
        return False
    return block.version == 4 and block.prefixlen > 0 and block.subnet_of(vpc)


@check("VFY_SWEB_032", "Ensure the database's subnets have a network ACL allowing only TCP within the VPC, and the "
                       "VPC's default network ACL allows nothing")
def database_network_acls(deployment: Deployment, check_id: str) -> Iterable[Finding]:
    rds, ec2 = deployment.clients("rds"), deployment.clients("ec2")
    group = rds.describe_db_subnet_groups(DBSubnetGroupName=deployment.cluster["DBSubnetGroup"])["DBSubnetGroups"][0]
    vpc_id = group["VpcId"]
    vpc = ipaddress.ip_network(ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["CidrBlock"])
    subnets = sorted(subnet["SubnetIdentifier"] for subnet in group["Subnets"])
    acls = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": subnets}])["NetworkAcls"]
    for subnet in subnets:
        (acl,) = [acl for acl in acls if subnet in {link["SubnetId"] for link in acl.get("Associations", [])}] or [{}]
        if acl.get("IsDefault", True):
            yield fail(check_id, f"database subnet {subnet}", "a network ACL of its own (not the VPC's default)",
                       acl.get("NetworkAclId", "no network ACL"))
            continue
        resource = f"network ACL {acl['NetworkAclId']} of database subnet {subnet}"
        for entry in _network_acl_entries(acl):
            if entry.get("RuleAction") != "allow":
                continue
            direction = "egress" if entry.get("Egress") else "ingress"
            if entry.get("Protocol") != TCP or not _inside(entry.get("CidrBlock"), vpc):
                yield fail(check_id, f"{resource} {direction} rule {entry.get('RuleNumber')}",
                           f"allow rules for TCP within {vpc} only",
                           f"protocol {entry.get('Protocol')} {entry.get('CidrBlock') or entry.get('Ipv6CidrBlock')}")
    defaults = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                  {"Name": "default", "Values": ["true"]}])["NetworkAcls"]
    for acl in defaults:
        allows = [entry for entry in _network_acl_entries(acl) if entry.get("RuleAction") == "allow"]
        if allows:
            yield fail(check_id, f"default network ACL {acl['NetworkAclId']} of {vpc_id}", "no allow rule",
                       [f"{'egress' if entry.get('Egress') else 'ingress'} rule {entry.get('RuleNumber')} "
                        f"protocol {entry.get('Protocol')} {entry.get('CidrBlock')}" for entry in allows])

