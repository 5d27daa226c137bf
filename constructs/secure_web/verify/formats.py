"""The verifier's report in each ``--format``: text, JSON, JUnit XML, SARIF 2.1.0 and ASFF.

Every format but text carries the control mapping of ``secure_web.controls``: each check's
severity and the controls of each framework a pass of it evidences, the same mapping the
compliance gate's reports use. Where a finding names an AWS resource (an ARN, or an id
such as ``i-...``, ``sg-...``, a DB cluster identifier), SARIF and ASFF report it as that
resource (``subject``): its ARN where the finding gives one or the account and partition
let it be built, else its id.

The account and partition come from the load balancer's ARN in the outputs (the verifier
makes no STS call, so its IAM policy stays as it is), or from ``--account-id``.

Standard library and ``secure_web.controls`` only: no boto3 here, so the CLI can import
this module before it knows whether boto3 is installed.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from ..controls import (HELP_BASE, LEVELS, anchor, control_tags, frameworks_for, help_uri, sarif_rule, sentence,
                        severity, tool_version)

if TYPE_CHECKING:
    from .checks import CheckResult, Finding
    from .outputs import DeploymentOutputs

FORMATS = ("text", "json", "junit", "sarif", "asff")
"""The values of ``--format``; ``text`` is the default and ``--json`` means ``json``."""

TOOL = "secure_web verify"
DOC = "docs/verifier.md"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT = "secureWebVerifyFinding/v1"
"""The SARIF ``partialFingerprints`` entry: ``<check id>/<resource>`` (``finding_key``)."""

ASFF_SCHEMA_VERSION = "2018-10-08"
ASFF_ID_PREFIX = "secure-web/verify"
ASFF_BEST_PRACTICES = "Software and Configuration Checks/AWS Security Best Practices"
ASFF_STANDARDS = "Software and Configuration Checks/Industry and Regulatory Standards"
ASFF_CLASSIFIERS = {
    "FSBP": "AWS Foundational Security Best Practices",
    "CIS": "CIS AWS Foundations Benchmark",
    "NIST-800-53r5": "NIST 800-53 Controls (USA)",
}
"""Framework -> its classifier in the ASFF ``Types`` taxonomy (frameworks without one add no type)."""
ASFF_REQUIREMENTS = {
    "FSBP": "AWS Foundational Security Best Practices v1.0.0/{control}",
    "CIS": "CIS AWS Foundations Benchmark v3.0.0/{control}",
    "NIST-800-53r5": "NIST.800-53.r5 {control}",
}
"""Framework -> how Security Hub spells one of its controls in ``Compliance.RelatedRequirements``;
any other framework is written ``<framework>/<control>``, as in the SARIF tags."""
ASFF_LIMITS = {"Title": 256, "Description": 1024, "RelatedRequirements": 32}
"""Security Hub's maxima (characters, items) for what this report fills from variable text."""
ACCOUNT_ID = re.compile(r"\d{12}")


class ReportError(ValueError):
    """The report cannot be written as asked (the account cannot be told, or disagrees with the outputs)."""


@dataclass(frozen=True, kw_only=True)
class ReportContext:
    """Where and when the checks ran: what SARIF and ASFF need beyond the results."""

    account_id: str
    region: str
    partition: str
    deployment: str
    """The load balancer's ARN: it names the deployment in ASFF finding ids."""
    generated_at: datetime


def report_context(outputs: DeploymentOutputs, *, region: str, generated_at: datetime,
                   account_id: str | None = None) -> ReportContext:
    """The context of a run on ``outputs``: account and partition from ``alb_arn``, or ``account_id`` if given.

    Raises ``ReportError`` when ``account_id`` is not 12 digits, differs from the account in
    ``alb_arn``, or is missing while ``alb_arn`` names none.
    """
    parts = outputs.alb_arn.split(":", 5)
    arn_partition, arn_account = (parts[1], parts[4]) if len(parts) == 6 and parts[0] == "arn" else ("", "")
    if account_id is not None and not ACCOUNT_ID.fullmatch(account_id):
        raise ReportError(f"--account-id must be 12 digits; got {account_id!r}")
    if account_id and ACCOUNT_ID.fullmatch(arn_account) and account_id != arn_account:
        raise ReportError(f"--account-id {account_id} differs from the account of the load balancer "
                          f"{outputs.alb_arn} ({arn_account}); the findings belong to the latter")
    account = account_id or arn_account
    if not ACCOUNT_ID.fullmatch(account):
        raise ReportError(f"cannot tell the account from alb_arn {outputs.alb_arn!r}; pass --account-id")
    return ReportContext(account_id=account, region=region, partition=arn_partition or _partition(region),
                         deployment=outputs.alb_arn, generated_at=generated_at.astimezone(timezone.utc))


