"""A consumer's own provider imports keep working next to secure_web, in either order, and get its fast path.

Every case runs in a fresh interpreter: which package object ``cdktf_cdktf_provider_aws``
is, what ``sys.meta_path`` holds and what the jsii kernel has loaded are all per process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROVIDER = "cdktf_cdktf_provider_aws"
# The consumer app uses 3 provider modules, AlarmTopic about 10; the provider's __init__ imports 2,212.
LAZY_MODULE_LIMIT = 100
STOCK_MODULE_FLOOR = 2000

SECURE_WEB_FIRST = {
    "secure_web imported first": "import secure_web.aws",
    # secure_web has loaded a provider module before the consumer imports the package
    "secure_web used first": "import secure_web.aws\nsecure_web.aws.resource_module('sns_topic')",
}
IMPORT_PROVIDER = {
    "attribute": """
        import cdktf_cdktf_provider_aws as aws
        S3Bucket = aws.s3_bucket.S3Bucket
        AwsProvider = aws.provider.AwsProvider
    """,
    "from import": """
        from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
        from cdktf_cdktf_provider_aws.provider import AwsProvider
    """,
}
ORDERS = (*SECURE_WEB_FIRST, "provider first")
STYLES = tuple(IMPORT_PROVIDER)

# Reports on the last stdout line what the process imported; the peak RSS of its
# jsii node processes is read from /proc while they still run.
REPORT = """
    import json, os, sys
    import cdktf_cdktf_provider_aws as package
    from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket as imported

    def descendants(root):
        children = {}
        for entry in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(parent, []).append(int(entry))
        found, todo = [], [root]
        while todo:
            for child in children.get(todo.pop(), []):
                found.append(child)
                todo.append(child)
        return found

    def node_peak_kb():
        peaks = []
        for pid in descendants(os.getpid()):
            try:
                with open(f"/proc/{pid}/status") as status:
                    fields = dict(line.split(":", 1) for line in status.read().splitlines() if ":" in line)
            except OSError:
                continue
            if fields.get("Name", "").strip() == "node":
                peaks.append(int(fields["VmHWM"].split()[0]))
        return max(peaks, default=0)

    print(json.dumps({
        "provider_init_ran": "cdktf_cdktf_provider_aws._private" in sys.modules,
        "provider_modules": len({name.split(".")[1] for name in sys.modules
                                 if name.startswith("cdktf_cdktf_provider_aws.")}),
        "loader": type(package.__spec__.loader).__name__,
        "finder_installed": any(type(finder).__name__ == "ProviderPackageFinder" for finder in sys.meta_path),
        "package_all": list(package.__all__),
        "package_dir": dir(package),
        "same_class": package.s3_bucket.S3Bucket is imported,
        "node_peak_kb": node_peak_kb(),
        "warnings": caught,
    }))
"""


def consumer_app(order: str, style: str, before: str = "") -> str:
    """A consumer stack: its own provider and S3 bucket, and our AlarmTopic; imports in the given order."""
    provider = textwrap.dedent(IMPORT_PROVIDER[style])
    if order == "provider first":
        imports = [provider, SECURE_WEB_FIRST["secure_web imported first"]]
    else:
        imports = [SECURE_WEB_FIRST[order], provider]
    return "\n".join([
        "import sys, warnings",
        "caught = []",
        "warnings.showwarning = lambda message, category, *rest: caught.append(f'{category.__name__}: {message}')",
        textwrap.dedent(before),
        *imports,
        textwrap.dedent("""
            import cdktf
            from secure_web import AlarmTopic

            app = cdktf.App(outdir=sys.argv[1])
            stack = cdktf.TerraformStack(app, "consumer")
            AwsProvider(stack, "aws", region="eu-west-1")
            S3Bucket(stack, "assets", bucket="consumer-assets")
            AlarmTopic(stack, "alarms")
            app.synth()
        """),
        textwrap.dedent(REPORT),
    ])


@dataclass(frozen=True)
class Run:
    """What one consumer process wrote and imported."""

    cdk_tf_json: bytes
    provider_init_ran: bool
    provider_modules: int
    """Distinct provider submodules imported (``x`` and ``x._private`` count once)."""
    loader: str
    finder_installed: bool
    package_all: list[str]
    package_dir: list[str]
    same_class: bool
    node_peak_kb: int
    """Largest peak RSS of the process's jsii node processes, read while they ran."""
    warnings: list[str]


