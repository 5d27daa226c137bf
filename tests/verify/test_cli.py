"""``python -m secure_web.verify``: exit status and report, on moto deployments."""

from __future__ import annotations

import json

import pytest

from moto_deployment import REGION, Breakage
from secure_web.verify.cli import main


@pytest.mark.parametrize("file_format", ["cdktf", "terraform"])
def test_compliant_deployment_exits_0(deployed, tmp_path, capsys, file_format):
    deployment = deployed()
    document = ({"secure-web": deployment.raw_outputs} if file_format == "cdktf" else
                {name: {"value": value, "type": "string", "sensitive": False}
                 for name, value in deployment.raw_outputs.items()})
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    status = main(["--outputs", str(path), "--region", REGION, "--json"], clients=deployment.clients())
    report = json.loads(capsys.readouterr().out)
    assert status == 0
    assert all(entry["passed"] and entry["findings"] == [] for entry in report)


def test_failure_exits_1_and_names_resource_expected_and_found(deployed, tmp_path, capsys):
    deployment = deployed(Breakage.HTTP_TARGET_GROUP)
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"secure-web": deployment.raw_outputs}), encoding="utf-8")
    status = main(["--outputs", str(path), "--region", REGION], clients=deployment.clients())
    out = capsys.readouterr().out
    assert status == 1
    assert (f"FAIL VFY_SWEB_006 Ensure the target group uses HTTPS to the hosts and HTTPS health checks\n"
            f"     target group {deployment.outputs.target_group_arn}: expected Protocol HTTPS; found HTTP") in out
    assert out.rstrip().endswith("31 passed, 1 failed")


def test_unreadable_outputs_exit_2(tmp_path, capsys):
    path = tmp_path / "outputs.json"
    path.write_text("{}", encoding="utf-8")
    assert main(["--outputs", str(path), "--region", REGION]) == 2
    assert "expected a non-empty JSON object" in capsys.readouterr().err


@pytest.mark.parametrize("argv, status, stream, text", [
    (["--help"], 0, "out", "usage: secure-web verify"),
    (["--outputs", "outputs.json"], 2, "err", "the following arguments are required: --region"),
], ids=["help", "missing-region"])
def test_argument_handling_returns_the_status_instead_of_exiting(capsys, argv, status, stream, text):
    assert main(argv) == status
    assert text in getattr(capsys.readouterr(), stream)
