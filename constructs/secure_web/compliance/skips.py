"""Reasoned, resource-specific skips of built-in checks, from ``policies/skips.yaml``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from compliance.scan import CUSTOM_PREFIX, FAILED, POLICIES_DIR, Result

SKIPS_FILE = POLICIES_DIR / "skips.yaml"
MIN_REASON_WORDS = 10
ADDRESS = re.compile(r"(data\.)?aws_[a-z0-9_]+\.[A-Za-z0-9_\-]+")


class InvalidSkipsError(ValueError):
    """The skips file breaks a rule (blanket skip, short reason, our own policy skipped, ...)."""


@dataclass(frozen=True)
class Skip:
    check_id: str
    resources: tuple[str, ...]
    reason: str


def load_skips(path: Path = SKIPS_FILE) -> tuple[Skip, ...]:
    """Read and validate the skips; every problem is reported at once."""
    document = yaml.safe_load(path.read_text()) or {}
    skips, problems = [], []
    for index, entry in enumerate(document.get("skips") or []):
        where = f"{path.name} entry {index + 1}"
        check_id = str(entry.get("check", ""))
        resources = tuple(str(r) for r in entry.get("resources") or [])
        reason = " ".join(str(entry.get("reason", "")).split())
        if not re.fullmatch(r"CKV2?_[A-Z]+_\d+", check_id):
            problems.append(f"{where}: 'check' must be a checkov id like CKV_AWS_18; got {check_id!r}")
        if check_id.startswith(CUSTOM_PREFIX):
            problems.append(f"{where}: our own policies ({check_id}) are never skipped; fix the stack instead")
        if not resources:
            problems.append(f"{where}: 'resources' must list the addresses it applies to (no blanket skips)")
        for resource in resources:
            if not ADDRESS.fullmatch(resource):
                problems.append(f"{where}: {resource!r} is not a resource address like aws_s3_bucket.name")
        if len(reason.split()) < MIN_REASON_WORDS:
            problems.append(f"{where}: 'reason' must be a sentence of at least {MIN_REASON_WORDS} words; got {reason!r}")
        skips.append(Skip(check_id=check_id, resources=resources, reason=reason))
    if problems:
        raise InvalidSkipsError("\n".join(problems))
    return tuple(skips)


def apply_skips(results: tuple[Result, ...], skips: tuple[Skip, ...]) -> tuple[tuple[Result, ...], list[tuple[Skip, str]]]:
    """Failed results a skip names become skipped; also returns (skip, address) pairs that matched nothing."""
    reasons = {(skip.check_id, address): skip.reason for skip in skips for address in skip.resources}
    used = set()
    applied = []
    for result in results:
        key = (result.check_id, result.address)
        if result.status == FAILED and key in reasons:
            used.add(key)
            applied.append(result.skipped(reasons[key]))
        else:
            applied.append(result)
    stale = [(skip, address) for skip in skips for address in skip.resources if (skip.check_id, address) not in used]
    return tuple(applied), stale
