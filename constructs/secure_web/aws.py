"""Load the prebuilt AWS provider bindings one resource module at a time, for us and for the app.

``cdktf_cdktf_provider_aws/__init__.py`` eagerly imports all 2,212 resource modules (about
7 s and 600 MB, and about 3 s more to tear them down at exit); the jsii kernel's node
process, loading the provider assembly, requires all 2,212 JavaScript modules too (about
4 s and 450 MB). A stack uses about 50 of them.

Importing this module (every construct module does, so ``from secure_web import
SecureWebTier`` counts) puts ``ProviderPackageFinder`` first in ``sys.meta_path``. It acts
on one name only, ``cdktf_cdktf_provider_aws``, and only when that package is imported
afterwards, by us or by the app (``import cdktf_cdktf_provider_aws as aws`` or ``from
cdktf_cdktf_provider_aws.s3_bucket import S3Bucket``). The package module is then built
from the spec the other finders return (same ``__file__``, ``__path__``, origin), but
instead of running its ``__init__`` the loader makes the node-side index lazy
(``_jsii_lazy_index``), sets ``__all__`` to the submodules on disk (the list the
``__init__`` holds) and a module ``__getattr__`` (PEP 562) that imports
``cdktf_cdktf_provider_aws.<name>`` on first use. Attribute access, ``from ... import``,
``dir()`` and ``import *`` behave as with the provider's own package; what differs is the
loader in ``__spec__`` and the absence of the package's ``_private`` namespace.

Our constructs go one step further: ``resource_module`` hands them ``DirectModule``
classes, which create each resource by its jsii type name without importing the typed
Python module at all (see ``DirectModule``).

A package imported before this module is the provider's own, and stays so: everything
works, at the provider's speed. The synthesized JSON is the same either way.
``SECURE_WEB_PROVIDER_IMPORT=stock``, read when this module is first imported, installs
nothing, so the provider's own imports run on both sides (for comparison, and as a fallback);
``typed`` keeps the lazy package but has our constructs use the typed classes.
"""

from __future__ import annotations

import functools
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import pkgutil
import sys
import types
import warnings
from typing import Callable, Sequence

from . import _jsii_lazy_index, provenance
from .literals import terraform_literal

PACKAGE = "cdktf_cdktf_provider_aws"
IMPORT_MODE_VARIABLE = "SECURE_WEB_PROVIDER_IMPORT"


def import_mode() -> str:
    """How the provider bindings load: 'stock', 'typed' or (default) 'lazy'.

    'stock': the provider's own eager import, and our constructs use its typed classes.
    'typed': the lazy package, and our constructs use its typed classes.
    'lazy' (anything else): the lazy package, and our constructs create resources by
    their jsii type name (``DirectModule``), without importing the Python bindings.
    """
    mode = os.environ.get(IMPORT_MODE_VARIABLE, "").lower()
    return mode if mode in ("stock", "typed") else "lazy"


