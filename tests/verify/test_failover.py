"""The failover drill: refuses without confirmation; fails a moto Multi-AZ DB cluster over."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

from emulated_aws import aws_session
from moto_deployment import REGION
from secure_web.verify.failover import main, run_drill


def test_drill_refuses_without_the_confirmation_flag(capsys):
    # GIVEN an RDS client that answers nothing: any call would raise
    rds = aws_session().client("rds", region_name=REGION)
    with Stubber(rds) as stubber:
        status = main(["--cluster", "database-1", "--region", REGION], rds=rds)
        stubber.assert_no_pending_responses()
    assert status == 2
    assert "refusing to fail over database-1" in capsys.readouterr().err


def test_drill_fails_the_writer_over_and_reports_the_elapsed_time(deploy, capsys):
    deployment = deploy()
    rds = aws_session().client("rds", region_name=REGION, endpoint_url=deployment.endpoint)
    cluster = deployment.outputs.db_cluster_identifier
    status = main(["--cluster", cluster, "--region", REGION, "--yes-i-understand", "--poll", "0"], rds=rds)
    out = capsys.readouterr().out
    assert status == 0, out
    assert out.startswith(f"{cluster}: writer {cluster}-0 -> {cluster}-") and "available again after" in out
    members = rds.describe_db_clusters(DBClusterIdentifier=cluster)["DBClusters"][0]["DBClusterMembers"]
    assert [m["DBInstanceIdentifier"] for m in members if m["IsClusterWriter"]] != [f"{cluster}-0"]


def test_drill_gives_up_after_the_timeout_when_the_writer_never_changes():
    rds = aws_session().client("rds", region_name=REGION)
    cluster = {"DBClusterIdentifier": "db", "Status": "failing-over", "DBClusterMembers": [
        {"DBInstanceIdentifier": "db-0", "IsClusterWriter": True},
        {"DBInstanceIdentifier": "db-1", "IsClusterWriter": False}]}
    ticks = iter(range(100))
    with Stubber(rds) as stubber:
        stubber.add_response("describe_db_clusters", {"DBClusters": [cluster]})
        stubber.add_response("failover_db_cluster", {"DBCluster": cluster})
        for _ in range(3):
            stubber.add_response("describe_db_clusters", {"DBClusters": [cluster]})
        result = run_drill(rds, "db", timeout_seconds=2, poll_seconds=1, clock=lambda: float(next(ticks)),
                           sleep=lambda seconds: None)
    assert (result.completed, result.old_writer, result.new_writer) == (False, "db-0", "db-0")


@pytest.mark.parametrize("members", [[], [{"DBInstanceIdentifier": "db-0", "IsClusterWriter": False}]])
def test_drill_refuses_a_cluster_without_a_writer(members, capsys):
    rds = aws_session().client("rds", region_name=REGION)
    with Stubber(rds) as stubber:
        stubber.add_response("describe_db_clusters",
                             {"DBClusters": [{"DBClusterIdentifier": "db", "Status": "available",
                                              "DBClusterMembers": members}]})
        status = main(["--cluster", "db", "--region", REGION, "--yes-i-understand"], rds=rds)
    assert status == 2
    assert "has no writer to fail over from" in capsys.readouterr().err
