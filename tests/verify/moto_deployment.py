"""A compliant secure_web deployment built with boto3, mirroring the synthesized reference stack.

Each resource is what main.py's stack creates (names aside), so the verifier's view of
it is what it sees after ``cdktf deploy``; ``Breakage`` values name the single thing a
failing variant changes. The returned dict is the stack's outputs, by output name.
"""

from __future__ import annotations

import enum
import functools
import json
from datetime import datetime, timedelta, timezone

import boto3

from secure_web.agent_config import HOST_METRICS_NAMESPACE
from secure_web.alarms import fleet_qps_metrics
from secure_web.monitored_host import AGENT_MANAGED_POLICIES
from secure_web.qps import FLEET_QPS, HOST_QPS
from secure_web.replicated_mysql import MYSQL_PORT
from secure_web.secure_web_tier import ALLOWED_SSL_POLICIES, HEALTH_CHECK_PATH

REGION = "eu-west-1"
ZONES = ("eu-west-1a", "eu-west-1b", "eu-west-1c")
APP_PORT = 8443
WEB_TIER = "sweb-web"
APP_TIER = "sweb-app"
HOSTS_PER_TIER = 2


class Breakage(enum.Enum):
    """The one thing a non-compliant variant gets wrong."""

    HTTP_TARGET_GROUP = "target group over HTTP"
    SSH_FROM_WORLD = "SSH open to the world on the web hosts"
    SINGLE_AZ_DATABASE = "database with one instance"
    NO_QPS_LOW_ALARM = "low QPS alarm missing"
    IMDSV1_HOST = "one host allows IMDSv1"
    NO_WAF = "no WAF association"
    OLD_TLS_POLICY = "HTTPS listener with a TLS 1.0 policy"
    HTTP_FORWARDED = "port 80 forwards instead of redirecting"
    PUBLIC_LOG_BUCKET = "log bucket without a public access block"
    SHORT_BACKUPS = "database backups kept 1 day"
    STALE_ALARM = "QPS alarm without data"
    SILENT_HOST = "one host publishes no agent metrics"


