"""Each CKV_SWEB policy against its fixture: resources named pass_* pass, fail_* fail, nothing else is judged."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from secure_web.compliance.scan import FAILED, PASSED

POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
POLICIES = {
    "CKV_SWEB_001": "HttpListenerRedirectsToHttps",
    "CKV_SWEB_002": "HttpsListenerUsesAllowedTlsPolicy",
    "CKV_SWEB_003": "TargetGroupUsesHttps",
    "CKV_SWEB_004": "WorldIngressOnlyToLoadBalancerWebPorts",
    "CKV_SWEB_005": "NoSshIngress",
    "CKV_SWEB_006": "MysqlIngressOnlyFromSecurityGroups",
    "CKV_SWEB_007": "DatabaseHasAutomaticFailover",
    "CKV_SWEB_008": "DatabaseRequiresTls",
    "CKV_SWEB_009": "DatabaseUsesManagedMasterPassword",
    "CKV_SWEB_010": "HostsAndDatabaseInSeparateTiers",
    "CKV_SWEB_011": "HostsRunCloudWatchAgent",
    "CKV_SWEB_012": "LoadBalancerQpsIsAlarmedToSns",
    "CKV_SWEB_013": "HostsRequireImdsv2",
    "CKV_SWEB_014": "HostsHaveNoPublicIp",
    "CKV_SWEB_015": "MetricAlarmNotifiesSns",
    "CKV_SWEB_016": "InternalLoadBalancerIsHttpsOnly",
    "CKV_SWEB_017": "AppHostsReachedOnlyThroughLoadBalancer",
    "CKV_SWEB_018": "WebAclRateLimitsClients",
    "CKV_SWEB_019": "WafLogsRedactCredentials",
    "CKV_SWEB_020": "DatabaseSlowQueryLogOn",
    "CKV_SWEB_021": "DatabaseMasterUserIsNotWellKnown",
    "CKV_SWEB_022": "CertificateNameHasCaaRecord",
    "CKV_SWEB_023": "LoadBalancerLogsConnections",
    "CKV_SWEB_024": "HttpsListenerSetsHsts",
    "CKV_SWEB_025": "VpcDefaultNetworkAclHasNoRules",
    "CKV_SWEB_026": "DatabaseSubnetsHaveRestrictiveNacl",
    "CKV_SWEB_027": "HostRoleIsLeastPrivilege",
    "CKV_SWEB_028": "KmsKeyPolicyScopesServices",
    "CKV_SWEB_029": "VpcReachesAwsApisPrivately",
}


def judged(fixture_scan, check_id: str, check_name: str, status: str) -> set[str]:
    """Addresses the check gave ``status`` in its own fixture file."""
    return {r.address for r in fixture_scan.results
            if r.check_id == check_id and r.stack == check_name and r.status == status}


def named(check_name: str, prefix: str) -> set[str]:
    """Addresses in the fixture whose name starts with ``prefix``."""
    document = json.loads((FIXTURES / f"{check_name}.tf.json").read_text())
    return {f"{kind}.{name}" for kind, by_name in document["resource"].items() for name in by_name
            if name.startswith(prefix)}


@pytest.mark.parametrize("check_id, check_name", sorted(POLICIES.items()))
def test_policy_passes_exactly_the_pass_resources(fixture_scan, check_id, check_name):
    assert judged(fixture_scan, check_id, check_name, PASSED) == named(check_name, "pass_")


@pytest.mark.parametrize("check_id, check_name", sorted(POLICIES.items()))
def test_policy_fails_exactly_the_fail_resources(fixture_scan, check_id, check_name):
    assert judged(fixture_scan, check_id, check_name, FAILED) == named(check_name, "fail_")


@pytest.mark.parametrize("check_id, check_name", sorted(POLICIES.items()))
def test_policy_file_is_named_after_its_check(check_id, check_name):
    source = (POLICIES_DIR / f"{check_name}.py").read_text()
    assert re.search(rf"class {check_name}\(BaseResourceCheck\)", source)
    assert f'id="{check_id}"' in source


def test_every_policy_file_is_registered_and_documented():
    files = {p.stem for p in POLICIES_DIR.glob("*.py")} - {"__init__", "tf_json"}
    assert files == set(POLICIES.values())
    registry = (POLICIES_DIR / "README.md").read_text()
    for check_id, check_name in POLICIES.items():
        assert re.search(rf"\| {check_id} \| `?{check_name}`? \|", registry), check_id


def test_tls_allowlist_mirrors_the_construct():
    from secure_web.contract import ALLOWED_SSL_POLICIES

    source = (POLICIES_DIR / "tf_json.py").read_text()
    mirrored = tuple(re.findall(r'^    "(ELBSecurityPolicy-[^"]+)",$', source, re.MULTILINE))
    assert mirrored == tuple(ALLOWED_SSL_POLICIES)


def test_endpoint_services_mirror_the_contract():
    from secure_web.contract import ENDPOINT_POLICY_SERVICES, INTERFACE_ENDPOINT_SERVICES

    source = (POLICIES_DIR / "VpcReachesAwsApisPrivately.py").read_text()
    (interface,) = re.findall(r"^INTERFACE_SERVICES = (\(.*\))$", source, re.MULTILINE)
    (with_policy,) = re.findall(r"^POLICY_SERVICES = frozenset\((\{.*\})\)$", source, re.MULTILINE)
    assert ast.literal_eval(interface) == INTERFACE_ENDPOINT_SERVICES
    assert ast.literal_eval(with_policy) == ENDPOINT_POLICY_SERVICES


def test_well_known_master_users_mirror_the_construct():
    from secure_web.replicated_mysql import WELL_KNOWN_MASTER_USERS

    source = (POLICIES_DIR / "DatabaseMasterUserIsNotWellKnown.py").read_text()
    (mirrored,) = re.findall(r"^WELL_KNOWN_MASTER_USERS = (\(.*\))$", source, re.MULTILINE)
    assert ast.literal_eval(mirrored) == WELL_KNOWN_MASTER_USERS


@pytest.mark.parametrize("value", ["max-age=63072000; includeSubDomains", "max-age=31536000;includesubdomains;preload",
                                   "max-age=63072000", "max-age=86400; includeSubDomains", "", None,
                                   "max-age=63072000; max-age=0; includeSubDomains", "includeSubDomains"])
def test_hsts_judgement_mirrors_the_verifier(value, monkeypatch):
    # The policy runs in a plain checkov without secure_web, so it keeps its own copy of the rule.
    from secure_web.verify.checks import hsts_is_strong as verifier_judgement

    monkeypatch.syspath_prepend(str(POLICIES_DIR))
    policy = ast.parse((POLICIES_DIR / "HttpsListenerSetsHsts.py").read_text())
    namespace: dict[str, object] = {"re": re}
    for node in policy.body:
        if isinstance(node, ast.FunctionDef) and node.name == "hsts_is_strong" or \
                isinstance(node, ast.Assign) and node.targets[0].id == "ONE_YEAR_SECONDS":
            exec(compile(ast.Module([node], []), "HttpsListenerSetsHsts.py", "exec"), namespace)
    assert namespace["hsts_is_strong"](value) == verifier_judgement(value)


HOST_STATEMENTS = [
    {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
     "Resource": ["arn:aws:logs:eu-west-1:111122223333:log-group:/secure-web/web/nginx/access"]},
    {"Effect": "Allow", "Action": "logs:PutRetentionPolicy", "Resource": "arn:aws:logs:eu-west-1:1:log-group:x"},
    {"Effect": "Allow", "Action": "LOGS:*", "Resource": "*"},
    {"Effect": "Allow", "Action": "*", "Resource": "*"},
    {"Effect": "Deny", "Action": "*", "Resource": "*"},
    {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
    {"Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:GetParameters"], "Resource": "*"},
    {"Effect": "Allow", "Action": "ssm:GetParametersByPath", "Resource": "arn:aws:ssm:eu-west-1:1:parameter/*"},
    {"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "arn:aws:ssm:eu-west-1:1:parameter/AmazonCloudWatch-web"},
    {"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*"},
    {"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*",
     "Condition": {"StringEquals": {"cloudwatch:namespace": "SecureWeb/Host"}}},
    {"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*",
     "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}},
    {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
    {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": ["arn:aws:kms:eu-west-1:1:key/k", "*"]},
    {"Effect": "Allow", "Action": "ec2:DescribeTags", "Resource": "*"},
]


def policy_namespace(file_name: str, names: set[str]) -> dict[str, object]:
    """The top-level definitions ``names`` of a policy file, executed on their own (no checkov, no tf_json)."""
    from typing import Mapping

    namespace: dict[str, object] = {"Mapping": Mapping}
    for node in ast.parse((POLICIES_DIR / file_name).read_text()).body:
        defined = node.name if isinstance(node, ast.FunctionDef) else \
            node.targets[0].id if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) else None
        if defined in names:
            exec(compile(ast.Module([node], []), file_name, "exec"), namespace)
    return namespace


def test_host_role_judgement_constants_mirror_the_contract():
    from secure_web import contract

    mirrored = policy_namespace("HostRoleIsLeastPrivilege.py", {"LOG_TAMPERING_ACTIONS", "RESOURCE_SCOPED_ACTIONS"})
    assert mirrored["LOG_TAMPERING_ACTIONS"] == contract.LOG_TAMPERING_ACTIONS
    assert mirrored["RESOURCE_SCOPED_ACTIONS"] == contract.RESOURCE_SCOPED_ACTIONS


@pytest.mark.parametrize("statement", HOST_STATEMENTS, ids=lambda statement: json.dumps(statement)[:60])
def test_host_role_judgement_mirrors_the_verifier(statement):
    # The policy runs in a plain checkov without secure_web, so it keeps its own copy of the rule.
    from secure_web.contract import host_statement_problems as verifier_judgement

    mirrored = policy_namespace("HostRoleIsLeastPrivilege.py", {"LOG_TAMPERING_ACTIONS", "RESOURCE_SCOPED_ACTIONS",
                                                                 "_listed", "host_statement_problems"})
    assert mirrored["host_statement_problems"](statement) == verifier_judgement(statement)


def test_host_role_judgement_tells_scoped_from_broad_statements():
    from secure_web.contract import host_statement_problems

    judged = [bool(host_statement_problems(statement)) for statement in HOST_STATEMENTS]
    assert judged == [False, True, True, True, False, True, True, True, False, True, False, True, True, True, False]
