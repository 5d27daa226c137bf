"""The README documents every prop of every public construct with the code's own text and default values."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
from pathlib import Path

import pytest

from secure_web import MonitoredHostProps, NetworkProps, ReplicatedMySQLProps, SecureWebTierProps

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
PROPS = [NetworkProps, SecureWebTierProps, MonitoredHostProps, ReplicatedMySQLProps]


def readme_rows(props: type) -> dict[str, str]:
    """field -> the README table's description cell for it."""
    section = README.split(f"#### `{props.__name__}`", 1)[1].split("####", 1)[0]
    return {line.split("`")[1]: line.rstrip(" |").split(" | ")[-1].strip()
            for line in section.splitlines() if line.startswith("| `")}


def field_docstrings(props: type) -> dict[str, str]:
    """field -> the docstring written under it in the dataclass, whitespace folded."""
    body = ast.parse(inspect.getsource(props)).body[0].body
    return {node.target.id: " ".join(following.value.value.split())
            for node, following in zip(body, body[1:])
            if isinstance(node, ast.AnnAssign) and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)}


def plain_default(field: dataclasses.Field) -> object:
    """The default when it is a literal the docs can name (str, int, float, bool), else MISSING."""
    value = field.default
    return value if isinstance(value, (str, int, float)) else dataclasses.MISSING


@pytest.mark.parametrize("props", PROPS, ids=lambda props: props.__name__)
def test_every_prop_is_in_the_readme_as_the_code_documents_it(props):
    assert readme_rows(props) == field_docstrings(props)
    assert set(readme_rows(props)) == {field.name for field in dataclasses.fields(props)}


@pytest.mark.parametrize("props", PROPS, ids=lambda props: props.__name__)
def test_readme_names_each_literal_default_value(props):
    rows = readme_rows(props)
    wrong = {}
    for field in dataclasses.fields(props):
        value = plain_default(field)
        if value is dataclasses.MISSING:
            continue
        stated = re.search(r"Default: (.*)$", rows[field.name])
        spelled = {str(value)} if isinstance(value, bool) else {repr(value), str(value), f"'{value}'"}
        if isinstance(value, float):
            spelled.add(f"{value:g}")
        if stated is None or not any(re.search(rf"(^|[\s(]){re.escape(text)}([.,;\s)]|$)", stated.group(1))
                                     for text in spelled):
            wrong[field.name] = (value, rows[field.name])
    assert wrong == {}
