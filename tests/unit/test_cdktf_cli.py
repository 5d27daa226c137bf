"""The real cdktf-cli (npm cdktf-cli@0.21.0) synthesizes the app offline, with no AWS credentials."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CDKTF = REPO / "node_modules" / ".bin" / "cdktf"


@pytest.mark.cli
def test_cdktf_synth_produces_the_reference_stack(tmp_path):
    assert CDKTF.exists(), "cdktf-cli is missing: run `npm ci` (the README's set-up does)"
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment.update({"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "CHECKPOINT_DISABLE": "1",
                        "CDKTF_DISABLE_PLUGIN_CACHE_ENV": "1", "CI": "true"})
    result = subprocess.run([str(CDKTF), "synth", "--output", str(tmp_path / "out")], cwd=REPO, env=environment,
                            capture_output=True, text=True, timeout=400)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    document = json.loads((tmp_path / "out/stacks/secure-web/cdk.tf.json").read_text())
    assert document["//"]["metadata"]["stackName"] == "secure-web"
    assert len(document["resource"]["aws_lb_listener"]) == 3  # public HTTPS, public redirect, internal HTTPS
    manifest = json.loads((tmp_path / "out/manifest.json").read_text())
    assert set(manifest["stacks"]) == {"secure-web"}
