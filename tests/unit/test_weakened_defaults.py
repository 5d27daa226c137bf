"""Every prop that loosens a secure default warns at synth and is recorded for the compliance report."""

from __future__ import annotations

import ast
import inspect
import warnings

import cdktf
import pytest

from secure_web import (
    AlbIngressRule, MonitoredHost, MonitoredHostProps, Network, NetworkProps, ReplicatedMySQL, ReplicatedMySQLProps,
    SecureDefaultWeakened, SecureWebTier, SecureWebTierProps,
)
from secure_web.aws import resource_module
from tests.conftest import synth_stack

CERTIFICATE_ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/0123abcd-0123-4567-89ab-0123456789ab"

# Every opt-out field: (props class, field, construct path it is announced at).
OPT_OUTS = [
    (NetworkProps, "flow_log_retention_days", "weak/network"),
    (NetworkProps, "nat_gateway_per_az", "weak/network"),
    (NetworkProps, "vpc_endpoints", "weak/network"),
    (SecureWebTierProps, "drop_invalid_header_fields", "weak/web"),
    (SecureWebTierProps, "desync_mitigation_mode", "weak/web"),
    (SecureWebTierProps, "enable_deletion_protection", "weak/web"),
    (SecureWebTierProps, "access_log_retention_days", "weak/web"),
    (SecureWebTierProps, "ssl_policy", "weak/web"),
    (SecureWebTierProps, "waf_managed_rule_groups", "weak/web"),
    (SecureWebTierProps, "waf_rate_limit", "weak/web"),
    (SecureWebTierProps, "extra_alb_ingress", "weak/web"),
    (MonitoredHostProps, "cloudwatch_agent_install", "weak/ops"),
    (MonitoredHostProps, "ssh_allowed_cidrs", "weak/ops"),
    (MonitoredHostProps, "log_retention_days", "weak/ops"),
    (MonitoredHostProps, "alarm_topic_arn", "weak/ops"),
    (MonitoredHostProps, "server_names", "weak/ops"),
    (ReplicatedMySQLProps, "deletion_protection", "weak/db"),
    (ReplicatedMySQLProps, "monitoring_interval_seconds", "weak/db"),
    (ReplicatedMySQLProps, "log_retention_days", "weak/db"),
]


@pytest.fixture(scope="module")
def weakened(tmp_path_factory):
    """Every construct with every opt-out taken, synthesized once; returns (warnings, synthesized stack)."""
    app = cdktf.App(outdir=str(tmp_path_factory.mktemp("weakened")))
    stack = cdktf.TerraformStack(app, "weak")
    resource_module("provider").AwsProvider(stack, "aws", region="eu-west-1")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        network = Network(stack, "network", NetworkProps(flow_log_retention_days=30, nat_gateway_per_az=False,
                                                             vpc_endpoints=False))
        SecureWebTier(stack, "web", SecureWebTierProps(
            network=network.ref, certificate_arn=CERTIFICATE_ARN, hosted_zone_id="Z00000000000EXAMPLE",
            app_domain_name="app.internal.example.com", drop_invalid_header_fields=False,
            desync_mitigation_mode="defensive", enable_deletion_protection=False, access_log_retention_days=90,
            ssl_policy="ELBSecurityPolicy-TLS13-1-2-2021-06",
            waf_managed_rule_groups=("AWSManagedRulesCommonRuleSet",), waf_rate_limit=None,
            extra_alb_ingress=(AlbIngressRule(port=443, cidr="192.0.2.0/24", description="Office health probe"),),
        ))
        MonitoredHost(stack, "ops", MonitoredHostProps(
            name="ops", vpc_id=network.vpc_id, subnet_ids=network.ref.private_subnet_ids,
            allowed_https_cidrs=("10.0.0.0/16",), instance_count=1, cloudwatch_agent_install=False,
            ssh_allowed_cidrs=("10.0.0.0/8",), log_retention_days=30,
        ))
        ReplicatedMySQL(stack, "db", ReplicatedMySQLProps(
            network=network.ref, deletion_protection=False, monitoring_interval_seconds=0, log_retention_days=30,
        ))
    messages = [str(w.message) for w in caught if issubclass(w.category, SecureDefaultWeakened)]
    return messages, synth_stack(app, "weak")


