"""main.py reads its settings from the environment, then cdktf context; state goes to S3 when asked."""

from __future__ import annotations

import pytest

import main
from secure_web import NetworkRef, SecureWebTier, SecureWebTierProps
from secure_web.aws import resource_module
from tests.conftest import synth_stack


def test_local_state_is_the_default(reference_stack):
    assert "backend" not in reference_stack.document.get("terraform", {}) or \
        "s3" not in reference_stack.document["terraform"]["backend"]


def test_state_bucket_switches_to_s3_with_native_locking(tmp_path, monkeypatch):
    monkeypatch.setenv("SECURE_WEB_STATE_BUCKET", "team-state")
    monkeypatch.setenv("SECURE_WEB_REGION", "us-west-2")
    stack = synth_stack(main.build_app(outdir=str(tmp_path)), "secure-web")
    backend = stack.document["terraform"]["backend"]["s3"]
    assert backend == {"bucket": "team-state", "key": "secure-web/terraform.tfstate", "region": "us-west-2",
                       "encrypt": True, "use_lockfile": True}
    assert stack.document["provider"]["aws"][0]["region"] == "us-west-2"


def test_environment_wins_over_context_which_wins_over_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("SECURE_WEB_WEB_INSTANCE_COUNT", "4")
    app = main.build_app(outdir=str(tmp_path), context={"web_instance_count": "6", "app_instance_count": "3",
                                                        "domain_name": "shop.example.org"})
    stack = synth_stack(app, "secure-web")
    assert stack.by_path("aws_autoscaling_group", "web/web-hosts/hosts")["desired_capacity"] == 4
    assert stack.by_path("aws_autoscaling_group", "web/app-hosts/hosts")["desired_capacity"] == 3
    assert stack.by_path("aws_acm_certificate", "web/certificate/certificate")["domain_name"] == "shop.example.org"


def test_tier_accepts_an_existing_vpc_and_subnets(tmp_path):
    import cdktf

    app = cdktf.App(outdir=str(tmp_path))
    stack = cdktf.TerraformStack(app, "existing")
    resource_module("provider").AwsProvider(stack, "aws", region="eu-west-1")
    existing = NetworkRef(
        vpc_id="vpc-0abc", vpc_cidr="172.20.0.0/16",
        public_subnet_ids=("subnet-p1", "subnet-p2"), private_subnet_ids=("subnet-h1", "subnet-h2"),
        isolated_subnet_ids=("subnet-d1", "subnet-d2", "subnet-d3"),
    )
    SecureWebTier(stack, "web", SecureWebTierProps(network=existing, domain_name="a.example.org",
                                                   hosted_zone_id="Z0123456789ABCDEFGHIJ"))
    synthesized = synth_stack(app, "existing")
    assert not synthesized.resources("aws_vpc") and not synthesized.resources("aws_subnet")
    assert synthesized.by_path("aws_lb", "web/alb")["subnets"] == ["subnet-p1", "subnet-p2"]
    assert synthesized.by_path("aws_autoscaling_group", "web/web-hosts/hosts")["vpc_zone_identifier"] == [
        "subnet-h1", "subnet-h2"]
    assert synthesized.by_path("aws_security_group", "web/alb-security-group")["vpc_id"] == "vpc-0abc"
