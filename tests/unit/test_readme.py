"""The README documents every prop of every public construct, so the docs cannot drift from the code."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from secure_web import MonitoredHostProps, NetworkProps, ReplicatedMySQLProps, SecureWebTierProps

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


@pytest.mark.parametrize("props", [NetworkProps, SecureWebTierProps, MonitoredHostProps, ReplicatedMySQLProps],
                         ids=lambda props: props.__name__)
def test_every_prop_is_in_the_readme_with_its_default(props):
    section = README.split(f"#### `{props.__name__}`", 1)[1].split("####", 1)[0]
    documented = {line.split("`")[1] for line in section.splitlines() if line.startswith("| `")}
    assert documented == {field.name for field in dataclasses.fields(props)}
    assert all("Default" in line or "Required" in line for line in section.splitlines() if line.startswith("| `"))