def _partition(region: str) -> str:
    return "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"


# --- Resources named by findings ---------------------------------------------------------------------

@dataclass(frozen=True)
class Subject:
    """The AWS resource a finding is about."""

    kind: str
    """Its ASFF resource type (``AwsEc2Instance``; ``Other`` where ASFF has none)."""
    name: str
    """Its ARN or id as the finding gives it."""
    id: str
    """Its ARN where known (given, or built from the account), else ``name``."""


_SUBJECTS: tuple[tuple[re.Pattern[str], str, str | None], ...] = (
    (re.compile(r"web ACL .* \((?P<name>arn:[^\s()]+)\)"), "AwsWafv2WebAcl", None),
    (re.compile(r"(?:internal )?load balancer (?P<name>arn:\S+)$"), "AwsElbv2LoadBalancer", None),
    (re.compile(r"listener (?P<name>arn:\S+)"), "Other", None),
    (re.compile(r"target group (?P<name>arn:\S+)$"), "Other", None),
    (re.compile(r"target (?P<name>i-[0-9a-f]+) of "), "AwsEc2Instance", "ec2:{region}:{account}:instance/{name}"),
    (re.compile(r"target (?P<name>\S+) of "), "Other", None),
    (re.compile(r"(?:[\w ]+ )?security group (?P<name>sg-[0-9a-f]+)"), "AwsEc2SecurityGroup",
     "ec2:{region}:{account}:security-group/{name}"),
    (re.compile(r"instance (?P<name>i-[0-9a-f]+)"), "AwsEc2Instance", "ec2:{region}:{account}:instance/{name}"),
    (re.compile(r"Auto Scaling group (?P<name>\S+)$"), "AwsAutoScalingAutoScalingGroup", None),
    (re.compile(r"alarm (?P<quote>['\"])(?P<name>.+)(?P=quote)$"), "AwsCloudWatchAlarm",
     "cloudwatch:{region}:{account}:alarm:{name}"),
    (re.compile(r"DB cluster (?P<name>\S+)$"), "AwsRdsDbCluster", "rds:{region}:{account}:cluster:{name}"),
    (re.compile(r"S3 bucket (?P<name>\S+)$"), "AwsS3Bucket", "s3:::{name}"),
    (re.compile(r"SSM parameter (?P<name>\S+)$"), "Other", None),
    (re.compile(r"(?:default )?network ACL (?P<name>acl-[0-9a-f]+)"), "AwsEc2NetworkAcl",
     "ec2:{region}:{account}:network-acl/{name}"),
    (re.compile(r"database subnet (?P<name>subnet-[0-9a-f]+)$"), "AwsEc2Subnet", "ec2:{region}:{account}:subnet/{name}"),
)
"""How ``secure_web.verify.checks`` names resources (``Finding.resource``), first match wins.

An Auto Scaling group's ARN holds a generated id the finding does not give, so its id is its name.
"""


def subject(finding: Finding, context: ReportContext) -> Subject | None:
    """The resource ``finding`` names, or None (an AWS error is reported against the check, not a resource)."""
    for pattern, kind, arn in _SUBJECTS:
        match = pattern.match(finding.resource)
        if match:
            name = match["name"]
            built = arn and f"arn:{context.partition}:" + arn.format(region=context.region,
                                                                      account=context.account_id, name=name)
            return Subject(kind, name, built or name)
    return None


@dataclass(frozen=True)
class Failure:
    """The findings of one check on one resource: one SARIF result, one failed ASFF finding."""

    result: CheckResult
    key: str
    """The resource's ARN or id (or, with no resource, the finding's own words)."""
    subject: Subject | None
    findings: tuple[Finding, ...]

    @property
    def check_id(self) -> str:
        return self.result.check.check_id

    @property
    def message(self) -> str:
        return "\n".join(str(finding) for finding in self.findings)


def failures(results: Sequence[CheckResult], context: ReportContext) -> list[Failure]:
    """Every failed check's findings, grouped by the resource they name, in check then finding order."""
    grouped: list[Failure] = []
    for result in results:
        by_key: dict[str, tuple[Subject | None, list[Finding]]] = {}
        for finding in result.findings:
            found = subject(finding, context)
            by_key.setdefault(found.id if found else finding.resource, (found, []))[1].append(finding)
        grouped.extend(Failure(result, key, found, tuple(members)) for key, (found, members) in by_key.items())
    return grouped


def finding_key(failure: Failure) -> str:
    """``<check id>/<resource>``: the same on every run while the fault lasts."""
    return f"{failure.check_id}/{failure.key}"


def doc_uri(check_id: str) -> str:
    """The check's row in docs/verifier.md (its ``<a id>``)."""
    return f"{HELP_BASE}{DOC}#{anchor(check_id)}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- text and JSON -------------------------------------------------------------------------------------

