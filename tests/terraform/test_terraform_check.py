"""Terraform itself reads what we synthesize: broken twins fail with its message, good stacks pass.

Runs the real ``terraform`` binary offline (every block becomes the built-in
``terraform_data``; see secure_web.terraform_check and docs/terraform.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secure_web.terraform_check import check_document, original_address, renamed, terraform_binary

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def terraform() -> str:
    return terraform_binary()


def check_fixture(name: str, terraform: str):
    path = FIXTURES / name
    return check_document(json.loads(path.read_text()), file=str(path), terraform=terraform)


@pytest.mark.parametrize(("fixture", "address", "attribute", "summary"), [
    ("unescaped_interpolation.tf.json", "aws_ssm_parameter.agent", "value",
     "Extra characters after interpolation expression"),
    ("template_directive.tf.json", "aws_sns_topic.alarms", "display_name", "Invalid template control keyword"),
    ("undeclared_reference.tf.json", "aws_s3_bucket_versioning.logs", "bucket", "Reference to undeclared resource"),
    ("for_each_without_key.tf.json", "aws_acm_certificate_validation.validation", "validation_record_fqdns[0]",
     "Missing resource instance key"),
])
def test_broken_twin_fails_with_terraforms_message(terraform, fixture, address, attribute, summary):
    checked = check_fixture(fixture, terraform)
    assert [(d.address, d.attribute, d.summary) for d in checked.errors] == [(address, attribute, summary)]


def test_messages_name_the_original_blocks(terraform):
    (undeclared,) = check_fixture("undeclared_reference.tf.json", terraform).errors
    assert '"aws_s3_bucket" "missing"' in undeclared.detail and "terraform_data" not in undeclared.detail
    (unkeyed,) = check_fixture("for_each_without_key.tf.json", terraform).errors
    assert "aws_route53_record.validation" in unkeyed.detail and "terraform_data" not in unkeyed.detail


def test_escaped_and_keyed_twin_passes(terraform):
    checked = check_fixture("escaped_literals.tf.json", terraform)
    assert checked.diagnostics == ()
    assert set(checked.addresses) >= {"aws_ssm_parameter.agent", "aws_sns_topic.alarms", "output.bucket",
                                      "aws_acm_certificate_validation.validation", "provider.aws"}


def test_provider_alias_that_is_not_configured_fails(terraform):
    document = json.loads((FIXTURES / "escaped_literals.tf.json").read_text())
    document["resource"]["aws_s3_bucket"]["logs"]["provider"] = "aws.us-east-1"
    checked = check_document(document, file="aliased", terraform=terraform)
    assert [(d.address, d.attribute) for d in checked.errors] == [("aws_s3_bucket.logs", "provider")]
    document["provider"]["aws"].append({"alias": "us-east-1", "region": "us-east-1"})
    assert check_document(document, file="aliased", terraform=terraform).errors == ()


@pytest.mark.parametrize("address", ["aws_lb.web_alb_1234", "data.aws_ami.debian-12_ABCD", "module.vpc",
                                     "provider.aws.us-east-1"])
def test_stand_in_names_map_back(address):
    kind, *rest = address.split(".")
    name = renamed(kind if kind in ("data", "module", "provider") else "resource",
                   *(rest if kind in ("data", "module", "provider") else [kind, *rest]))
    assert original_address(name) == address
