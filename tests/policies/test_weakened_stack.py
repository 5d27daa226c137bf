"""A reference stack weakened like the classic design fails exactly the policies guarding those weaknesses."""

from __future__ import annotations

from secure_web.compliance.scan import FAILED

EXPECTED_FAILURES = {
    # HTTP target group and health check: flaw 1 comes back.
    ("CKV_SWEB_003", "aws_lb_target_group.web_web-targets_830F07B0"),
    # SSH open to the world on the web hosts.
    ("CKV_SWEB_004", "aws_vpc_security_group_ingress_rule.weakened_world_ssh"),
    ("CKV_SWEB_005", "aws_vpc_security_group_ingress_rule.weakened_world_ssh"),
    # One Aurora instance: flaw 2 comes back.
    ("CKV_SWEB_007", "aws_rds_cluster.database_cluster_FAF2FB92"),
    # No QPS alarm.
    ("CKV_SWEB_012", "aws_lb.web_alb_AC53D2B8"),
}


def test_weakened_stack_fails_exactly_the_guarding_policies(weakened_scan):
    assert {(r.check_id, r.address) for r in weakened_scan.by_status(FAILED)} == EXPECTED_FAILURES