def build(session: boto3.Session, endpoint_url: str, breakage: Breakage | None = None, *, suffix: str = "0") -> dict[str, str]:
    """Create the deployment in the emulated account; returns its outputs.

    ``suffix`` keeps names apart, so several deployments can share one emulated account.
    """
    @functools.cache
    def client(service: str):
        return session.client(service, region_name=REGION, endpoint_url=endpoint_url)

    ec2, elbv2 = client("ec2"), client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    public = [_subnet(ec2, vpc, f"10.0.{index}.0/24", zone) for index, zone in enumerate(ZONES[:2])]
    private = [_subnet(ec2, vpc, f"10.0.{10 + index}.0/24", zone) for index, zone in enumerate(ZONES[:2])]
    isolated = [_subnet(ec2, vpc, f"10.0.{20 + index}.0/24", zone) for index, zone in enumerate(ZONES)]

    groups = {name: ec2.create_security_group(GroupName=f"sweb-{name}-{suffix}", Description=f"{name} tier", VpcId=vpc)["GroupId"]
              for name in ("alb", "web", "app", "db")}
    _allow_world(ec2, groups["alb"], 443)
    _allow_world(ec2, groups["alb"], 80)
    _allow_group(ec2, groups["web"], 443, groups["alb"])
    _allow_group(ec2, groups["app"], APP_PORT, groups["web"])
    _allow_group(ec2, groups["db"], MYSQL_PORT, groups["app"])
    if breakage is Breakage.SSH_FROM_WORLD:
        _allow_world(ec2, groups["web"], 22)

    certificate = client("acm").request_certificate(DomainName="www.example.com", ValidationMethod="DNS")
    bucket = _log_bucket(client("s3"), f"secure-web-alb-logs-{suffix}", public_access_block=breakage is not Breakage.PUBLIC_LOG_BUCKET)

    alb = elbv2.create_load_balancer(Name=f"sweb-alb-{suffix}", Subnets=public, SecurityGroups=[groups["alb"]],
                                     Scheme="internet-facing", Type="application")["LoadBalancers"][0]
    elbv2.modify_load_balancer_attributes(LoadBalancerArn=alb["LoadBalancerArn"], Attributes=[
        {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
        {"Key": "deletion_protection.enabled", "Value": "true"},
        {"Key": "access_logs.s3.enabled", "Value": "true"},
        {"Key": "access_logs.s3.bucket", "Value": bucket},
        {"Key": "access_logs.s3.prefix", "Value": "alb"},
    ])
    protocol = "HTTP" if breakage is Breakage.HTTP_TARGET_GROUP else "HTTPS"
    target_group = elbv2.create_target_group(
        Name=f"sweb-web-{suffix}", Protocol=protocol, Port=443, VpcId=vpc, TargetType="instance",
        HealthCheckProtocol=protocol, HealthCheckPath=HEALTH_CHECK_PATH, HealthCheckEnabled=True,
    )["TargetGroups"][0]["TargetGroupArn"]
    ssl_policy = "ELBSecurityPolicy-2016-08" if breakage is Breakage.OLD_TLS_POLICY else ALLOWED_SSL_POLICIES[0]
    https = elbv2.create_listener(
        LoadBalancerArn=alb["LoadBalancerArn"], Port=443, Protocol="HTTPS", SslPolicy=ssl_policy,
        Certificates=[{"CertificateArn": certificate["CertificateArn"]}],
        DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group}],
    )["Listeners"][0]["ListenerArn"]
    http_action = ({"Type": "forward", "TargetGroupArn": target_group} if breakage is Breakage.HTTP_FORWARDED else
                   {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443",
                                                           "StatusCode": "HTTP_301"}})
    elbv2.create_listener(LoadBalancerArn=alb["LoadBalancerArn"], Port=80, Protocol="HTTP",
                          DefaultActions=[http_action])
    if breakage is not Breakage.NO_WAF:
        _web_acl(client("wafv2"), f"sweb-waf-{suffix}", alb["LoadBalancerArn"])

    profile = _instance_profile(client("iam"))
    web_group = _hosts(client, "web", WEB_TIER, suffix, groups["web"], private, profile, target_group)
    app_group = _hosts(client, "app", APP_TIER, suffix, groups["app"], private, profile, None)
    instances = _instances(client("autoscaling"), [web_group, app_group])
    _apply_launch_template(ec2, [instance_id for instance_id, _ in instances], profile)
    if breakage is Breakage.IMDSV1_HOST:
        ec2.modify_instance_metadata_options(InstanceId=instances[0][0], HttpTokens="optional")

    topic = client("sns").create_topic(Name=f"secure-web-alarms-{suffix}")["TopicArn"]
    load_balancer_dimension = alb["LoadBalancerArn"].split(":loadbalancer/", 1)[1]
    silent = {instances[-1][0]} if breakage is Breakage.SILENT_HOST else set()
    _metrics(client("cloudwatch"), load_balancer_dimension, instances, silent)
    high, low = _alarms(client("cloudwatch"), f"sweb-{suffix}", load_balancer_dimension, topic,
                        low_alarm=breakage is not Breakage.NO_QPS_LOW_ALARM,
                        insufficient_data=breakage is Breakage.STALE_ALARM)

    cluster = _database(client("rds"), f"database-{suffix}", isolated, groups["db"],
                        members=1 if breakage is Breakage.SINGLE_AZ_DATABASE else 3,
                        backup_days=1 if breakage is Breakage.SHORT_BACKUPS else 7)
    return {
        "alb_dns_name": alb["DNSName"],
        "url": "https://www.example.com",
        "alb_arn": alb["LoadBalancerArn"],
        "https_listener_arn": https,
        "target_group_arn": target_group,
        "certificate_arn": certificate["CertificateArn"],
        "access_log_bucket": bucket,
        "alb_security_group_id": groups["alb"],
        "web_security_group_id": groups["web"],
        "app_security_group_id": groups["app"],
        "db_security_group_id": groups["db"],
        "web_autoscaling_group": web_group,
        "app_autoscaling_group": app_group,
        "db_cluster_identifier": cluster["DBClusterIdentifier"],
        "db_writer_endpoint": cluster["Endpoint"],
        "db_reader_endpoint": cluster["ReaderEndpoint"],
        "dashboard_name": f"sweb-dashboard-{suffix}",
        "qps_high_alarm": high,
        "qps_low_alarm": low,
        "alarm_topic_arn": topic,
    }