def text(results: Sequence[CheckResult]) -> str:
    """One PASS/FAIL line per check, its findings indented under it, and the counts."""
    lines = []
    for result in results:
        lines.append(f"{'PASS' if result.passed else 'FAIL'} {result.check.check_id} {result.check.title}")
        lines.extend(f"     {finding}" for finding in result.findings)
    failed = sum(not result.passed for result in results)
    lines.append(f"{len(results) - failed} passed, {failed} failed")
    return "\n".join(lines) + "\n"


def json_report(results: Sequence[CheckResult], context: ReportContext) -> str:
    """A list with one object per check: id, title, passed, severity, controls, help, findings."""
    return json.dumps([{
        "id": result.check.check_id, "title": result.check.title, "passed": result.passed,
        "severity": severity(result.check.check_id),
        "controls": {framework: list(controls) for framework, controls in frameworks_for(result.check.check_id).items()},
        "help": doc_uri(result.check.check_id),
        "findings": [{"resource": finding.resource, "resource_id": _resource_id(finding, context),
                      "expected": finding.expected, "found": finding.found} for finding in result.findings],
    } for result in results], indent=2) + "\n"


def _resource_id(finding: Finding, context: ReportContext) -> str | None:
    found = subject(finding, context)
    return found.id if found else None


# --- JUnit XML -----------------------------------------------------------------------------------------

def junit_xml(results: Sequence[CheckResult], context: ReportContext) -> str:
    """One testsuite for the run, one testcase per check; a failed check's findings are its failure's text.

    Each testcase's properties give its severity, its documentation and one ``control``
    per control it evidences (``NIST-800-53r5/SC-8``).
    """
    failed = sum(not result.passed for result in results)
    suites = ET.Element("testsuites", name=TOOL, tests=str(len(results)), failures=str(failed))
    suite = ET.SubElement(suites, "testsuite", name=f"{TOOL} {context.deployment}", tests=str(len(results)),
                          failures=str(failed), errors="0", skipped="0", timestamp=_timestamp(context.generated_at))
    properties = ET.SubElement(suite, "properties")
    for name, value in (("account", context.account_id), ("region", context.region),
                        ("load_balancer", context.deployment)):
        ET.SubElement(properties, "property", name=name, value=value)
    for result in results:
        check_id = result.check.check_id
        case = ET.SubElement(suite, "testcase", classname="secure_web.verify", name=f"{check_id} {result.check.title}")
        case_properties = ET.SubElement(case, "properties")
        ET.SubElement(case_properties, "property", name="severity", value=severity(check_id))
        ET.SubElement(case_properties, "property", name="help", value=doc_uri(check_id))
        for control in control_tags(check_id):
            ET.SubElement(case_properties, "property", name="control", value=control)
        if not result.passed:
            count = len(result.findings)
            failure = ET.SubElement(case, "failure", type=severity(check_id),
                                    message=f"{check_id} failed: {count} finding{'s' if count != 1 else ''}")
            failure.text = "\n".join(str(finding) for finding in result.findings)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


# --- SARIF 2.1.0 ---------------------------------------------------------------------------------------

def sarif(results: Sequence[CheckResult], context: ReportContext) -> str:
    """SARIF 2.1.0: a rule per check run, a result per failed check and resource.

    Rules carry the mapping (tags ``<framework>/<control>``, ``security-severity``, level)
    and a ``helpUri`` to the check's row in docs/verifier.md. A result's logical location
    is the resource (its ARN where known); its ``partialFingerprints`` hold ``finding_key``.
    There is no physical location: the fault is in the account, not in a file.
    """
    rule_ids = [result.check.check_id for result in results]
    sarif_results = []
    for failure in failures(results, context):
        entry: dict[str, object] = {
            "ruleId": failure.check_id, "ruleIndex": rule_ids.index(failure.check_id),
            "level": LEVELS[severity(failure.check_id)],
            "message": {"text": f"{sentence(failure.result.check.title)}\n{failure.message}"},
            "partialFingerprints": {FINGERPRINT: finding_key(failure)},
        }
        if failure.subject:
            entry["locations"] = [{"logicalLocations": [{
                "name": failure.subject.name, "fullyQualifiedName": failure.subject.id, "kind": "resource",
                "properties": {"resourceType": failure.subject.kind}}]}]
        sarif_results.append(entry)
    document = {
        "$schema": SARIF_SCHEMA, "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": TOOL, "version": tool_version(), "informationUri": f"{HELP_BASE}{DOC}",
                                "rules": [_rule(result) for result in results]}},
            "invocations": [{"executionSuccessful": True, "endTimeUtc": _timestamp(context.generated_at)}],
            "properties": {"account": context.account_id, "region": context.region,
                           "loadBalancer": context.deployment},
            "results": sarif_results,
        }],
    }
    return json.dumps(document, indent=2) + "\n"


