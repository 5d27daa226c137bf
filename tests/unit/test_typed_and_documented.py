"""The package is typed and explains itself: py.typed ships, every props class documents its fields in an
``Attributes:`` section that ``help()`` shows, and weakened-default warnings point at the user's line."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import pydoc
import re
import tomllib
import warnings
from pathlib import Path

import cdktf
import pytest

import secure_web
from secure_web import (
    AlbIngressRule, CertificateProps, MonitoredHost, MonitoredHostProps, NetworkProps, NetworkRef,
    ReplicatedMySQLProps, SecureDefaultWeakened, SecureWebTier, SecureWebTierProps,
)
from secure_web.aws import resource_module

REPO = Path(__file__).resolve().parents[2]
PROPS_CLASSES = [NetworkProps, NetworkRef, SecureWebTierProps, MonitoredHostProps, ReplicatedMySQLProps,
                 CertificateProps, AlbIngressRule]
CERTIFICATE_ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/0123abcd-0123-4567-89ab-0123456789ab"
PRIVATE = ("subnet-0b000000000000001", "subnet-0b000000000000002")
REF = NetworkRef(vpc_id="vpc-0123456789abcdef0", vpc_cidr="10.0.0.0/16",
                 public_subnet_ids=("subnet-0a000000000000001", "subnet-0a000000000000002"),
                 private_subnet_ids=PRIVATE,
                 isolated_subnet_ids=("subnet-0c000000000000001", "subnet-0c000000000000002"))
ATTRIBUTE_ENTRY = re.compile(r"(?P<name>\w+) \((?P<type>[^)]+)\): (?P<text>.*)")


def field_docstrings(props_class: type) -> dict[str, str]:
    """Each field's own docstring: the string literal right after its annotation in the source."""
    module = ast.parse(inspect.getsource(inspect.getmodule(props_class)))
    (definition,) = [node for node in module.body
                     if isinstance(node, ast.ClassDef) and node.name == props_class.__name__]
    return {annotation.target.id: docstring.value.value
            for annotation, docstring in zip(definition.body, definition.body[1:])
            if isinstance(annotation, ast.AnnAssign) and isinstance(docstring, ast.Expr)
            and isinstance(docstring.value, ast.Constant)}


def attributes_section(props_class: type) -> list[tuple[str, str, str]]:
    """(name, type, text) per entry of the class docstring's Google-style ``Attributes:`` section."""
    lines = inspect.cleandoc(props_class.__doc__ or "").splitlines()
    assert lines.count("Attributes:") == 1, f"{props_class.__name__} has no single Attributes: section"
    entries: list[list[str]] = []
    for line in lines[lines.index("Attributes:") + 1:]:
        if not line.strip():
            break
        if line.startswith(" " * 8):
            assert entries, f"continuation before the first entry: {line!r}"
            entries[-1][2] += " " + line.strip()
            continue
        match = ATTRIBUTE_ENTRY.fullmatch(line.removeprefix(" " * 4))
        assert line.startswith(" " * 4) and match, f"not a 'name (type): text' entry: {line!r}"
        entries.append([match["name"], match["type"], match["text"]])
    return [tuple(entry) for entry in entries]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _stated_default(text: str) -> str:
    return text.rsplit("Default:", 1)[1] if "Default:" in text else ""


def _mentions(stated: str, value: object) -> bool:
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    return re.search(rf"(?<![\w.]){re.escape(shown)}(?!\w)", stated) is not None


ids = [props.__name__ for props in PROPS_CLASSES]


@pytest.mark.parametrize("props_class", PROPS_CLASSES, ids=ids)
def test_attributes_section_lists_every_field_once_in_order_with_its_type(props_class):
    entries = attributes_section(props_class)
    assert [(name, kind) for name, kind, _ in entries] == [
        (field.name, field.type) for field in dataclasses.fields(props_class)]


@pytest.mark.parametrize("props_class", PROPS_CLASSES, ids=ids)
def test_attributes_section_says_what_each_field_docstring_says(props_class):
    own = field_docstrings(props_class)
    assert {name: _one_line(text) for name, _, text in attributes_section(props_class)} == {
        name: _one_line(text) for name, text in own.items()}


