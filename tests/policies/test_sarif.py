"""SARIF that GitHub code scanning accepts: Microsoft's validator passes it, fingerprints are stable, no duplicates.

The validator is ``@microsoft/sarif-multitool`` (npm, pinned in package.json, installed by
``npm ci``), run with its SARIF rules and its GitHub code scanning rules ("Gh"); it must
report no error and no warning, and it is shown to report both on a log that breaks them.
The logs come from real gate runs: the reference stack (twice, the second synthesizing
afresh), a failing stack (SSH open to the world, a public bucket policy let through), and
that failing stack with an unrelated resource added in front of everything else.
"""

from __future__ import annotations

import copy
import io
import json
import subprocess
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from weakenings import allow_public_bucket_policy, edited_reference_out, open_ssh_to_the_world

from secure_web.compliance.reports import FINGERPRINT, sarif
from secure_web.compliance.run import main
from secure_web.compliance.scan import FAILED, PASSED, SKIPPED, Result
from secure_web.controls import FRAMEWORKS, LEVELS, SEVERITIES, help_uri, severity

REPO_ROOT = Path(__file__).resolve().parents[2]

RULE_KINDS = "Gh;Sarif"
"""The validator's rule sets: the SARIF specification's and GitHub code scanning's ingestion rules."""


def multitool() -> str:
    """The native validator that ``npm ci`` installed for this platform."""
    located = subprocess.run(["node", "-p", "require('@microsoft/sarif-multitool')"], cwd=REPO_ROOT,
                             capture_output=True, text=True, check=False)
    assert located.returncode == 0 and Path(located.stdout.strip()).is_file(), (
        "@microsoft/sarif-multitool is missing: run `npm ci` (the README's set-up does)\n" + located.stderr)
    return located.stdout.strip()


