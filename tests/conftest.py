"""Fixtures shared by every test package: one synthesized reference stack per session."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import settings

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

REPO = Path(__file__).resolve().parent.parent

# CI explores the same examples on every run, so a red build always reproduces;
# local runs keep hypothesis' random exploration to find new edge cases.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


class SynthesizedStack:
    """A synthesized cdk.tf.json with helpers to find resources by type and construct path."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return self.document.get("resource", {}).get(resource_type, {})

    def data(self, data_type: str) -> dict[str, dict[str, Any]]:
        return self.document.get("data", {}).get(data_type, {})

    def by_path(self, resource_type: str, path_suffix: str) -> dict[str, Any]:
        matches = [body for body in self.resources(resource_type).values()
                   if body["//"]["metadata"]["path"].endswith(path_suffix)]
        assert len(matches) == 1, f"expected one {resource_type} at *{path_suffix}, found {len(matches)}"
        return matches[0]

    def address_of(self, resource_type: str, path_suffix: str) -> str:
        for name, body in self.resources(resource_type).items():
            if body["//"]["metadata"]["path"].endswith(path_suffix):
                return f"{resource_type}.{name}"
        raise AssertionError(f"no {resource_type} at *{path_suffix}")

    def count(self) -> int:
        return sum(len(bodies) for bodies in self.document.get("resource", {}).values())


def synth_stack(app: Any, stack_name: str) -> SynthesizedStack:
    """Synthesize ``app`` and load one stack's JSON."""
    app.synth()
    path = Path(app.outdir) / "stacks" / stack_name / "cdk.tf.json"
    return SynthesizedStack(json.loads(path.read_text()))


@pytest.fixture(scope="session")
def reference_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SynthesizedStack]:
    """The reference stack from main.py with default settings, synthesized once."""
    import main

    outdir = tmp_path_factory.mktemp("reference")
    yield synth_stack(main.build_app(outdir=str(outdir)), "secure-web")
