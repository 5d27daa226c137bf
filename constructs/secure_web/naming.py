"""Names that fit AWS limits, derived from a construct's path."""

from __future__ import annotations

import hashlib
import re

ALB_NAME_MAX = 32
TARGET_GROUP_NAME_MAX = 32
NAME_PREFIX_PATTERN = r"[a-z][a-z0-9-]{0,19}"
NAME_PREFIX_RULE = ("must be 1-20 characters of a-z, 0-9 and '-', starting with a letter "
                    "(so '<name>-alb-<hash>' fits the 32-character load balancer name limit)")


def short_hash(text: str, length: int = 6) -> str:
    """A stable hex digest, for suffixes that keep names unique per construct path."""
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def aws_name(prefix: str, kind: str, path: str, max_length: int) -> str:
    """``<prefix>-<kind>-<hash of path>``, the hash counted inside ``max_length``."""
    suffix = short_hash(path)
    base = re.sub(r"[^a-z0-9-]", "-", f"{prefix}-{kind}".lower()).strip("-")
    base = base[: max_length - len(suffix) - 1].rstrip("-")
    return f"{base}-{suffix}"
