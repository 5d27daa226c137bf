"""Every stack we synthesize passes Terraform's offline check, and literal text reaches AWS as written."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import cdktf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secure_web import (AlbIngressRule, InvalidPropsError, Network, NetworkProps, SecureWebTier,
                        SecureWebTierProps)
from secure_web.agent_config import agent_config, agent_config_json
from secure_web.aws import resource_module
from secure_web.literals import escape_text, terraform_literal
from secure_web.monitored_host import log_group_names
from secure_web.terraform_check import check_document, render_strings, terraform_binary


REPO = Path(__file__).resolve().parents[2]


def synth_stack(app: cdktf.App, name: str) -> dict:
    app.synth()
    return json.loads((Path(app.outdir) / "stacks" / name / "cdk.tf.json").read_text())


def resources(document: dict, resource_type: str) -> dict[str, dict]:
    return document.get("resource", {}).get(resource_type, {})


@pytest.fixture(scope="session")
def terraform() -> str:
    return terraform_binary()


def errors_of(document: dict, terraform: str) -> list[str]:
    return [str(d) for d in check_document(document, file="stack", terraform=terraform).errors]


def scaled_app_module():
    spec = importlib.util.spec_from_file_location("scaled_app", REPO / "benchmarks" / "scaled_app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("scaled_app", module)
    spec.loader.exec_module(module)
    return module


def test_reference_stack_passes(reference_stack, terraform):
    assert errors_of(reference_stack.document, terraform) == []


@pytest.mark.parametrize(("hosts", "tiers"), [(3, 0), (0, 2)])
def test_scaled_stacks_pass(tmp_path, terraform, hosts, tiers):
    app = scaled_app_module().build_app(hosts=hosts, tiers=tiers, outdir=str(tmp_path))
    stack = synth_stack(app, "scaled")
    assert len(resources(stack, "aws_autoscaling_group")) == hosts + 2 * tiers
    assert errors_of(stack, terraform) == []


def test_agent_configuration_reaches_the_agent_as_written(reference_stack, terraform):
    # GIVEN the agent-configuration parameters as synthesized (Terraform templates)
    parameters = {body["name"]: body["value"] for body in reference_stack.resources("aws_ssm_parameter").values()
                  if body["name"].startswith("AmazonCloudWatch-")}
    assert sorted(parameters) == ["AmazonCloudWatch-sweb-app", "AmazonCloudWatch-sweb-web"]
    # WHEN Terraform evaluates them, as it does before handing them to the provider
    rendered = render_strings(parameters, terraform=terraform)
    for name, text in rendered.items():
        tier = name.removeprefix("AmazonCloudWatch-")
        # THEN the agent receives exactly the configuration we built, placeholders intact
        assert text == agent_config_json(log_groups=log_group_names(tier))
        assert json.loads(text) == agent_config(log_groups=log_group_names(tier))
        assert '"InstanceId":"${aws:InstanceId}"' in text and "$${" not in text


TEMPLATE_ALPHABET = st.text(alphabet="${}%ab:\"\\ ", max_size=12)


@settings(max_examples=4)
@given(st.lists(TEMPLATE_ALPHABET, min_size=40, max_size=40))
def test_any_text_survives_terraform_unchanged(terraform, texts):
    rendered = render_strings({str(i): escape_text(text) for i, text in enumerate(texts)}, terraform=terraform)
    assert [rendered[str(i)] for i in range(len(texts))] == texts


def test_literal_dollar_before_a_reference_stays_a_dollar(tmp_path, terraform):
    # GIVEN literal text around a cdktf token, with '$' right before it
    app = cdktf.App(outdir=str(tmp_path))
    stack = cdktf.TerraformStack(app, "tokens")
    resource_module("provider").AwsProvider(stack, "aws", region="eu-west-1")
    source = resource_module("ssm_parameter").SsmParameter(stack, "source", name="price", type="String", value="1")
    resource_module("ssm_parameter").SsmParameter(stack, "quoted", name="quoted", type="String",
                                                  value="US$" + source.value + " ${not.a.reference} %{ x }")
    synthesized = synth_stack(app, "tokens")
    assert errors_of(synthesized, terraform) == []
    (value,) = [body["value"] for body in resources(synthesized, "aws_ssm_parameter").values()
                if body["name"] == "quoted"]
    # WHEN the reference is given a value and Terraform evaluates the template
    (reference,) = re.findall(r"\$\{aws_ssm_parameter\.[^}]+\}", value)
    rendered = render_strings({"v": value.replace(reference, "${\"42\"}")}, terraform=terraform)
    # THEN the literal parts come out as written and the token as its value
    assert rendered["v"] == "US$42 ${not.a.reference} %{ x }"


def test_terraform_literal_keeps_tokens_and_structure():
    token = "${TfToken[TOKEN.7]}"
    assert terraform_literal({"k${x}": [f"a{token}", ("%{b}",), 3, None]}) == {"k$${x}": [f"a{token}", ("%%{b}",), 3, None]}


def tier_props(network, **overrides) -> SecureWebTierProps:
    return SecureWebTierProps(network=network.ref, name="shop", domain_name="shop.example.org",
                              hosted_zone_id="Z0123456789ABCDEFGHIJ", **overrides)


def test_free_text_a_user_gives_is_escaped_and_reaches_aws_as_typed(tmp_path, terraform):
    # GIVEN a description holding '${' (AWS allows '$', '{' and '}' there)
    app = cdktf.App(outdir=str(tmp_path))
    stack = cdktf.TerraformStack(app, "consumer")
    resource_module("provider").AwsProvider(stack, "aws", region="eu-west-1")
    network = Network(stack, "net", NetworkProps())
    description = "partner ${feed} over HTTPS"
    SecureWebTier(stack, "front", tier_props(network, extra_alb_ingress=(
        AlbIngressRule(port=443, cidr="203.0.113.0/24", description=description),)))
    synthesized = synth_stack(app, "consumer")
    # THEN Terraform accepts the stack, and the description evaluates to the text typed
    assert errors_of(synthesized, terraform) == []
    rules = [body["description"] for body in resources(synthesized, "aws_vpc_security_group_ingress_rule").values()
             if "feed" in body["description"]]
    assert rules == ["partner $${feed} over HTTPS"]
    assert render_strings({"d": rules[0]}, terraform=terraform)["d"] == description


def test_construct_id_that_would_reach_a_name_tag_with_a_template_is_rejected(tmp_path):
    stack = cdktf.TerraformStack(cdktf.App(outdir=str(tmp_path)), "consumer")
    with pytest.raises(InvalidPropsError) as raised:
        Network(stack, "net${env}", NetworkProps())
    assert "consumer/net${env}: 'construct path'" in str(raised.value)
    assert stack.node.try_find_child("net${env}") is None


@pytest.mark.parametrize(("field", "overrides"), [
    ("tags", {"tags": {"team": "${var.team}"}}),
    ("extra_alb_ingress[0].description", {"extra_alb_ingress": (
        AlbIngressRule(port=443, cidr="203.0.113.0/24", description="100%{ of partners"),)}),
    ("name", {"name": "shop${x}"}),
])
def test_text_aws_would_refuse_is_rejected_naming_the_field(tmp_path, field, overrides):
    app = cdktf.App(outdir=str(tmp_path))
    stack = cdktf.TerraformStack(app, "consumer")
    network = Network(stack, "net", NetworkProps())
    props = {"network": network.ref, "name": "shop", "domain_name": "shop.example.org",
             "hosted_zone_id": "Z0123456789ABCDEFGHIJ", **overrides}
    with pytest.raises(InvalidPropsError) as raised:
        SecureWebTier(stack, "front", SecureWebTierProps(**props))
    assert f"'{field}" in str(raised.value)
