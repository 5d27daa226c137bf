"""The verifier against deployments in moto: a compliant one passes, each broken one fails one way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from moto_deployment import Breakage
from secure_web.verify import CHECKS, VerifySettings


def failures(results) -> dict[str, list[str]]:
    return {result.check.check_id: [str(finding) for finding in result.findings]
            for result in results if not result.passed}


def test_compliant_deployment_passes_every_check(deployed):
    # GIVEN the synthesized reference stack applied to moto
    deployment = deployed()
    # WHEN the verifier runs every check
    results = deployment.verify()
    # THEN none fails, and every check ran
    assert failures(results) == {}
    assert [result.check.check_id for result in results] == [check.check_id for check in CHECKS]


@dataclass(frozen=True)
class Variant:
    breakage: Breakage
    failing: frozenset[str]
    message: str
    """Part of a finding; ``{output}`` fields are filled from the deployment's outputs."""
    settings: VerifySettings | None = None


VARIANTS = [
    Variant(Breakage.HTTP_TARGET_GROUP, frozenset({"VFY_SWEB_006"}), "expected Protocol HTTPS; found HTTP"),
    Variant(Breakage.SSH_FROM_WORLD, frozenset({"VFY_SWEB_008", "VFY_SWEB_009"}),
            "expected no ingress on port 22; found tcp 22-22 from 0.0.0.0/0"),
    Variant(Breakage.SINGLE_AZ_DATABASE, frozenset({"VFY_SWEB_019"}), "expected MultiAZ true; found MultiAZ False"),
    Variant(Breakage.NO_QPS_LOW_ALARM, frozenset({"VFY_SWEB_018"}),
            "alarm '{qps_low_alarm}': expected a CloudWatch metric alarm; found no such alarm"),
    Variant(Breakage.IMDSV1_HOST, frozenset({"VFY_SWEB_011"}), "expected MetadataOptions.HttpTokens required; found optional"),
    Variant(Breakage.NO_WAF, frozenset({"VFY_SWEB_005"}),
            "load balancer {alb_arn}: expected an associated WAF web ACL; found no web ACL"),
    Variant(Breakage.WAF_WITHOUT_RULES, frozenset({"VFY_SWEB_005"}),
            "expected rules of AWS managed rule groups, AWS/AWSManagedRulesCommonRuleSet among them; found no rules"),
    Variant(Breakage.WAF_RULE_COUNTS, frozenset({"VFY_SWEB_005"}),
            "rule 'AWSManagedRulesCommonRuleSet': expected OverrideAction None (the group's own block actions "
            "apply); found Count"),
    Variant(Breakage.OLD_TLS_POLICY, frozenset({"VFY_SWEB_002"}), "found ELBSecurityPolicy-2016-08"),
    Variant(Breakage.HTTP_FORWARDED, frozenset({"VFY_SWEB_003"}), "expected a single redirect action"),
    Variant(Breakage.PUBLIC_LOG_BUCKET, frozenset({"VFY_SWEB_026"}), "expected public access block"),
    Variant(Breakage.SHORT_BACKUPS, frozenset({"VFY_SWEB_023"}), "expected BackupRetentionPeriod >= 7; found 1"),
    Variant(Breakage.STALE_ALARM, frozenset({"VFY_SWEB_018"}), "expected INSUFFICIENT_DATA for at most 0:00:00",
            VerifySettings(insufficient_data_grace=timedelta(0))),
    Variant(Breakage.SILENT_HOST, frozenset({"VFY_SWEB_015", "VFY_SWEB_017"}),
            "expected SecureWeb/Host/mem_used_percent datapoints in the last 0:10:00; found none"),
    Variant(Breakage.APP_HTTP_TARGET_GROUP, frozenset({"VFY_SWEB_029"}),
            "target group {app_target_group_arn}: expected Protocol HTTPS; found HTTP"),
    Variant(Breakage.INTERNET_FACING_APP_ALB, frozenset({"VFY_SWEB_027"}),
            "internal load balancer {app_load_balancer_arn}: expected Scheme internal; found internet-facing"),
    Variant(Breakage.APP_HTTP_LISTENER, frozenset({"VFY_SWEB_028"}),
            "expected exactly one listener, on 8443; found listeners on [(80, 'HTTP'), (8443, 'HTTPS')]"),
    Variant(Breakage.WEB_TO_APP_DIRECT, frozenset({"VFY_SWEB_008"}),
            "app security group {app_security_group_id}: expected ingress exactly "
            "[tcp 8443-8443 from {app_alb_security_group_id}]; found ["),
    Variant(Breakage.WIDE_APP_ROLE_POLICY, frozenset({"VFY_SWEB_013"}), "'Resource': ['*']"),
    Variant(Breakage.HOST_ROLE_AGENT_GUIDE_POLICY, frozenset({"VFY_SWEB_013"}),
            "expected no managed policy (the host agent policy replaces them); found ['CloudWatchAgentServerPolicy']"),
    Variant(Breakage.HOST_POLICY_MAY_SHORTEN_RETENTION, frozenset({"VFY_SWEB_013"}),
            "found ['logs:putretentionpolicy changes or deletes log evidence']"),
    Variant(Breakage.PASSWORD_IN_DATABASE_CONFIG, frozenset({"VFY_SWEB_030"}),
            "SSM parameter {database_config_parameter_name}: expected no password-like key (the password stays in "
            "Secrets Manager); found keys ['password']"),
    Variant(Breakage.NO_CONNECTION_LOGS, frozenset({"VFY_SWEB_004"}),
            "load balancer {alb_arn}: expected attribute connection_logs.s3.enabled=true; found false"),
    Variant(Breakage.APP_LISTENER_HSTS_HOST_ONLY, frozenset({"VFY_SWEB_031"}),
            "expected routing.http.response.strict_transport_security.header_value with max-age >= 31536000 and "
            "includeSubDomains; found max-age=63072000"),
    Variant(Breakage.DATABASE_ACL_ADMITS_WORLD, frozenset({"VFY_SWEB_032"}),
            "ingress rule 90: expected allow rules for TCP within 10.0.0.0/16 only; found protocol 6 0.0.0.0/0"),
    Variant(Breakage.DEFAULT_ACL_ALLOWS_ALL, frozenset({"VFY_SWEB_032"}),
            "expected no allow rule; found ['ingress rule 100 protocol -1 0.0.0.0/0']"),
]


@pytest.mark.parametrize("variant", VARIANTS, ids=[variant.breakage.name.lower() for variant in VARIANTS])
def test_broken_deployment_fails_with_the_expected_message(deployed, variant: Variant):
    # GIVEN a deployment with exactly one thing wrong
    deployment = deployed(variant.breakage)
    # WHEN the verifier runs
    found = failures(deployment.verify(variant.settings))
    # THEN exactly the checks covering that thing fail, saying what was expected and found
    assert set(found) == variant.failing, found
    expected = variant.message.format(**deployment.raw_outputs)
    assert any(expected in message for messages in found.values() for message in messages), found


def test_host_offline_in_ssm_fails(deployed):
    deployment = deployed()
    found = failures(deployment.verify(ssm_online=False))
    assert set(found) == {"VFY_SWEB_014"}
    assert all(message.endswith("expected SSM PingStatus Online; found ConnectionLost")
               for message in found["VFY_SWEB_014"])
