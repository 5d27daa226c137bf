"""``secure-web verify --format``: text, JSON, JUnit, SARIF and ASFF of a compliant deployment and its broken twin.

The deployments are the emulated account of this suite (moto_server on 127.0.0.1, see
conftest.py); the broken twin has SSH open to the world on the web hosts, which fails
VFY_SWEB_008 and VFY_SWEB_009 on the web security group. The ASFF import runs against
moto's Security Hub (emulated: moto stores what botocore's request validation let through).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path

import pytest

from emulated_aws import aws_session
from moto_deployment import REGION, Breakage
from secure_web.controls import LEVELS, SEVERITIES, anchor, frameworks_for, severity
from secure_web.verify import CHECKS
from secure_web.verify.checks import CheckResult, Finding
from secure_web.verify.cli import main
from secure_web.verify.formats import FORMATS, ReportContext, asff, sarif, subject

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "verifier.md"
MOTO_ACCOUNT = "123456789012"
"""The account moto puts every resource in."""
BROKEN = Breakage.SSH_FROM_WORLD
BROKEN_CHECKS = {"VFY_SWEB_008", "VFY_SWEB_009"}

ASFF_REQUIRED = ("AwsAccountId", "CreatedAt", "Description", "GeneratorId", "Id", "ProductArn", "Resources",
                 "SchemaVersion", "Severity", "Title", "Types", "UpdatedAt")
"""AWS Security Hub User Guide, "Required top-level ASFF attributes"
(https://docs.aws.amazon.com/securityhub/latest/userguide/asff-required-attributes.html)."""
ASFF_RESOURCE_REQUIRED = ("Type", "Id")
"""Security Hub API Reference, ``Resource``: ``Type`` and ``Id`` required (``Partition``, ``Region`` optional)."""
ASFF_ENUMS = {
    ("Severity", "Label"): {"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"},
    ("Compliance", "Status"): {"PASSED", "WARNING", "FAILED", "NOT_AVAILABLE"},
    ("RecordState",): {"ACTIVE", "ARCHIVED"},
    ("Workflow", "Status"): {"NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"},
}
"""Security Hub API Reference: ``Severity.Label``, ``Compliance.Status``, ``RecordState``, ``Workflow.Status``."""
ASFF_PARTITIONS = {"aws", "aws-cn", "aws-us-gov"}
ASFF_TYPE_NAMESPACES = {"Software and Configuration Checks", "TTPs", "Effects", "Unusual Behaviors",
                        "Sensitive Data Identifications"}
"""The namespaces of the ASFF types taxonomy; a type is ``namespace[/category[/classifier]]``."""
ASFF_LIMITS = {"Title": 256, "Description": 1024, "Id": 512, "Resources": 32, "RelatedRequirements": 32}
ISO_8601_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")


def run(deployment, tmp_path: Path, *options: str) -> tuple[int, str]:
    """``main`` on the deployment's outputs with ``options``, writing to a file; the status and the report."""
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"secure-web": deployment.raw_outputs}), encoding="utf-8")
    report = tmp_path / "report"
    report.unlink(missing_ok=True)
    status = main(["--outputs", str(outputs), "--region", REGION, "--output", str(report), *options],
                  clients=deployment.clients())
    return status, report.read_text(encoding="utf-8") if report.exists() else ""


def security_group_arn(group_id: str) -> str:
    return f"arn:aws:ec2:{REGION}:{MOTO_ACCOUNT}:security-group/{group_id}"


FAILED_CHECKS = {
    "text": lambda report: {line.split()[1] for line in report.splitlines() if line.startswith("FAIL ")},
    "json": lambda report: {entry["id"] for entry in json.loads(report) if not entry["passed"]},
    "junit": lambda report: {case.get("name").split()[0] for case in ET.fromstring(report).iter("testcase")
                             if case.find("failure") is not None},
    "sarif": lambda report: {result["ruleId"] for result in json.loads(report)["runs"][0]["results"]},
    "asff": lambda report: {finding["GeneratorId"] for finding in json.loads(report)
                            if finding["Compliance"]["Status"] == "FAILED"},
}
"""How each format says which checks failed."""


