"""Reading a synthesized ``cdk.tf.json`` as Terraform would apply it: order, references, interpolation.

Only what the reference stack uses is understood: ``${type.name.attribute}`` and
``${data.type.name.attribute}`` references (with ``[index].attribute`` steps into nested
blocks), ``element(list, index)``, ``jsonencode({"key" = value, ...})`` over literals and
references, ``$${`` escapes
(a literal ``${``, as in the CloudWatch agent's ``${aws:InstanceId}``) and
``depends_on``. Anything else inside ``${...}`` is refused when it is read, so an
expression the emulation does not understand cannot pass as a literal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

INTERPOLATION = re.compile(r"(\$?)\$\{((?:[^{}]|\{[^{}]*\})*)\}")
REFERENCE = re.compile(r"(data\.)?([a-z][a-z0-9_]*)\.([A-Za-z0-9_-]+)\.([a-z_][a-z0-9_]*)"
                       r"((?:\[\d+\]\.[a-z_][a-z0-9_]*)*)")
STEP = re.compile(r"\[(\d+)\]\.([a-z_][a-z0-9_]*)")
ELEMENT = re.compile(r"element\((.+),\s*(\d+)\)")
JSONENCODE = re.compile(r"jsonencode\(\{(.*)\}\)", re.DOTALL)
OBJECT_ITEM = re.compile(r'\s*"([^"]+)"\s*=\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false|[^,]+?)\s*(?:,|$)')
ADDRESS = re.compile(r"\b((?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z0-9_-]+)")
TERRAFORM_ONLY = frozenset({"//", "depends_on", "lifecycle"})
"""Meta-arguments that steer Terraform itself and have no counterpart in any AWS API."""


class UnresolvedExpression(ValueError):
    """A ``${...}`` expression the emulation cannot evaluate."""


def addresses(document: Mapping[str, Any]) -> dict[str, tuple[str, str, Mapping[str, Any]]]:
    """Every resource and data source: address → (kind, type, body); kind is 'resource' or 'data'."""
    found: dict[str, tuple[str, str, Mapping[str, Any]]] = {}
    for kind, prefix in (("resource", ""), ("data", "data.")):
        for resource_type, bodies in document.get(kind, {}).items():
            for name, body in bodies.items():
                found[f"{prefix}{resource_type}.{name}"] = (kind, resource_type, body)
    return found


def dependencies(body: Mapping[str, Any], known: Mapping[str, object]) -> set[str]:
    """Addresses ``body`` refers to (in expressions or ``depends_on``) that exist in the document."""
    text = json.dumps({key: value for key, value in body.items() if key != "//"})
    return {address for address in ADDRESS.findall(text) if address in known}


def apply_order(document: Mapping[str, Any]) -> list[str]:
    """Addresses in an order where each comes after everything it refers to; ties broken by name."""
    known = addresses(document)
    waiting = {address: dependencies(body, known) - {address} for address, (_, _, body) in known.items()}
    order: list[str] = []
    while waiting:
        ready = sorted(address for address, needs in waiting.items() if not needs)
        if not ready:
            raise ValueError(f"reference cycle among {sorted(waiting)}")
        for address in ready:
            del waiting[address]
            order.append(address)
        for needs in waiting.values():
            needs.difference_update(ready)
    return order


def interpolate(value: Any, evaluate: Callable[[str], Any]) -> Any:
    """``value`` with every ``${expression}`` replaced by ``evaluate(expression)``.

    A string that is one whole expression takes the expression's value (a list stays a
    list); expressions inside a longer string are formatted into it; ``$${`` is a literal ``${``.
    """
    if isinstance(value, Mapping):
        return {key: interpolate(item, evaluate) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, evaluate) for item in value]
    if not isinstance(value, str):
        return value
    whole = INTERPOLATION.fullmatch(value)
    if whole and not whole.group(1):
        return evaluate(whole.group(2))
    return INTERPOLATION.sub(
        lambda match: "${" + match.group(2) + "}" if match.group(1) else str(evaluate(match.group(2))), value)


def evaluator(attribute: Callable[[str, str], Any]) -> Callable[[str], Any]:
    """An ``evaluate`` for ``interpolate``: references through ``attribute(address, name)``, and ``element``."""

    def evaluate(expression: str) -> Any:
        expression = expression.strip()
        element = ELEMENT.fullmatch(expression)
        if element:
            items = evaluate(element.group(1))
            return items[int(element.group(2)) % len(items)]
        encoded = JSONENCODE.fullmatch(expression)
        if encoded:
            # Terraform's jsonencode writes an object's keys sorted, without spaces.
            return json.dumps(_object(encoded.group(1), evaluate), separators=(",", ":"), sort_keys=True)
        reference = REFERENCE.fullmatch(expression)
        if reference:
            data, resource_type, name, attribute_name, steps = reference.groups()
            value = attribute(f"{data or ''}{resource_type}.{name}", attribute_name)
            for index, nested in STEP.findall(steps):
                value = value[int(index)][nested]
            return value
        raise UnresolvedExpression(f"cannot evaluate ${{{expression}}}")

    return evaluate


def _object(body: str, evaluate: Callable[[str], Any]) -> dict[str, Any]:
    """An HCL object literal's ``"key" = value`` items: numbers, booleans, strings and references."""
    items: dict[str, Any] = {}
    position = 0
    while body[position:].strip():
        item = OBJECT_ITEM.match(body, position)
        if not item:
            raise UnresolvedExpression(f"cannot evaluate the object {{{body}}} from {body[position:]!r}")
        key, value = item.groups()
        items[key] = json.loads(value) if value[0] in '"-0123456789' or value in ("true", "false") \
            else evaluate(value)
        position = item.end()
    return items


def resources(document: Mapping[str, Any], resource_type: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(address, body) of every ``resource_type`` resource."""
    for name, body in document.get("resource", {}).get(resource_type, {}).items():
        yield f"{resource_type}.{name}", body
