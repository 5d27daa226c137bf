"""Baseline mode: adopt the gate on a stack that already has findings, fail only on new ones.

The stack under test is the reference stack with two findings a team might already have
deployed (SSH open to the world through its own rule, and the access-log bucket's public
access block letting a public bucket policy through). Each test runs the command on a
variant of it, with a prepared cdktf.out, so nothing is synthesized.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from weakenings import (WORLD_SSH_RULE, allow_public_bucket_policy, edited_reference_out, open_ssh_to_the_world,
                        the)

from secure_web.compliance.baseline import (Baseline, BaselineEntry, apply_baseline, create_baseline,
                                            load_baseline, record, render)
from secure_web.compliance.run import main
from secure_web.compliance.scan import FAILED, PASSED, Result

REPO_ROOT = Path(__file__).resolve().parents[2]

SSH_RULE = WORLD_SSH_RULE
# The rule lands on the app hosts' group, so it also bypasses the internal load balancer (CKV_SWEB_017).
OPEN_SSH = {f"CKV_AWS_24:{SSH_RULE}", f"CKV_SWEB_004:{SSH_RULE}", f"CKV_SWEB_005:{SSH_RULE}",
            f"CKV_SWEB_017:{SSH_RULE}"}
PUBLIC_POLICY = {"CKV2_AWS_6:secure-web/web/access-logs/bucket",
                 "CKV_AWS_54:secure-web/web/access-logs/public-access-block"}


def stop_rotating_the_database_key(document: dict) -> None:
    the(document, "ReplicatedMySQL", "key")[2]["enable_key_rotation"] = False


def gate(outdir: Path, reports: Path, *options: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        status = main([str(REPO_ROOT), "--synth-dir", str(outdir), "--reports-dir", str(reports), *options])
    return status, out.getvalue()


def failed(out: str) -> set[tuple[str, str]]:
    """(check id, address) of each FAILED line."""
    return {tuple(line.split()[1:3]) for line in out.splitlines() if line.startswith("FAILED ")}


def baselined(out: str) -> set[str]:
    return {line.rsplit(": ", 1)[1] for line in out.splitlines() if line.startswith("BASELINED ")}


def stale(out: str) -> set[str]:
    return {line.split()[3] for line in out.splitlines() if line.startswith("stale baseline entry ")}


@pytest.fixture(scope="module")
def adopted(reference_stack, tmp_path_factory) -> tuple[Path, int, str]:
    """The baseline file created on the stack with the two findings, the command's status and output."""
    directory = tmp_path_factory.mktemp("adopted")
    outdir = edited_reference_out(reference_stack, directory, open_ssh_to_the_world, allow_public_bucket_policy)
    baseline = directory / "compliance-baseline.yaml"
    status, out = gate(outdir, directory / "reports", "--create-baseline", str(baseline))
    return baseline, status, out


def test_create_baseline_records_every_failure_and_passes(adopted):
    baseline, status, out = adopted
    assert status == 0 and failed(out) == set(), out
    assert "baseline: recorded 6 failures" in out
    entries = load_baseline(baseline).entries
    assert {entry.key for entry in entries} == OPEN_SSH | PUBLIC_POLICY
    assert [entry.key for entry in entries] == sorted(entry.key for entry in entries)
    assert {entry.created for entry in entries} == {dt.date.today()}
    assert all(entry.construct_path and entry.address for entry in entries)


def test_the_baseline_passes_its_stack_reporting_each_finding_as_baselined(adopted, reference_stack, tmp_path):
    baseline, _, _ = adopted
    outdir = edited_reference_out(reference_stack, tmp_path, open_ssh_to_the_world, allow_public_bucket_policy)
    status, out = gate(outdir, tmp_path / "reports", "--baseline", str(baseline))
    assert status == 0 and failed(out) == set(), out
    assert baselined(out) == OPEN_SSH | PUBLIC_POLICY and stale(out) == set()
    assert "baselined: 6 failures accepted by compliance-baseline.yaml" in out
    report = (tmp_path / "reports" / "compliance.md").read_text()
    assert "## Baseline" in report and "**6 failures baselined**" in report
    assert all(f"`{key}`" in report for key in OPEN_SSH | PUBLIC_POLICY)
    sarif = json.loads((tmp_path / "reports" / "compliance.sarif").read_text())
    suppressed = {result["ruleId"] for result in sarif["runs"][0]["results"]
                  if result.get("suppressions", [{}])[0].get("justification", "").startswith("baselined in ")}
    assert suppressed == {key.split(":")[0] for key in OPEN_SSH | PUBLIC_POLICY}


