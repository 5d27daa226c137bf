"""secure_web as its users get it: a wheel of this checkout in a fresh virtualenv outside the source tree.

GIVEN a wheel built from the checkout, installed with only the ``verify`` extra, then
with ``compliance`` too, into a new virtualenv in a temporary directory, and a copy of
``examples/`` there (construct ids unlike the reference stack's),
THEN ``secure-web verify --help`` runs without checkov and without starting node, the
example passes the gate with 0 failed, the weakened example fails naming the check,
renaming every construct id changes no result, mypy sees the package as typed, and the
commands of the README's consumer sections run as written.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
CONSUMER_SECTIONS = ("## Use the constructs in your own stack", "## Compliance in your CI")
INSTALL_URL = re.compile(r'"secure-web(\[[a-z,]+\])? @ git\+[^"]+"')


@dataclass
class Installed:
    """The fresh virtualenv and the directory it sits in (outside the source tree)."""

    root: Path
    venv: Path
    wheel: Path
    verify_only: dict

    def env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items()
               if key not in ("VIRTUAL_ENV", "PIPENV_ACTIVE", "PYTHONPATH", "PIP_REQUIRE_VIRTUALENV")}
        env.update(PATH=f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", VIRTUAL_ENV=str(self.venv),
                   JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20", PIP_DISABLE_PIP_VERSION_CHECK="1")
        return env

    def run(self, *command: str, cwd: Path | None = None, timeout: int = 900) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(command), cwd=cwd or self.root, env=self.env(), capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    def pip_install(self, requirement: str) -> None:
        completed = self.run(str(self.venv / "bin" / "python"), "-m", "pip", "install", "--quiet", requirement)
        assert completed.returncode == 0, completed.stderr[-3000:]


VERIFY_PROBE = """
import json, sys
from secure_web.cli import main
try:
    status = main(["verify", "--help"])
except SystemExit as exit:
    status = exit.code
print(json.dumps({"status": status, "loaded": sorted({m.split(".")[0] for m in sys.modules}
                  & {"jsii", "cdktf", "constructs", "checkov", "boto3"})}))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("consumer")
    assert REPO not in root.parents
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                            "-w", str(root / "dist"), str(REPO)], capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (root / "dist").glob("secure_web-*.whl")
    venv = root / ".venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    installed = Installed(root=root, venv=venv, wheel=wheel, verify_only={})
    installed.pip_install(f"secure-web[verify] @ {wheel.as_uri()}")
    # With only the verify extra: checkov absent, the verifier's CLI answers without node.
    probe = installed.run(str(venv / "bin" / "python"), "-c", VERIFY_PROBE)
    help_run = installed.run("secure-web", "verify", "--help")
    checkov = installed.run(str(venv / "bin" / "python"), "-c", "import checkov")
    installed.verify_only = {"probe": probe.stdout.strip().splitlines()[-1:], "probe_err": probe.stderr,
                             "help_status": help_run.returncode, "help": help_run.stdout,
                             "checkov_missing": checkov.returncode != 0}
    installed.pip_install(f"secure-web[compliance,verify] @ {wheel.as_uri()}")
    shutil.copytree(REPO / "examples", root / "examples")
    return installed


def test_verify_runs_with_only_the_verify_extra_and_no_node(installed):
    facts = installed.verify_only
    assert facts["checkov_missing"]
    assert facts["help_status"] == 0 and "--outputs" in facts["help"]
    assert facts["probe"], facts["probe_err"]
    probe = json.loads(facts["probe"][0])
    assert probe == {"status": 0, "loaded": []}, facts["probe_err"]


def test_the_installed_copy_is_used_and_ships_everything(installed):
    completed = installed.run(str(installed.venv / "bin" / "python"), "-c", (
        "import importlib.resources as r, secure_web; p = r.files('secure_web');"
        "print(secure_web.__file__);"
        "print(all((p / n).is_file() for n in ('py.typed', 'policies/skips.yaml', 'policies/NoSshIngress.py',"
        " 'policies/tf_json.py', 'bootstrap/host_bootstrap.sh', 'verify/verifier-policy.json')))"))
    location, complete = completed.stdout.split()
    assert str(installed.venv) in location and complete == "True", completed.stderr


def gate(installed: Installed, app: str, name: str) -> tuple[subprocess.CompletedProcess[str], Counter]:
    """Runs ``secure-web compliance APP`` in the copied examples; returns the run and (check, status) counts."""
    reports = installed.root / "reports" / name
    completed = installed.run("secure-web", "compliance", app, "--reports-dir", str(reports),
                              cwd=installed.root / "examples")
    counts: Counter = Counter()
    junit = reports / "compliance.junit.xml"
    if junit.exists():
        for case in ElementTree.parse(junit).iter("testcase"):
            status = "failed" if case.find("failure") is not None else (
                "skipped" if case.find("skipped") is not None else "passed")
            counts[(case.get("classname", "").split(".", 1)[1], status)] += 1
    return completed, counts


