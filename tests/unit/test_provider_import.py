"""The lazy provider import (secure_web.aws) changes how fast synth is, never what it writes.

Each synth runs in its own interpreter, because the import path is chosen once per
process (SECURE_WEB_PROVIDER_IMPORT) and the jsii kernel lives as long as the process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROVIDER = "cdktf_cdktf_provider_aws"
# The stacks use about 50 resource kinds; the provider's own __init__ imports all 2,212.
LAZY_MODULE_LIMIT = 100
APPS = {
    "reference": (["main.py"], "secure-web"),
    "scaled": (["benchmarks/scaled_app.py", "--hosts", "3", "--tiers", "1"], "scaled"),
}

# Runs the app as ``python <script> <args>`` would, then reports what it imported.
SYNTH_AND_REPORT = f"""
import json, runpy, sys
script, *arguments = sys.argv[1:]
sys.argv = [script, *arguments]
try:
    runpy.run_path(script, run_name="__main__")
except SystemExit as exit:
    if exit.code not in (0, None):
        raise
print(json.dumps({{
    "provider_modules": len({{name.split(".")[1] for name in sys.modules if name.startswith("{PROVIDER}.")}}),
    # The package __init__ ends in publication.publish(), which registers its private namespace.
    "provider_init_ran": "{PROVIDER}._private" in sys.modules,
}}))
"""


@dataclass(frozen=True)
class Synth:
    """What one synth process wrote and imported."""

    cdk_tf_json: bytes
    provider_modules: int
    """Distinct provider submodules imported (``x`` and ``x._private`` count once)."""
    provider_init_ran: bool


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory):
    """synth(app, mode) runs the app once per (app, mode) in a fresh interpreter and caches the result."""
    results: dict[tuple[str, str], Synth] = {}

    def run(app: str, mode: str) -> Synth:
        if (app, mode) not in results:
            arguments, stack = APPS[app]
            outdir = tmp_path_factory.mktemp(f"{app}-{mode}")
            if app == "scaled":
                arguments = [*arguments, "--outdir", str(outdir)]
            env = {**os.environ, "SECURE_WEB_PROVIDER_IMPORT": mode, "CDKTF_OUTDIR": str(outdir),
                   "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
            completed = subprocess.run([sys.executable, "-c", SYNTH_AND_REPORT, *arguments], cwd=ROOT, env=env,
                                       capture_output=True, text=True, timeout=600, check=False)
            assert completed.returncode == 0, completed.stderr[-3000:]
            report = json.loads(completed.stdout.strip().splitlines()[-1])
            results[(app, mode)] = Synth(cdk_tf_json=(outdir / "stacks" / stack / "cdk.tf.json").read_bytes(),
                                         **report)
        return results[(app, mode)]

    return run


@pytest.mark.parametrize("app", sorted(APPS))
def test_synth_is_byte_identical_between_import_paths(synth, app: str) -> None:
    # GIVEN the same app WHEN synthesized with the stock and the lazy provider import
    stock, lazy = synth(app, "stock"), synth(app, "lazy")
    # THEN cdk.tf.json is the same, byte for byte
    assert lazy.cdk_tf_json == stock.cdk_tf_json


@pytest.mark.parametrize("app", sorted(APPS))
def test_direct_classes_write_what_the_typed_classes_write(synth, app: str) -> None:
    # GIVEN the same app WHEN our constructs use the typed bindings and WHEN they create by jsii type name
    typed, lazy = synth(app, "typed"), synth(app, "lazy")
    # THEN cdk.tf.json is the same, byte for byte
    assert lazy.cdk_tf_json == typed.cdk_tf_json


@pytest.mark.parametrize("app", sorted(APPS))
def test_lazy_path_skips_the_provider_package_init(synth, app: str) -> None:
    lazy, typed = synth(app, "lazy"), synth(app, "typed")
    assert not lazy.provider_init_ran and not typed.provider_init_ran
    assert 0 < typed.provider_modules < LAZY_MODULE_LIMIT
    # The direct classes import a typed module only for a complex attribute (a certificate's
    # validation options, a cluster's secret): far fewer than the resource kinds used.
    assert 0 < lazy.provider_modules <= typed.provider_modules // 5


def test_stock_switch_uses_the_provider_package_init(synth) -> None:
    stock = synth("reference", "stock")
    assert stock.provider_init_ran
    assert stock.provider_modules > 2000