@pytest.mark.parametrize("props_class", PROPS_CLASSES, ids=ids)
def test_each_field_states_required_or_its_actual_default(props_class):
    texts = {name: text for name, _, text in attributes_section(props_class)}
    for field in dataclasses.fields(props_class):
        text = _one_line(texts[field.name])
        has_default = field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
        if not has_default:
            assert text.endswith("Required."), f"{field.name}: {text}"
            continue
        stated = _stated_default(text)
        assert stated, f"{field.name} has a default but does not state it: {text}"
        if isinstance(field.default, (str, int, float)):
            assert _mentions(stated, field.default), f"{field.name}: default {field.default!r}, doc says {stated!r}"


@pytest.mark.parametrize("props_class", PROPS_CLASSES, ids=ids)
def test_help_shows_every_field_with_its_meaning(props_class):
    page = pydoc.render_doc(props_class, renderer=pydoc.plaintext)
    shown = _one_line(re.sub(r"^ \|", "", page, flags=re.MULTILINE))
    for field in dataclasses.fields(props_class):
        assert f"{field.name} ({field.type}): {_one_line(field_docstrings(props_class)[field.name])}" in shown


def test_the_package_is_marked_typed_and_ships_the_marker():
    package = Path(secure_web.__file__).parent
    assert (package / "py.typed").is_file()
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "py.typed" in package_data["secure_web"]


def _stack(tmp_path) -> cdktf.TerraformStack:
    stack = cdktf.TerraformStack(cdktf.App(outdir=str(tmp_path)), "warned")
    resource_module("provider").AwsProvider(stack, "aws", region="eu-west-1")
    return stack


def _next_line() -> int:
    return inspect.currentframe().f_back.f_lineno + 1


def _weakened(caught) -> list[warnings.WarningMessage]:
    found = [warning for warning in caught if issubclass(warning.category, SecureDefaultWeakened)]
    assert found, "no SecureDefaultWeakened warning was raised"
    return found


def test_warning_from_a_construct_built_directly_points_at_the_line_building_it(tmp_path):
    # GIVEN a host that opens SSH and has no alarm topic
    stack = _stack(tmp_path)
    props = MonitoredHostProps(name="ops", vpc_id=REF.vpc_id, subnet_ids=PRIVATE,
                               allowed_https_cidrs=("10.0.0.0/16",), ssh_allowed_cidrs=("10.0.0.0/8",))
    # WHEN the user builds it
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = _next_line()
        MonitoredHost(stack, "ops", props)
    # THEN every warning names this file and that line
    assert {(w.filename, w.lineno) for w in _weakened(caught)} == {(__file__, line)}


def test_warning_from_a_nested_host_points_at_the_line_building_the_tier(tmp_path):
    # GIVEN a tier whose shorter log retention is inherited by its MonitoredHosts
    stack = _stack(tmp_path)
    props = SecureWebTierProps(network=REF, certificate_arn=CERTIFICATE_ARN, hosted_zone_id="Z00000000000EXAMPLE",
            app_domain_name="app.internal.example.com", access_log_retention_days=30)
    # WHEN the user builds the tier
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = _next_line()
        SecureWebTier(stack, "web", props)
    # THEN the hosts' warnings (and the tier's) name the user's line, not secure_web's
    found = _weakened(caught)
    assert any(str(w.message).startswith("warned/web/web-hosts: ") for w in found)
    assert {(w.filename, w.lineno) for w in found} == {(__file__, line)}


class _UserStack(cdktf.TerraformStack):
    """A user's own stack class that builds the tier in its constructor."""

    def __init__(self, scope, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        resource_module("provider").AwsProvider(self, "aws", region="eu-west-1")
        self.tier_line = _next_line()
        SecureWebTier(self, "web", SecureWebTierProps(network=REF, certificate_arn=CERTIFICATE_ARN, hosted_zone_id="Z00000000000EXAMPLE",
            app_domain_name="app.internal.example.com",
                                                      enable_deletion_protection=False))


def test_warning_from_a_construct_in_a_users_stack_class_points_inside_that_class(tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        stack = _UserStack(cdktf.App(outdir=str(tmp_path)), "user")
    assert {(w.filename, w.lineno) for w in _weakened(caught)} == {(__file__, stack.tier_line)}