def test_example_passes_the_gate(installed):
    completed, counts = gate(installed, "storefront", "storefront")
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert sum(n for (_, status), n in counts.items() if status == "failed") == 0
    assert sum(n for (_, status), n in counts.items() if status == "skipped") > 0  # the library's skips applied
    reports = installed.root / "reports" / "storefront"
    assert {path.name for path in reports.iterdir()} >= {"compliance.junit.xml", "compliance.sarif", "compliance.md",
                                                          "compliance.html"}


def test_weakened_example_fails_naming_the_check(installed):
    completed, counts = gate(installed, "storefront-weakened", "weakened")
    assert completed.returncode == 1, completed.stdout[-3000:] + completed.stderr[-3000:]
    failed = sorted(line.split()[1] for line in completed.stdout.splitlines() if line.startswith("FAILED "))
    assert "CKV_SWEB_005" in failed and "CKV_AWS_24" in failed
    assert all("debug-ssh" in line for line in completed.stdout.splitlines() if line.startswith("FAILED "))


def test_weakened_example_adopts_the_gate_with_a_baseline(installed):
    baseline = installed.root / "weakened-baseline.yaml"
    examples = installed.root / "examples"
    created = installed.run("secure-web", "compliance", "storefront-weakened", "--create-baseline", str(baseline),
                            "--reports-dir", str(installed.root / "reports" / "baseline-create"), cwd=examples)
    assert created.returncode == 0 and baseline.is_file(), created.stdout[-3000:] + created.stderr[-2000:]
    adopted = installed.run("secure-web", "compliance", "storefront-weakened", "--baseline", str(baseline),
                            "--reports-dir", str(installed.root / "reports" / "baseline-use"), cwd=examples)
    assert adopted.returncode == 0, adopted.stdout[-3000:]
    baselined = sorted(line.split()[1] for line in adopted.stdout.splitlines() if line.startswith("BASELINED "))
    assert baselined == ["CKV_AWS_24", "CKV_SWEB_004", "CKV_SWEB_005"]
    assert not [line for line in adopted.stdout.splitlines() if line.startswith("FAILED ")]


def test_renaming_every_construct_id_changes_no_result(installed):
    original = installed.root / "examples" / "storefront"
    renamed = installed.root / "examples" / "storefront-renamed"
    shutil.copytree(original, renamed)
    source = (renamed / "storefront.py").read_text()
    for construct_id in ("edge-net", "storefront", "orders"):
        source, replaced = re.subn(rf'"{construct_id}"', f'"renamed-{construct_id}-x9"', source)
        assert replaced == 1, construct_id
    (renamed / "storefront.py").write_text(source)
    _, before = gate(installed, "storefront", "before-rename")
    completed, after = gate(installed, "storefront-renamed", "after-rename")
    assert completed.returncode == 0, completed.stdout[-3000:]
    assert after == before and sum(before.values()) > 300


def test_mypy_sees_the_package_as_typed(installed):
    installed.pip_install("mypy")
    example = installed.root / "examples" / "storefront"
    completed = installed.run(str(installed.venv / "bin" / "python"), "-m", "mypy", "--no-incremental",
                              "storefront.py", "app.py", cwd=example)
    assert "import-untyped" not in completed.stdout and "missing library stubs" not in completed.stdout
    assert completed.returncode == 0, completed.stdout[-3000:]


def readme_consumer_blocks() -> list[tuple[str, str]]:
    """(language, code) of every fenced block in the README's consumer sections, in order."""
    text = README.read_text()
    blocks = []
    for heading in CONSUMER_SECTIONS:
        section = text.split(heading, 1)[1].split("\n## ", 1)[0]
        blocks += re.findall(r"```(\w+)\n(.*?)```", section, re.DOTALL)
    return blocks


def test_readme_consumer_sections_run_as_written(installed):
    # GIVEN a new directory, like a consumer's repository, and the README's blocks in order
    project = installed.root / "readme-project"
    project.mkdir()
    blocks = readme_consumer_blocks()
    assert [language for language, _ in blocks].count("sh") >= 2
    for index, (language, code) in enumerate(blocks):
        if language == "python":
            (project / "app.py").write_text(code)
        elif language == "json":
            (project / "cdktf.json").write_text(code)
        elif language == "yaml":
            (project / "compliance-skips.yaml").write_text(code)
            validated = installed.run(str(installed.venv / "bin" / "python"), "-c", (
                "from pathlib import Path; from secure_web.compliance.skips import load_consumer_skips;"
                "print(len(load_consumer_skips(Path('compliance-skips.yaml'))))"), cwd=project)
            assert validated.stdout.strip() == "1", validated.stderr[-2000:]
        elif language == "sh":
            # WHEN each shell block runs as written (the git URL points at this checkout's wheel)
            script = INSTALL_URL.sub(lambda m: f'"secure-web{m.group(1) or ""} @ {installed.wheel.as_uri()}"', code)
            completed = installed.run("bash", "-euo", "pipefail", "-c", script, cwd=project)
            # THEN it succeeds (the gate's own exit codes are the README's promise)
            assert completed.returncode == 0, f"block {index}:\n{code}\n{completed.stdout[-3000:]}{completed.stderr[-3000:]}"
