"""Literal text for Terraform: what we write must reach AWS exactly as written.

Terraform reads every string in a ``.tf.json`` file as a template: ``${...}`` is an
interpolation and ``%{...}`` a directive. The CloudWatch agent's ``${aws:InstanceId}``,
an IAM policy variable ``${aws:username}`` or a user's description holding ``%{`` would
be evaluated (and fail) instead of reaching AWS. ``terraform_literal`` escapes them
(``$${``, ``%%{``) everywhere except inside cdktf tokens (``${TfToken[...]}``), which
cdktf turns into the references it means. Every attribute of every provider
resource we create passes through here (``secure_web.aws.resource_module``), so no
construct can forget it; ``terraform_check`` is the proof on the synthesized JSON.
Pure Python, no cdktf.
"""

from __future__ import annotations

import re
from typing import Mapping

_TOKEN = re.compile(r"\$\{TfToken\[[A-Za-z0-9_.]+\]\}")
_LITERAL_DOLLAR = '${"$"}'
"""A ``$`` just before a token would turn the token into the escape ``$${``; this template yields one ``$``."""


def escape_text(text: str) -> str:
    """``text`` as a Terraform template that evaluates to ``text`` itself; cdktf tokens stay references."""
    parts = _TOKEN.split(text)
    tokens = _TOKEN.findall(text)
    out = []
    for index, part in enumerate(parts):
        escaped = part.replace("${", "$${").replace("%{", "%%{")
        if index < len(tokens):
            dollars = len(escaped) - len(escaped.rstrip("$"))
            escaped = escaped[:len(escaped) - dollars] + _LITERAL_DOLLAR * dollars
        out.append(escaped)
        if index < len(tokens):
            out.append(tokens[index])
    return "".join(out)


def terraform_literal(value: object) -> object:
    """``value`` with every string in it (mapping keys too) escaped by ``escape_text``.

    Lists, tuples and mappings are rebuilt; anything else (numbers, booleans, None,
    jsii objects such as resources) is returned as it is.
    """
    if isinstance(value, str):
        return escape_text(value) if ("{" in value) else value
    if isinstance(value, Mapping):
        return {terraform_literal(key): terraform_literal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [terraform_literal(item) for item in value]
    if isinstance(value, tuple):
        return tuple(terraform_literal(item) for item in value)
    return value


def needs_escaping(text: str) -> bool:
    """True when Terraform would read part of ``text`` (outside cdktf tokens) as a template."""
    return escape_text(text) != text
