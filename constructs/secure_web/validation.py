"""Collect every problem with a construct's props, then fail once, before any resource exists.

Errors read like ``web/tier: 'instance_count' must be between 2 and 100; got 1``:
the construct path, the field, the rule and the value given. Values that are
unresolved Terraform tokens are not judged, since their value is only known at
apply time; but a tuple of tokens still has a known length (``Checks.count``),
and a token is refused where Python itself needs the value (``Checks.known``).
"""

from __future__ import annotations

import ipaddress
import os
import re
import sys
import warnings
import weakref
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence, TypeVar

import cdktf
import jsii
from constructs import Construct

from .tree import path_of, stack_of

P = TypeVar("P")
TOKEN_MARKER = "TfToken["
NUMBER_TOKEN_MAGNITUDE = 1e280
_ENCODED_TOKEN = re.compile(r"[$#]\{TfToken\[TOKEN\.\d+\]\}")


class InvalidPropsError(ValueError):
    """Raised when a construct's props break one or more rules; lists every problem."""

    def __init__(self, path: str, problems: Sequence["Problem"]) -> None:
        self.path = path
        self.problems = tuple(problems)
        super().__init__("\n".join(f"{path}: {problem}" for problem in self.problems))


class SecureDefaultWeakened(UserWarning):
    """Warns that a prop turned off or loosened one of secure_web's secure defaults."""


@dataclass(frozen=True)
class Problem:
    """One broken rule: which field, what the rule is, and the value given."""

    field: str
    rule: str
    value: object

    def __str__(self) -> str:
        return f"'{self.field}' {self.rule}; got {self.value!r}"


@dataclass(frozen=True)
class Shown:
    """A value described in an error message where its repr would not help (a construct, ids known at apply)."""

    text: str

    def __repr__(self) -> str:
        return self.text


def shown(value: object) -> object:
    """``value`` as an error message should echo it: a construct by its kind and path, anything else as given."""
    if isinstance(value, Construct):
        return Shown(f"<{type(value).__name__} construct {value.node.path}>")
    return value


def is_list_token(value: object) -> bool:
    """True for a cdktf list token: one string that stands for a whole list, whose length is known only at apply."""
    if not isinstance(value, (list, tuple)) or len(value) != 1 or not isinstance(value[0], str):
        return False
    return TOKEN_MARKER in value[0] and cdktf.Tokenization.reverse_list(list(value)) is not None


def is_token(value: object) -> bool:
    """True when the value is (or contains) an unresolved Terraform token."""
    if isinstance(value, str):
        # cdktf encodes string and list tokens as ${TfToken[TOKEN.n]} / #{TfToken[TOKEN.n]}: no round trip to node.
        return TOKEN_MARKER in value and _ENCODED_TOKEN.search(value) is not None
    if isinstance(value, (list, tuple)):
        return any(is_token(item) for item in value)
    if isinstance(value, float):
        # cdktf encodes number tokens as doubles beyond 1e289; ints and ordinary floats are never tokens.
        return abs(value) > NUMBER_TOKEN_MAGNITUDE and cdktf.Token.is_unresolved(value)
    return False


