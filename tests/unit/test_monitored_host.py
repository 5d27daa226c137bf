"""MonitoredHost: hardened launch template, agent role and configuration, bootstrap from a real file."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path

import cdktf
import pytest

from secure_web import MonitoredHost, MonitoredHostProps, host_user_data
from secure_web.aws import resource_module
from tests.conftest import synth_stack

PROPS = MonitoredHostProps(
    name="shop-web", vpc_id="vpc-0123456789abcdef0", subnet_ids=("subnet-a", "subnet-b"),
    allowed_https_cidrs=("10.0.0.0/16",), instance_count=2,
)


@pytest.fixture(scope="module")
def alone(tmp_path_factory):
    """A MonitoredHost used on its own in a consumer-style stack."""
    app = cdktf.App(outdir=str(tmp_path_factory.mktemp("host")))
    stack = cdktf.TerraformStack(app, "hosts")
    resource_module("provider").AwsProvider(stack, "aws", region="eu-west-1")
    MonitoredHost(stack, "web", PROPS)
    return synth_stack(app, "hosts")


def test_launch_template_requires_imdsv2_encrypts_ebs_and_has_no_public_ip(alone):
    template = alone.by_path("aws_launch_template", "web/launch-template")
    assert template["metadata_options"]["http_tokens"] == "required"
    assert template["metadata_options"]["http_put_response_hop_limit"] == 1
    assert template["block_device_mappings"][0]["ebs"]["encrypted"] == "true"
    assert template["network_interfaces"][0]["associate_public_ip_address"] == "false"
    assert template["monitoring"] == {"enabled": True}


def test_default_image_is_the_newest_official_debian_12(alone):
    (image,) = alone.data("aws_ami").values()
    assert image["owners"] == ["136693071363"] and image["most_recent"] is True
    assert {"name": "name", "values": ["debian-12-amd64-*"]} in image["filter"]


def test_instance_role_has_one_scoped_agent_policy_and_no_managed_policy(alone):
    assert not alone.resources("aws_iam_role_policy_attachment")
    (policy,) = alone.resources("aws_iam_role_policy").values()
    assert policy["name"] == "host-agent" and "aws_iam_role" in policy["role"]
    statements = {statement["Sid"]: statement for statement in json.loads(policy["policy"])["Statement"]}
    assert set(statements) == {"AgentLogs", "AgentConfiguration", "HostMetrics", "AgentDimensions", "SessionManager",
                               "RunCommand"}
    # the agent's own three log groups and their streams, nothing else
    groups = [alone.address_of("aws_cloudwatch_log_group", f"web/{kind}-logs") for kind in ("access", "error", "prometheus")]
    resources = statements["AgentLogs"]["Resource"]
    assert len(resources) == 6 and all(any(group in resource for group in groups) for resource in resources)
    assert "logs:PutRetentionPolicy" not in statements["AgentLogs"]["Action"]
    assert alone.address_of("aws_ssm_parameter", "web/agent-config") in statements["AgentConfiguration"]["Resource"]
    assert statements["HostMetrics"]["Condition"] == {"StringEquals": {"cloudwatch:namespace": "SecureWeb/Host"}}
    assert all(action.startswith(("ssm:UpdateInstanceInformation", "ssmmessages:"))
               for action in statements["SessionManager"]["Action"])
    assert all(action.startswith("ec2messages:") for action in statements["RunCommand"]["Action"])
    template = alone.by_path("aws_launch_template", "web/launch-template")
    assert "aws_iam_instance_profile" in template["iam_instance_profile"]["arn"]


def test_agent_configuration_lives_in_the_amazon_cloudwatch_parameter(alone):
    parameter = alone.by_path("aws_ssm_parameter", "web/agent-config")
    assert parameter["name"] == "AmazonCloudWatch-shop-web"
    config = json.loads(parameter["value"])
    collected = config["metrics"]["metrics_collected"]
    assert {"cpu", "mem", "disk", "net", "procstat"} <= set(collected)
    assert collected["procstat"][0]["exe"] == "nginx"
    files = {entry["file_path"]: entry["log_group_name"]
             for entry in config["logs"]["logs_collected"]["files"]["collect_list"]}
    assert files == {"/var/log/nginx/access.log": "/secure-web/shop-web/nginx/access",
                     "/var/log/nginx/error.log": "/secure-web/shop-web/nginx/error"}
    prometheus = config["logs"]["metrics_collected"]["prometheus"]
    assert prometheus["emf_processor"]["metric_namespace"] == "SecureWeb/Nginx"
    assert prometheus["emf_processor"]["metric_declaration"][0]["metric_selectors"] == ["^nginx_http_requests_total$"]


def test_log_groups_have_retention_and_encryption(alone):
    groups = alone.resources("aws_cloudwatch_log_group").values()
    assert {g["name"] for g in groups} == {"/secure-web/shop-web/nginx/access", "/secure-web/shop-web/nginx/error",
                                           "/secure-web/shop-web/prometheus"}
    assert all(g["retention_in_days"] == 365 and "aws_kms_key" in g["kms_key_id"] for g in groups)


def test_user_data_is_the_rendered_bootstrap_file_and_starts_the_agent_from_the_parameter(alone):
    template = alone.by_path("aws_launch_template", "web/launch-template")
    compressed = base64.b64decode(template["user_data"])
    assert compressed[:2] == b"\x1f\x8b"  # gzip: cloud-init inflates it; EC2's 16 KiB limit counts these bytes
    script = gzip.decompress(compressed).decode()
    assert script == host_user_data(PROPS)
    assert script.startswith("#!/bin/bash")
    assert "amazon-cloudwatch-agent-ctl" in script and "AmazonCloudWatch-shop-web" in script
    bootstrap = Path(__file__).resolve().parents[2] / "constructs/secure_web/bootstrap/host_bootstrap.sh"
    body = [line for line in bootstrap.read_text().splitlines() if line.strip() and "@@" not in line]
    assert set(body) <= set(script.splitlines())


def test_hosts_spread_over_the_subnets_and_alarm_on_cpu_and_status_checks(alone):
    group = alone.by_path("aws_autoscaling_group", "web/hosts")
    assert group["vpc_zone_identifier"] == ["subnet-a", "subnet-b"]
    assert group["min_size"] == group["max_size"] == 2
    alarms = {a["metric_name"] for a in alone.resources("aws_cloudwatch_metric_alarm").values()}
    assert {"CPUUtilization", "StatusCheckFailed", "mem_used_percent"} <= alarms


def test_security_group_starts_closed_to_ingress(alone):
    assert not alone.resources("aws_vpc_security_group_ingress_rule")
    group = alone.by_path("aws_security_group", "web/security-group")
    assert "ingress" not in group