@pytest.mark.parametrize("props_class, field, path", OPT_OUTS,
                         ids=[f"{props.__name__}.{field}" for props, field, _ in OPT_OUTS])
def test_opt_out_warns_with_path_field_and_default(weakened, props_class, field, path):
    messages, _ = weakened
    assert any(m.startswith(f"{path}: override provided for '{field}' (") and "the secure default was" in m
               for m in messages), messages


@pytest.mark.parametrize("props_class, field, path", OPT_OUTS,
                         ids=[f"{props.__name__}.{field}" for props, field, _ in OPT_OUTS])
def test_opt_out_is_recorded_in_the_synthesized_json(weakened, props_class, field, path):
    _, stack = weakened
    records = stack.document["//"]["secure_web"]["weakened_defaults"]
    assert any(r["path"] == path and r["field"] == field and r["given"] and r["default"] for r in records), records


def test_hosts_inside_the_tier_announce_the_shorter_log_retention_they_inherit(weakened):
    _, stack = weakened
    records = stack.document["//"]["secure_web"]["weakened_defaults"]
    assert {(r["path"], r["field"]) for r in records} >= {
        ("weak/web/web-hosts", "log_retention_days"), ("weak/web/app-hosts", "log_retention_days")}


def test_records_hold_given_and_secure_default(weakened):
    _, stack = weakened
    records = {(r["path"], r["field"]): r for r in stack.document["//"]["secure_web"]["weakened_defaults"]}
    assert records[("weak/db", "deletion_protection")] == {
        "path": "weak/db", "field": "deletion_protection", "given": "False", "default": "True"}
    assert records[("weak/network", "flow_log_retention_days")]["given"] == "30"
    assert records[("weak/ops", "alarm_topic_arn")] == {
        "path": "weak/ops", "field": "alarm_topic_arn", "given": "None", "default": "an SNS topic"}


def test_hosts_of_a_tier_without_a_topic_get_the_tiers_own_and_announce_no_missing_topic(weakened):
    _, stack = weakened
    announced = {r["path"] for r in stack.document["//"]["secure_web"]["weakened_defaults"]
                 if r["field"] == "alarm_topic_arn"}
    assert announced == {"weak/ops"}
    assert stack.by_path("aws_sns_topic", "weak/web/alarm-topic/topic")


def _fields_documented_to_warn(props_class: type) -> set[str]:
    """Fields whose docstring (the string right after the annotation) says the value warns."""
    module = ast.parse(inspect.getsource(inspect.getmodule(props_class)))
    (definition,) = [node for node in module.body if isinstance(node, ast.ClassDef)
                     and node.name == props_class.__name__]
    fields = set()
    for annotation, docstring in zip(definition.body, definition.body[1:]):
        if (isinstance(annotation, ast.AnnAssign) and isinstance(docstring, ast.Expr)
                and isinstance(docstring.value, ast.Constant) and "warns" in str(docstring.value.value)):
            fields.add(annotation.target.id)
    return fields


def test_every_field_documented_to_warn_is_in_the_opt_out_table():
    for props_class in (NetworkProps, SecureWebTierProps, MonitoredHostProps, ReplicatedMySQLProps):
        listed = {field for props, field, _ in OPT_OUTS if props is props_class}
        assert _fields_documented_to_warn(props_class) == listed, props_class.__name__


def test_secure_defaults_announce_nothing(reference_stack):
    assert "weakened_defaults" not in reference_stack.document["//"].get("secure_web", {})


def test_extra_alb_ingress_becomes_a_rule_on_the_load_balancer_group(weakened):
    _, stack = weakened
    rules = [rule for rule in stack.resources("aws_vpc_security_group_ingress_rule").values()
             if rule.get("cidr_ipv4") == "192.0.2.0/24"]
    assert [(r["from_port"], r["to_port"], r["description"]) for r in rules] == [(443, 443, "Office health probe")]
    assert "alb-security-group" in rules[0]["security_group_id"]
