"""Baseline mode: adopt the gate on an existing stack, failing only on findings the stack did not have yet.

* ``--create-baseline FILE`` records every failure left after reasoned skips, one entry per
  finding, keyed by ``findings.finding_key`` (check id + construct path, so the entry
  survives re-synthesis and unrelated changes), with the check, the construct path, the
  address at the time (informative only) and the date it was first recorded. Written as
  JSON when FILE ends in ``.json``, else YAML; sorted by key, so an unchanged stack
  rewrites the same file (dates of entries already in FILE are kept).
* ``--baseline FILE`` turns each failure whose key is listed into a skipped result
  marked "baselined" (in the summary, every report and SARIF as a suppression: never
  silently dropped); any other failure still fails the gate. An entry that matches no
  failure any more was fixed or moved: it is reported, to be removed, but does not fail
  the gate, since fixing findings is what a baseline is for (remove it anyway: left in
  place it would baseline the finding again if it came back). An entry whose check did
  not run at all is reported as not checked, not as stale.
* Terraform's own check (``TF_OFFLINE_VALIDATE``) is never baselined: a stack Terraform
  rejects cannot deploy, whatever was accepted before. Built-in checkov checks and our
  CKV_SWEB policies may be, since the baseline describes a stack that already exists.

A malformed baseline file is an input error (exit 2), every problem reported at once.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .findings import finding_key
from .scan import FAILED, Result
from .skips import CHECK_ID
from .terraform import TERRAFORM_CHECK_ID

HEADER = ("# secure-web compliance baseline: failures accepted when the gate was adopted on an existing stack.\n"
          "# Only 'key' (check id : construct path) matches; fix a finding, then delete its entry.\n")


class BaselineError(ValueError):
    """A baseline file cannot be read or breaks a rule (no key, a Terraform entry, a duplicate, no date)."""


@dataclass(frozen=True)
class BaselineEntry:
    """One accepted finding."""

    key: str
    """``<check id>:<construct path>`` (the address where no path was recorded), as ``findings.finding_key``."""
    created: dt.date
    construct_path: str = ""
    address: str = ""

    @property
    def check_id(self) -> str:
        return self.key.partition(":")[0]

    def describe(self) -> str:
        return f"{self.key} ({self.address or 'no address recorded'}, since {self.created.isoformat()})"


@dataclass(frozen=True)
class Baseline:
    """The entries of one baseline file."""

    source: Path
    entries: tuple[BaselineEntry, ...]


@dataclass
class BaselineOutcome:
    """Results with the baseline applied, and what it says about the entries."""

    baseline: Baseline
    results: list[Result]
    baselined: list[tuple[Result, BaselineEntry]] = field(default_factory=list)
    stale: list[BaselineEntry] = field(default_factory=list)
    """Entries whose check ran but that match no failure: fixed or moved. Reported; they do not fail the gate."""
    unchecked: list[BaselineEntry] = field(default_factory=list)
    """Entries whose check did not run at all, so nothing can be said about them."""

    def summary_lines(self) -> list[str]:
        """What the command prints after the summary table."""
        name = self.baseline.source.name
        lines = [f"baselined: {len(self.baselined)} failures accepted by {name} "
                 f"({len(self.baseline.entries)} entries; counted as skipped above, they do not fail the gate)"]
        lines += [f"BASELINED {result.check_id} {result.address} ({result.stack}): {entry.key}"
                  for result, entry in self.baselined]
        lines += [f"stale baseline entry {entry.describe()}: matches no failure, fixed or moved: "
                  f"remove it from {name}" for entry in self.stale]
        lines += [f"baseline entry not checked {entry.describe()}: {entry.check_id} did not run"
                  for entry in self.unchecked]
        return lines

    def markdown(self) -> str:
        """The report's "Baseline" section."""
        name = self.baseline.source.name
        lines = ["", "## Baseline", "",
                 f"**{len(self.baselined)} failures baselined** by `{name}` ({len(self.baseline.entries)} entries): "
                 "accepted when the gate was adopted, counted as skipped above, not failing the gate. "
                 "Terraform's check is never baselined.", ""]
        if self.baselined:
            lines += ["| Check | Name | Resource | Stack | Key | Since |", "|---|---|---|---|---|---|"]
            lines += [f"| {result.check_id} | {result.check_name} | `{result.address}` | {result.stack} | "
                      f"`{entry.key}` | {entry.created.isoformat()} |" for result, entry in self.baselined]
        if self.stale:
            lines += ["", f"**{len(self.stale)} entries match no failure** (fixed or moved): remove them from "
                          f"`{name}`. They do not fail the gate.", ""]
            lines += [f"- `{entry.key}` ({entry.address or 'no address recorded'}, since "
                      f"{entry.created.isoformat()})" for entry in self.stale]
        if self.unchecked:
            lines += ["", f"**{len(self.unchecked)} entries not checked** (their check did not run):", ""]
            lines += [f"- `{entry.key}`" for entry in self.unchecked]
        return "\n".join(lines) + "\n"