class Checks:
    """Accumulates problems; ``raise_if_any`` raises one InvalidPropsError for all of them."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, field: str, rule: str, value: object) -> None:
        self.problems.append(Problem(field, rule, value))

    def require(self, ok: bool, field: str, rule: str, value: object) -> bool:
        if not ok and not is_token(value):
            self.fail(field, rule, value)
            return False
        return True

    def between(self, field: str, value: int, low: int, high: int) -> bool:
        if is_token(value):
            return True
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(field, "must be a whole number", value)
            return False
        return self.require(low <= value <= high, field, f"must be between {low} and {high}", value)

    def matches(self, field: str, value: str, pattern: str, rule: str) -> bool:
        if is_token(value):
            return True
        return self.require(isinstance(value, str) and re.fullmatch(pattern, value) is not None, field, rule, value)

    def one_of(self, field: str, value: object, allowed: Iterable[object]) -> bool:
        allowed = tuple(allowed)
        return self.require(value in allowed, field, f"must be one of {', '.join(map(str, allowed))}", value)

    def boolean(self, field: str, value: object) -> bool:
        return self.require(isinstance(value, bool), field, "must be True or False", value)

    def number(self, field: str, value: object) -> bool:
        if is_token(value):
            return True
        return self.require(isinstance(value, (int, float)) and not isinstance(value, bool), field,
                            "must be a number", value)

    def tags(self, field: str, tags: Mapping[str, str]) -> None:
        """AWS tag rules, plus secure_web's own ``secure-web:`` keys, which constructs set themselves."""
        if not isinstance(tags, Mapping):
            self.fail(field, "must be a mapping of tag keys to values", tags)
            return
        self.require(len(tags) <= MAX_USER_TAGS, field,
                     f"must hold at most {MAX_USER_TAGS} tags (AWS allows 50 per resource; secure_web adds up to 3, "
                     "provider default_tags need the rest)",
                     len(tags))
        for key, value in tags.items():
            if is_token(key):
                continue
            if not isinstance(key, str) or not 1 <= len(key) <= 128:
                self.fail(f"{field} key", "must be 1 to 128 characters", key)
                continue
            self.require(_tag_text_ok(key), f"{field} key", TAG_CHARACTERS_RULE, key)
            self.require(not key.lower().startswith("aws:"), f"{field} key", "must not start with 'aws:' (reserved by AWS)", key)
            self.require(not key.startswith(RESERVED_TAG_PREFIX), f"{field} key",
                         f"must not start with '{RESERVED_TAG_PREFIX}' (set by secure_web)", key)
            if is_token(value):
                continue
            if not isinstance(value, str) or len(value) > 256:
                self.fail(f"{field}[{key!r}]", "must be a string of at most 256 characters", value)
                continue
            self.require(_tag_text_ok(value), f"{field}[{key!r}]", TAG_CHARACTERS_RULE, value)

    def sequence(self, field: str, value: object, items: str, example: tuple[object, ...]) -> Sequence | None:
        """``value`` itself when it is a tuple (or list); else one problem and None, so no check walks a string's
        characters or a single item's attributes. Later checks given None skip: the problem is already reported."""
        if isinstance(value, (tuple, list)):
            return value
        self.fail(field, f"must be a tuple of {items} like {example!r}", shown(value))
        return None

    def count(self, field: str, values: Sequence | None, minimum: int, rule: str) -> bool:
        """At least ``minimum`` items. Judged even when the items are tokens (two subnet ids from a Network are two
        subnets), but not for a cdktf list token, whose length is known only at apply."""
        if values is None or is_list_token(values):
            return True
        if len(values) >= minimum:
            return True
        noun = "value" if len(values) == 1 else "values"
        given = Shown(f"{len(values)} {noun} known only at apply time") if is_token(values) else values
        self.fail(field, rule, given)
        return False

    def known(self, field: str, value: object, reason: str) -> bool:
        """The value must be a literal: a token cannot be used where Python needs the value at synth."""
        if is_token(value):
            self.fail(field, f"must be known at synth, not a Terraform value resolved at apply ({reason})", value)
            return False
        return True

    def ids(self, field: str, values: Sequence[str] | None, pattern: str, rule: str) -> None:
        """Each value matches ``pattern``, and none repeats."""
        if values is None:
            return
        for index, value in enumerate(values):
            self.matches(f"{field}[{index}]", value, pattern, rule)
        resolved = [value for value in values if isinstance(value, str) and not is_token(value)]
        repeated = sorted({value for value in resolved if resolved.count(value) > 1})
        self.require(not repeated, field, "must not repeat an entry", repeated)

    def cidr(self, field: str, value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
        """A CIDR block with a prefix length; a bare address (``10.0.0.5``) is refused, as AWS and the host
        firewall refuse it, rather than read as a /32."""
        if is_token(value):
            return None
        rule = "must be a CIDR block with no host bits set, like 10.0.0.0/16"
        if not isinstance(value, str):
            self.fail(field, rule, value)
            return None
        if "/" not in value and is_ip_address(value):
            address = ipaddress.ip_address(value)
            self.fail(field, "must be a CIDR block with a prefix length, like 10.0.0.0/16 "
                             f"({address}/{address.max_prefixlen} for this one address)", value)
            return None
        try:
            return ipaddress.ip_network(value, strict=True)
        except ValueError:
            self.fail(field, rule, value)
            return None

    def construct_path(self, path: str) -> None:
        """The construct's path ends up in Name tags and descriptions: AWS tag values must accept it."""
        self.require(_tag_text_ok(path), "construct path", CONSTRUCT_PATH_RULE, path)

    def raise_if_any(self, path: str) -> None:
        if self.problems:
            raise InvalidPropsError(path, self.problems)


def validate_props(check_props: Callable[[P, Checks], None], props: P, scope: Construct, construct_id: str) -> None:
    """Run a construct's ``check_props`` before it is created; raise every problem at once, under its path."""
    checks = Checks()
    path = construct_path(scope, construct_id)
    checks.construct_path(path)
    check_props(props, checks)
    checks.raise_if_any(path)


# Resource ids are checked for their kind (a security group id in a subnet field is an error), not their digits.
VPC_ID_PATTERN = r"vpc-[0-9a-z]{1,17}"
SUBNET_ID_PATTERN = r"subnet-[0-9a-z]{1,17}"
AMI_ID_PATTERN = r"ami-[0-9a-z]{1,17}"
ARN_PARTITION = r"arn:aws(-[a-z]+)*"
SNS_TOPIC_ARN_PATTERN = ARN_PARTITION + r":sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?"
TARGET_GROUP_ARN_PATTERN = ARN_PARTITION + r":elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}"
MAX_USER_TAGS = 45
RESERVED_TAG_PREFIX = "secure-web:"
TAG_CHARACTERS_RULE = "must hold only letters, digits, spaces and _ . : / = + - @"
_TAG_PUNCTUATION = frozenset(" _.:/=+-@")
CONSTRUCT_PATH_RULE = ("becomes Name tags and AWS descriptions, so its ids may hold only letters, digits, spaces "
                       "and _ . : / = + - @ (AWS tag values)")


def is_ip_address(text: str) -> bool:
    """True for a bare IPv4 or IPv6 address (no prefix length)."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _tag_text_ok(text: str) -> bool:
    return all(character.isalnum() or character in _TAG_PUNCTUATION for character in text)


def construct_path(scope: Construct, construct_id: str) -> str:
    """The path the construct will have, for error messages raised before it exists."""
    parent = path_of(scope)
    return f"{parent}/{construct_id}" if parent else construct_id


def announce_weakened(scope: Construct, field: str, given: object, default: object) -> None:
    """Warn at synth that a secure default was overridden, and record it in the synthesized stack.

    The record lands under the stack's ``//`` comment key (ignored by Terraform),
    so the compliance report can list every weakened default from the JSON alone.
    The warning names the user's line: the first frame outside secure_web and jsii (whose
    metaclass runs every construct's ``__init__``), however deeply the construct is nested.
    """
    path = path_of(scope)
    library = (os.path.dirname(__file__) + os.sep, os.path.dirname(jsii.__file__) + os.sep)
    frame, stacklevel = sys._getframe(), 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(library):
        frame, stacklevel = frame.f_back, stacklevel + 1
    warnings.warn(
        f"{path}: override provided for '{field}' ({given!r}); the secure default was {default!r}",
        SecureDefaultWeakened,
        stacklevel=stacklevel,
    )
    stack = stack_of(scope)
    records = _weakened_records(stack)
    records.append({"path": path, "field": field, "given": str(given), "default": str(default)})
    stack.add_override("//.secure_web.weakened_defaults", list(records))


_WEAKENED: "weakref.WeakKeyDictionary[cdktf.TerraformStack, list[dict[str, str]]]" = weakref.WeakKeyDictionary()


def _weakened_records(stack: cdktf.TerraformStack) -> list[dict[str, str]]:
    return _WEAKENED.setdefault(stack, [])
