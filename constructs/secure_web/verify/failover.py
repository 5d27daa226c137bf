"""``python -m secure_web.verify.failover --cluster ID --region R --yes-i-understand``: a failover drill.

Forces the DB cluster's writer to fail over to a standby (``failover_db_cluster``), then
polls until a different writer is in place and the cluster is available again, and
prints how long that took. This interrupts database connections: it refuses to run
without ``--yes-i-understand``. Needs rds:FailoverDBCluster and rds:DescribeDBClusters,
which the read-only verifier policy deliberately does not grant.

Exit status: 0 the new writer is available, 1 it was not within ``--timeout``,
2 refused (no confirmation) or the cluster cannot fail over.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .cli import missing_aws_sdk

if TYPE_CHECKING:
    from botocore.client import BaseClient

CONFIRMATION_FLAG = "--yes-i-understand"


@dataclass(frozen=True, kw_only=True)
class DrillResult:
    """How a failover drill went."""

    old_writer: str
    new_writer: str | None
    elapsed_seconds: float
    completed: bool


def writer_of(cluster: Mapping[str, object]) -> str | None:
    """The writer instance of a ``describe_db_clusters`` cluster, if it has one."""
    return next((member["DBInstanceIdentifier"] for member in cluster.get("DBClusterMembers", [])
                 if member.get("IsClusterWriter")), None)


def run_drill(rds: BaseClient, cluster_id: str, *, timeout_seconds: float, poll_seconds: float,
              clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> DrillResult:
    """Fail ``cluster_id`` over and wait, at most ``timeout_seconds``, for a new available writer."""
    cluster = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]
    old_writer = writer_of(cluster)
    if old_writer is None:
        raise ValueError(f"DB cluster {cluster_id} has no writer to fail over from; members: "
                         f"{cluster.get('DBClusterMembers', [])}")
    started = clock()
    rds.failover_db_cluster(DBClusterIdentifier=cluster_id)
    while True:
        cluster = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]
        writer = writer_of(cluster)
        elapsed = clock() - started
        if writer not in (None, old_writer) and cluster["Status"] == "available":
            return DrillResult(old_writer=old_writer, new_writer=writer, elapsed_seconds=elapsed, completed=True)
        if elapsed >= timeout_seconds:
            return DrillResult(old_writer=old_writer, new_writer=writer, elapsed_seconds=elapsed, completed=False)
        sleep(poll_seconds)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m secure_web.verify.failover", description=__doc__.splitlines()[0])
    parser.add_argument("--cluster", required=True, help="DB cluster identifier (output db_cluster_identifier)")
    parser.add_argument("--region", required=True, help="AWS region of the cluster")
    parser.add_argument("--profile", help="AWS profile; default: the standard credential chain")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for the new writer (default 900)")
    parser.add_argument("--poll", type=float, default=5.0, help="seconds between status reads (default 5)")
    parser.add_argument(CONFIRMATION_FLAG, dest="confirmed", action="store_true",
                        help="confirm that interrupting database connections is intended")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, *, rds: BaseClient | None = None) -> int:
    args = parse_args(argv)
    if not args.confirmed:
        print(f"secure_web.verify.failover: refusing to fail over {args.cluster}: it interrupts database "
              f"connections. Re-run with {CONFIRMATION_FLAG} to confirm.", file=sys.stderr)
        return 2
    try:
        import boto3
        from botocore.exceptions import ClientError
    except ModuleNotFoundError as error:
        return missing_aws_sdk(error, "secure_web.verify.failover")
    rds = rds or boto3.Session(profile_name=args.profile).client("rds", region_name=args.region)
    try:
        result = run_drill(rds, args.cluster, timeout_seconds=args.timeout, poll_seconds=args.poll)
    except (ValueError, ClientError) as error:
        print(f"secure_web.verify.failover: {args.cluster} cannot fail over: {error}", file=sys.stderr)
        return 2
    if not result.completed:
        print(f"{args.cluster}: no new available writer after {result.elapsed_seconds:.1f} s "
              f"(writer {result.new_writer}, was {result.old_writer})", file=sys.stderr)
        return 1
    print(f"{args.cluster}: writer {result.old_writer} -> {result.new_writer}, "
          f"available again after {result.elapsed_seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
