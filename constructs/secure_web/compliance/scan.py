"""Run checkov on synthesized Terraform JSON and return one Result per (check, resource)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Sequence

SOURCE_POLICIES_DIR = Path(__file__).resolve().parents[3] / "policies"
"""The policies' source in a checkout (``policies/`` at the repository root); the wheel ships them as secure_web.policies."""
CUSTOM_PREFIX = "CKV_SWEB_"
PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


class ScanError(RuntimeError):
    """checkov could not scan what it was given (parsing errors, no resources, a crash)."""


@dataclass(frozen=True)
class Result:
    """One check's verdict on one resource."""

    check_id: str
    check_name: str
    address: str
    """``<type>.<name>`` for resources, ``data.<type>.<name>`` for data sources."""
    file: str
    status: str
    reason: str = ""
    line: int = 1

    @property
    def custom(self) -> bool:
        return self.check_id.startswith(CUSTOM_PREFIX)

    @property
    def stack(self) -> str:
        return stack_name(self.file)

    def skipped(self, reason: str) -> "Result":
        return replace(self, status=SKIPPED, reason=reason)


@dataclass(frozen=True)
class Scan:
    """Everything one checkov run found."""

    results: tuple[Result, ...]
    files: tuple[str, ...]
    resource_counts: dict[str, int]

    def by_status(self, status: str, *, custom: bool | None = None) -> list[Result]:
        return [r for r in self.results if r.status == status and (custom is None or r.custom == custom)]


def policies_dir() -> Path:
    """The CKV_SWEB policies: ``secure_web/policies`` of the installed package, else the checkout's ``policies/``."""
    spec = importlib.util.find_spec("secure_web.policies")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    if (SOURCE_POLICIES_DIR / "tf_json.py").is_file():
        return SOURCE_POLICIES_DIR
    raise ScanError("the CKV_SWEB policies are not installed: install secure-web with the 'compliance' extra")


def stack_name(file: str) -> str:
    """``stacks/<name>/cdk.tf.json`` → name; any other ``X.tf.json`` → X."""
    path = Path(file)
    return path.parent.name if path.name == "cdk.tf.json" else path.name.removesuffix(".tf.json")


def _type_index(document: dict) -> dict[tuple[str, str], str]:
    index = {}
    for block in ("resource", "data"):
        for kind, by_name in (document.get(block) or {}).items():
            for name in by_name:
                index[(block, name)] = kind
    return index


def _address(raw: str, index: dict[tuple[str, str], str]) -> str:
    # checkov 3.3.30's terraform_json runner names Python-check records "<block>.<name>"
    # (the type is lost); graph-check records are "<type>.<name>". Restore the type.
    block, _, name = raw.partition(".")
    if block in ("resource", "data") and (block, name) in index:
        kind = index[(block, name)]
        return f"{kind}.{name}" if block == "resource" else f"data.{kind}.{name}"
    return raw


def run_checkov(paths: Sequence[Path], *, checks: Iterable[str] = (), builtin: bool = True) -> Scan:
    """Scan ``paths`` (files ending .tf.json, or directories of them) with built-in checks and our policies."""
    files = sorted({str(f.resolve()) for p in paths for f in ([p] if p.is_file() else p.rglob("*.tf.json"))})
    if not files:
        raise ScanError(f"no .tf.json files under {', '.join(map(str, paths))}")
    command = [sys.executable, "-m", "checkov.main", "--framework", "terraform_json", "--skip-download",
               "-o", "json", "--external-checks-dir", str(policies_dir())]
    for file in files:
        command += ["-f", file]
    selected = list(checks) or ([] if builtin else [f"{CUSTOM_PREFIX}*"])
    if selected:
        command += ["--check", ",".join(selected)]
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
           "LOG_LEVEL": "ERROR", "ANSI_COLORS_DISABLED": "1"}
    if importlib.util.find_spec("checkov") is None:
        raise ScanError("checkov is not installed: install secure-web with the 'compliance' extra")
    with tempfile.TemporaryDirectory(prefix="secure-web-checkov-") as neutral:
        # A neutral working directory: no .checkov.yaml of the caller's changes what we run.
        completed = subprocess.run(command, capture_output=True, text=True, env=env, cwd=neutral, check=False)
    try:
        reports = json.loads(completed.stdout)
    except json.JSONDecodeError as error:
        raise ScanError(f"checkov failed (exit {completed.returncode}): {completed.stderr[-2000:]}") from error
    reports = reports if isinstance(reports, list) else [reports]
    results: list[Result] = []
    documents = {file: json.loads(Path(file).read_text()) for file in files}
    indexes = {file: _type_index(doc) for file, doc in documents.items()}
    for report in reports:
        if "results" not in report:  # a summary-only answer: nothing matched
            continue
        errors = report["results"].get("parsing_errors") or report.get("summary", {}).get("parsing_errors")
        if errors:
            raise ScanError(f"checkov could not parse: {errors}")
        for key, status in (("passed_checks", PASSED), ("failed_checks", FAILED), ("skipped_checks", SKIPPED)):
            for record in report["results"].get(key, []):
                file = record["file_abs_path"]
                results.append(Result(
                    check_id=record["check_id"], check_name=record["check_name"],
                    address=_address(record["resource"], indexes.get(file, {})), file=file, status=status,
                    line=(record.get("file_line_range") or [1])[0],
                ))
    counts = {file: sum(len(v) for v in (doc.get("resource") or {}).values()) for file, doc in documents.items()}
    return Scan(results=tuple(sorted(results, key=lambda r: (r.file, r.check_id, r.address))),
                files=tuple(files), resource_counts=counts)
