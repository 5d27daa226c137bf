#!/usr/bin/env python
"""A stack that grows with one number, for the synth benchmark and the provider-import test.

``--hosts N``: a Network, an alarm topic and N separate MonitoredHost constructs, each
with ``instance_count=1``. SecureWebTier's hosts are one Auto Scaling group whatever
their count, so only separate MonitoredHost constructs make the synthesized resources
grow with the host count (each adds its own security group, role, launch template,
Auto Scaling group, KMS key, log groups and alarms).

``--tiers N``: a Network, an alarm topic and N SecureWebTier constructs in one stack.

    pipenv run python benchmarks/scaled_app.py --hosts 30 --outdir cdktf.out
    SCALED_TIERS=5 pipenv run python benchmarks/scaled_app.py
    pipenv run python benchmarks/scaled_app.py --hosts 300 --phases /tmp/phases.json

``--phases FILE`` writes the seconds spent in each phase inside this process as JSON:
``import`` (cdktf, constructs, secure_web and the provider modules, node started),
``build`` (constructing the stack: every resource a jsii round trip) and ``synth``
(``app.synth()``: cdktf's own JavaScript walks the tree, resolves tokens, writes JSON).

Arguments win over the environment (SCALED_HOSTS, SCALED_TIERS, SCALED_OUTDIR).
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "constructs"))

import cdktf  # noqa: E402
from constructs import Construct  # noqa: E402

from secure_web import (  # noqa: E402
    AlarmTopic, MonitoredHost, MonitoredHostProps, Network, NetworkProps, SecureWebTier, SecureWebTierProps,
)
from secure_web.aws import resource_module  # noqa: E402

STACK_NAME = "scaled"


class ScaledStack(cdktf.TerraformStack):
    """Provider, Network, AlarmTopic, then ``hosts`` MonitoredHosts and ``tiers`` SecureWebTiers."""

    def __init__(self, scope: Construct, *, hosts: int, tiers: int) -> None:
        super().__init__(scope, STACK_NAME)
        resource_module("provider").AwsProvider(self, "aws", region="eu-west-1")
        network = Network(self, "network", NetworkProps())
        alarms = AlarmTopic(self, "alarms")
        for index in range(hosts):
            MonitoredHost(self, f"host-{index}", MonitoredHostProps(
                name=f"host-{index}", vpc_id=network.ref.vpc_id, subnet_ids=network.ref.private_subnet_ids,
                allowed_https_cidrs=(network.ref.vpc_cidr,), instance_count=1, alarm_topic_arn=alarms.topic_arn,
            ))
        for index in range(tiers):
            SecureWebTier(self, f"tier-{index}", SecureWebTierProps(
                network=network.ref, name=f"tier{index}", domain_name=f"tier{index}.example.com",
                hosted_zone_id="Z00000000000EXAMPLE", alarm_topic_arn=alarms.topic_arn,
            ))


def build_app(*, hosts: int = 0, tiers: int = 0, outdir: str | None = None) -> cdktf.App:
    """The cdktf app holding the scaled stack (not yet synthesized)."""
    app = cdktf.App(outdir=outdir) if outdir else cdktf.App()
    ScaledStack(app, hosts=hosts, tiers=tiers)
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=int(os.environ.get("SCALED_HOSTS", "0")),
                        help="separate MonitoredHost constructs (instance_count=1). Default: $SCALED_HOSTS or 0.")
    parser.add_argument("--tiers", type=int, default=int(os.environ.get("SCALED_TIERS", "0")),
                        help="SecureWebTier constructs. Default: $SCALED_TIERS or 0.")
    parser.add_argument("--outdir", default=os.environ.get("SCALED_OUTDIR"),
                        help="synth output directory. Default: $SCALED_OUTDIR or cdktf's (cdktf.out).")
    parser.add_argument("--phases", type=Path, help="write the seconds of each phase (import, build, synth) here")
    args = parser.parse_args(argv)
    imported = time.perf_counter()
    app = build_app(hosts=args.hosts, tiers=args.tiers, outdir=args.outdir)
    built = time.perf_counter()
    app.synth()
    synthesized = time.perf_counter()
    if args.phases:
        args.phases.write_text(json.dumps(
            {"import": imported - STARTED, "build": built - imported, "synth": synthesized - built}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