def run_python(code: str, *arguments: str, mode: str = "lazy") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "constructs"), os.environ.get("PYTHONPATH", "")]),
           "SECURE_WEB_PROVIDER_IMPORT": mode, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    return subprocess.run([sys.executable, "-c", code, *arguments], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def consumer(tmp_path_factory: pytest.TempPathFactory):
    """consumer(order, style, mode, before) synthesizes the consumer app once per argument set."""
    runs: dict[tuple[str, str, str, str], Run] = {}

    def run(order: str, style: str, mode: str = "lazy", before: str = "") -> Run:
        key = (order, style, mode, before)
        if key not in runs:
            outdir = tmp_path_factory.mktemp("consumer")
            completed = run_python(consumer_app(order, style, before), str(outdir), mode=mode)
            assert completed.returncode == 0, completed.stderr[-3000:]
            report = json.loads(completed.stdout.strip().splitlines()[-1])
            runs[key] = Run(cdk_tf_json=(outdir / "stacks" / "consumer" / "cdk.tf.json").read_bytes(), **report)
        return runs[key]

    return run


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("order", ORDERS)
def test_consumer_imports_work_in_either_order(consumer, order: str, style: str) -> None:
    # GIVEN a consumer importing provider modules its own way, before or after secure_web.aws
    run = consumer(order, style)
    # THEN its classes are the provider's, and its resources and ours are synthesized
    document = json.loads(run.cdk_tf_json)
    assert run.same_class
    assert document["resource"]["aws_s3_bucket"]["assets"]["bucket"] == "consumer-assets"
    assert len(document["resource"]["aws_sns_topic"]) == 1
    assert run.warnings == []


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("order", SECURE_WEB_FIRST)
def test_provider_imported_after_secure_web_loads_only_what_is_used(consumer, order: str, style: str) -> None:
    run = consumer(order, style)
    assert run.loader == "LazyProviderPackageLoader"
    assert not run.provider_init_ran
    assert 0 < run.provider_modules < LAZY_MODULE_LIMIT


@pytest.mark.parametrize("style", STYLES)
def test_provider_imported_before_secure_web_is_left_as_the_provider_made_it(consumer, style: str) -> None:
    run = consumer("provider first", style)
    assert run.loader == "SourceFileLoader"
    assert run.provider_init_ran
    assert run.provider_modules > STOCK_MODULE_FLOOR


def test_import_order_and_style_do_not_change_the_synthesized_json(consumer) -> None:
    documents = {(order, style): consumer(order, style).cdk_tf_json for order in ORDERS for style in STYLES}
    documents[("stock", "from import")] = consumer("secure_web imported first", "from import", mode="stock").cdk_tf_json
    assert len(set(documents.values())) == 1, sorted(documents)


def test_stock_switch_installs_nothing(consumer) -> None:
    run = consumer("secure_web imported first", "from import", mode="stock")
    assert not run.finder_installed
    assert run.loader == "SourceFileLoader"
    assert run.provider_init_ran
    assert run.provider_modules > STOCK_MODULE_FLOOR


def test_lazy_package_lists_the_same_submodules_as_the_provider_package(consumer) -> None:
    lazy = consumer("secure_web imported first", "attribute")
    stock = consumer("secure_web imported first", "from import", mode="stock")
    # __all__ as the provider's own __init__ writes it, and dir() shows every submodule before it is loaded
    assert lazy.package_all == stock.package_all
    assert len(lazy.package_all) > STOCK_MODULE_FLOOR
    assert set(lazy.package_all) <= set(lazy.package_dir)
    assert "wafv2_web_acl" in lazy.package_dir


def test_lazy_javascript_index_keeps_the_node_process_small(consumer) -> None:
    # The kernel requires only the modules used when our index loader took effect; with the
    # provider's own index it loads all 2,212 (about 450 MB more).
    lazy = consumer("secure_web imported first", "from import")
    stock = consumer("secure_web imported first", "from import", mode="stock")
    assert 0 < lazy.node_peak_kb < stock.node_peak_kb / 2, (lazy.node_peak_kb, stock.node_peak_kb)


BREAK_KERNEL_API = """
    import secure_web._jsii_lazy_index as lazy_index

    def kernel_load():
        raise AttributeError("module 'jsii._runtime' has no attribute 'kernel'")

    lazy_index.kernel_load = kernel_load
"""


def test_a_broken_jsii_api_costs_speed_and_warns_but_never_breaks_the_consumer(consumer) -> None:
    # GIVEN jsii without the private attribute the lazy index uses (the broken twin)
    run = consumer("secure_web imported first", "from import", before=BREAK_KERNEL_API)
    # THEN the consumer's stack still synthesizes, the same as ever, and the user is told why node is slow
    assert run.cdk_tf_json == consumer("secure_web imported first", "from import").cdk_tf_json
    assert len(run.warnings) == 1
    assert run.warnings[0].startswith("RuntimeWarning: secure_web could not make the AWS provider's JavaScript")
    assert not run.provider_init_ran


KERNEL_API = """
    import inspect, json
    import jsii
    import jsii._kernel
    import jsii._runtime
    from secure_web import _jsii_lazy_index

    load = _jsii_lazy_index.kernel_load()
    _jsii_lazy_index.install()
    print(json.dumps({
        "kernel_class": type(load.__self__).__module__ + "." + type(load.__self__).__qualname__,
        "load_parameters": list(inspect.signature(load).parameters),
        "bindings_kernel": inspect.signature(jsii.JSIIAssembly.load).parameters["_kernel"].default is load.__self__,
    }))
"""


def test_jsii_private_api_used_by_the_lazy_index_is_unchanged() -> None:
    # Fails on a jsii upgrade that moves the kernel: then fix _jsii_lazy_index, or set SECURE_WEB_PROVIDER_IMPORT=stock.
    completed = run_python(textwrap.dedent(KERNEL_API))
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report == {"kernel_class": "jsii._kernel.Kernel", "load_parameters": ["name", "version", "tarball"],
                      "bindings_kernel": True}


PROCESS_STATE = """
    import json, os, sys, warnings
    modules, filters, environment, path = set(sys.modules), list(warnings.filters), dict(os.environ), list(sys.path)
    meta_path = list(sys.meta_path)
    foreign = ("cdktf", "cdktf_cdktf_provider_aws", "constructs", "jsii")
    import secure_web.aws
    print(json.dumps({
        "new_foreign_modules": sorted(name for name in set(sys.modules) - modules if name.split(".")[0] in foreign),
        "filters_unchanged": warnings.filters == filters,
        "environment_unchanged": dict(os.environ) == environment,
        "path_unchanged": sys.path == path,
        "meta_path_added": [type(finder).__name__ for finder in sys.meta_path if finder not in meta_path],
        "meta_path_kept": [finder for finder in sys.meta_path if finder in meta_path] == meta_path,
    }))
"""


def test_importing_secure_web_aws_changes_nothing_a_user_owns_but_one_finder() -> None:
    completed = run_python(textwrap.dedent(PROCESS_STATE))
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert json.loads(completed.stdout.strip().splitlines()[-1]) == {
        "new_foreign_modules": [], "filters_unchanged": True, "environment_unchanged": True, "path_unchanged": True,
        "meta_path_added": ["ProviderPackageFinder"], "meta_path_kept": True,
    }
