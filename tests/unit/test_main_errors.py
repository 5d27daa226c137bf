"""main.py: bad settings or props give a clean error, a non-zero exit, and leave the last good output untouched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jsii.errors
import pytest

import main
from tests.conftest import REPO


HEADER = "secure_web: the reference stack was not synthesized:"


def run_main(outdir: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("SECURE_WEB_") and key != "CDKTF_CONTEXT_JSON"}
    environment.update(settings, CDKTF_OUTDIR=str(outdir), JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20")
    return subprocess.run([sys.executable, "main.py"], cwd=REPO, env=environment, capture_output=True, text=True,
                          timeout=300)


def snapshot(outdir: Path) -> dict[str, bytes]:
    return {str(path.relative_to(outdir)): path.read_bytes() for path in sorted(outdir.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def good_output(tmp_path_factory):
    """GIVEN an output directory holding one good synth."""
    outdir = tmp_path_factory.mktemp("main") / "cdktf.out"
    result = run_main(outdir)
    assert result.returncode == 0, result.stderr
    return outdir, snapshot(outdir)


def test_good_synth_publishes_manifest_and_stack_and_nothing_else(good_output):
    _, files = good_output
    assert set(files) == {"manifest.json", "stacks/secure-web/cdk.tf.json"}


@pytest.mark.parametrize("settings, expected", [
    ({"SECURE_WEB_WEB_INSTANCE_COUNT": "abc"}, "SECURE_WEB_WEB_INSTANCE_COUNT must be a whole number; got 'abc'"),
    ({"CDKTF_CONTEXT_JSON": '{"app_instance_count": "many"}'},
     "context 'app_instance_count' must be a whole number; got 'many'"),
    ({"SECURE_WEB_WEB_INSTANCE_COUNT": "1"}, "secure-web/web: 'instance_count' must be between 2 and 100; got 1"),
    ({"SECURE_WEB_DB_INSTANCE_CLASS": "db.t3.micro"},
     "secure-web/database: 'instance_class' must be a Multi-AZ DB cluster class like db.m6gd.large; got 'db.t3.micro'"),
    ({"SECURE_WEB_REGION": "eu-west-1a"},
     "SECURE_WEB_REGION must be a region like eu-west-1, not an availability zone (this one is in eu-west-1); "
     "got 'eu-west-1a'"),
    ({"CDKTF_CONTEXT_JSON": '{"region": "us-east-1b"}'},
     "context 'region' must be a region like eu-west-1, not an availability zone (this one is in us-east-1); "
     "got 'us-east-1b'"),
    ({"SECURE_WEB_STATE_BUCKET": "s3://team-state"},
     "SECURE_WEB_STATE_BUCKET must be the bucket name alone, like team-state, not a URL or ARN (the object key is "
     "the state_key setting); got 's3://team-state'"),
    ({"SECURE_WEB_STACK_NAME": ""},
     "SECURE_WEB_STACK_NAME must be 1-64 letters, digits, '-' and '_', starting with a letter (it names the stack, "
     "its directory in the output and the 'stack' tag); got ''"),
    ({"SECURE_WEB_WEB_INSTANCES": "4"},
     "SECURE_WEB_WEB_INSTANCES is not a setting of the reference stack; did you mean SECURE_WEB_WEB_INSTANCE_COUNT?"),
    ({"secure_web_region": "us-east-1"},
     "secure_web_region is not a setting of the reference stack; did you mean SECURE_WEB_REGION?"),
], ids=["setting-not-a-number", "context-not-a-number", "web-count-out-of-range", "db-class-unsupported",
        "region-is-an-availability-zone", "context-region-is-an-availability-zone", "state-bucket-is-a-url",
        "stack-name-empty", "misspelt-variable", "lower-case-variable"])
def test_bad_input_exits_non_zero_without_traceback_and_keeps_the_old_output(good_output, settings, expected):
    outdir, before = good_output

    result = run_main(outdir, **settings)

    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert HEADER in lines, result.stderr
    assert lines[lines.index(HEADER) + 1:] == [expected]
    assert "Traceback" not in result.stderr
    assert snapshot(outdir) == before
    assert not list(outdir.glob(".synth-*"))


class _FailingApp:
    """Writes part of a stack into its outdir, then fails, as cdktf does when a validation fails during synth."""

    def __init__(self, outdir: str) -> None:
        self.outdir = Path(outdir)

    def synth(self) -> None:
        (self.outdir / "stacks" / "secure-web").mkdir(parents=True, exist_ok=True)
        (self.outdir / "stacks" / "secure-web" / "cdk.tf.json").write_text("{}")
        raise jsii.errors.JSIIError("Validation failed with the following errors: ...")


def test_failed_synth_leaves_the_old_output_unchanged(tmp_path, monkeypatch, capsys):
    outdir = tmp_path / "cdktf.out"
    (outdir / "stacks" / "secure-web").mkdir(parents=True)
    (outdir / "manifest.json").write_text("old manifest")
    (outdir / "stacks" / "secure-web" / "cdk.tf.json").write_text("old stack")
    before = snapshot(outdir)
    monkeypatch.setenv("CDKTF_OUTDIR", str(outdir))
    monkeypatch.setattr(main, "build_app", lambda outdir: _FailingApp(outdir))

    assert main.main() == 1

    assert snapshot(outdir) == before
    assert sorted(path.name for path in outdir.iterdir()) == ["manifest.json", "stacks"]
    assert "synthesis failed" in capsys.readouterr().err