def _subnet(ec2, vpc: str, cidr: str, zone: str) -> str:
    return ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]


def _allow_world(ec2, group: str, port: int) -> None:
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])


def _allow_group(ec2, group: str, port: int, source: str) -> None:
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "UserIdGroupPairs": [{"GroupId": source}]}])


def _log_bucket(s3, name: str, *, public_access_block: bool) -> str:
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    if public_access_block:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True})
    return name


def _web_acl(wafv2, name: str, resource_arn: str) -> None:
    acl = wafv2.create_web_acl(
        Name=name, Scope="REGIONAL", DefaultAction={"Allow": {}}, Rules=[],
        VisibilityConfig={"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "sweb"},
    )["Summary"]["ARN"]
    wafv2.associate_web_acl(WebACLArn=acl, ResourceArn=resource_arn)


def _instance_profile(iam) -> str:
    """The hosts' profile, shared by every deployment in the account (IAM is global)."""
    try:
        return iam.get_instance_profile(InstanceProfileName="secure-web-hosts")["InstanceProfile"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        pass
    iam.create_role(RoleName="secure-web-hosts", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "ec2.amazonaws.com"}}]}))
    for policy in AGENT_MANAGED_POLICIES:
        iam.attach_role_policy(RoleName="secure-web-hosts", PolicyArn=f"arn:aws:iam::aws:policy/{policy}")
    profile = iam.create_instance_profile(InstanceProfileName="secure-web-hosts")["InstanceProfile"]
    iam.add_role_to_instance_profile(InstanceProfileName="secure-web-hosts", RoleName="secure-web-hosts")
    return profile["Arn"]


def _hosts(client, role: str, tier: str, suffix: str, group: str, subnets: list[str], profile: str,
           target_group: str | None) -> str:
    template = client("ec2").create_launch_template(LaunchTemplateName=f"secure-web-{tier}-{suffix}", LaunchTemplateData={
        "ImageId": "ami-12c6146b", "InstanceType": "t3.small",
        "IamInstanceProfile": {"Arn": profile},
        "MetadataOptions": {"HttpEndpoint": "enabled", "HttpTokens": "required", "HttpPutResponseHopLimit": 1},
        "NetworkInterfaces": [{"DeviceIndex": 0, "AssociatePublicIpAddress": False, "Groups": [group]}],
    })["LaunchTemplate"]["LaunchTemplateId"]
    name = f"secure-web-{tier}-{suffix}"
    client("autoscaling").create_auto_scaling_group(
        AutoScalingGroupName=name, MinSize=HOSTS_PER_TIER, MaxSize=HOSTS_PER_TIER, DesiredCapacity=HOSTS_PER_TIER,
        LaunchTemplate={"LaunchTemplateId": template, "Version": "$Latest"}, VPCZoneIdentifier=",".join(subnets),
        TargetGroupARNs=[target_group] if target_group else [],
        Tags=[{"Key": key, "Value": value, "PropagateAtLaunch": True}
              for key, value in (("secure-web:tier", tier), ("secure-web:role", role))],
    )
    return name


def _instances(autoscaling, group_names: list[str]) -> list[tuple[str, str]]:
    """(instance id, tier) of every host, web first."""
    groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=group_names)["AutoScalingGroups"]
    by_name = {group["AutoScalingGroupName"]: group for group in groups}
    return [(instance["InstanceId"], WEB_TIER if name == group_names[0] else APP_TIER)
            for name in group_names for instance in by_name[name]["Instances"]]


def _apply_launch_template(ec2, instance_ids: list[str], profile: str) -> None:
    """Give instances the launch template's IMDSv2 and profile, which AWS applies at launch and moto's ASGs skip."""
    for instance_id in instance_ids:
        ec2.modify_instance_metadata_options(InstanceId=instance_id, HttpTokens="required", HttpEndpoint="enabled")
        ec2.associate_iam_instance_profile(InstanceId=instance_id, IamInstanceProfile={"Arn": profile})


