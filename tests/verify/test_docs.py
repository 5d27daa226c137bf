"""docs/verifier.md lists every check the verifier runs, and only those."""

from __future__ import annotations

import re
from pathlib import Path

from secure_web.verify import CHECKS

DOC = Path(__file__).resolve().parents[2] / "docs" / "verifier.md"


def test_every_check_is_documented_once():
    documented = re.findall(r"^\| `(VFY_SWEB_\d{3})` \|", DOC.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert documented == [check.check_id for check in CHECKS]
