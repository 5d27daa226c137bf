"""Checks on API answers moto cannot give, with botocore Stubber responses shaped like the real API's.

moto lacks SSM DescribeInstanceInformation, reports every registered running target
healthy, derives a DB cluster's MultiAZ from its member instances (a real Multi-AZ DB
cluster reports it directly) and does not evaluate ``PERIOD()`` metric math; see
docs/verifier.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from botocore.stub import Stubber

from emulated_aws import aws_session, ssm_instance_information
from moto_deployment import REGION
from secure_web.qps import FLEET_QPS, metric_data_queries
from secure_web.verify import Clients, Deployment
from secure_web.verify.checks import db_multi_az, fleet_qps, hosts_ssm_online, targets_healthy, waf_web_acl
from secure_web.verify.outputs import OUTPUT_NAMES, DeploymentOutputs

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=timezone.utc)
ALB_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/sweb-alb/50dc6c495c0c9188"
TARGET_GROUP_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/sweb-web/73e2d6bc24d8a067"
APP_TARGET_GROUP_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/sweb-app/1f0e2d3c4b5a6978"


def outputs() -> DeploymentOutputs:
    values = {name: f"stub-{name}" for name in OUTPUT_NAMES}
    values.update(alb_arn=ALB_ARN, target_group_arn=TARGET_GROUP_ARN, app_target_group_arn=APP_TARGET_GROUP_ARN,
                  db_cluster_identifier="database-1a2b3c4d")
    return DeploymentOutputs(**values)


def stubbed(service: str, responses: list[tuple[str, dict[str, object], dict[str, object] | None]]):
    """A Deployment whose ``service`` client answers ``responses`` in order, then nothing."""
    session = aws_session()
    client = session.client(service, region_name=REGION)
    stubber = Stubber(client)
    for operation, response, expected in responses:
        stubber.add_response(operation, response, expected)
    stubber.activate()
    deployment = Deployment(outputs(), Clients(session, region=REGION, overrides={service: client}), now=NOW)
    return deployment, stubber


def run(check, deployment) -> list[str]:
    return [str(finding) for finding in check.run(deployment)]


# --- SSM: not emulated by moto -------------------------------------------------------------------

def with_instances(deployment: Deployment, ids: list[str]) -> Deployment:
    deployment.instances_by_group = {"web": [{"InstanceId": instance_id} for instance_id in ids]}
    return deployment


def test_ssm_hosts_online_pass():
    ids = ["i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002"]
    deployment, stubber = stubbed("ssm", [("describe_instance_information", ssm_instance_information(ids, online=True),
                                           {"Filters": [{"Key": "InstanceIds", "Values": ids}]})])
    assert run(hosts_ssm_online, with_instances(deployment, ids)) == []
    stubber.assert_no_pending_responses()


def test_ssm_host_not_registered_fails():
    ids = ["i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002"]
    answer = ssm_instance_information(ids[:1], online=True)
    deployment, _ = stubbed("ssm", [("describe_instance_information", answer, None)])
    assert run(hosts_ssm_online, with_instances(deployment, ids)) == [
        "instance i-0a1b2c3d4e5f60002: expected SSM PingStatus Online; found not registered with SSM"]


# --- ELB target health: moto reports every registered running instance healthy --------------------

def target_health(port: int, *, second_healthy: bool) -> dict[str, object]:
    second = {"State": "healthy"} if second_healthy else {
        "State": "unhealthy", "Reason": "Target.FailedHealthChecks", "Description": "Health checks failed"}
    return {"TargetHealthDescriptions": [
        {"Target": {"Id": "i-0a1b2c3d4e5f60001", "Port": port}, "HealthCheckPort": str(port),
         "TargetHealth": {"State": "healthy"}},
        {"Target": {"Id": "i-0a1b2c3d4e5f60002", "Port": port}, "HealthCheckPort": str(port), "TargetHealth": second},
    ]}


@pytest.mark.parametrize("unhealthy_group", [TARGET_GROUP_ARN, APP_TARGET_GROUP_ARN], ids=["web", "app"])
def test_unhealthy_target_fails(unhealthy_group):
    deployment, _ = stubbed("elbv2", [
        ("describe_target_health", target_health(port, second_healthy=arn != unhealthy_group), {"TargetGroupArn": arn})
        for arn, port in ((TARGET_GROUP_ARN, 443), (APP_TARGET_GROUP_ARN, 8443))])
    assert run(targets_healthy, deployment) == [
        f"target i-0a1b2c3d4e5f60002 of {unhealthy_group}: expected state healthy; "
        "found unhealthy (Target.FailedHealthChecks)"]


# --- WAF: the real API answers without a WebACL key when nothing is associated --------------------

def test_no_web_acl_fails():
    deployment, _ = stubbed("wafv2", [("get_web_acl_for_resource", {}, {"ResourceArn": ALB_ARN})])
    assert run(waf_web_acl, deployment) == [
        f"load balancer {ALB_ARN}: expected an associated WAF web ACL; found no web ACL"]


# --- RDS: MultiAZ as a real Multi-AZ DB cluster and Aurora report it ------------------------------

def cluster(engine: str, members: int, multi_az: bool) -> dict[str, object]:
    return {"DBClusters": [{
        "DBClusterIdentifier": "database-1a2b3c4d", "Engine": engine, "Status": "available", "MultiAZ": multi_az,
        "DBClusterMembers": [{"DBInstanceIdentifier": f"database-1a2b3c4d-{index}", "IsClusterWriter": index == 0,
                              "PromotionTier": 1} for index in range(members)],
        "StorageEncrypted": True, "DeletionProtection": True, "BackupRetentionPeriod": 7,
        "ReaderEndpoint": "database-1a2b3c4d.cluster-ro-c1x2y3z4.eu-west-1.rds.amazonaws.com",
        "MasterUserSecret": {"SecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-1",
                             "SecretStatus": "active"},
    }]}


@pytest.mark.parametrize(("engine", "members", "multi_az", "expected"), [
    ("mysql", 3, True, []),
    ("aurora-mysql", 2, True, []),
    ("aurora-mysql", 1, False, ["DB cluster database-1a2b3c4d: expected an Aurora cluster with at least 2 "
                                "instances; found 1 instance(s)"]),
    ("mysql", 1, False, ["DB cluster database-1a2b3c4d: expected MultiAZ true; found MultiAZ False with "
                         "1 member(s)"]),
], ids=["multi-az-db-cluster", "aurora-two-instances", "aurora-one-instance", "single-az-mysql"])
def test_multi_az(engine, members, multi_az, expected):
    deployment, _ = stubbed("rds", [("describe_db_clusters", cluster(engine, members, multi_az),
                                     {"DBClusterIdentifier": "database-1a2b3c4d"})])
    assert run(db_multi_az, deployment) == expected


# --- CloudWatch: the real API evaluates m1 / PERIOD(m1) and returns it next to m1 -----------------

def test_fleet_qps_reads_the_sums_next_to_the_evaluated_expression():
    times = [NOW - timedelta(minutes=minutes) for minutes in (3, 2, 1)]
    queries = metric_data_queries(FLEET_QPS, {"LoadBalancer": "app/sweb-alb/50dc6c495c0c9188"})
    queries[0] = {**queries[0], "ReturnData": True}
    answer = {"MetricDataResults": [
        {"Id": "m1", "Label": "RequestCount", "Timestamps": times[::-1], "Values": [600.0, 540.0, 480.0],
         "StatusCode": "Complete"},
        {"Id": "qps", "Label": "qps", "Timestamps": times[::-1], "Values": [10.0, 9.0, 8.0], "StatusCode": "Complete"},
    ], "Messages": []}
    deployment, stubber = stubbed("cloudwatch", [("get_metric_data", answer, {
        "MetricDataQueries": queries, "StartTime": NOW - timedelta(hours=1), "EndTime": NOW})])
    assert run(fleet_qps, deployment) == []
    stubber.assert_no_pending_responses()


def test_idle_load_balancer_has_no_fleet_qps():
    answer = {"MetricDataResults": [
        {"Id": "m1", "Label": "RequestCount", "Timestamps": [], "Values": [], "StatusCode": "Complete"},
        {"Id": "qps", "Label": "qps", "Timestamps": [], "Values": [], "StatusCode": "Complete"}]}
    deployment, _ = stubbed("cloudwatch", [("get_metric_data", answer, None)])
    assert run(fleet_qps, deployment) == [
        f"load balancer {ALB_ARN}: expected AWS/ApplicationELB/RequestCount datapoints in the last 1:00:00; "
        "found none (no traffic, or the ALB is not serving)"]
