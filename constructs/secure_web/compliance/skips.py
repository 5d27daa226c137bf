"""Reasoned skips of built-in checkov checks: the library's own, and a consumer's file.

checkov ignores inline skip comments in Terraform JSON, so skips live in files.

* The library's skips (``policies/skips.yaml``, shipped as ``secure_web/policies/skips.yaml``)
  are keyed to our constructs, never to addresses: each names a construct kind
  (``SecureWebTier``) and resource paths relative to it (``access-logs/bucket``, globs
  allowed). A resource matches when the synthesized JSON records that one of our
  constructs of that kind made it (``"//".secure_web.resources``, written by
  ``secure_web.provenance``), wherever the construct sits in any consumer's tree and
  whatever its ids. A consumer's own raw resources never carry that record, so library
  skips never touch them.
* A consumer's skips file (``--skips FILE``) lists ``check``, ``resource`` (an address
  like ``aws_s3_bucket.assets_1234ABCD`` or a construct-path pattern like
  ``shop/assets/*``), ``reason``, ``owner`` and ``expires`` (YYYY-MM-DD). A malformed
  file is an input error; an expired entry or one that matches no failure fails the gate.

Our own CKV_SWEB policies and Terraform's check are never skipped.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import yaml

from .scan import CUSTOM_PREFIX, FAILED, Result, policies_dir

LIBRARY = "secure_web"
MIN_REASON_WORDS = 10
CHECK_ID = re.compile(r"CKV2?_[A-Z]+_\d+")
ADDRESS = re.compile(r"(data\.)?[a-z][a-z0-9_]*\.[A-Za-z0-9_\-]+")
CONSTRUCT_KINDS = ("Network", "SecureWebTier", "MonitoredHost", "ReplicatedMySQL", "AlarmTopic",
                   "DnsValidatedCertificate")


class InvalidSkipsError(ValueError):
    """A skips file breaks a rule (blanket skip, short reason, our own policy skipped, no owner, ...)."""


@dataclass(frozen=True)
class Skip:
    """One reasoned skip; ``source`` is ``secure_web`` for the library's, else the consumer file's name."""

    check_id: str
    reason: str
    source: str
    resources: tuple[str, ...]
    """Library: paths relative to ``construct`` (globs). Consumer: one address or construct-path pattern."""
    construct: str | None = None
    owner: str | None = None
    expires: dt.date | None = None

    @property
    def library(self) -> bool:
        return self.source == LIBRARY

    def describe(self) -> str:
        target = f"{self.construct}: {', '.join(self.resources)}" if self.library else self.resources[0]
        return f"{self.check_id} {target} ({self.source})"


@dataclass(frozen=True)
class Provenance:
    """What the synthesized JSON records about a resource: its construct path, and our construct that made it."""

    path: str
    construct: str | None = None
    relative: str | None = None


@dataclass
class SkipOutcome:
    """Results with skips applied, and what is wrong with the consumer's skips."""

    results: list[Result]
    applied: dict[Skip, list[Result]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    """Expired or stale consumer entries: each fails the gate."""


def library_skips_file() -> Path:
    return policies_dir() / "skips.yaml"


def load_library_skips(path: Path | None = None) -> tuple[Skip, ...]:
    """The library's construct-keyed skips; every problem reported at once."""
    path = path or library_skips_file()
    skips, problems = [], []
    for index, entry in enumerate(_entries(path)):
        where = f"{path.name} entry {index + 1}"
        check_id, reason = _check_and_reason(entry, where, problems)
        construct = str(entry.get("construct", ""))
        resources = tuple(str(r) for r in entry.get("resources") or [])
        if construct not in CONSTRUCT_KINDS:
            problems.append(f"{where}: 'construct' must be one of {', '.join(CONSTRUCT_KINDS)}; got {construct!r}")
        if not resources or any(not r or r.startswith("/") or r == "*" for r in resources):
            problems.append(f"{where}: 'resources' must list paths inside the construct (no blanket skips); "
                            f"got {list(resources)!r}")
        skips.append(Skip(check_id=check_id, reason=reason, source=LIBRARY, resources=resources, construct=construct))
    if problems:
        raise InvalidSkipsError("\n".join(problems))
    return tuple(skips)


def load_consumer_skips(path: Path) -> tuple[Skip, ...]:
    """A consumer's skips file: check, resource, reason, owner, expires for every entry."""
    skips, problems = [], []
    for index, entry in enumerate(_entries(path)):
        where = f"{path.name} entry {index + 1}"
        check_id, reason = _check_and_reason(entry, where, problems)
        resource = str(entry.get("resource", "")).strip()
        owner = str(entry.get("owner", "")).strip()
        expires = entry.get("expires")
        if not resource or resource in ("*", "**") or (not ADDRESS.fullmatch(resource) and "/" not in resource):
            problems.append(f"{where}: 'resource' must be an address like aws_s3_bucket.assets_1234ABCD or a "
                            f"construct-path pattern like shop/assets/*; got {resource!r}")
        if not owner:
            problems.append(f"{where}: 'owner' must name who answers for this skip")
        if isinstance(expires, str):
            try:
                expires = dt.date.fromisoformat(expires)
            except ValueError:
                pass
        if not isinstance(expires, dt.date) or isinstance(expires, dt.datetime):
            problems.append(f"{where}: 'expires' must be a date like 2027-06-30; got {expires!r}")
            expires = None
        skips.append(Skip(check_id=check_id, reason=reason, source=path.name, resources=(resource,),
                          owner=owner, expires=expires))
    if problems:
        raise InvalidSkipsError("\n".join(problems))
    return tuple(skips)


def _entries(path: Path) -> list[dict]:
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise InvalidSkipsError(f"{path}: cannot read skips: {error}") from error
    entries = document.get("skips") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise InvalidSkipsError(f"{path}: expected a mapping with a 'skips' list of entries")
    return entries


def _check_and_reason(entry: Mapping, where: str, problems: list[str]) -> tuple[str, str]:
    check_id = str(entry.get("check", ""))
    reason = " ".join(str(entry.get("reason", "")).split())
    if not CHECK_ID.fullmatch(check_id):
        problems.append(f"{where}: 'check' must be a checkov id like CKV_AWS_18; got {check_id!r}")
    if check_id.startswith(CUSTOM_PREFIX):
        problems.append(f"{where}: our own policies ({check_id}) are never skipped; fix the stack instead")
    if len(reason.split()) < MIN_REASON_WORDS:
        problems.append(f"{where}: 'reason' must be a sentence of at least {MIN_REASON_WORDS} words; got {reason!r}")
    return check_id, reason


def provenance_index(document: Mapping) -> dict[str, Provenance]:
    """Address -> provenance, from each block's ``//``.metadata.path and the stack's secure_web record."""
    records = ((document.get("//") or {}).get("secure_web") or {}).get("resources") or {}
    index = {}
    for block in ("resource", "data"):
        for kind, by_name in (document.get(block) or {}).items():
            for name, body in (by_name or {}).items():
                path = (((body or {}).get("//") or {}).get("metadata") or {}).get("path", "")
                record = records.get(path) or {}
                address = f"{kind}.{name}" if block == "resource" else f"data.{kind}.{name}"
                index[address] = Provenance(path=path, construct=record.get("construct"),
                                            relative=record.get("path"))
    return index


def _matches(skip: Skip, provenance: Provenance | None, address: str) -> bool:
    if skip.library:
        return (provenance is not None and provenance.construct == skip.construct and provenance.relative is not None
                and any(fnmatch.fnmatchcase(provenance.relative, pattern) for pattern in skip.resources))
    (target,) = skip.resources
    if ADDRESS.fullmatch(target):
        return address == target
    return provenance is not None and fnmatch.fnmatchcase(provenance.path, target)


def apply_skips(results: list[Result], skips: tuple[Skip, ...], documents: Mapping[str, Mapping],
                *, today: dt.date | None = None) -> SkipOutcome:
    """Failed results a live skip matches become skipped; expired and stale consumer skips are problems."""
    today = today or dt.date.today()
    indexes = {file: provenance_index(document) for file, document in documents.items()}
    outcome = SkipOutcome(results=[], applied={skip: [] for skip in skips})
    for result in results:
        skip = None
        if result.status == FAILED and not result.custom:
            provenance = indexes.get(result.file, {}).get(result.address)
            skip = next((s for s in skips if s.check_id == result.check_id and _matches(s, provenance, result.address)),
                        None)
        if skip is not None:
            outcome.applied[skip].append(result)
        live = skip is not None and (skip.expires is None or skip.expires >= today)
        outcome.results.append(result.skipped(f"{skip.reason} [{skip.source}]") if live else result)
    for skip, matched in outcome.applied.items():
        if skip.library:
            continue
        if skip.expires is not None and skip.expires < today:
            outcome.problems.append(f"expired skip {skip.describe()}: expired on {skip.expires.isoformat()} "
                                    f"(owner {skip.owner}); fix the finding or renew the skip with a reason")
        elif not matched:
            outcome.problems.append(f"stale skip {skip.describe()}: matches no failed check; remove it")
    return outcome


def load_documents(files: list[Path]) -> dict[str, dict]:
    return {str(Path(file).resolve()): json.loads(Path(file).read_text()) for file in files}
