"""Construct paths and stacks, read from the construct tree once per construct.

Each ``node.path`` or ``TerraformStack.of`` is a round trip to node; a construct's path
and stack never change once it exists, so they are remembered here (weakly, per object).
"""

from __future__ import annotations

import weakref
from typing import Any

import cdktf

_PATHS: "weakref.WeakKeyDictionary[Any, str]" = weakref.WeakKeyDictionary()
_STACKS: "weakref.WeakKeyDictionary[Any, cdktf.TerraformStack]" = weakref.WeakKeyDictionary()


def path_of(construct: Any) -> str:
    """``construct.node.path``, read once."""
    path = _PATHS.get(construct)
    if path is None:
        path = _PATHS[construct] = construct.node.path
    return path


def stack_of(construct: Any) -> cdktf.TerraformStack:
    """``cdktf.TerraformStack.of(construct)``, read once."""
    stack = _STACKS.get(construct)
    if stack is None:
        stack = _STACKS[construct] = cdktf.TerraformStack.of(construct)
    return stack
