"""Load the prebuilt AWS provider bindings one resource module at a time.

``cdktf_cdktf_provider_aws/__init__.py`` eagerly imports all 2,212 resource
modules (about 7 s and 600 MB). The resource modules only need the package's
``_jsii`` module, which loads the provider's jsii assembly, so we register an
empty package object under the real name and import just the modules we use.
The JavaScript side has the same problem: the jsii kernel ``require``s the
provider's ``lib/index.js``, which loads all 2,212 JavaScript modules (about 4 s
and 450 MB in node). Before the provider's assembly is loaded we hand the kernel
a tiny generated assembly whose only code makes that index lazy, so node also
loads just the resource modules we use.
The synthesized JSON is the same either way; ``SECURE_WEB_PROVIDER_IMPORT=stock``
switches back to the plain imports on both sides, for comparison and as a fallback.
"""

from __future__ import annotations

import gzip
import importlib
import importlib.util
import io
import json
import os
import sys
import tarfile
import tempfile
import types

from . import provenance
from .literals import terraform_literal

PACKAGE = "cdktf_cdktf_provider_aws"
IMPORT_MODE_VARIABLE = "SECURE_WEB_PROVIDER_IMPORT"


def import_mode() -> str:
    """'stock' when the environment asks for the provider's own eager import, else 'lazy'."""
    return "stock" if os.environ.get(IMPORT_MODE_VARIABLE, "").lower() == "stock" else "lazy"


# Installed in the jsii kernel (node) before the provider assembly loads: when the
# kernel requires @cdktf/provider-aws/lib/index.js, it gets an object whose
# properties require each resource module on first use. The index must consist of
# nothing but `exports.x = require("./x");` lines, else it loads as usual.
_LAZY_INDEX_JS = r"""
"use strict";
const fs = require("fs");
const path = require("path");
const Module = require("module");
const EXPORT_LINE = /^exports\.(\w+) = require\("(\.\/[a-z0-9-]+)"\);$/;
const INDEX = `${path.sep}lib${path.sep}index.js`;

function lazyIndex(filename) {
  const dir = path.dirname(filename);
  let manifest;
  try { manifest = JSON.parse(fs.readFileSync(path.join(dir, "..", "package.json"), "utf8")); } catch { return undefined; }
  if (manifest.name !== "@cdktf/provider-aws") return undefined;
  const source = fs.readFileSync(filename, "utf8");
  const lazy = { __esModule: true };
  let lazyCount = 0;
  for (const line of source.split("\n")) {
    const match = EXPORT_LINE.exec(line);
    if (!match) continue;
    const [, name, relative] = match;
    lazyCount += 1;
    Object.defineProperty(lazy, name, {
      enumerable: true, configurable: true,
      get() {
        const value = require(path.join(dir, relative));
        Object.defineProperty(lazy, name, { enumerable: true, value });
        return value;
      },
    });
  }
  return lazyCount > 0 && lazyCount === source.split("require(").length - 1 ? lazy : undefined;
}

const load = Module._load;
Module._load = function (request, parent, isMain) {
  const filename = Module._resolveFilename(request, parent, isMain);
  if (filename.endsWith(INDEX) && Module._cache[filename] === undefined) {
    const lazy = lazyIndex(filename);
    if (lazy !== undefined) {
      const module = new Module(filename, parent);
      module.filename = filename;
      module.exports = lazy;
      module.loaded = true;
      Module._cache[filename] = module;
      return lazy;
    }
  }
  return load.apply(this, arguments);
};
"""
_LOADER_NAME = "secure-web-lazy-provider-index"
_LOADER_VERSION = "1.0.0"


def _loader_tarball() -> bytes:
    """A minimal jsii assembly whose module is ``_LAZY_INDEX_JS``; byte-stable, so the kernel caches it once."""
    files = {
        "package/package.json": {"name": _LOADER_NAME, "version": _LOADER_VERSION, "main": "index.js",
                                 "license": "Apache-2.0"},
        "package/.jsii": {"schema": "jsii/0.10.0", "name": _LOADER_NAME, "version": _LOADER_VERSION,
                          "fingerprint": _LOADER_NAME, "jsiiVersion": "1.0.0", "license": "Apache-2.0",
                          "homepage": "", "description": "", "repository": {"type": "git", "url": ""},
                          "author": {"name": "secure_web", "roles": ["author"]}, "types": {}},
        "package/index.js": _LAZY_INDEX_JS,
    }
    archive = io.BytesIO()
    with gzip.GzipFile(fileobj=archive, mode="wb", mtime=0) as zipped, tarfile.open(fileobj=zipped, mode="w") as tar:
        for name, content in files.items():
            data = (content if isinstance(content, str) else json.dumps(content, sort_keys=True)).encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return archive.getvalue()


def _make_provider_index_lazy_in_kernel() -> None:
    import jsii._runtime  # imported here: the kernel is jsii's process-wide singleton

    with tempfile.TemporaryDirectory(prefix="secure-web-") as directory:
        tarball = os.path.join(directory, f"{_LOADER_NAME}.tgz")
        with open(tarball, "wb") as handle:
            handle.write(_loader_tarball())
        jsii._runtime.kernel.load(_LOADER_NAME, _LOADER_VERSION, tarball)


def _register_package_without_init() -> None:
    if PACKAGE in sys.modules:
        return
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.submodule_search_locations is None:
        raise ImportError(f"{PACKAGE} is not installed; install cdktf-cdktf-provider-aws==21.22.1")
    _make_provider_index_lazy_in_kernel()
    package = types.ModuleType(PACKAGE)
    package.__path__ = list(spec.submodule_search_locations)
    package.__file__ = spec.origin
    package.__package__ = PACKAGE
    package.__spec__ = spec
    sys.modules[PACKAGE] = package


def provider_module(name: str) -> types.ModuleType:
    """Return ``cdktf_cdktf_provider_aws.<name>`` without importing the other 2,211 modules."""
    if import_mode() == "stock":
        importlib.import_module(PACKAGE)
    else:
        _register_package_without_init()
    return importlib.import_module(f"{PACKAGE}.{name}")


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
    """``cdktf_cdktf_provider_aws.<name>``, loaded on its own, whose resources escape literal text.

    Constructs create every provider resource, data source and provider through this.
    """
    return LiteralModule(provider_module(name))


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
