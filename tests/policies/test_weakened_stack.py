"""Each CKV_SWEB policy has a broken twin: the reference stack weakened for that policy fails it, and only it.

Every weakened stack (one per policy in ``weakenings.WEAKENINGS``), the unweakened reference
and a stack with several weaknesses at once are scanned in the same checkov run
(``weakened_stacks_scan``), so the control and its twins are judged by the same checks.
"""

from __future__ import annotations

import json

import pytest

from secure_web.compliance.scan import FAILED, PASSED
from weakenings import COMBINED, UNWEAKENED, WEAKENINGS, dangling_references, made_by, policy_ids

POLICY_IDS = sorted(policy_ids())

COMBINED_FAILURES = (
    # HTTP target group and health check: flaw 1 comes back.
    ("CKV_SWEB_003", "SecureWebTier", "web-targets"),
    # One Aurora instance: flaw 2 comes back.
    ("CKV_SWEB_007", "ReplicatedMySQL", "cluster"),
    # The QPS alarms count requests per minute: no alarm on queries per second.
    ("CKV_SWEB_012", "SecureWebTier", "alb"),
)
"""(policy, construct, path inside it) of each resource the combined weakening makes fail; plus the world SSH rule."""
WORLD_SSH = "aws_vpc_security_group_ingress_rule.weakened_world_ssh"


def results(scan, stack: str, check_id: str | None = None, status: str | None = None):
    return [r for r in scan.results if r.stack == stack and (check_id is None or r.check_id == check_id)
            and (status is None or r.status == status)]


def test_every_policy_has_exactly_one_weakening():
    assert len(POLICY_IDS) >= 15, POLICY_IDS
    assert sorted(WEAKENINGS) == POLICY_IDS


@pytest.mark.parametrize("check_id", POLICY_IDS)
def test_reference_stack_passes_policy_in_the_same_run(weakened_stacks_scan, check_id):
    judged = results(weakened_stacks_scan, UNWEAKENED, check_id)
    assert judged, f"{check_id} judged nothing in the reference stack"
    assert {r.status for r in judged} == {PASSED}, [r.address for r in judged if r.status != PASSED]


def test_reference_stack_fails_no_policy(weakened_stacks_scan):
    assert results(weakened_stacks_scan, UNWEAKENED, status=FAILED) == []


@pytest.mark.parametrize("check_id", POLICY_IDS)
def test_weakened_stack_fails_exactly_its_policy(weakened_stacks_scan, check_id):
    assert check_id in WEAKENINGS, f"{check_id} has no weakening in tests/policies/weakenings.py"
    failed = {r.check_id for r in results(weakened_stacks_scan, check_id, status=FAILED)}
    assert failed == {check_id}, f"{WEAKENINGS[check_id].__name__}: {WEAKENINGS[check_id].__doc__}"


@pytest.mark.parametrize("stack", [UNWEAKENED, COMBINED, *sorted(WEAKENINGS)])
def test_weakened_stack_refers_only_to_resources_it_holds(weakened_stacks, stack):
    assert dangling_references(json.loads(weakened_stacks[stack].read_text())) == set()


def test_dangling_references_finds_a_deleted_resource_still_referred_to(reference_stack):
    document = json.loads(reference_stack.read_text())
    alarms = document["resource"]["aws_cloudwatch_metric_alarm"]
    deleted = {f"aws_cloudwatch_metric_alarm.{name}" for path in ("qps-high-alarm", "qps-low-alarm")
               for _, name, _ in made_by(document, "SecureWebTier", path)}
    for address in deleted:
        del alarms[address.split(".", 1)[1]]
    assert dangling_references(document) == deleted


def test_combined_weakened_stack_fails_exactly_the_guarding_policies(weakened_stack, weakened_scan):
    document = json.loads(weakened_stack.read_text())
    expected = {(check_id, f"{kind}.{name}") for check_id, construct, path in COMBINED_FAILURES
                for kind, name, _ in made_by(document, construct, path)}
    # SSH open to the world on the load-balanced hosts.
    expected |= {("CKV_SWEB_004", WORLD_SSH), ("CKV_SWEB_005", WORLD_SSH)}
    assert {(r.check_id, r.address) for r in weakened_scan.by_status(FAILED)} == expected
