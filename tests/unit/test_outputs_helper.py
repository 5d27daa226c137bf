"""secure_web.outputs.verifier_outputs: a stack declares exactly the outputs the verifier reads, from its constructs."""

from __future__ import annotations

from types import SimpleNamespace

import cdktf
import pytest
from constructs import Construct

from secure_web import Network, ReplicatedMySQL, ReplicatedMySQLProps, SecureWebTier, SecureWebTierProps
from secure_web.aws import resource_module
from secure_web.outputs import OUTPUT_DESCRIPTIONS, verifier_outputs
from secure_web.verify.outputs import OUTPUT_NAMES
from tests.conftest import synth_stack

CERTIFICATE_ARN = "arn:aws:acm:us-east-2:123456789012:certificate/0f0f0f0f-1111-2222-3333-444455556666"

WIRING = {
    "alb_dns_name": ("aws_lb", "storefront/alb", "dns_name"),
    "alb_arn": ("aws_lb", "storefront/alb", "arn"),
    "https_listener_arn": ("aws_lb_listener", "storefront/https-listener", "arn"),
    "target_group_arn": ("aws_lb_target_group", "storefront/web-targets", "arn"),
    "access_log_bucket": ("aws_s3_bucket", "storefront/access-logs/bucket", "id"),
    "alb_security_group_id": ("aws_security_group", "storefront/alb-security-group", "id"),
    "web_security_group_id": ("aws_security_group", "storefront/web-hosts/security-group", "id"),
    "app_security_group_id": ("aws_security_group", "storefront/app-hosts/security-group", "id"),
    "db_security_group_id": ("aws_security_group", "orders/security-group", "id"),
    "web_autoscaling_group": ("aws_autoscaling_group", "storefront/web-hosts/hosts", "name"),
    "app_autoscaling_group": ("aws_autoscaling_group", "storefront/app-hosts/hosts", "name"),
    "db_cluster_identifier": ("aws_rds_cluster", "orders/cluster", "cluster_identifier"),
    "db_writer_endpoint": ("aws_rds_cluster", "orders/cluster", "endpoint"),
    "db_reader_endpoint": ("aws_rds_cluster", "orders/cluster", "reader_endpoint"),
    "dashboard_name": ("aws_cloudwatch_dashboard", "storefront/dashboard", "dashboard_name"),
    "qps_high_alarm": ("aws_cloudwatch_metric_alarm", "storefront/qps-high-alarm", "alarm_name"),
    "qps_low_alarm": ("aws_cloudwatch_metric_alarm", "storefront/qps-low-alarm", "alarm_name"),
    "alarm_topic_arn": ("aws_sns_topic", "storefront/alarm-topic/topic", "arn"),
}
"""Output → (resource type, construct path suffix, attribute) it must reference in the consumer stack."""