def baselinable(result: Result) -> bool:
    return result.status == FAILED and result.check_id != TERRAFORM_CHECK_ID


def record(results: list[Result], paths: Mapping[tuple[str, str], str], *, previous: tuple[BaselineEntry, ...] = (),
           today: dt.date | None = None) -> tuple[BaselineEntry, ...]:
    """One entry per baselinable failure, sorted by key; a key already in ``previous`` keeps its date."""
    today = today or dt.date.today()
    dates = {entry.key: entry.created for entry in previous}
    entries = {}
    for result in filter(baselinable, results):
        key = finding_key(result, paths)
        entries.setdefault(key, BaselineEntry(key=key, created=dates.get(key, today),
                                              construct_path=paths.get((result.file, result.address), ""),
                                              address=result.address))
    return tuple(entries[key] for key in sorted(entries))


def create_baseline(path: Path, results: list[Result], paths: Mapping[tuple[str, str], str],
                    *, today: dt.date | None = None) -> Baseline:
    """Write the baseline of ``results`` to ``path`` (replacing it, keeping the dates of entries it had)."""
    try:
        previous = load_baseline(path).entries if path.exists() else ()
    except BaselineError:
        previous = ()
    baseline = Baseline(source=path, entries=record(results, paths, previous=previous, today=today))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(baseline))
    return baseline


def render(baseline: Baseline) -> str:
    """The file's text: JSON for a ``.json`` path, else YAML with a header comment."""
    entries = [{"key": entry.key, "check": entry.check_id, "construct_path": entry.construct_path or None,
                "address": entry.address, "created": entry.created.isoformat()} for entry in baseline.entries]
    if baseline.source.suffix == ".json":
        return json.dumps({"baseline": entries}, indent=2) + "\n"
    return HEADER + yaml.safe_dump({"baseline": entries}, sort_keys=False, default_flow_style=False)


def load_baseline(path: Path) -> Baseline:
    """A baseline file (YAML or JSON: a mapping with a ``baseline`` list); every problem reported at once."""
    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise BaselineError(f"{path}: cannot read the baseline: {error}") from error
    entries = document.get("baseline") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise BaselineError(f"{path}: expected a mapping with a 'baseline' list of entries "
                            f"(write one with --create-baseline)")
    parsed, problems, seen = [], [], set()
    for index, entry in enumerate(entries):
        where = f"{path.name} entry {index + 1}"
        key = str(entry.get("key") or "").strip()
        check_id, _, target = key.partition(":")
        created = _date(entry.get("created"))
        if check_id == TERRAFORM_CHECK_ID:
            problems.append(f"{where}: Terraform's check ({key}) is never baselined: a stack Terraform rejects "
                            "cannot deploy; fix the stack instead")
        elif not CHECK_ID.fullmatch(check_id) or not target:
            problems.append(f"{where}: 'key' must be '<check id>:<construct path>' like "
                            f"CKV_AWS_24:shop/admin/ssh-rule; got {key!r}")
        if entry.get("check") is not None and str(entry["check"]) != check_id:
            problems.append(f"{where}: 'check' {entry['check']!r} does not match the key's check {check_id!r}")
        if created is None:
            problems.append(f"{where}: 'created' must be a date like 2026-12-05; got {entry.get('created')!r}")
        if key in seen:
            problems.append(f"{where}: duplicate key {key!r}")
        seen.add(key)
        parsed.append(BaselineEntry(key=key, created=created or dt.date.min,
                                    construct_path=str(entry.get("construct_path") or ""),
                                    address=str(entry.get("address") or "")))
    if problems:
        raise BaselineError("\n".join(problems))
    return Baseline(source=path, entries=tuple(parsed))


def _date(value: object) -> dt.date | None:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return value if isinstance(value, dt.date) and not isinstance(value, dt.datetime) else None


def apply_baseline(results: list[Result], baseline: Baseline,
                   paths: Mapping[tuple[str, str], str]) -> BaselineOutcome:
    """Failures the baseline lists become skipped ("baselined"); entries matching none are stale or unchecked."""
    by_key = {entry.key: entry for entry in baseline.entries}
    outcome = BaselineOutcome(baseline=baseline, results=[])
    matched: set[str] = set()
    for result in results:
        entry = by_key.get(finding_key(result, paths)) if baselinable(result) else None
        if entry is None:
            outcome.results.append(result)
            continue
        matched.add(entry.key)
        outcome.baselined.append((result, entry))
        outcome.results.append(result.skipped(f"baselined in {baseline.source.name} since "
                                              f"{entry.created.isoformat()} ({entry.key}): accepted when the gate "
                                              "was adopted; fix it, then remove the entry"))
    checked = {result.check_id for result in results}
    for entry in baseline.entries:
        if entry.key not in matched:
            (outcome.stale if entry.check_id in checked else outcome.unchecked).append(entry)
    return outcome
