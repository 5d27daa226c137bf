"""The synthesized reference stack passes every CKV_SWEB policy and every built-in check after reasoned skips."""

from __future__ import annotations

import pytest

from secure_web.compliance.scan import FAILED, PASSED, SKIPPED
from test_policy_fixtures import POLICIES


def test_reference_stack_has_resources(reference_scan):
    assert all(count > 0 for file, count in reference_scan.resource_counts.items() if file != "stale")


@pytest.mark.parametrize("check_id", sorted(POLICIES))
def test_reference_stack_passes_policy(reference_scan, check_id):
    results = [r for r in reference_scan.results if r.check_id == check_id]
    assert results, f"{check_id} judged nothing in the reference stack"
    assert {r.status for r in results} == {PASSED}, [r.address for r in results if r.status != PASSED]


def test_reference_stack_has_no_builtin_failures_after_skips(reference_scan):
    assert [(r.check_id, r.address) for r in reference_scan.by_status(FAILED)] == []


def test_every_skip_matches_a_failure(reference_scan):
    assert reference_scan.resource_counts["stale"] == 0


def test_skips_apply_only_to_builtin_checks(reference_scan):
    assert not [r for r in reference_scan.by_status(SKIPPED) if r.custom]