@pytest.mark.parametrize("breakage, failing", [(None, set()), (BROKEN, BROKEN_CHECKS)], ids=["compliant", "broken"])
@pytest.mark.parametrize("output_format", FORMATS)
def test_each_format_reports_exactly_the_failed_checks(deployed, tmp_path, output_format, breakage, failing):
    # GIVEN a compliant deployment, or its twin with SSH open to the world
    deployment = deployed(breakage)
    # WHEN the verifier writes its report in the format
    status, report = run(deployment, tmp_path, "--format", output_format)
    # THEN the report names exactly the failed checks, and the exit status agrees
    assert FAILED_CHECKS[output_format](report) == failing
    assert status == (1 if failing else 0)


def test_json_is_an_alias_of_format_json(deployed, tmp_path, capsys):
    deployment = deployed(BROKEN)
    _, by_format = run(deployment, tmp_path, "--format", "json")
    outputs = tmp_path / "outputs.json"
    main(["--outputs", str(outputs), "--region", REGION, "--json"], clients=deployment.clients())
    assert json.loads(capsys.readouterr().out) == json.loads(by_format)


def test_json_and_format_together_are_refused(capsys):
    assert main(["--outputs", "outputs.json", "--region", REGION, "--json", "--format", "sarif"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_json_carries_severity_controls_and_resource(deployed, tmp_path):
    deployment = deployed(BROKEN)
    _, report = run(deployment, tmp_path, "--format", "json")
    entries = json.loads(report)
    assert [entry["id"] for entry in entries] == [check.check_id for check in CHECKS]
    for entry in entries:
        assert entry["severity"] == severity(entry["id"])
        assert entry["controls"] == {name: list(controls) for name, controls in frameworks_for(entry["id"]).items()}
        assert entry["help"].endswith(f"docs/verifier.md#{anchor(entry['id'])}")
    ssh = next(entry for entry in entries if entry["id"] == "VFY_SWEB_009")
    assert {finding["resource_id"] for finding in ssh["findings"]} == {
        security_group_arn(deployment.outputs.web_security_group_id)}


def test_junit_parses_and_its_counts_match(deployed, tmp_path):
    # GIVEN the broken twin's JUnit report
    _, report = run(deployed(BROKEN), tmp_path, "--format", "junit")
    # WHEN xml.etree parses it
    suites = ET.fromstring(report)
    suite = suites.find("testsuite")
    cases = suite.findall("testcase")
    failed = [case for case in cases if case.find("failure") is not None]
    # THEN one testcase per check, the failure counts agree, and each case carries its mapping
    assert [case.get("name").split()[0] for case in cases] == [check.check_id for check in CHECKS]
    assert int(suites.get("tests")) == int(suite.get("tests")) == len(cases) == len(CHECKS)
    assert int(suites.get("failures")) == int(suite.get("failures")) == len(failed) == len(BROKEN_CHECKS)
    for case in cases:
        check_id = case.get("name").split()[0]
        properties = [(item.get("name"), item.get("value")) for item in case.find("properties")]
        assert ("severity", severity(check_id)) in properties
        assert [value for name, value in properties if name == "control"] == [
            f"{framework}/{control}" for framework, controls in frameworks_for(check_id).items() for control in controls]
    ssh = next(case for case in failed if case.get("name").startswith("VFY_SWEB_009"))
    assert "expected no ingress on port 22; found tcp 22-22 from 0.0.0.0/0" in ssh.find("failure").text


def test_sarif_rules_carry_the_mapping_and_link_into_the_docs(deployed, tmp_path):
    _, report = run(deployed(BROKEN), tmp_path, "--format", "sarif")
    document = json.loads(report)
    assert document["version"] == "2.1.0" and document["$schema"].endswith("sarif-2.1.0.json")
    driver = document["runs"][0]["tool"]["driver"]
    assert driver["name"] and driver["version"] and driver["informationUri"]
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', DOC.read_text(encoding="utf-8")))
    assert [rule["id"] for rule in driver["rules"]] == [check.check_id for check in CHECKS]
    for rule in driver["rules"]:
        rank = severity(rule["id"])
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"] and rule["help"]["text"]
        page, fragment = rule["helpUri"].split("#")
        assert page.endswith("docs/verifier.md") and fragment == anchor(rule["id"]) and fragment in anchors
        assert rule["properties"]["security-severity"] == SEVERITIES[rank]
        assert rule["defaultConfiguration"]["level"] == LEVELS[rank]
        assert rule["properties"]["tags"] == ["security", *(f"{framework}/{control}" for framework, controls
                                                           in frameworks_for(rule["id"]).items() for control in controls)]


def test_sarif_results_name_the_resource_and_fingerprint_it(deployed, tmp_path):
    # GIVEN the broken twin
    deployment = deployed(BROKEN)
    group = security_group_arn(deployment.outputs.web_security_group_id)
    # WHEN its SARIF is written twice
    reports = [json.loads(run(deployment, tmp_path, "--format", "sarif")[1]) for _ in range(2)]
    # THEN each failed check has one result on the web security group, with the rule's level
    run_ = reports[0]["runs"][0]
    results = run_["results"]
    assert sorted(result["ruleId"] for result in results) == sorted(BROKEN_CHECKS)
    for result in results:
        assert run_["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == LEVELS[severity(result["ruleId"])]
        assert result["message"]["text"]
        [location] = result["locations"][0]["logicalLocations"]
        assert (location["fullyQualifiedName"], location["kind"]) == (group, "resource")
        assert result["partialFingerprints"] == {"secureWebVerifyFinding/v1": f"{result['ruleId']}/{group}"}
    # AND the fingerprints are unique and the same on the second run
    fingerprints = [[result["partialFingerprints"] for result in report["runs"][0]["results"]] for report in reports]
    assert fingerprints[0] == fingerprints[1]
    assert len({json.dumps(item) for item in fingerprints[0]}) == len(fingerprints[0])


def sarif_multitool() -> list[str] | None:
    """The command of the SARIF multitool installed in node_modules, or None."""
    npx = shutil.which("npx")
    if npx is None:
        return None
    command = [npx, "--no-install", "sarif-multitool"]
    try:
        probe = subprocess.run([*command, "--help"], cwd=REPO, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return command if "SARIF Multitool" in probe.stdout + probe.stderr else None


def validate(command: list[str], document: dict, directory: Path) -> list[str]:
    """The errors and warnings the multitool's ``validate`` reports on ``document`` (schema and rules)."""
    log, findings = directory / "report.sarif", directory / "validation.sarif"
    log.write_text(json.dumps(document), encoding="utf-8")
    findings.unlink(missing_ok=True)
    subprocess.run([*command, "validate", str(log), "--output", str(findings), "--level", "Error", "Warning"],
                   cwd=REPO, capture_output=True, text=True, timeout=300, check=True)
    validation = json.loads(findings.read_text(encoding="utf-8"))["runs"][0]
    assert validation["invocations"][0]["executionSuccessful"]
    return [f"{result['ruleId']}: {result['message']}" for result in validation.get("results", [])]


@pytest.fixture(scope="module")
def multitool() -> list[str]:
    command = sarif_multitool()
    if command is None:
        pytest.skip("@microsoft/sarif-multitool is not installed in node_modules "
                    "(`npx --no-install sarif-multitool --help` fails): the SARIF is not checked by the real validator")
    return command


@pytest.mark.parametrize("breakage", [None, BROKEN], ids=["compliant", "broken"])
def test_sarif_is_accepted_by_the_sarif_multitool(deployed, tmp_path, multitool, breakage):
    _, report = run(deployed(breakage), tmp_path, "--format", "sarif")
    assert validate(multitool, json.loads(report), tmp_path) == []


def test_the_sarif_multitool_rejects_a_result_without_a_message(deployed, tmp_path, multitool):
    # The validator's twin: the same report with one required property removed is refused.
    _, report = run(deployed(BROKEN), tmp_path, "--format", "sarif")
    document = json.loads(report)
    del document["runs"][0]["results"][0]["message"]
    problems = validate(multitool, document, tmp_path)
    assert any(problem.startswith("JSON1002") for problem in problems), problems


def _value(finding: dict, path: tuple[str, ...]) -> object:
    for key in path:
        finding = finding[key]
    return finding


@pytest.mark.parametrize("breakage", [None, BROKEN], ids=["compliant", "broken"])
def test_asff_findings_have_every_required_field_with_valid_values(deployed, tmp_path, breakage):
    _, report = run(deployed(breakage), tmp_path, "--format", "asff")
    findings = json.loads(report)
    assert isinstance(findings, list) and findings
    for finding in findings:
        assert [name for name in ASFF_REQUIRED if not finding.get(name)] == [], finding
        assert finding["SchemaVersion"] == "2018-10-08"
        assert finding["AwsAccountId"] == MOTO_ACCOUNT
        assert finding["ProductArn"] == f"arn:aws:securityhub:{REGION}:{MOTO_ACCOUNT}:product/{MOTO_ACCOUNT}/default"
        assert finding["GeneratorId"] in {check.check_id for check in CHECKS}
        for path, allowed in ASFF_ENUMS.items():
            assert _value(finding, path) in allowed, (path, finding)
        for name in ("CreatedAt", "UpdatedAt"):
            assert ISO_8601_UTC.fullmatch(finding[name]), finding[name]
            assert datetime.fromisoformat(finding[name].replace("Z", "+00:00")).tzinfo == timezone.utc
        assert finding["Types"] and all(
            kind.split("/")[0] in ASFF_TYPE_NAMESPACES and len(kind.split("/")) <= 3 for kind in finding["Types"])
        assert any(kind.startswith("Software and Configuration Checks/") for kind in finding["Types"])
        assert 1 <= len(finding["Resources"]) <= ASFF_LIMITS["Resources"]
        for resource in finding["Resources"]:
            assert all(resource.get(name) for name in ASFF_RESOURCE_REQUIRED), resource
            assert resource["Region"] == REGION and resource["Partition"] in ASFF_PARTITIONS
        for name in ("Title", "Description", "Id"):
            assert len(finding[name]) <= ASFF_LIMITS[name]
        assert len(finding["Compliance"].get("RelatedRequirements", [])) <= ASFF_LIMITS["RelatedRequirements"]
        assert finding["RecordState"] == "ACTIVE" and finding["Workflow"]["Status"] == "NEW"


def test_asff_fails_the_broken_resource_with_its_requirements(deployed, tmp_path):
    # GIVEN the broken twin
    deployment = deployed(BROKEN)
    # WHEN its ASFF is written
    _, report = run(deployment, tmp_path, "--format", "asff")
    findings = json.loads(report)
    failed = [finding for finding in findings if finding["Compliance"]["Status"] == "FAILED"]
    # THEN each failed check is one FAILED finding on the web security group, at the check's severity
    group = security_group_arn(deployment.outputs.web_security_group_id)
    assert sorted((finding["GeneratorId"], finding["Resources"][0]["Type"], finding["Resources"][0]["Id"])
                  for finding in failed) == [(check_id, "AwsEc2SecurityGroup", group) for check_id in sorted(BROKEN_CHECKS)]
    for finding in failed:
        mapping = frameworks_for(finding["GeneratorId"])
        assert finding["Severity"]["Label"] == severity(finding["GeneratorId"]).upper()
        assert "expected" in finding["Description"] and "found" in finding["Description"]
        related = finding["Compliance"]["RelatedRequirements"]
        assert {f"NIST.800-53.r5 {control}" for control in mapping.get("NIST-800-53r5", ())} <= set(related)
        assert {f"CIS AWS Foundations Benchmark v3.0.0/{control}" for control in mapping.get("CIS", ())} <= set(related)
        assert len(related) == sum(len(controls) for controls in mapping.values())
    # AND every other check is a PASSED, informational finding on the account
    passed = [finding for finding in findings if finding["Compliance"]["Status"] == "PASSED"]
    assert len(passed) == len(CHECKS) - len(BROKEN_CHECKS)
    assert {finding["Severity"]["Label"] for finding in passed} == {"INFORMATIONAL"}
    assert {(resource["Type"], resource["Id"]) for finding in passed for resource in finding["Resources"]} == {
        ("AwsAccount", f"AWS::::Account:{MOTO_ACCOUNT}")}


def test_asff_ids_are_unique_and_stable_across_two_runs(deployed, tmp_path):
    deployment = deployed(BROKEN)
    runs = [[finding["Id"] for finding in json.loads(run(deployment, tmp_path, "--format", "asff")[1])]
            for _ in range(2)]
    assert runs[0] == runs[1]
    assert len(set(runs[0])) == len(runs[0])


def test_asff_imports_into_security_hub_and_a_rerun_updates_the_same_findings(deployed, tmp_path):
    # GIVEN the broken twin's ASFF from two runs, and Security Hub (emulated by moto) in its account
    deployment = deployed(BROKEN)
    runs = [json.loads(run(deployment, tmp_path, "--format", "asff")[1]) for _ in range(2)]
    hub = aws_session().client("securityhub", region_name=REGION, endpoint_url=deployment.endpoint)
    # WHEN both are imported (botocore validates each request against Security Hub's API model first)
    answers = [hub.batch_import_findings(Findings=findings) for findings in runs]
    # THEN every finding is accepted, and the second import updated the first one's findings
    assert [(answer["FailedCount"], answer["SuccessCount"]) for answer in answers] == [(0, len(runs[0]))] * 2
    stored = [finding for page in hub.get_paginator("get_findings").paginate() for finding in page["Findings"]
              if finding["Id"].startswith(f"secure-web/verify/{deployment.outputs.alb_arn}/")]
    assert sorted(finding["Id"] for finding in stored) == sorted(finding["Id"] for finding in runs[0])


@pytest.mark.parametrize("account_id, status, message", [
    (MOTO_ACCOUNT, 0, ""),
    ("000000000000", 2, "--account-id 000000000000 differs from the account of the load balancer"),
    ("12345", 2, "--account-id must be 12 digits; got '12345'"),
], ids=["same-as-outputs", "other-account", "malformed"])
def test_account_id_must_agree_with_the_outputs(deployed, tmp_path, capsys, account_id, status, message):
    result, report = run(deployed(), tmp_path, "--format", "asff", "--account-id", account_id)
    assert result == status
    assert message in capsys.readouterr().err
    if status == 0:
        assert {finding["AwsAccountId"] for finding in json.loads(report)} == {account_id}


def test_an_unwritable_output_exits_2(deployed, tmp_path, capsys):
    outputs = tmp_path / "outputs.json"
    deployment = deployed()
    outputs.write_text(json.dumps({"secure-web": deployment.raw_outputs}), encoding="utf-8")
    status = main(["--outputs", str(outputs), "--region", REGION, "--output", str(tmp_path / "missing" / "report")],
                  clients=deployment.clients())
    assert status == 2
    assert "cannot write the report" in capsys.readouterr().err


CONTEXT = ReportContext(account_id="111122223333", region="eu-west-1", partition="aws",
                        deployment="arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/web/0123",
                        generated_at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
LB = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/web/0123"
ACL = "arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/web/4567"


@pytest.mark.parametrize("resource, kind, resource_id", [
    (f"load balancer {LB}", "AwsElbv2LoadBalancer", LB),
    (f"listener {LB}/89ab (port 8080)", "Other", f"{LB}/89ab"),
    ("target group arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/web/cd", "Other",
     "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/web/cd"),
    ("target i-0abc of arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/web/cd", "AwsEc2Instance",
     "arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc"),
    ("target 10.0.1.5 of arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/web/cd", "Other", "10.0.1.5"),
    (f"web ACL web ({ACL}) rule 'AWSManagedRulesCommonRuleSet'", "AwsWafv2WebAcl", ACL),
    ("load balancer security group sg-0a1b", "AwsEc2SecurityGroup", "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0a1b"),
    ("security group sg-0a1b rule sgr-9", "AwsEc2SecurityGroup", "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0a1b"),
    ("instance i-0abc profile arn:aws:iam::111122223333:instance-profile/web", "AwsEc2Instance",
     "arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc"),
    ("Auto Scaling group web-asg", "AwsAutoScalingAutoScalingGroup", "web-asg"),
    ("alarm 'qps-low'", "AwsCloudWatchAlarm", "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:qps-low"),
    ("DB cluster orders", "AwsRdsDbCluster", "arn:aws:rds:eu-west-1:111122223333:cluster:orders"),
    ("S3 bucket access-logs", "AwsS3Bucket", "arn:aws:s3:::access-logs"),
    ("network ACL acl-0f1e of database subnet subnet-0a1b ingress rule 90", "AwsEc2NetworkAcl",
     "arn:aws:ec2:eu-west-1:111122223333:network-acl/acl-0f1e"),
    ("default network ACL acl-0f1e of vpc-0c2d", "AwsEc2NetworkAcl",
     "arn:aws:ec2:eu-west-1:111122223333:network-acl/acl-0f1e"),
    ("database subnet subnet-0a1b", "AwsEc2Subnet", "arn:aws:ec2:eu-west-1:111122223333:subnet/subnet-0a1b"),
], ids=lambda value: value if isinstance(value, str) and len(value) < 30 else None)
def test_each_resource_the_checks_name_is_recognised(resource, kind, resource_id):
    found = subject(Finding(check_id="VFY_SWEB_000", resource=resource, expected="x", found="y"), CONTEXT)
    assert (found.kind, found.id) == (kind, resource_id)


@pytest.mark.parametrize("breakage", list(Breakage), ids=[breakage.name.lower() for breakage in Breakage])
def test_every_finding_of_a_broken_deployment_names_a_resource(deployed, breakage):
    # Guards the patterns of formats.subject against a check that words its resource differently.
    deployment = deployed(breakage)
    context = ReportContext(account_id=MOTO_ACCOUNT, region=REGION, partition="aws",
                            deployment=deployment.outputs.alb_arn, generated_at=datetime.now(timezone.utc))
    findings = [finding for result in deployment.verify() for finding in result.findings]
    assert [finding.resource for finding in findings if subject(finding, context) is None] == []


def test_an_aws_error_is_reported_against_the_account():
    # GIVEN a check that hit an AWS error (run_checks reports it against the check's title)
    check = CHECKS[0]
    error = Finding(check_id=check.check_id, resource=check.title, expected="the AWS API to answer",
                    found="an error: AccessDenied")
    results = [CheckResult(check=check, findings=(error,))]
    # WHEN it is written as SARIF and ASFF
    [result] = json.loads(sarif(results, CONTEXT))["runs"][0]["results"]
    [finding] = json.loads(asff(results, CONTEXT))
    # THEN SARIF names no resource and ASFF fails the account
    assert "locations" not in result and "AccessDenied" in result["message"]["text"]
    assert finding["Resources"][0]["Type"] == "AwsAccount" and finding["Compliance"]["Status"] == "FAILED"
