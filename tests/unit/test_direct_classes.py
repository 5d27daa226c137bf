"""Resources created by jsii type name (secure_web.aws.DirectModule) synthesize as the typed bindings do.

Both kinds of class live in one process here: the typed ones come from the provider's
submodules, the direct ones from ``DirectModule``. The same stack is built with each, into
its own app, and the two ``cdk.tf.json`` files must be equal. A broken twin (the
configuration's keys left in snake_case) shows the comparison can fail.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Callable

import cdktf
import jsii._reference_map
import pytest

from secure_web import aws

Modules = Callable[[str], object]


def typed(name: str) -> object:
    return importlib.import_module(f"cdktf_cdktf_provider_aws.{name}")


def direct(name: str) -> object:
    return aws.DirectModule(name)


def build_and_synth(modules: Modules, outdir: Path) -> dict:
    """A stack touching each kind of argument the constructs pass: scalars, a struct given as a dict,
    blocks (lists of camelCase maps), free-form tags, lifecycle, depends_on, a data source, the
    provider, a complex attribute (a list of structs) and an attribute written after creation."""
    app = cdktf.App(outdir=str(outdir))
    stack = cdktf.TerraformStack(app, "direct-check")
    modules("provider").AwsProvider(stack, "aws", region="eu-west-1", default_tags=[{"tags": {"team_name": "web"}}])
    zones = modules("data_aws_availability_zones").DataAwsAvailabilityZones(stack, "zones", state="available")
    bucket = modules("s3_bucket").S3Bucket(stack, "logs", bucket_prefix="logs-",
                                           tags={"cost_centre": "a_b", "Name": "logs"},
                                           lifecycle={"create_before_destroy": True, "ignore_changes": ["tags"]})
    bucket.force_destroy = False
    modules("lb_target_group").LbTargetGroup(
        stack, "targets", name_prefix="web-", port=443, protocol="HTTPS", vpc_id=zones.id,
        health_check={"enabled": True, "healthy_threshold": 2, "path": "/healthz", "matcher": "200"},
        stickiness={"type": "lb_cookie", "cookie_duration": 60, "enabled": False},
    )
    certificate = modules("acm_certificate").AcmCertificate(stack, "certificate", domain_name="www.example.com",
                                                            validation_method="DNS", depends_on=[bucket])
    modules("ssm_parameter").SsmParameter(stack, "zone-names", name="/check/zones", type="String",
                                          value=cdktf.Fn.join(",", zones.names))
    modules("ssm_parameter").SsmParameter(
        stack, "options", name="/check/options", type="String",
        value=cdktf.Token.as_string(cdktf.Fn.tolist(certificate.domain_validation_options)))
    modules("cloudwatch_metric_alarm").CloudwatchMetricAlarm(
        stack, "alarm", alarm_name="check", comparison_operator="GreaterThanThreshold", evaluation_periods=1,
        threshold=1, metric_query=aws.blocks([{
            "id": "requests", "return_data": True,
            "metric": {"metric_name": "RequestCount", "namespace": "AWS/ApplicationELB", "period": 60,
                       "stat": "Sum", "dimensions": {"LoadBalancer_Name": bucket.arn}},
        }]),
    )
    app.synth()
    return json.loads((outdir / "stacks" / "direct-check" / "cdk.tf.json").read_text())


def test_direct_classes_synthesize_what_the_typed_classes_synthesize(tmp_path: Path) -> None:
    expected = build_and_synth(typed, tmp_path / "typed")
    actual = build_and_synth(direct, tmp_path / "direct")
    assert actual == expected
    # and the checked stack really carries each kind of argument
    resources = actual["resource"]
    assert resources["aws_s3_bucket"]["logs"]["tags"] == {"cost_centre": "a_b", "Name": "logs"}
    assert resources["aws_s3_bucket"]["logs"]["force_destroy"] is False
    assert resources["aws_lb_target_group"]["targets"]["health_check"]["healthy_threshold"] == 2
    assert resources["aws_acm_certificate"]["certificate"]["depends_on"] == ["aws_s3_bucket.logs"]


def test_a_conversion_that_keeps_nested_snake_case_keys_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Broken twin: only the top-level keys are camelCased, a struct given as a dict keeps its
    # snake_case keys. The kernel refuses a missing required property, but optional ones are
    # dropped without a word: only the comparison sees it.
    def top_level_only(value: object) -> object:
        return {aws._camel(key): item for key, item in value.items()} if isinstance(value, dict) else value

    monkeypatch.setattr(aws, "_configuration", top_level_only)
    expected = build_and_synth(typed, tmp_path / "typed")
    actual = build_and_synth(direct, tmp_path / "direct")
    assert actual != expected
    assert "healthy_threshold" not in actual["resource"]["aws_lb_target_group"]["targets"]["health_check"]


def test_a_direct_class_does_not_claim_its_jsii_type_for_the_process() -> None:
    # Objects node hands back to the app keep the provider's typed class.
    element = aws.DirectModule("sns_topic").SnsTopic
    typed_class = typed("sns_topic").SnsTopic
    assert element.__jsii_type__ == typed_class.__jsii_type__ == "@cdktf/provider-aws.snsTopic.SnsTopic"
    assert jsii._reference_map._refs._types[element.__jsii_type__] is typed_class


def test_names_other_than_the_element_class_come_from_the_typed_module() -> None:
    listener = aws.DirectModule("lb_listener")
    assert listener.LbListenerDefaultAction is typed("lb_listener").LbListenerDefaultAction
    assert issubclass(listener.LbListener, cdktf.TerraformResource)
    assert issubclass(aws.DirectModule("data_aws_ami").DataAwsAmi, cdktf.TerraformDataSource)
    assert issubclass(aws.DirectModule("provider").AwsProvider, cdktf.TerraformProvider)
