"""The compliance command: reports on a good stack, a clean error on invalid props."""

from __future__ import annotations

from pathlib import Path

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
import json


from secure_web.compliance.run import main

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_command_writes_reports_and_passes(reference_out, tmp_path, capsys):
    status = main([str(REPO_ROOT), "--synth-dir", str(reference_out), "--reports-dir", str(tmp_path)])
    assert status == 0, capsys.readouterr()
    ET.parse(tmp_path / "compliance.junit.xml")
    assert json.loads((tmp_path / "compliance.sarif").read_text())["version"] == "2.1.0"
    report = (tmp_path / "compliance.md").read_text()
    assert "Every server runs web + app + database" in report and "## Skips" in report
    assert (tmp_path / "architecture-secure-web.png").stat().st_size > 0 or not (tmp_path / "architecture-secure-web.dot").exists()


def test_invalid_props_exit_non_zero_without_traceback(tmp_path):
    env = {**os.environ, "SECURE_WEB_WEB_INSTANCE_COUNT": "1"}
    completed = subprocess.run([sys.executable, "-m", "secure_web.compliance", "--reports-dir", str(tmp_path)],
                               cwd=REPO_ROOT,
                               env=env, capture_output=True, text=True, check=False)
    assert completed.returncode == 2
    assert "instance_count" in completed.stderr and "Traceback" not in completed.stderr


def test_terraform_rejecting_a_block_fails_the_gate_with_its_message(reference_stack, tmp_path, capsys):
    # GIVEN the reference stack with the agent placeholders unescaped, as it was synthesized before the fix
    broken = tmp_path / "out" / "stacks" / "secure-web" / "cdk.tf.json"
    broken.parent.mkdir(parents=True)
    text = reference_stack.read_text()
    assert text.count("$${aws:InstanceId}") == 2
    broken.write_text(text.replace("$${aws:", "${aws:"))
    # WHEN the gate scans it
    status = main([str(REPO_ROOT), "--synth-dir", str(tmp_path / "out"), "--reports-dir", str(tmp_path / "reports")])
    # THEN it fails on exactly those two blocks, with Terraform's own words and the attribute
    out = capsys.readouterr().out
    failed = [line for line in out.splitlines() if line.startswith("FAILED")]
    assert status == 1 and len(failed) == 2, out
    assert all("TF_OFFLINE_VALIDATE aws_ssm_parameter." in line and " value: Extra characters after interpolation "
               "expression" in line for line in failed)
