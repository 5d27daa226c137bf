"""The skips file admits only resource-specific, reasoned skips of built-in checks."""

from __future__ import annotations

import pytest

from compliance.skips import InvalidSkipsError, load_skips

REASON = "a reason long enough to explain to a reviewer why this check does not fit here"


def write_skips(tmp_path, body: str):
    path = tmp_path / "skips.yaml"
    path.write_text(body)
    return path


def test_project_skips_are_valid():
    assert load_skips()


@pytest.mark.parametrize("entry, problem", [
    (f"check: CKV_AWS_18\n    resources: []\n    reason: {REASON}", "no blanket skips"),
    ("check: CKV_AWS_18\n    resources: [aws_s3_bucket.logs]\n    reason: too short", "at least 10 words"),
    (f"check: CKV_SWEB_001\n    resources: [aws_lb_listener.http]\n    reason: {REASON}", "never skipped"),
    (f"check: CKV_AWS_18\n    resources: ['*']\n    reason: {REASON}", "not a resource address"),
])
def test_invalid_skip_is_rejected(tmp_path, entry, problem):
    with pytest.raises(InvalidSkipsError, match=problem):
        load_skips(write_skips(tmp_path, f"skips:\n  - {entry}\n"))
