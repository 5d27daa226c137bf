"""secure_web/verify/verifier-policy.json grants exactly the read-only actions the verifier calls."""

from __future__ import annotations

import json
from pathlib import Path

POLICY_PATH = Path(__file__).resolve().parents[2] / "constructs" / "secure_web" / "verify" / "verifier-policy.json"
IAM_PREFIX = {"elbv2": "elasticloadbalancing"}
"""boto3 service names whose IAM prefix differs; the others are the same (ec2, rds, cloudwatch, ...)."""
IAM_ACTION = {("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock"}
"""Operations whose IAM action is not named like the operation."""
READ_ONLY_VERBS = ("Describe", "Get", "List")


def iam_action(service: str, operation: str) -> str:
    return IAM_ACTION.get((service, operation), f"{IAM_PREFIX.get(service, service)}:{operation}")


def policy_actions() -> set[str]:
    document = json.loads(POLICY_PATH.read_text(encoding="utf-8"))
    return {action for statement in document["Statement"] if statement["Effect"] == "Allow"
            for action in statement["Action"]}


def test_every_call_of_a_verifier_run_is_allowed_and_every_allowed_action_is_called(deploy):
    # GIVEN a compliant deployment, verified with every boto3 call recorded
    deployment = deploy()
    deployment.verify()
    called = {iam_action(service, operation) for service, operation in deployment.recorder.calls}
    # THEN the policy allows each of them, and nothing else
    assert called <= policy_actions(), sorted(called - policy_actions())
    assert policy_actions() == called, sorted(policy_actions() - called)


def test_policy_has_no_write_action_and_no_wildcard():
    for action in policy_actions():
        _, verb = action.split(":")
        assert verb.startswith(READ_ONLY_VERBS) and "*" not in action, action


def test_policy_is_one_allow_statement_without_conditions():
    document = json.loads(POLICY_PATH.read_text(encoding="utf-8"))
    assert document["Version"] == "2012-10-17"
    assert [statement["Effect"] for statement in document["Statement"]] == ["Allow"]
    assert document["Statement"][0]["Action"] == sorted(policy_actions())
