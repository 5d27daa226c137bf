"""One synth and one checkov run per scan target, shared by every policy test in the session."""

from __future__ import annotations

import copy
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
    """The reference stack with the classic design's weaknesses put back, as a user might."""
    weakened = copy.deepcopy(document)
    resources = weakened["resource"]
    for group in resources["aws_lb_target_group"].values():
        group["protocol"] = "HTTP"
        group["port"] = 80
        group["health_check"]["protocol"] = "HTTP"
    web_group = next(name for name in resources["aws_security_group"] if "web-hosts" in name)
    resources["aws_vpc_security_group_ingress_rule"]["weakened_world_ssh"] = {
        "security_group_id": f"${{aws_security_group.{web_group}.id}}", "ip_protocol": "tcp",
        "from_port": 22, "to_port": 22, "cidr_ipv4": "0.0.0.0/0", "description": "SSH from anywhere",
    }
    for cluster in resources["aws_rds_cluster"].values():
        cluster["engine"] = "aurora-mysql"
        cluster["engine_version"] = "8.0.mysql_aurora.3.08.0"
        for argument in ("db_cluster_instance_class", "allocated_storage", "storage_type"):
            cluster.pop(argument, None)
    cluster_name = next(iter(resources["aws_rds_cluster"]))
    resources["aws_rds_cluster_instance"] = {"weakened_single_instance": {
        "cluster_identifier": f"${{aws_rds_cluster.{cluster_name}.id}}", "instance_class": "db.r6g.large",
        "engine": "aurora-mysql",
    }}
    alarms = resources["aws_cloudwatch_metric_alarm"]
    for name in [name for name, alarm in alarms.items() if "metric_query" in alarm]:
        del alarms[name]
    return weakened


@pytest.fixture(scope="session")
def weakened_stack(reference_stack, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("weakened") / "stacks" / "weakened" / "cdk.tf.json"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(weaken(json.loads(reference_stack.read_text())), indent=2))
    return target


@pytest.fixture(scope="session")
def weakened_scan(weakened_stack) -> Scan:
    return run_checkov([weakened_stack], builtin=False)