class ProviderPackageFinder(importlib.abc.MetaPathFinder):
    """Finds ``cdktf_cdktf_provider_aws`` where the other finders do; loads it with ``LazyProviderPackageLoader``."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: types.ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != PACKAGE:
            return None
        spec = _spec_from_other_finders(fullname, path, target)
        if (spec is None or spec.origin is None or not spec.submodule_search_locations
                or not isinstance(spec.loader, importlib.machinery.SourceFileLoader)):
            return None  # not an installed source package (zip, sourceless, missing): the usual import handles it
        return importlib.util.spec_from_file_location(
            fullname, spec.origin, loader=LazyProviderPackageLoader(fullname, spec.origin),
            submodule_search_locations=list(spec.submodule_search_locations))

    def __repr__(self) -> str:
        return f"<secure_web.aws.ProviderPackageFinder: {PACKAGE} loads its submodules on first use>"


def _spec_from_other_finders(fullname: str, path: Sequence[str] | None,
                             target: types.ModuleType | None) -> importlib.machinery.ModuleSpec | None:
    for finder in sys.meta_path:
        find_spec = getattr(finder, "find_spec", None)
        if isinstance(finder, ProviderPackageFinder) or find_spec is None:
            continue
        spec = find_spec(fullname, path, target)
        if spec is not None:
            return spec
    return None


class LazyProviderPackageLoader(importlib.machinery.SourceFileLoader):
    """The provider package without its ``__init__``: each submodule is imported on first use.

    Source, resources and ``is_package`` come from the real package files, as usual.
    """

    def exec_module(self, module: types.ModuleType) -> None:
        try:
            _jsii_lazy_index.install()
        except Exception as error:  # noqa: BLE001 - a jsii change must cost speed, never the app's import
            warnings.warn(f"secure_web could not make the AWS provider's JavaScript index lazy ({error!r}); "
                          f"synth still works but loads every provider module in node. "
                          f"{IMPORT_MODE_VARIABLE}=stock turns this loader off.", RuntimeWarning, stacklevel=2)
        module.__path__ = pkgutil.extend_path(module.__path__, module.__name__)  # as the real __init__ does
        # Listing 2,212 directories costs more than a small synth's own imports: list them on first need.
        submodules = functools.cache(lambda: _submodule_names(module.__path__))
        module.__getattr__ = _import_on_first_use(module, submodules)
        module.__dir__ = lambda: sorted(set(vars(module)) | set(submodules()))


def _submodule_names(path: Sequence[str]) -> list[str]:
    """The public subpackages on disk: what the real ``__init__`` lists in ``__all__`` and imports."""
    return sorted({
        entry.name for directory in path if os.path.isdir(directory) for entry in os.scandir(directory)
        if entry.is_dir() and entry.name.isidentifier() and not entry.name.startswith("_")
        and os.path.isfile(os.path.join(entry.path, "__init__.py"))
    })


def _import_on_first_use(module: types.ModuleType, submodules: Callable[[], list[str]]) -> Callable[[str], object]:
    def __getattr__(name: str) -> object:
        if name == "__all__":
            module.__all__ = submodules()
            return module.__all__
        if not name.startswith("_") and name in submodules():
            return importlib.import_module(f"{module.__name__}.{name}")  # the import also sets it on the package
        raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")

    return __getattr__


def install_provider_finder() -> None:
    """Put ``ProviderPackageFinder`` first in ``sys.meta_path``, once; nothing in stock mode."""
    if import_mode() == "stock" or any(isinstance(finder, ProviderPackageFinder) for finder in sys.meta_path):
        return
    sys.meta_path.insert(0, ProviderPackageFinder())


install_provider_finder()
_DIRECT_CLASSES = import_mode() == "lazy"  # read once, as the finder's mode is


def provider_module(name: str) -> types.ModuleType:
    """``cdktf_cdktf_provider_aws.<name>``; unless the package was imported the stock way, the only one loaded."""
    try:
        return importlib.import_module(f"{PACKAGE}.{name}")
    except ModuleNotFoundError as error:
        if error.name != PACKAGE:
            raise
        raise ImportError(f"{PACKAGE} is not installed; install cdktf-cdktf-provider-aws==21.22.1") from error


class LiteralModule:
    """A provider module whose classes take literal text: every string attribute is escaped for Terraform.

    This is where our attribute values enter the Terraform layer. ``${`` and ``%{`` in them
    (outside cdktf tokens) are escaped by ``literals.terraform_literal``, so they reach AWS
    as written; anything else on the module (struct classes, functions) is passed through.
    """

    def __init__(self, module: types.ModuleType) -> None:
        self._module = module

    def __getattr__(self, name: str) -> object:
        value = getattr(self._module, name)
        return _LiteralConstructor(value) if isinstance(value, type) and _is_element(value) else value


class _LiteralConstructor:
    def __init__(self, element_class: type) -> None:
        self.element_class = element_class

    def __call__(self, scope: object, construct_id: str, /, **attributes: object) -> object:
        element = self.element_class(scope, construct_id,
                                     **{key: terraform_literal(value) for key, value in attributes.items()})
        provenance.record(scope, construct_id)
        return element

    def __getattr__(self, name: str) -> object:
        return getattr(self.element_class, name)


def _is_element(candidate: type) -> bool:
    import cdktf

    return issubclass(candidate, (cdktf.TerraformResource, cdktf.TerraformDataSource, cdktf.TerraformProvider))


def resource_module(name: str) -> LiteralModule:
    """The resources of ``cdktf_cdktf_provider_aws.<name>``, escaping literal text.

    Constructs create every provider resource, data source and provider through this. By
    default the classes come from ``DirectModule`` (no Python binding is imported); with
    ``SECURE_WEB_PROVIDER_IMPORT=typed`` or ``stock``, from the typed submodule.
    """
    return LiteralModule(DirectModule(name) if _DIRECT_CLASSES else provider_module(name))


class DirectModule:
    """A provider submodule's resource classes, made from their jsii type names alone.

    Importing a typed binding module costs about 4 ms (Python evaluates the annotations of
    every struct and method it defines) and a stack uses about 50 of them. A resource needs
    none of that: the kernel creates ``@cdktf/provider-aws.<module>.<Class>`` from its
    configuration, and the node side checks it against the assembly. So an element class
    here is a small subclass of cdktf's ``TerraformResource`` (``TerraformDataSource``,
    ``TerraformProvider``) carrying the jsii type name: keyword arguments become the
    configuration (snake_case keys camelCased, free-form maps such as tags kept), and
    attributes are read and written by their camelCase names. Any other name (a struct or
    enum class) comes from the typed module, imported then. The synthesized JSON is the same
    as with the typed classes; ``tests/unit/test_provider_import.py`` compares them byte for byte.
    """

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, name: str) -> object:
        element = _direct_element_class(self._name, name)
        return element if element is not None else getattr(provider_module(self._name), name)


@functools.cache
def _direct_element_class(module_name: str, class_name: str) -> type | None:
    """The direct class for ``class_name`` when it is the module's element class, else None."""
    import cdktf
    import jsii

    pascal = "".join(part[:1].upper() + part[1:] for part in module_name.split("_"))
    if module_name == "provider" and class_name == "AwsProvider":
        base: type = cdktf.TerraformProvider
    elif class_name in (pascal, pascal + "A"):  # "A": the bindings' suffix where a name clashes
        base = cdktf.TerraformDataSource if module_name.startswith("data_aws_") else cdktf.TerraformResource
    else:
        return None
    provider_module("_jsii")  # loads the provider's assembly into the kernel, as any typed module does
    jsii_type = f"@cdktf/provider-aws.{_camel(module_name)}.{class_name}"

    def __init__(self: object, scope: object, construct_id: str, /, **configuration: object) -> None:
        jsii.create(type(self), self, [scope, construct_id, _configuration(configuration)])

    def __getattr__(self: object, name: str) -> object:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            value = jsii.get(self, _camel(name))
        except ValueError:  # a complex attribute whose type only the typed module registers
            provider_module(module_name)
            value = jsii.get(self, _camel(name))
        self.__dict__[name] = value  # attribute tokens never change: one round trip per attribute
        return value

    def __setattr__(self: object, name: str, value: object) -> None:
        if name.startswith("_") or hasattr(type(self), name):
            object.__setattr__(self, name, value)
        else:
            self.__dict__.pop(name, None)
            jsii.set(self, _camel(name), _configuration(value))

    element = jsii.JSIIMeta(class_name, (base,), {
        "__init__": __init__, "__getattr__": __getattr__, "__setattr__": __setattr__,
        "__module__": __name__, "__qualname__": f"DirectModule.{class_name}",
        "__doc__": f"{jsii_type}, created by its jsii type name (see secure_web.aws.DirectModule).",
    })
    # Set after creation, not as JSIIMeta's jsii_type: that would register this class for the
    # type name process-wide, and objects the app gets back from node must keep the typed class.
    element.__jsii_type__ = jsii_type
    element.__jsii_declared_type__ = jsii_type  # so the kernel looks for no Python overrides
    return element


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


def _configuration(value: object) -> object:
    """Keyword arguments (or an attribute's value) as the kernel expects a direct class's configuration."""
    return _camel_keys(value)


def _camel_keys(value: object) -> object:
    if isinstance(value, dict):
        return {
            _camel(key): (item if key in _FREE_FORM_KEYS else _camel_keys(item)) for key, item in value.items()
        }
    if isinstance(value, list):
        return [_camel_keys(item) for item in value]
    return value