def validate(log: Path) -> list[str]:
    """The validator's errors and warnings about ``log``, one line each."""
    output = log.with_suffix(".validation.sarif")
    completed = subprocess.run([multitool(), "validate", str(log), "--output", str(output), "--log", "ForceOverwrite",
                                "--rule-kind", RULE_KINDS], capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0 and output.is_file(), completed.stdout[-3000:] + completed.stderr[-3000:]
    (run,) = json.loads(output.read_text())["runs"]
    return [f"{r.get('level', 'warning')} {r['ruleId']}: {r['message'].get('text') or r['message'].get('arguments')}"
            for r in run.get("results", []) if r.get("level", "warning") in ("error", "warning")]


def add_unrelated_queue(document: dict) -> None:
    """A queue of the consumer's, placed before every other resource so every block below it moves down."""
    document["resource"] = {"aws_sqs_queue": {"orders_queue_5E6F7A8B": {
        "//": {"metadata": {"path": "secure-web/orders/queue"}}, "name": "orders"}}, **document["resource"]}


def gate(outdir: Path, reports: Path) -> tuple[int, dict]:
    with redirect_stdout(io.StringIO()) as out:
        status = main([str(REPO_ROOT), "--synth-dir", str(outdir), "--reports-dir", str(reports)])
    assert (reports / "compliance.sarif").is_file(), out.getvalue()
    return status, json.loads((reports / "compliance.sarif").read_text())


@pytest.fixture(scope="module")
def reference_log(reference_out, tmp_path_factory) -> tuple[int, dict, Path]:
    reports = tmp_path_factory.mktemp("sarif-reference")
    status, log = gate(reference_out, reports)
    return status, log, reports / "compliance.sarif"


@pytest.fixture(scope="module")
def failing_log(reference_stack, tmp_path_factory) -> tuple[int, dict, Path]:
    directory = tmp_path_factory.mktemp("sarif-failing")
    status, log = gate(edited_reference_out(reference_stack, directory, open_ssh_to_the_world, allow_public_bucket_policy),
                       directory / "reports")
    return status, log, directory / "reports" / "compliance.sarif"


def results(log: dict) -> list[dict]:
    (run,) = log["runs"]
    return run["results"]


def fingerprints(log: dict) -> dict[tuple[str, str], dict]:
    found = {}
    for result in results(log):
        key = (result["ruleId"], result["partialFingerprints"][FINGERPRINT])
        assert key not in found, f"two results for {key}"
        found[key] = result
    return found


def without_locations(log: dict) -> list[dict]:
    return [{k: v for k, v in result.items() if k != "locations"} for result in results(log)]


@pytest.mark.parametrize("which", ["reference", "failing"])
def test_the_validator_accepts_the_log(which, reference_log, failing_log):
    status, log, path = {"reference": reference_log, "failing": failing_log}[which]
    assert status == {"reference": 0, "failing": 1}[which]
    assert results(log), "the log has results (the reference stack's reasoned skips, or failures)"
    assert validate(path) == []


def test_the_validator_reports_a_log_that_breaks_its_rules(reference_log, tmp_path):
    # GIVEN the reference log with what GitHub needs of a rule removed and a rule named after its own id
    _, log, _ = reference_log
    broken = copy.deepcopy(log)
    rule = broken["runs"][0]["tool"]["driver"]["rules"][0]
    del rule["help"], rule["fullDescription"]
    rule["name"] = rule["id"]
    (tmp_path / "broken.sarif").write_text(json.dumps(broken, indent=2))
    # THEN the validator reports both, at the levels the test above rejects
    problems = validate(tmp_path / "broken.sarif")
    assert any(p.startswith("error GH2012") for p in problems) and any(p.startswith("warning SARIF1001")
                                                                       for p in problems), problems


def test_failures_are_reported_once_each_with_level_and_fingerprint_from_the_mapping(failing_log):
    _, log, _ = failing_log
    failed = {key: result for key, result in fingerprints(log).items() if "suppressions" not in result}
    assert set(failed) == {("CKV_AWS_24", "CKV_AWS_24:secure-web/ops/world-ssh"),
                           ("CKV_SWEB_004", "CKV_SWEB_004:secure-web/ops/world-ssh"),
                           ("CKV_SWEB_005", "CKV_SWEB_005:secure-web/ops/world-ssh"),
                           # on the app hosts' group: around the internal load balancer too
                           ("CKV_SWEB_017", "CKV_SWEB_017:secure-web/ops/world-ssh"),
                           ("CKV2_AWS_6", "CKV2_AWS_6:secure-web/web/access-logs/bucket"),
                           ("CKV_AWS_54", "CKV_AWS_54:secure-web/web/access-logs/public-access-block")}
    assert {result["level"] for result in failed.values()} == {"error"}
    (ssh,) = [result for (rule, _), result in failed.items() if rule == "CKV_AWS_24"]
    (location,) = ssh["locations"]
    block = Path(location["physicalLocation"]["artifactLocation"]["uri"].removeprefix("file://")).read_text()
    assert block.splitlines()[location["physicalLocation"]["region"]["startLine"] - 1].strip() == \
        '"ops_world-ssh_0A1B2C3D": {'
    assert location["logicalLocations"] == [{"name": "world-ssh", "fullyQualifiedName": "secure-web/ops/world-ssh",
                                             "kind": "resource"}]


def test_rules_carry_help_severity_and_framework_tags(failing_log):
    _, log, _ = failing_log
    rules = {rule["id"]: rule for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    rule = rules["CKV_AWS_24"]
    assert rule["helpUri"] == help_uri("CKV_AWS_24") and rule["helpUri"].endswith("docs/controls.md#ckv_aws_24")
    assert rule["properties"]["security-severity"] == SEVERITIES["critical"] == "9.0"
    assert rule["defaultConfiguration"]["level"] == "error"
    assert rule["properties"]["tags"] == ["security", "CIS/5.2", "NIST-800-53r5/SC-7", "seeds/Firewalls"]
    for rule_id, rule in rules.items():
        assert rule["properties"]["security-severity"] == SEVERITIES[severity(rule_id)]
        assert rule["defaultConfiguration"]["level"] == LEVELS[severity(rule_id)]
        assert rule["help"]["markdown"] and rule["fullDescription"]["text"] and rule["shortDescription"]["text"]
        assert 1 < len(rule["properties"]["tags"]) <= 10, rule_id  # GitHub shows at most 10 tags of a rule
        assert all(tag.split("/", 1)[0] in FRAMEWORKS for tag in rule["properties"]["tags"][1:])


def test_fingerprints_are_identical_across_two_runs(reference_log, tmp_path):
    # The second run synthesizes the app itself, so nothing is shared but the source.
    _, first, _ = reference_log
    with redirect_stdout(io.StringIO()) as out:
        status = main([str(REPO_ROOT), "--reports-dir", str(tmp_path)])
    assert status == 0, out.getvalue()
    second = json.loads((tmp_path / "compliance.sarif").read_text())
    assert without_locations(second) == without_locations(first)
    assert fingerprints(second).keys() == fingerprints(first).keys()


def test_an_unrelated_resource_changes_no_fingerprint(reference_stack, failing_log, tmp_path):
    _, before, _ = failing_log
    _, after = gate(edited_reference_out(reference_stack, tmp_path, add_unrelated_queue, open_ssh_to_the_world,
                          allow_public_bucket_policy), tmp_path / "reports")
    old, new = fingerprints(before), fingerprints(after)
    assert set(old) < set(new) and all(fingerprint.endswith(":secure-web/orders/queue")
                                       for _, fingerprint in set(new) - set(old))
    moved = {key for key in old if old[key]["locations"][0]["physicalLocation"]["region"]
             != new[key]["locations"][0]["physicalLocation"]["region"]}
    assert ("CKV_AWS_24", "CKV_AWS_24:secure-web/ops/world-ssh") in moved  # the block moved, its identity did not
    assert all(old[key]["level"] == new[key]["level"] and old[key]["ruleId"] == new[key]["ruleId"] for key in old)


def result(check_id: str, address: str, status: str = FAILED, reason: str = "", line: int = 1) -> Result:
    return Result(check_id=check_id, check_name=f"Ensure {check_id} holds", address=address,
                  file="/out/stacks/shop/cdk.tf.json", status=status, reason=reason, line=line)


def test_one_result_per_finding_a_failure_winning_over_a_skip_reasons_joined():
    paths = {("/out/stacks/shop/cdk.tf.json", "aws_s3_bucket.assets_1"): "shop/assets/bucket",
             ("/out/stacks/shop/cdk.tf.json", "aws_s3_bucket.assets_2"): "shop/assets/bucket"}
    log = json.loads(sarif([
        result("CKV_AWS_18", "aws_s3_bucket.assets_1", SKIPPED, "reasoned"),
        result("CKV_AWS_18", "aws_s3_bucket.assets_2", FAILED, "first", line=40),
        result("CKV_AWS_18", "aws_s3_bucket.assets_2", FAILED, "second"),
        result("CKV_AWS_19", "aws_s3_bucket.assets_1", PASSED, line=12),
        result("TF_OFFLINE_VALIDATE", "aws_s3_bucket.assets_1", FAILED, "bad template"),
    ], paths))
    (bucket, template) = results(log)
    assert bucket["partialFingerprints"] == {FINGERPRINT: "CKV_AWS_18:shop/assets/bucket"}
    assert "suppressions" not in bucket and bucket["message"]["text"].endswith("first\nsecond")
    assert bucket["locations"][0]["physicalLocation"]["region"] == {"startLine": 40}
    # Terraform's results carry no line: the block's line comes from checkov's results on the same address
    assert template["locations"][0]["physicalLocation"]["region"] == {"startLine": 12}
    assert [rule["id"] for rule in log["runs"][0]["tool"]["driver"]["rules"]] == \
        ["CKV_AWS_18", "CKV_AWS_19", "TF_OFFLINE_VALIDATE"]


def test_a_stack_under_the_working_directory_is_named_by_a_relative_uri(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    file = tmp_path / "reports" / "cdktf.out" / "stacks" / "shop" / "cdk.tf.json"
    log = json.loads(sarif([Result(check_id="CKV_AWS_18", check_name="Ensure logging", address="aws_s3_bucket.a",
                                   file=str(file), status=FAILED)], {}))
    (entry,) = results(log)
    assert entry["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "reports/cdktf.out/stacks/shop/cdk.tf.json"}
    assert entry["partialFingerprints"] == {FINGERPRINT: "CKV_AWS_18:aws_s3_bucket.a"}
