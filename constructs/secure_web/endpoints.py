"""Private endpoints for the AWS APIs the hosts call, so those calls never leave the VPC through NAT.

Interface endpoints (private DNS on, so the agents and SDKs resolve the usual names to them) for
every API the hosts' agents and the built-in application use, and an S3 gateway endpoint on the
private route tables. Each endpoint whose service takes an endpoint policy carries one that admits
only this account's principals (and, for S3, this account's buckets plus AWS's agent download
buckets): credentials stolen from elsewhere cannot be used through them, and a host cannot copy
data to another account's bucket through the gateway.
"""

from __future__ import annotations

import json
from typing import Mapping, Sequence

from constructs import Construct

from .aws import resource_module
from .contract import ENDPOINT_POLICY_SERVICES, INTERFACE_ENDPOINT_SERVICES
from .kms import AccountContext
from .tree import path_of

HTTPS_PORT = 443

AGENT_DOWNLOAD_BUCKETS = ("amazoncloudwatch-agent", "amazoncloudwatch-agent-{region}", "amazon-ssm-{region}",
                          "amazon-ssm-packages-{region}", "aws-ssm-{region}", "aws-ssm-document-attachments-{region}", "{region}-birdwatcher-prod",
                          "aws-ssm-distributor-file-{region}", "patch-baseline-snapshot-{region}")
"""AWS-owned buckets the CloudWatch and SSM agents read from (AWS's documented list for the SSM Agent through a
gateway endpoint, and the CloudWatch agent's download buckets: the bootstrap's, in us-east-1, and the regional one)."""


def own_account_policy(account_id: str) -> str:
    """An interface endpoint policy: any action, only by principals of ``account_id``."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "OwnAccountPrincipalsOnly", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalAccount": account_id}},
    }]})


def s3_gateway_policy(account_id: str, region: str, partition: str) -> str:
    """The S3 gateway's policy: this account's principals on this account's buckets, and reads of the agents'
    download buckets."""
    downloads = [f"arn:{partition}:s3:::{bucket.format(region=region)}/*" for bucket in AGENT_DOWNLOAD_BUCKETS]
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "OwnAccountBucketsOnly", "Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalAccount": account_id, "aws:ResourceAccount": account_id}}},
        {"Sid": "AgentDownloads", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": downloads},
    ]})


class PrivateEndpoints(Construct):
    """Interface endpoints in ``subnet_ids`` reachable on 443 from ``client_cidrs``, and an S3 gateway endpoint on
    ``route_table_ids``."""

    def __init__(self, scope: Construct, construct_id: str, *, vpc_id: str, subnet_ids: Sequence[str],
                 route_table_ids: Sequence[str], client_cidrs: Sequence[str], tags: Mapping[str, str]) -> None:
        super().__init__(scope, construct_id)
        context = AccountContext.of(self)
        group = resource_module("security_group").SecurityGroup(
            self, "security-group", name_prefix="secure-web-endpoints-", vpc_id=vpc_id,
            description="AWS API endpoints: HTTPS from the private subnets only",
            tags={**tags, "Name": path_of(self)}, lifecycle={"create_before_destroy": True},
        )
        for index, cidr in enumerate(client_cidrs):
            resource_module("vpc_security_group_ingress_rule").VpcSecurityGroupIngressRule(
                self, f"https-from-private-{index}", security_group_id=group.id, cidr_ipv4=cidr, ip_protocol="tcp",
                from_port=HTTPS_PORT, to_port=HTTPS_PORT, description="HTTPS from the hosts' private subnet",
            )
        self.security_group_id: str = group.id
        endpoint = resource_module("vpc_endpoint").VpcEndpoint
        for service in INTERFACE_ENDPOINT_SERVICES:
            policy = {"policy": own_account_policy(context.account_id)} if service in ENDPOINT_POLICY_SERVICES else {}
            endpoint(self, service, vpc_id=vpc_id, service_name=f"com.amazonaws.{context.region}.{service}",
                     vpc_endpoint_type="Interface",
                     private_dns_enabled=True, subnet_ids=list(subnet_ids), security_group_ids=[group.id],
                     tags={**tags, "Name": f"{path_of(self)}/{service}"}, **policy)
        endpoint(self, "s3", vpc_id=vpc_id, service_name=f"com.amazonaws.{context.region}.s3",
                 vpc_endpoint_type="Gateway", route_table_ids=list(route_table_ids),
                 policy=s3_gateway_policy(context.account_id, context.region, context.partition),
                 tags={**tags, "Name": f"{path_of(self)}/s3"})
