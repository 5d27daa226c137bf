"""Make the jsii kernel load ``@cdktf/provider-aws``'s JavaScript index lazily.

When the kernel (node) loads the provider assembly it ``require``s the provider's
``lib/index.js``, which loads all 2,212 JavaScript resource modules (about 4 s and 450 MB),
whatever Python imported. ``install()`` hands the kernel, before the provider assembly
loads, a tiny generated assembly (``secure-web-lazy-provider-index``: no types, a few
lines of JavaScript) that makes that one index lazy: each export ``require``s its module
on first use. The index is replaced only if it is exactly the generated
``exports.x = require("./x");`` list of ``@cdktf/provider-aws``; anything else loads as usual.

This is the one place secure_web relies on jsii internals:

- ``jsii._runtime.kernel``, the process-wide ``jsii._kernel.Kernel`` the generated
  bindings load their assemblies into, and its ``load(name, version, tarball)``;
- the kernel ``require``s a loaded assembly's ``main`` module when it loads it;
- node's ``Module._load``, ``Module._resolveFilename`` and ``Module._cache``.

``tests/unit/test_provider_modules.py`` fails if any of these stops holding: it checks the
attribute and signature, and that the node process of a lazy synth stays small.
``SECURE_WEB_PROVIDER_IMPORT=stock`` never calls this module.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
import tempfile
from typing import Callable

# The kernel requires this module (the loader assembly's main) when it loads the loader.
# From then on, when anything requires @cdktf/provider-aws/lib/index.js, it gets an
# object whose properties require each resource module on first use.
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
LOADER_NAME = "secure-web-lazy-provider-index"
LOADER_VERSION = "1.0.0"

_installed = False


def kernel_load() -> Callable[[str, str, str], None]:
    """``load(name, version, tarball)`` of the jsii kernel the provider's bindings load their assembly into."""
    import jsii._runtime  # the kernel is jsii's process-wide singleton; importing it does not start node

    return jsii._runtime.kernel.load


def loader_tarball() -> bytes:
    """A minimal jsii assembly whose main module is ``_LAZY_INDEX_JS``; byte-stable, so the kernel caches it once."""
    files = {
        "package/package.json": {"name": LOADER_NAME, "version": LOADER_VERSION, "main": "index.js",
                                 "license": "Apache-2.0"},
        "package/.jsii": {"schema": "jsii/0.10.0", "name": LOADER_NAME, "version": LOADER_VERSION,
                          "fingerprint": LOADER_NAME, "jsiiVersion": "1.0.0", "license": "Apache-2.0",
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


def install() -> None:
    """Load the lazy-index assembly into the kernel, once per process; call it before the provider assembly loads."""
    global _installed
    if _installed:
        return
    load = kernel_load()
    with tempfile.TemporaryDirectory(prefix="secure-web-") as directory:
        tarball = os.path.join(directory, f"{LOADER_NAME}.tgz")
        with open(tarball, "wb") as handle:
            handle.write(loader_tarball())
        load(LOADER_NAME, LOADER_VERSION, tarball)
    _installed = True