def _metrics(cloudwatch, load_balancer: str, instances: list[tuple[str, str]], silent: set[str]) -> None:
    minute = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    times = [minute - timedelta(minutes=offset) for offset in (3, 2, 1)]
    cloudwatch.put_metric_data(Namespace=FLEET_QPS.namespace, MetricData=[
        {"MetricName": FLEET_QPS.metric_name, "Dimensions": [{"Name": "LoadBalancer", "Value": load_balancer}],
         "Timestamp": at, "Value": 600.0, "Unit": "Count"} for at in times])
    for instance_id, tier in instances:
        if instance_id in silent:
            continue
        cloudwatch.put_metric_data(Namespace=HOST_METRICS_NAMESPACE, MetricData=[
            {"MetricName": "mem_used_percent", "Dimensions": [{"Name": "InstanceId", "Value": instance_id}],
             "Timestamp": at, "Value": 42.0, "Unit": "Percent"} for at in times])
        cloudwatch.put_metric_data(Namespace=HOST_QPS.namespace, MetricData=[
            {"MetricName": HOST_QPS.metric_name, "Timestamp": at, "Value": 300.0,
             "Dimensions": [{"Name": "InstanceId", "Value": instance_id}, {"Name": "Tier", "Value": tier}]}
            for at in times])


def _alarms(cloudwatch, prefix: str, load_balancer: str, topic: str, *, low_alarm: bool,
            insufficient_data: bool) -> tuple[str, str]:
    metrics = [_alarm_query(query) for query in fleet_qps_metrics(load_balancer, FLEET_QPS.period_seconds)]
    names = (f"{prefix} fleet QPS high", f"{prefix} fleet QPS low")
    for name, threshold, operator, create in ((names[0], 1000.0, "GreaterThanThreshold", True),
                                             (names[1], 0.1, "LessThanThreshold", low_alarm)):
        if create:
            cloudwatch.put_metric_alarm(
                AlarmName=name, Metrics=metrics, Threshold=threshold, ComparisonOperator=operator,
                EvaluationPeriods=5, DatapointsToAlarm=5, AlarmActions=[topic], OKActions=[topic],
                TreatMissingData="notBreaching" if operator == "GreaterThanThreshold" else "breaching")
    if insufficient_data:
        cloudwatch.set_alarm_state(AlarmName=names[0], StateValue="INSUFFICIENT_DATA", StateReason="no data yet")
    return names


def _alarm_query(query: dict[str, object]) -> dict[str, object]:
    """The construct's metric_query block, in the CloudWatch API's shape."""
    if "expression" in query:
        return {"Id": query["id"], "Expression": query["expression"], "Label": query["label"], "ReturnData": True}
    metric = query["metric"]
    return {"Id": query["id"], "ReturnData": False, "MetricStat": {
        "Metric": {"Namespace": metric["namespace"], "MetricName": metric["metric_name"],
                   "Dimensions": [{"Name": key, "Value": value} for key, value in metric["dimensions"].items()]},
        "Period": metric["period"], "Stat": metric["stat"]}}


def _database(rds, identifier: str, subnets: list[str], group: str, *, members: int, backup_days: int) -> dict[str, object]:
    rds.create_db_subnet_group(DBSubnetGroupName=identifier, DBSubnetGroupDescription="isolated", SubnetIds=subnets)
    rds.create_db_cluster(
        DBClusterIdentifier=identifier, Engine="mysql", EngineVersion="8.0.40", DBClusterInstanceClass="db.m6gd.large",
        AllocatedStorage=100, StorageType="io1", Iops=1000, MasterUsername="admin", ManageMasterUserPassword=True,
        DBSubnetGroupName=identifier, VpcSecurityGroupIds=[group], StorageEncrypted=True, DeletionProtection=True,
        BackupRetentionPeriod=backup_days, Port=MYSQL_PORT, DatabaseName="app",
    )
    for index in range(members):
        rds.create_db_instance(DBInstanceIdentifier=f"{identifier}-{index}", DBClusterIdentifier=identifier,
                               Engine="mysql", DBInstanceClass="db.m6gd.large", AvailabilityZone=ZONES[index])
    return rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"][0]
