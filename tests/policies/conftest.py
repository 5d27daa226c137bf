"""One synth and one checkov run per scan target, shared by every policy test in the session."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from secure_web.compliance.run import stack_files, synthesize  # noqa: E402
from secure_web.compliance.scan import Scan, run_checkov  # noqa: E402
from secure_web.compliance.skips import apply_skips, load_documents, load_library_skips  # noqa: E402
from weakenings import COMBINED, UNWEAKENED, WEAKENINGS, add_ingress_rule, load_balanced_host_groups, reference  # noqa: E402


@pytest.fixture(scope="session")
def reference_out(tmp_path_factory) -> Path:
    """The reference stack's cdktf.out, synthesized once."""
    return synthesize(REPO_ROOT, tmp_path_factory.mktemp("reference") / "cdktf.out")


@pytest.fixture(scope="session")
def reference_stack(reference_out) -> Path:
    (stack,) = stack_files(reference_out)
    return stack


@pytest.fixture(scope="session")
def reference_scan(reference_stack) -> Scan:
    """Built-in checks and our policies on the reference stack, reasoned skips applied."""
    scan = run_checkov([reference_stack])
    outcome = apply_skips(list(scan.results), load_library_skips(), load_documents([reference_stack]))
    unused = [skip for skip, matched in outcome.applied.items() if not matched]
    return Scan(results=tuple(outcome.results), files=scan.files,
                resource_counts={**scan.resource_counts, "stale": len(unused)})


@pytest.fixture(scope="session")
def fixture_scan() -> Scan:
    """Our policies on every fixture file (one checkov run; each file is its own stack)."""
    return run_checkov([FIXTURES], builtin=False)


def weaken(document: dict) -> dict:
    """The reference stack with several of the classic design's weaknesses put back at once, as a user might."""
    weakened = WEAKENINGS["CKV_SWEB_003"](document)
    weakened = WEAKENINGS["CKV_SWEB_007"](weakened)
    weakened = WEAKENINGS["CKV_SWEB_012"](weakened)
    (web_group, *_) = load_balanced_host_groups(weakened)
    add_ingress_rule(weakened, "weakened_world_ssh", {
        "security_group_id": reference("aws_security_group", web_group, "id"), "ip_protocol": "tcp",
        "from_port": 22, "to_port": 22, "cidr_ipv4": "0.0.0.0/0", "description": "SSH from anywhere",
    })
    return weakened




@pytest.fixture(scope="session")
def weakened_stacks(reference_stack, tmp_path_factory) -> dict[str, Path]:
    """Stack name -> stacks/<name>/cdk.tf.json: the reference as is, each policy's weakening, and the combined one."""
    document = json.loads(reference_stack.read_text())
    documents = {UNWEAKENED: document, COMBINED: weaken(document)}
    documents.update({check_id: weakening(document) for check_id, weakening in WEAKENINGS.items()})
    root = tmp_path_factory.mktemp("weakened") / "stacks"
    stacks = {}
    for name, weakened in documents.items():
        target = root / name / "cdk.tf.json"
        target.parent.mkdir(parents=True)
        target.write_text(json.dumps(weakened, indent=2))
        stacks[name] = target
    return stacks


@pytest.fixture(scope="session")
def weakened_stacks_scan(weakened_stacks) -> Scan:
    """Our policies on every stack of ``weakened_stacks``, in one checkov run."""
    return run_checkov(list(weakened_stacks.values()), builtin=False)


@pytest.fixture(scope="session")
def weakened_stack(weakened_stacks) -> Path:
    return weakened_stacks[COMBINED]


@pytest.fixture(scope="session")
def weakened_scan(weakened_stack, weakened_stacks_scan) -> Scan:
    """The combined weakened stack's part of ``weakened_stacks_scan``."""
    file = str(weakened_stack.resolve())
    return Scan(results=tuple(r for r in weakened_stacks_scan.results if r.file == file), files=(file,),
                resource_counts={file: weakened_stacks_scan.resource_counts[file]})
