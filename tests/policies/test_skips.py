"""Skips: the library's are keyed to our constructs and reasoned; a consumer's carry owner and expiry."""

from __future__ import annotations

import datetime as dt

import pytest

from secure_web.compliance.scan import FAILED, Result
from secure_web.compliance.skips import (InvalidSkipsError, apply_skips, load_consumer_skips,
                                         load_library_skips)

REASON = "a reason long enough to explain to a reviewer why this check does not fit here"


def write_skips(tmp_path, body: str):
    path = tmp_path / "skips.yaml"
    path.write_text(body)
    return path


def test_library_skips_are_valid_and_keyed_to_constructs():
    skips = load_library_skips()
    assert skips and all(skip.construct and skip.library for skip in skips)


@pytest.mark.parametrize("entry, problem", [
    (f"check: CKV_AWS_18\n    construct: SecureWebTier\n    resources: []\n    reason: {REASON}", "no blanket skips"),
    (f"check: CKV_AWS_18\n    construct: SecureWebTier\n    resources: ['*']\n    reason: {REASON}",
     "no blanket skips"),
    ("check: CKV_AWS_18\n    construct: SecureWebTier\n    resources: [bucket]\n    reason: too short",
     "at least 10 words"),
    (f"check: CKV_SWEB_001\n    construct: SecureWebTier\n    resources: [http]\n    reason: {REASON}",
     "never skipped"),
    (f"check: CKV_AWS_18\n    construct: S3Bucket\n    resources: [bucket]\n    reason: {REASON}",
     "'construct' must be one of"),
])
def test_invalid_library_skip_is_rejected(tmp_path, entry, problem):
    with pytest.raises(InvalidSkipsError, match=problem):
        load_library_skips(write_skips(tmp_path, f"skips:\n  - {entry}\n"))


CONSUMER = "check: CKV_AWS_18\n    resource: {resource}\n    reason: {reason}\n    owner: {owner}\n    expires: {expires}"


@pytest.mark.parametrize("fields, problem", [
    ({"resource": "'*'"}, "'resource' must be an address"),
    ({"resource": "my bucket"}, "'resource' must be an address"),
    ({"owner": "''"}, "'owner' must name"),
    ({"expires": "next-year"}, "'expires' must be a date"),
    ({"reason": "because"}, "at least 10 words"),
])
def test_invalid_consumer_skip_is_rejected(tmp_path, fields, problem):
    values = {"resource": "aws_s3_bucket.assets_1234ABCD", "reason": REASON, "owner": "web-team",
              "expires": "2099-01-01", **fields}
    with pytest.raises(InvalidSkipsError, match=problem):
        load_consumer_skips(write_skips(tmp_path, "skips:\n  - " + CONSUMER.format(**values) + "\n"))


def failed(address: str) -> Result:
    return Result(check_id="CKV_AWS_18", check_name="logging", address=address, file="stack.json", status=FAILED)


DOCUMENT = {"//": {"secure_web": {"resources": {"shop/front/access-logs/bucket": {
    "construct": "SecureWebTier", "path": "access-logs/bucket"}}}},
    "resource": {"aws_s3_bucket": {
        "front_access-logs_bucket_1": {"//": {"metadata": {"path": "shop/front/access-logs/bucket"}}},
        "assets_2": {"//": {"metadata": {"path": "shop/assets"}}},
        "front_logs_copy_3": {"//": {"metadata": {"path": "shop/front/access-logs/bucket-copy"}}}}}}


def test_library_skip_follows_the_construct_and_never_a_consumer_resource():
    skips = load_library_skips()
    outcome = apply_skips([failed("aws_s3_bucket.front_access-logs_bucket_1"), failed("aws_s3_bucket.assets_2"),
                           failed("aws_s3_bucket.front_logs_copy_3")], skips, {"stack.json": DOCUMENT})
    assert [(r.address, r.status) for r in outcome.results] == [
        ("aws_s3_bucket.front_access-logs_bucket_1", "skipped"), ("aws_s3_bucket.assets_2", "failed"),
        ("aws_s3_bucket.front_logs_copy_3", "failed")]
    assert outcome.problems == []


def test_consumer_skip_by_address_or_path_applies_until_it_expires(tmp_path):
    body = "skips:\n  - " + CONSUMER.format(resource="aws_s3_bucket.assets_2", reason=REASON, owner="web-team",
                                            expires="2030-01-01")
    body += "\n  - " + CONSUMER.format(resource="'shop/front/*-copy'", reason=REASON, owner="web-team",
                                       expires="2030-01-01") + "\n"
    skips = load_consumer_skips(write_skips(tmp_path, body))
    results = [failed("aws_s3_bucket.assets_2"), failed("aws_s3_bucket.front_logs_copy_3")]
    live = apply_skips(results, skips, {"stack.json": DOCUMENT}, today=dt.date(2029, 12, 31))
    assert [r.status for r in live.results] == ["skipped", "skipped"] and live.problems == []
    expired = apply_skips(results, skips, {"stack.json": DOCUMENT}, today=dt.date(2030, 1, 2))
    assert [r.status for r in expired.results] == ["failed", "failed"]
    assert len(expired.problems) == 2 and all("expired on 2030-01-01" in p for p in expired.problems)


def test_consumer_skip_that_matches_nothing_is_stale(tmp_path):
    skips = load_consumer_skips(write_skips(tmp_path, "skips:\n  - " + CONSUMER.format(
        resource="aws_s3_bucket.gone_9", reason=REASON, owner="web-team", expires="2099-01-01") + "\n"))
    outcome = apply_skips([failed("aws_s3_bucket.assets_2")], skips, {"stack.json": DOCUMENT})
    assert outcome.problems == ["stale skip CKV_AWS_18 aws_s3_bucket.gone_9 (skips.yaml): matches no failed check; "
                                "remove it"]
