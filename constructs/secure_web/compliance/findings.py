"""A finding's stable identity: the check and the construct path of the resource, not cdktf's hashed address.

``shop/web/alb`` stays the same across synths and unrelated changes, while the address
``aws_lb.web_alb_AC53D2B8`` carries a hash of the path; SARIF fingerprints and baselines
use this key so a finding is recognised as the same one run after run.
"""

from __future__ import annotations

from collections.abc import Mapping

from .scan import Result
from .skips import provenance_index


def construct_paths(documents: Mapping[str, Mapping]) -> dict[tuple[str, str], str]:
    """(file, address) -> the construct path cdktf recorded for that block (``//``.metadata.path)."""
    return {(file, address): provenance.path
            for file, document in documents.items()
            for address, provenance in provenance_index(document).items() if provenance.path}


def finding_key(result: Result, paths: Mapping[tuple[str, str], str]) -> str:
    """``<check id>:<construct path>`` (the address where no path was recorded, e.g. hand-written JSON)."""
    return f"{result.check_id}:{paths.get((result.file, result.address)) or result.address}"