def test_a_new_failure_fails_the_gate_naming_only_it(adopted, reference_stack, tmp_path):
    baseline, _, _ = adopted
    outdir = edited_reference_out(reference_stack, tmp_path, open_ssh_to_the_world, allow_public_bucket_policy,
                   stop_rotating_the_database_key)
    status, out = gate(outdir, tmp_path / "reports", "--baseline", str(baseline))
    _, key, _ = the(json.loads(reference_stack.read_text()), "ReplicatedMySQL", "key")
    assert status == 1 and failed(out) == {("CKV_AWS_7", f"aws_kms_key.{key}")}, out
    assert baselined(out) == OPEN_SSH | PUBLIC_POLICY


def test_a_fixed_finding_leaves_a_stale_entry_reported_for_removal(adopted, reference_stack, tmp_path):
    baseline, _, _ = adopted
    outdir = edited_reference_out(reference_stack, tmp_path, open_ssh_to_the_world)
    status, out = gate(outdir, tmp_path / "reports", "--baseline", str(baseline))
    assert status == 0 and failed(out) == set(), out
    assert baselined(out) == OPEN_SSH and stale(out) == PUBLIC_POLICY
    assert all("fixed or moved: remove it from compliance-baseline.yaml" in line
               for line in out.splitlines() if line.startswith("stale baseline entry "))
    report = (tmp_path / "reports" / "compliance.md").read_text()
    assert "**2 entries match no failure** (fixed or moved)" in report


def test_a_moved_construct_is_a_new_finding_and_its_old_entry_is_stale(adopted, reference_stack, tmp_path):
    baseline, _, _ = adopted
    moved = "secure-web/admin/world-ssh"
    outdir = edited_reference_out(reference_stack, tmp_path, lambda document: open_ssh_to_the_world(document, moved),
                   allow_public_bucket_policy)
    status, out = gate(outdir, tmp_path / "reports", "--baseline", str(baseline))
    address = "aws_vpc_security_group_ingress_rule.admin_world-ssh_0A1B2C3D"
    assert status == 1 and failed(out) == {(key.split(":")[0], address) for key in OPEN_SSH}, out
    assert baselined(out) == PUBLIC_POLICY and stale(out) == OPEN_SSH


def test_terraform_failures_are_never_baselined(reference_stack, tmp_path):
    # GIVEN a stack Terraform rejects (agent placeholders unescaped) and nothing else failing
    outdir = edited_reference_out(reference_stack, tmp_path)
    file = outdir / "stacks" / "secure-web" / "cdk.tf.json"
    file.write_text(file.read_text().replace("$${aws:", "${aws:"))
    baseline = tmp_path / "baseline.json"
    # WHEN a baseline is created
    status, out = gate(outdir, tmp_path / "reports", "--create-baseline", str(baseline))
    # THEN it records nothing and the gate still fails on Terraform's findings
    assert load_baseline(baseline).entries == ()
    assert status == 1 and {check for check, _ in failed(out)} == {"TF_OFFLINE_VALIDATE"} and len(failed(out)) == 2


MALFORMED = {
    "not YAML": ("baseline: [", "cannot read the baseline"),
    "no list": ("baseline: {}\n", "expected a mapping with a 'baseline' list"),
    "no key": ("baseline:\n  - check: CKV_AWS_24\n    created: 2026-12-01\n", "'key' must be"),
    "key without a path": ("baseline:\n  - key: CKV_AWS_24\n    created: 2026-12-01\n", "'key' must be"),
    "Terraform's check": ("baseline:\n  - key: TF_OFFLINE_VALIDATE:shop/web/ssm\n    created: 2026-12-01\n",
                          "never baselined"),
    "check contradicts key": ("baseline:\n  - key: CKV_AWS_24:shop/ssh\n    check: CKV_AWS_25\n"
                              "    created: 2026-12-01\n", "does not match the key"),
    "no date": ("baseline:\n  - key: CKV_AWS_24:shop/ssh\n", "'created' must be a date"),
    "duplicate": ("baseline:\n  - {key: 'CKV_AWS_24:shop/ssh', created: 2026-12-01}\n"
                  "  - {key: 'CKV_AWS_24:shop/ssh', created: 2026-12-02}\n", "duplicate key"),
}


