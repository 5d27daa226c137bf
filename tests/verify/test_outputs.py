"""Reading the reference stack's outputs from cdktf's and terraform's JSON formats."""

from __future__ import annotations

import json

import pytest

from secure_web.verify.outputs import OUTPUT_NAMES, OutputsError, load_outputs

VALUES = {name: f"value-of-{name}" for name in OUTPUT_NAMES}


def write(tmp_path, document) -> str:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("document", [
    {"secure-web": VALUES},
    {name: {"value": value, "type": "string", "sensitive": False} for name, value in VALUES.items()},
], ids=["cdktf-outputs-file", "terraform-output-json"])
def test_both_formats_load(tmp_path, document):
    outputs = load_outputs(write(tmp_path, document))
    assert {name: getattr(outputs, name) for name in OUTPUT_NAMES} == VALUES


def test_a_stack_is_picked_from_several(tmp_path):
    path = write(tmp_path, {"other": {}, "secure-web": VALUES})
    with pytest.raises(OutputsError, match="pass --stack"):
        load_outputs(path)
    assert load_outputs(path, stack="secure-web").alb_arn == "value-of-alb_arn"


def test_missing_outputs_are_named(tmp_path):
    partial = {name: value for name, value in VALUES.items() if name not in ("alb_arn", "qps_low_alarm")}
    with pytest.raises(OutputsError, match=r"missing outputs \['alb_arn', 'qps_low_alarm'\]"):
        load_outputs(write(tmp_path, {"secure-web": partial}))


def test_load_balancer_dimension_is_the_arn_suffix(tmp_path):
    arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/sweb-alb/50dc6c495c0c9188"
    outputs = load_outputs(write(tmp_path, {"secure-web": {**VALUES, "alb_arn": arn}}))
    assert outputs.load_balancer_dimension == "app/sweb-alb/50dc6c495c0c9188"
