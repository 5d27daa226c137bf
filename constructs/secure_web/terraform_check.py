"""Terraform's own reading of synthesized Terraform JSON, offline, without any provider.

``cdktf deploy`` hands ``cdk.tf.json`` to Terraform, which reads every string in
it as a template: ``${...}`` is an interpolation and ``%{...}`` a directive. A
literal that holds either (a CloudWatch agent placeholder, an IAM policy
variable) stops ``terraform plan`` before any AWS call. checkov and our
policies read the file as plain JSON and cannot see that.

No provider binary can be downloaded here, so ``terraform validate`` cannot load
the AWS schema. It can still check everything that needs no schema, if every
block is something Terraform knows without a download: each resource, data
source, module call and provider configuration becomes Terraform's built-in
``terraform_data`` resource whose ``input`` is the block's body, and every
reference is rewritten to match (``aws_lb.x.arn`` ->
``terraform_data.aws_lb__x.output.arn``, keeping instance keys where they were).
Terraform then checks, with its own messages: template syntax in every string
(keys included), that every reference names a declared object, ``count`` /
``for_each`` and instance keys, ``depends_on``, outputs and locals.

What it cannot check (provider schemas: attribute names, enum values, CIDR
formats, attribute combinations) is listed in docs/terraform.md with the
mitigations we have. Each block is written to a file of its own, so a
diagnostic's file names the original block, and a line map names the attribute.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

RENAMED_TYPE = "terraform_data"
SEPARATOR = "__"
MINIMUM_VERSION = (1, 4)
"""``terraform_data`` exists from Terraform 1.4 on."""
TERRAFORM_VARIABLE = "SECURE_WEB_TERRAFORM"
"""Environment variable naming the terraform binary to use; default: ``terraform`` on PATH."""

_META_ARGUMENTS = frozenset({"count", "for_each", "depends_on", "lifecycle", "provider", "provisioner", "connection", "//"})
_MODULE_META_ARGUMENTS = frozenset({"source", "version", "providers", "count", "for_each", "depends_on", "//"})
_ROOTS_KEPT = frozenset({"var", "local", "path", "terraform", "count", "each", "self"})
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


class TerraformUnavailable(RuntimeError):
    """No usable terraform binary: the check cannot run."""


@dataclass(frozen=True)
class Diagnostic:
    """One problem Terraform reported, pointed at the block (and attribute) of the original JSON."""

    file: str
    """The synthesized JSON file that was checked."""
    address: str
    """The original block: ``aws_lb.x``, ``data.aws_ami.y``, ``output.z``, ``module.m``, ``provider.aws``; or the file."""
    attribute: str
    """Where in the block, as a dotted path (``value``, ``tags.Name``); empty when unknown."""
    severity: str
    summary: str
    detail: str

    def __str__(self) -> str:
        where = f"{self.address} {self.attribute}".strip()
        detail = f": {self.detail}" if self.detail else ""
        return f"{where}: {self.summary}{detail}"


@dataclass(frozen=True)
class Checked:
    """The verdict on one file: which blocks were checked, and what Terraform reported."""

    file: str
    addresses: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")


# ---------------------------------------------------------------------------------------------
# Names


def renamed(kind: str, *parts: str) -> str:
    """The ``terraform_data`` name standing in for a block; reversible by ``original_address``."""
    return SEPARATOR.join((kind, *parts)) if kind in ("data", "module", "provider") else SEPARATOR.join(parts)


def original_address(name: str) -> str:
    """``aws_lb__x`` -> ``aws_lb.x``; ``data__aws_ami__y`` -> ``data.aws_ami.y``; ``module__m`` -> ``module.m``."""
    head, _, rest = name.partition(SEPARATOR)
    if head in ("data", "provider"):
        kind, _, label = rest.partition(SEPARATOR)
        return f"{head}.{kind}.{label}" if label else f"{head}.{kind}"
    return f"{head}.{rest}"


# ---------------------------------------------------------------------------------------------
# Rewriting references inside templates


class _Rewriter:
    """Rewrites references in every template of a configuration to point at ``terraform_data`` stand-ins."""

    def __init__(self, resource_types: Iterable[str], provider_names: Iterable[str],
                 repetition: Mapping[str, str]) -> None:
        self.resource_types = frozenset(resource_types)
        self.provider_prefixes = tuple(f"{name}_" for name in provider_names)
        self.repetition = repetition
        """Stand-in name -> 'count' or 'for_each', for blocks that repeat."""

    def is_resource_type(self, name: str) -> bool:
        return name in self.resource_types or (name.startswith(self.provider_prefixes) and name not in _ROOTS_KEPT)

    # Values ---------------------------------------------------------------------------------

    def value(self, value: object) -> object:
        if isinstance(value, str):
            return self.template(value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            return {self.template(key): self.value(item) for key, item in value.items() if key != "//"}
        return value

    # Templates ------------------------------------------------------------------------------

    def template(self, text: str) -> str:
        """Rewrites expressions inside ``${...}`` and ``%{...}``; literal text and escapes are kept."""
        out: list[str] = []
        index = 0
        while index < len(text):
            if text.startswith(("$${", "%%{"), index):
                out.append(text[index:index + 3])
                index += 3
            elif text.startswith(("${", "%{"), index):
                end = _closing_brace(text, index + 2)
                if end is None:  # unterminated: leave it for Terraform to report
                    out.append(text[index:])
                    break
                out.append(text[index:index + 2] + self.expression(text[index + 2:end]) + "}")
                index = end + 1
            else:
                out.append(text[index])
                index += 1
        return "".join(out)

    def expression(self, text: str) -> str:
        out: list[str] = []
        index = 0
        while index < len(text):
            character = text[index]
            if character == '"':
                end = _closing_quote(text, index + 1)
                out.append('"' + self.template(text[index + 1:end]) + (text[end] if end < len(text) else ""))
                index = end + 1
                continue
            match = _IDENTIFIER.match(text, index)
            if match and not _continues_name(text, index):
                replacement, index = self.traversal(text, match)
                out.append(replacement)
                continue
            out.append(character)
            index += 1
        return "".join(out)

    def traversal(self, text: str, root: re.Match[str]) -> tuple[str, int]:
        """Rewrites the traversal starting at ``root``; returns the text and where scanning resumes."""
        name, end = root.group(), root.end()
        labels = _dotted_labels(text, end, count=2 if name == "data" else 1)
        if name == "data" and len(labels) == 2:
            (kind, label), end = [l for l, _ in labels], labels[-1][1]
            target = renamed("data", kind, label)
        elif name == "module" and len(labels) == 1:
            (label, end), = labels
            target = renamed("module", label)
        elif name == "self":
            return "self.output", end
        elif self.is_resource_type(name) and len(labels) == 1:
            (label, end), = labels
            target = renamed("resource", name, label)
        else:
            return name, end
        keys_end = _instance_keys_end(text, end)
        if keys_end == end and not text.startswith(".", end):
            return self.whole(target), end
        return f"{RENAMED_TYPE}.{target}{text[end:keys_end]}.output", keys_end

    def whole(self, target: str) -> str:
        """A whole-block reference: an object, or for repeated blocks the list or map of instances."""
        reference = f"{RENAMED_TYPE}.{target}"
        if self.repetition.get(target) == "for_each":
            return f"{{for key, instance in {reference} : key => instance.output}}"
        if self.repetition.get(target) == "count":
            return f"{reference}[*].output"
        return f"{reference}.output"

    def address(self, address: str) -> str:
        """A plain address (``depends_on``, ``replace_triggered_by``, ``moved``) for the stand-ins."""
        rewritten = self.expression(address)
        return rewritten.removesuffix(".output") if rewritten.endswith(".output") else rewritten


def _continues_name(text: str, index: int) -> bool:
    """True when the identifier at ``index`` is part of a longer name, an attribute, or a ``provider::`` function."""
    if index == 0:
        return False
    before = text[index - 1]
    return before.isalnum() or before in "_.-" or text[max(0, index - 2):index] == "::"


def _dotted_labels(text: str, index: int, *, count: int) -> list[tuple[str, int]]:
    labels = []
    for _ in range(count):
        if index < len(text) and text[index] == ".":
            match = _IDENTIFIER.match(text, index + 1)
            if match:
                labels.append((match.group(), match.end()))
                index = match.end()
                continue
        break
    return labels


def _instance_keys_end(text: str, index: int) -> int:
    """After ``[key]`` or ``[*]`` (one), or a legacy ``.*`` splat, if present."""
    if text.startswith(".*", index):
        return index + 2
    if index < len(text) and text[index] == "[":
        end = _closing_bracket(text, index + 1)
        return end + 1 if end is not None else index
    return index


def _closing_quote(text: str, index: int) -> int:
    depth = 0
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text.startswith(("$${", "%%{"), index):
            index += 3
            continue
        if text.startswith(("${", "%{"), index):
            end = _closing_brace(text, index + 2)
            if end is None:
                return len(text)
            index = end + 1
            continue
        if text[index] == '"' and depth == 0:
            return index
        index += 1
    return len(text)


def _closing_brace(text: str, index: int) -> int | None:
    return _closing(text, index, "{", "}")


def _closing_bracket(text: str, index: int) -> int | None:
    return _closing(text, index, "[", "]")


def _closing(text: str, index: int, opening: str, closing: str) -> int | None:
    depth = 0
    while index < len(text):
        character = text[index]
        if character == '"':
            index = _closing_quote(text, index + 1) + 1
            continue
        if character == opening:
            depth += 1
        elif character == closing:
            if depth == 0:
                return index
            depth -= 1
        index += 1
    return None


# ---------------------------------------------------------------------------------------------
# Building the offline configuration


@dataclass(frozen=True)
class OfflineBlock:
    """One block of the offline configuration: the file it is written to and what it stands in for."""

    address: str
    filename: str
    content: dict


def offline_blocks(document: Mapping[str, object]) -> list[OfflineBlock]:
    """The synthesized document as blocks Terraform can validate with no provider installed."""
    resources = document.get("resource") or {}
    data = document.get("data") or {}
    providers = document.get("provider") or {}
    required = ((document.get("terraform") or {}).get("required_providers") or {})
    repetition = {}
    for kind_name, block_kind in ((resources, "resource"), (data, "data")):
        for kind, by_name in kind_name.items():
            for name, body in (by_name or {}).items():
                for argument in ("for_each", "count"):
                    if argument in (body or {}):
                        repetition[renamed(block_kind, kind, name)] = argument
    for name, body in (document.get("module") or {}).items():
        for argument in ("for_each", "count"):
            if argument in (body or {}):
                repetition[renamed("module", name)] = argument
    rewriter = _Rewriter(set(resources) | set(data), set(providers) | set(required), repetition)
    blocks: list[OfflineBlock] = []

    def add(address: str, content: dict) -> None:
        blocks.append(OfflineBlock(address, f"{len(blocks):05d}.tf.json", content))

    def stand_in(body: Mapping[str, object], *, meta: frozenset[str]) -> dict:
        converted: dict[str, object] = {"input": rewriter.value({k: v for k, v in body.items() if k not in meta})}
        for argument in ("count", "for_each"):
            if argument in body:
                converted[argument] = rewriter.value(body[argument])
        if "depends_on" in body:
            converted["depends_on"] = [rewriter.address(str(item)) for item in body["depends_on"] or []]
        lifecycle = body.get("lifecycle")
        if isinstance(lifecycle, dict):
            kept = {key: lifecycle[key] for key in ("create_before_destroy", "prevent_destroy") if key in lifecycle}
            if "replace_triggered_by" in lifecycle:
                kept["replace_triggered_by"] = [rewriter.address(str(a)) for a in lifecycle["replace_triggered_by"]]
            for condition in ("precondition", "postcondition"):
                if condition in lifecycle:
                    kept[condition] = rewriter.value(lifecycle[condition])
            if kept:
                converted["lifecycle"] = kept
        return converted

    for kind, by_name in resources.items():
        for name, body in (by_name or {}).items():
            add(f"{kind}.{name}", {"resource": {RENAMED_TYPE: {renamed("resource", kind, name):
                                                               stand_in(body, meta=_META_ARGUMENTS)}}})
    for kind, by_name in data.items():
        for name, body in (by_name or {}).items():
            add(f"data.{kind}.{name}", {"resource": {RENAMED_TYPE: {renamed("data", kind, name):
                                                                    stand_in(body, meta=_META_ARGUMENTS)}}})
    for name, body in (document.get("module") or {}).items():
        add(f"module.{name}", {"resource": {RENAMED_TYPE: {renamed("module", name):
                                                          stand_in(body, meta=_MODULE_META_ARGUMENTS)}}})
    for kind, configurations in providers.items():
        for body in configurations if isinstance(configurations, list) else [configurations]:
            alias = str((body or {}).get("alias", "default"))
            add(f"provider.{kind}" + (f".{alias}" if alias != "default" else ""),
                {"resource": {RENAMED_TYPE: {renamed("provider", kind, alias): {
                    "input": rewriter.value({k: v for k, v in (body or {}).items() if k != "alias"})}}}})
    for name, body in (document.get("output") or {}).items():
        converted = {key: (rewriter.value(value) if key in ("value", "precondition") else value)
                     for key, value in body.items() if key != "//"}
        if "depends_on" in body:
            converted["depends_on"] = [rewriter.address(str(item)) for item in body["depends_on"] or []]
        add(f"output.{name}", {"output": {name: converted}})
    for name, value in (document.get("locals") or {}).items():
        add(f"local.{name}", {"locals": {name: rewriter.value(value)}})
    for name, body in (document.get("variable") or {}).items():
        add(f"var.{name}", {"variable": {name: body}})
    for name, body in (document.get("check") or {}).items():
        add(f"check.{name}", {"check": {name: rewriter.value(body)}})
    for body in _as_list(document.get("moved")):
        add("moved", {"moved": {"from": rewriter.address(str(body.get("from"))),
                                "to": rewriter.address(str(body.get("to")))}})
    terraform = {key: value for key, value in (document.get("terraform") or {}).items()
                 if key in ("required_version", "backend")}
    if terraform:
        add("terraform", {"terraform": terraform})
    return blocks


def _as_list(value: object) -> list[dict]:
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return [value] if isinstance(value, dict) else []


def provider_reference_problems(document: Mapping[str, object]) -> list[tuple[str, str]]:
    """(address, problem) for every ``provider`` meta-argument naming a configuration that is not declared.

    The stand-ins cannot carry ``provider`` (they belong to Terraform's built-in provider), so this
    one reference check is ours.
    """
    aliases = set()
    for kind, configurations in (document.get("provider") or {}).items():
        for body in configurations if isinstance(configurations, list) else [configurations]:
            if isinstance(body, dict) and "alias" in body:
                aliases.add(f"{kind}.{body['alias']}")
    problems = []
    for block in ("resource", "data"):
        for kind, by_name in (document.get(block) or {}).items():
            for name, body in (by_name or {}).items():
                reference = (body or {}).get("provider")
                if reference is None:
                    continue
                reference = str(reference).removeprefix("${").removesuffix("}")
                if "." in reference and reference not in aliases:
                    address = f"{kind}.{name}" if block == "resource" else f"data.{kind}.{name}"
                    problems.append((address, f"provider {reference!r} is not configured in this stack "
                                              f"(configured: {', '.join(sorted(aliases)) or 'none'})"))
    return problems


# ---------------------------------------------------------------------------------------------
# Line map: which attribute a diagnostic's line falls in


def dump_with_lines(content: dict) -> tuple[str, list[str]]:
    """``content`` as indented JSON, and for each line the dotted path of the innermost key on it."""
    lines: list[str] = []
    paths: list[str] = []

    def emit(text: str, path: str) -> None:
        lines.append(text)
        paths.append(path)

    def walk(value: object, indent: str, path: str, prefix: str, suffix: str) -> None:
        if isinstance(value, dict) and value:
            emit(f"{indent}{prefix}{{", path)
            items = list(value.items())
            for position, (key, item) in enumerate(items):
                walk(item, indent + " ", f"{path}.{key}" if path else key, json.dumps(key) + ": ",
                     "," if position < len(items) - 1 else "")
            emit(f"{indent}}}{suffix}", path)
        elif isinstance(value, list) and value:
            emit(f"{indent}{prefix}[", path)
            for position, item in enumerate(value):
                walk(item, indent + " ", f"{path}[{position}]", "", "," if position < len(value) - 1 else "")
            emit(f"{indent}]{suffix}", path)
        else:
            emit(f"{indent}{prefix}{json.dumps(value)}{suffix}", path)

    walk(content, "", "", "", "")
    return "\n".join(lines) + "\n", paths


def _attribute_path(path: str) -> str:
    """The part of a stand-in's path that names the original attribute."""
    parts = path.split(".")
    if len(parts) >= 4 and parts[0] == "resource" and parts[1] == RENAMED_TYPE:
        rest = parts[3:]
        return ".".join(rest[1:] if rest and rest[0] == "input" else rest)
    if parts and parts[0] == "output":
        return ".".join(parts[2:])
    return ".".join(parts[1:])


# ---------------------------------------------------------------------------------------------
# Running Terraform


def terraform_binary() -> str:
    """The terraform to run: ``$SECURE_WEB_TERRAFORM`` or ``terraform`` on PATH, at least version 1.4."""
    candidate = os.environ.get(TERRAFORM_VARIABLE) or "terraform"
    found = shutil.which(candidate)
    if found is None:
        raise TerraformUnavailable(
            f"terraform not found ({candidate!r}); install Terraform >= 1.4 or set {TERRAFORM_VARIABLE}")
    completed = subprocess.run([found, "version", "-json"], capture_output=True, text=True, env=terraform_env(),
                               check=False)
    try:
        version = json.loads(completed.stdout)["terraform_version"]
        numbers = tuple(int(part) for part in version.split(".")[:2])
    except (ValueError, KeyError, TypeError) as error:
        raise TerraformUnavailable(f"{found} did not report its version: {completed.stderr.strip()}") from error
    if numbers < MINIMUM_VERSION:
        raise TerraformUnavailable(f"{found} is Terraform {version}; terraform_data needs >= 1.4")
    return found


def terraform_env() -> dict[str, str]:
    """Offline and quiet: no CLI configuration file, no update check, no prompts."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TF_")}
    env.update(TF_CLI_CONFIG_FILE=os.devnull, CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1", TF_INPUT="0")
    return env


def check_document(document: Mapping[str, object], *, file: str, terraform: str | None = None) -> Checked:
    """Validate one synthesized document offline; every problem comes back as a Diagnostic."""
    terraform = terraform or terraform_binary()
    blocks = offline_blocks(document)
    diagnostics: list[Diagnostic] = [
        Diagnostic(file=file, address=address, attribute="provider", severity="error",
                   summary="Provider configuration not present", detail=problem)
        for address, problem in provider_reference_problems(document)
    ]
    with tempfile.TemporaryDirectory(prefix="secure-web-tfcheck-") as directory:
        line_paths = {}
        for block in blocks:
            text, paths = dump_with_lines(block.content)
            Path(directory, block.filename).write_text(text)
            line_paths[block.filename] = (block.address, paths)
        env = {**terraform_env(), "TF_DATA_DIR": str(Path(directory, ".terraform"))}
        init = subprocess.run([terraform, "init", "-backend=false", "-input=false", "-no-color"], cwd=directory,
                              env=env, capture_output=True, text=True, check=False)
        if init.returncode != 0:
            diagnostics.append(Diagnostic(file=file, address=file, attribute="", severity="error",
                                          summary="terraform init failed", detail=_strip(init.stderr)))
            return Checked(file=file, addresses=tuple(b.address for b in blocks), diagnostics=tuple(diagnostics))
        validate = subprocess.run([terraform, "validate", "-json", "-no-color"], cwd=directory, env=env,
                                  capture_output=True, text=True, check=False)
    try:
        report = json.loads(validate.stdout)
    except json.JSONDecodeError:
        report = {"diagnostics": [{"severity": "error", "summary": "terraform validate failed",
                                   "detail": _strip(validate.stderr)}]}
    for raw in report.get("diagnostics") or []:
        where = raw.get("range") or {}
        address, paths = line_paths.get(where.get("filename", ""), (file, []))
        line = (where.get("start") or {}).get("line", 0)
        attribute = _attribute_path(paths[line - 1]) if 0 < line <= len(paths) else ""
        diagnostics.append(Diagnostic(file=file, address=address, attribute=attribute,
                                      severity=raw.get("severity", "error"),
                                      summary=_original_names(raw.get("summary", "")),
                                      detail=_original_names(raw.get("detail", ""))))
    return Checked(file=file, addresses=tuple(b.address for b in blocks), diagnostics=tuple(diagnostics))


_STAND_IN_REFERENCE = re.compile(rf"{RENAMED_TYPE}\.([A-Za-z0-9_-]+{SEPARATOR}[A-Za-z0-9_-]+)((\[[^\]]*\])?)\.output")
_STAND_IN_LABELS = re.compile(rf'"{RENAMED_TYPE}" "([A-Za-z0-9_-]+{SEPARATOR}[A-Za-z0-9_-]+)"')
_STAND_IN_ADDRESS = re.compile(rf"{RENAMED_TYPE}\.([A-Za-z0-9_-]+{SEPARATOR}[A-Za-z0-9_-]+)")


def _original_names(text: str) -> str:
    """Terraform's message about the stand-ins, told in the original names."""
    text = _STAND_IN_REFERENCE.sub(lambda m: original_address(m.group(1)) + m.group(2), text)
    text = _STAND_IN_LABELS.sub(lambda m: _quoted_labels(original_address(m.group(1))), text)
    return _STAND_IN_ADDRESS.sub(lambda m: original_address(m.group(1)), text)


def _quoted_labels(address: str) -> str:
    return " ".join(f'"{part}"' for part in address.split(".")[-2:])


def _strip(text: str) -> str:
    return "\n".join(line for line in text.strip().splitlines() if line.strip())


# ---------------------------------------------------------------------------------------------
# Rendering literal strings the way Terraform hands them to the provider


def render_strings(values: Mapping[str, str], *, terraform: str | None = None) -> dict[str, str]:
    """What Terraform makes of each string (as written in a .tf.json), by a local apply of outputs.

    Only for strings without references: this is the text a provider receives, e.g. the
    CloudWatch agent configuration stored in an SSM parameter.
    """
    terraform = terraform or terraform_binary()
    names = {f"v{index}": key for index, key in enumerate(values)}
    config = {"output": {name: {"value": values[key]} for name, key in names.items()}}
    with tempfile.TemporaryDirectory(prefix="secure-web-tfrender-") as directory:
        Path(directory, "render.tf.json").write_text(json.dumps(config))
        env = {**terraform_env(), "TF_DATA_DIR": str(Path(directory, ".terraform"))}
        for command in (["init", "-backend=false", "-input=false", "-no-color"],
                        ["apply", "-auto-approve", "-input=false", "-no-color", "-lock=false"]):
            completed = subprocess.run([terraform, *command], cwd=directory, env=env, capture_output=True,
                                       text=True, check=False)
            if completed.returncode != 0:
                raise ValueError(f"terraform {command[0]} failed: {_strip(completed.stderr)}")
        completed = subprocess.run([terraform, "output", "-json", "-no-color"], cwd=directory, env=env,
                                   capture_output=True, text=True, check=True)
    outputs = json.loads(completed.stdout)
    return {key: outputs[name]["value"] for name, key in names.items()}

