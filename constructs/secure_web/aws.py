"""Load the prebuilt AWS provider bindings one resource module at a time.

``cdktf_cdktf_provider_aws/__init__.py`` eagerly imports all 2,212 resource
modules (about 7 s and 600 MB). The resource modules only need the package's
``_jsii`` module, which loads the provider's jsii assembly, so we register an
empty package object under the real name and import just the modules we use.
The synthesized JSON is the same either way; ``SECURE_WEB_PROVIDER_IMPORT=stock``
switches back to the plain import, for comparison and as a fallback.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types

PACKAGE = "cdktf_cdktf_provider_aws"
IMPORT_MODE_VARIABLE = "SECURE_WEB_PROVIDER_IMPORT"


def import_mode() -> str:
    """'stock' when the environment asks for the provider's own eager import, else 'lazy'."""
    return "stock" if os.environ.get(IMPORT_MODE_VARIABLE, "").lower() == "stock" else "lazy"


def _register_package_without_init() -> None:
    if PACKAGE in sys.modules:
        return
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.submodule_search_locations is None:
        raise ImportError(f"{PACKAGE} is not installed; install cdktf-cdktf-provider-aws==21.22.1")
    package = types.ModuleType(PACKAGE)
    package.__path__ = list(spec.submodule_search_locations)
    package.__file__ = spec.origin
    package.__package__ = PACKAGE
    package.__spec__ = spec
    sys.modules[PACKAGE] = package


def resource_module(name: str) -> types.ModuleType:
    """Return ``cdktf_cdktf_provider_aws.<name>`` without importing the other 2,211 modules."""
    if import_mode() == "stock":
        importlib.import_module(PACKAGE)
    else:
        _register_package_without_init()
    return importlib.import_module(f"{PACKAGE}.{name}")


_FREE_FORM_KEYS = frozenset({"tags", "dimensions", "statement"})


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def blocks(items: list[dict[str, object]]) -> list[dict[str, object]]:
    """Nested Terraform blocks given as lists of dicts, with keys as jsii expects them.

    jsii converts a dict to a struct only where the binding declares a single struct;
    dicts inside a list reach the JavaScript side as plain maps, which must use the
    camelCase property names. Tag and dimension maps, and WAF statements (typed as
    free-form JSON by the bindings), keep their keys as written.
    """
    return [_camel_keys(item) for item in items]


def _camel_keys(value: object) -> object:
    if isinstance(value, dict):
        return {
            _camel(key): (item if key in _FREE_FORM_KEYS else _camel_keys(item)) for key, item in value.items()
        }
    if isinstance(value, list):
        return [_camel_keys(item) for item in value]
    return value