@pytest.mark.parametrize("text, message", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_baseline_exits_2(tmp_path, capsys, text, message):
    baseline = tmp_path / "baseline.yaml"
    baseline.write_text(text)
    status = main([str(REPO_ROOT), "--synth-dir", str(tmp_path), "--reports-dir", str(tmp_path / "reports"),
                   "--baseline", str(baseline)])
    assert status == 2 and message in capsys.readouterr().err


def test_a_missing_baseline_exits_2(tmp_path, capsys):
    status = main([str(REPO_ROOT), "--synth-dir", str(tmp_path), "--reports-dir", str(tmp_path / "reports"),
                   "--baseline", str(tmp_path / "absent.yaml")])
    assert status == 2 and "cannot read the baseline" in capsys.readouterr().err


def test_create_and_use_are_mutually_exclusive(tmp_path):
    with pytest.raises(SystemExit) as exit_:
        main(["--baseline", str(tmp_path / "a.yaml"), "--create-baseline", str(tmp_path / "b.yaml")])
    assert exit_.value.code == 2


FILE = "/out/stacks/shop/cdk.tf.json"
PATHS = {(FILE, "aws_s3_bucket.assets_1"): "shop/assets/bucket", (FILE, "aws_kms_key.data_2"): "shop/data/key"}


def result(check_id: str, address: str, status: str = FAILED) -> Result:
    return Result(check_id=check_id, check_name=f"name of {check_id}", address=address, file=FILE, status=status)


def test_recreating_a_baseline_keeps_the_dates_of_findings_it_already_had(tmp_path):
    path = tmp_path / "baseline.json"
    first = create_baseline(path, [result("CKV_AWS_18", "aws_s3_bucket.assets_1")], PATHS,
                            today=dt.date(2026, 1, 5))
    again = create_baseline(path, [result("CKV_AWS_18", "aws_s3_bucket.assets_1"),
                                   result("CKV_AWS_7", "aws_kms_key.data_2")], PATHS, today=dt.date(2026, 3, 1))
    assert first.entries == (BaselineEntry(key="CKV_AWS_18:shop/assets/bucket", created=dt.date(2026, 1, 5),
                                           construct_path="shop/assets/bucket", address="aws_s3_bucket.assets_1"),)
    assert {entry.key: entry.created for entry in load_baseline(path).entries} == {
        "CKV_AWS_18:shop/assets/bucket": dt.date(2026, 1, 5), "CKV_AWS_7:shop/data/key": dt.date(2026, 3, 1)}
    assert path.read_text() == render(again) and json.loads(path.read_text())["baseline"][0]["check"] == "CKV_AWS_18"


def test_a_resource_without_a_construct_path_is_keyed_by_its_address():
    (entry,) = record([result("CKV_AWS_18", "aws_s3_bucket.raw")], PATHS, today=dt.date(2026, 1, 5))
    assert (entry.key, entry.construct_path) == ("CKV_AWS_18:aws_s3_bucket.raw", "")


def test_an_entry_whose_check_did_not_run_is_reported_unchecked_not_stale(tmp_path):
    entries = (BaselineEntry(key="CKV_AWS_18:shop/assets/bucket", created=dt.date(2026, 1, 5)),
               BaselineEntry(key="CKV_AWS_7:shop/data/key", created=dt.date(2026, 1, 5)))
    outcome = apply_baseline([result("CKV_AWS_18", "aws_s3_bucket.assets_1", PASSED)],
                             Baseline(source=tmp_path / "baseline.yaml", entries=entries), PATHS)
    assert [entry.key for entry in outcome.stale] == ["CKV_AWS_18:shop/assets/bucket"]
    assert [entry.key for entry in outcome.unchecked] == ["CKV_AWS_7:shop/data/key"]
    assert outcome.baselined == [] and [r.status for r in outcome.results] == [PASSED]
