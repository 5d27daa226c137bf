"""main.py reads its settings from the environment, then cdktf context; state goes to S3 when asked."""

from __future__ import annotations

import os

import cdktf
import pytest

import main
from secure_web.aws import IMPORT_MODE_VARIABLE
from secure_web.terraform_check import TERRAFORM_VARIABLE
from secure_web import NetworkRef, SecureWebTier, SecureWebTierProps
from secure_web.aws import resource_module
from tests.conftest import synth_stack


@pytest.fixture(autouse=True)
def no_settings_from_the_caller(monkeypatch):
    """Each test sets the SECURE_WEB_* variables it reads; whatever the shell running pytest set is removed."""
    for variable in list(os.environ):
        if variable.upper().startswith("SECURE_WEB_"):
            monkeypatch.delenv(variable)
    monkeypatch.delenv("CDKTF_CONTEXT_JSON", raising=False)


def settings_problems(tmp_path, **environment: str) -> list[str]:
    """The lines of the SettingsError that read_settings raises for ``environment``."""
    with pytest.MonkeyPatch.context() as patch:
        for variable, value in environment.items():
            patch.setenv(variable, value)
        with pytest.raises(main.SettingsError) as raised:
            main.read_settings(cdktf.App(outdir=str(tmp_path)))
    return str(raised.value).splitlines()


@pytest.mark.parametrize("variable, value, rule", [
    ("SECURE_WEB_STACK_NAME", "my stack", "must be 1-64 letters, digits, '-' and '_', starting with a letter"),
    ("SECURE_WEB_STACK_NAME", "s" * 65, "must be 1-64 letters, digits, '-' and '_', starting with a letter"),
    ("SECURE_WEB_REGION", "", "must be an AWS region like eu-west-1"),
    ("SECURE_WEB_REGION", "EU-WEST-1", "must be an AWS region like eu-west-1"),
    ("SECURE_WEB_REGION", "us-gov-west-1a", "must be a region like eu-west-1, not an availability zone "
                                            "(this one is in us-gov-west-1)"),
    ("SECURE_WEB_STATE_BUCKET", "arn:aws:s3:::team-state", "must be the bucket name alone"),
    ("SECURE_WEB_STATE_BUCKET", "Team-State", "must be an S3 bucket name"),
    ("SECURE_WEB_STATE_BUCKET", "ab", "must be an S3 bucket name"),
    ("SECURE_WEB_STATE_BUCKET", "team..state", "must be an S3 bucket name"),
    ("SECURE_WEB_STATE_BUCKET", "192.168.1.1", "must be an S3 bucket name"),
    ("SECURE_WEB_STATE_BUCKET", "xn--state", "must be an S3 bucket name"),
    ("SECURE_WEB_STATE_BUCKET", "state-s3alias", "must be an S3 bucket name"),
    ("SECURE_WEB_STATE_KEY", "/secure-web/terraform.tfstate", "must be an S3 object key"),
    ("SECURE_WEB_STATE_KEY", "secure-web//terraform.tfstate", "must be an S3 object key"),
    ("SECURE_WEB_STATE_KEY", "", "must be an S3 object key"),
])
def test_values_aws_or_terraform_refuse_name_the_setting_rule_and_value(tmp_path, variable, value, rule):
    [line] = settings_problems(tmp_path, **{variable: value})

    assert line.startswith(f"{variable} {rule}")
    assert line.endswith(f"; got {value!r}")


@pytest.mark.parametrize("variable, value", [
    ("SECURE_WEB_STACK_NAME", "shop_prod-2"), ("SECURE_WEB_REGION", "us-gov-west-1"),
    ("SECURE_WEB_REGION", "ap-southeast-5"), ("SECURE_WEB_REGION", "eusc-de-east-1"),
    ("SECURE_WEB_STATE_BUCKET", "team.state-1"), ("SECURE_WEB_STATE_BUCKET", ""),
    ("SECURE_WEB_STATE_KEY", "envs/prod/terraform.tfstate"),
])
def test_values_aws_accepts_are_read(tmp_path, monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)

    settings = main.read_settings(cdktf.App(outdir=str(tmp_path)))

    assert getattr(settings, variable.removeprefix("SECURE_WEB_").lower()) == value


@pytest.mark.parametrize("variable, closest", [
    ("SECURE_WEB_REGOIN", "SECURE_WEB_REGION"),
    ("SECURE_WEB_STATEBUCKET", "SECURE_WEB_STATE_BUCKET"),
    ("SECURE_WEB_APP_INSTANCES", "SECURE_WEB_APP_INSTANCE_COUNT"),
    ("SECURE_WEB_DB_CLASS", "SECURE_WEB_DB_INSTANCE_CLASS"),
])
def test_an_unknown_variable_is_an_error_naming_the_closest_setting(tmp_path, variable, closest):
    assert settings_problems(tmp_path, **{variable: "x"}) == [
        f"{variable} is not a setting of the reference stack; did you mean {closest}?"]


def test_variables_of_other_secure_web_tools_are_not_settings_errors(tmp_path, monkeypatch):
    for variable in main.OTHER_VARIABLES:
        monkeypatch.setenv(variable, "x")

    assert main.read_settings(cdktf.App(outdir=str(tmp_path))) == main.ReferenceSettings()
    assert {TERRAFORM_VARIABLE, IMPORT_MODE_VARIABLE} <= main.OTHER_VARIABLES


def test_every_settings_problem_is_reported_at_once(tmp_path):
    lines = settings_problems(tmp_path, SECURE_WEB_REGION="eu-west-1a", SECURE_WEB_WEB_INSTANCE_COUNT="three",
                              SECURE_WEB_STATE_BUCKET="s3://team-state", SECURE_WEB_INSTANCE_COUNT="3")

    assert [line.split(" ", 1)[0] for line in lines] == [
        "SECURE_WEB_INSTANCE_COUNT", "SECURE_WEB_REGION", "SECURE_WEB_WEB_INSTANCE_COUNT", "SECURE_WEB_STATE_BUCKET"]


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