def _rule(result: CheckResult) -> dict[str, object]:
    check_id = result.check.check_id
    return sarif_rule(check_id, result.check.title, help_link=doc_uri(check_id),
                      links_markdown=f"[The check]({doc_uri(check_id)}), [the control mapping]({help_uri(check_id)})")


# --- ASFF (AWS Security Hub) ---------------------------------------------------------------------------

def asff(results: Sequence[CheckResult], context: ReportContext) -> str:
    """A JSON list of AWS Security Finding Format findings, ready for ``BatchImportFindings``.

    A failed check gives one ``FAILED`` finding per resource it names; a passed check one
    ``PASSED`` finding on the account. Ids are ``secure-web/verify/<load balancer ARN>/<check id>``
    plus ``/<resource>`` for a failure, so a rerun updates the same findings.
    """
    by_check: dict[str, list[Failure]] = {}
    for failure in failures(results, context):
        by_check.setdefault(failure.check_id, []).append(failure)
    findings = []
    for result in results:
        if result.passed:
            findings.append(_asff_finding(result, context, failure=None))
        findings.extend(_asff_finding(result, context, failure=failure)
                        for failure in by_check.get(result.check.check_id, []))
    return json.dumps(findings, indent=2) + "\n"


def _asff_finding(result: CheckResult, context: ReportContext, *, failure: Failure | None) -> dict[str, object]:
    """A FAILED finding of ``failure``, or with None the PASSED finding of ``result``."""
    check_id = result.check.check_id
    status = "FAILED" if failure else "PASSED"
    description = failure.message if failure else f"{sentence(result.check.title)} Passed: no finding."
    rank = severity(check_id)
    mapping = frameworks_for(check_id)
    stamp = _timestamp(context.generated_at)
    requirements = [_requirement(control) for control in control_tags(check_id)][:ASFF_LIMITS["RelatedRequirements"]]
    finding_id = f"{ASFF_ID_PREFIX}/{context.deployment}/{check_id}" + (f"/{failure.key}" if failure else "")
    return {
        "SchemaVersion": ASFF_SCHEMA_VERSION,
        "Id": finding_id,
        "ProductArn": f"arn:{context.partition}:securityhub:{context.region}:{context.account_id}:"
                      f"product/{context.account_id}/default",
        "GeneratorId": check_id,
        "AwsAccountId": context.account_id,
        "Types": [ASFF_BEST_PRACTICES, *(f"{ASFF_STANDARDS}/{ASFF_CLASSIFIERS[framework]}"
                                         for framework in mapping if framework in ASFF_CLASSIFIERS)],
        "CreatedAt": stamp,
        "UpdatedAt": stamp,
        # Security Hub's own control findings are INFORMATIONAL when they pass.
        "Severity": {"Label": rank.upper() if status == "FAILED" else "INFORMATIONAL", "Original": rank},
        "Title": _clip(f"{check_id} {result.check.title}", ASFF_LIMITS["Title"]),
        "Description": _clip(description, ASFF_LIMITS["Description"]),
        "Remediation": {"Recommendation": {"Text": f"See {check_id} in the secure_web verifier's documentation.",
                                           "Url": doc_uri(check_id)}},
        "ProductFields": {"secure_web/CheckId": check_id, "secure_web/Severity": rank,
                          **{f"secure_web/{framework}": ", ".join(controls) for framework, controls in mapping.items()}},
        "Resources": [_asff_resource(failure.subject if failure else None, context)],
        "Compliance": {"Status": status, **({"RelatedRequirements": requirements} if requirements else {})},
        "RecordState": "ACTIVE",
        "Workflow": {"Status": "NEW"},
    }


def _asff_resource(found: Subject | None, context: ReportContext) -> dict[str, str]:
    """The resource, or the account for a pass or a failure that names none (an AWS error)."""
    kind, resource_id = (found.kind, found.id) if found else ("AwsAccount", f"AWS::::Account:{context.account_id}")
    return {"Type": kind, "Id": resource_id, "Partition": context.partition, "Region": context.region}


def _requirement(control: str) -> str:
    framework, _, name = control.partition("/")
    spelling = ASFF_REQUIREMENTS.get(framework)
    return spelling.format(control=name) if spelling else control


RENDERERS = {"json": json_report, "junit": junit_xml, "sarif": sarif, "asff": asff}
"""``--format`` -> the function writing it (``text`` needs no context)."""


def render(output_format: str, results: Sequence[CheckResult], context: ReportContext) -> str:
    """The report of ``results`` in ``output_format`` (one of ``FORMATS``)."""
    return text(results) if output_format == "text" else RENDERERS[output_format](results, context)