@pytest.fixture(scope="module")
def consumer(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """A consumer's stack with its own ids ('storefront', 'orders'), the outputs declared in a nested construct."""
    app = cdktf.App(outdir=str(tmp_path_factory.mktemp("consumer")))
    stack = cdktf.TerraformStack(app, "shop")
    resource_module("provider").AwsProvider(stack, "aws", region="us-east-2")
    network = Network(stack, "edge-net")
    tier = SecureWebTier(stack, "storefront", SecureWebTierProps(
        network=network.ref, name="shopfront", certificate_arn=CERTIFICATE_ARN, hosted_zone_id="Z0123456789ABCDEFGHIJ",
        app_domain_name="app.shop.example.net"))
    orders = ReplicatedMySQL(stack, "orders", ReplicatedMySQLProps(network=network.ref, name="orders-db"))
    tier.connect_database(orders)
    declared = verifier_outputs(Construct(stack, "verification"), tier=tier, database=orders)
    return SimpleNamespace(declared=declared, stack=synth_stack(app, "shop"))


def test_a_consumer_stack_declares_exactly_the_outputs_the_verifier_reads(consumer):
    assert list(consumer.declared) == list(OUTPUT_NAMES)
    assert set(consumer.stack.document["output"]) == set(OUTPUT_NAMES)


@pytest.mark.parametrize("name", sorted(WIRING))
def test_each_output_references_the_attribute_of_its_construct(consumer, name):
    resource_type, path_suffix, attribute = WIRING[name]
    address = consumer.stack.address_of(resource_type, path_suffix)
    assert consumer.stack.document["output"][name]["value"] == f"${{{address}.{attribute}}}"


def test_url_and_certificate_come_from_the_tier(consumer):
    outputs = consumer.stack.document["output"]
    assert outputs["url"]["value"] == f"https://${{{consumer.stack.address_of('aws_lb', 'storefront/alb')}.dns_name}}"
    assert outputs["certificate_arn"]["value"] == CERTIFICATE_ARN


def test_every_output_is_described(consumer):
    assert set(OUTPUT_DESCRIPTIONS) == set(OUTPUT_NAMES)
    assert {name: body["description"] for name, body in consumer.stack.document["output"].items()} == OUTPUT_DESCRIPTIONS


def test_the_reference_stack_declares_them_with_the_helper(reference_stack):
    outputs = reference_stack.document["output"]
    assert {name: body["description"] for name, body in outputs.items()} == OUTPUT_DESCRIPTIONS
    topic = reference_stack.address_of("aws_sns_topic", "secure-web/alarms/topic")
    assert outputs["alarm_topic_arn"]["value"] == f"${{{topic}.arn}}"


# The rules below concern the helper alone, so plain stand-ins replace the constructs (no resources, fast synth).

def stand_in_tier(**alarm_topic: str) -> SimpleNamespace:
    """Stands in for a SecureWebTier: every attribute the helper reads, ``alarm_topic_arn`` only if given."""
    hosts = {role: SimpleNamespace(security_group_id=f"sg-{role}", auto_scaling_group_name=f"asg-{role}")
             for role in ("web", "app")}
    return SimpleNamespace(
        node=SimpleNamespace(path="shop/storefront"), dns_name="alb.example", url="https://shop.example",
        load_balancer_arn="arn:alb", https_listener_arn="arn:listener", target_group_arn="arn:tg",
        certificate_arn=CERTIFICATE_ARN, access_log_bucket="logs", security_group_id="sg-alb",
        web_hosts=hosts["web"], app_hosts=hosts["app"], dashboard_name="dashboard", qps_high_alarm_name="high",
        qps_low_alarm_name="low", app_load_balancer_arn="arn:internal-alb", app_target_group_arn="arn:app-tg",
        app_alb_connections=SimpleNamespace(security_group_id="sg-app-alb"),
        database_config_parameter_name="/secure-web/shop-app/database", **alarm_topic,
    )


STAND_IN_DATABASE = SimpleNamespace(security_group_id="sg-db", cluster_identifier="orders", writer_endpoint="w.db",
                                    reader_endpoint="r.db")
TIER_TOPIC = "arn:aws:sns:us-east-2:123456789012:storefront-alarms"
OTHER_TOPIC = "arn:aws:sns:us-east-2:123456789012:other"


def synth_outputs(tmp_path, **arguments: object) -> dict[str, dict[str, str]]:
    app = cdktf.App(outdir=str(tmp_path))
    verifier_outputs(cdktf.TerraformStack(app, "shop"), database=STAND_IN_DATABASE, **arguments)
    return synth_stack(app, "shop").document["output"]


@pytest.mark.parametrize("tier_topic, given, expected", [
    (TIER_TOPIC, None, TIER_TOPIC),
    (None, OTHER_TOPIC, OTHER_TOPIC),
    (TIER_TOPIC, TIER_TOPIC, TIER_TOPIC),
], ids=["the-tiers-own", "given-when-the-tier-has-none", "given-and-the-tiers-agree"])
def test_alarm_topic(tmp_path, tier_topic, given, expected):
    tier = stand_in_tier(**({"alarm_topic_arn": tier_topic} if tier_topic else {}))
    assert synth_outputs(tmp_path, tier=tier, alarm_topic_arn=given)["alarm_topic_arn"]["value"] == expected


@pytest.mark.parametrize("tier_topic, given, message", [
    (None, None, "shop: verifier_outputs: alarm_topic_arn is required: the tier shop/storefront records no alarm "
                 "topic of its own"),
    (TIER_TOPIC, OTHER_TOPIC, f"shop: verifier_outputs: alarm_topic_arn must be the topic the tier shop/storefront "
                              f"notifies ('{TIER_TOPIC}'); got '{OTHER_TOPIC}'"),
], ids=["none-known", "not-the-tiers"])
def test_alarm_topic_errors_name_the_scope_and_the_values(tmp_path, tier_topic, given, message):
    stack = cdktf.TerraformStack(cdktf.App(outdir=str(tmp_path)), "shop")
    tier = stand_in_tier(**({"alarm_topic_arn": tier_topic} if tier_topic else {}))
    with pytest.raises(ValueError) as raised:
        verifier_outputs(stack, tier=tier, database=STAND_IN_DATABASE, alarm_topic_arn=given)
    assert str(raised.value) == message
    assert not stack.node.children


def test_descriptions_reach_terraform_as_written(tmp_path, monkeypatch):
    monkeypatch.setitem(OUTPUT_DESCRIPTIONS, "url", "Site address, e.g. https://${domain} %{if}")
    outputs = synth_outputs(tmp_path, tier=stand_in_tier(alarm_topic_arn=TIER_TOPIC))
    assert outputs["url"]["description"] == "Site address, e.g. https://$${domain} %%{if}"
