"""A three-layer VPC: public subnets for the load balancer, private for hosts, isolated for the database."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import cdktf
from constructs import Construct

from .aws import blocks, resource_module
from .endpoints import PrivateEndpoints
from .kms import AccountContext, encryption_key
from .tree import path_of
from .contract import MYSQL_PORT
from .validation import SUBNET_ID_PATTERN, VPC_ID_PATTERN, Checks, announce_weakened, construct_path, shown

DEFAULT_CIDR = "10.0.0.0/16"
DEFAULT_AZ_COUNT = 3
MAX_AZ_COUNT = 6
SECURE_LOG_RETENTION_DAYS = 365
CLOUDWATCH_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
VPC_PREFIX_RANGE = (16, 22)
AZ_NAME_PATTERN = r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d[a-z]"
AZ_NAMES_EXAMPLE = ("eu-west-1a", "eu-west-1b")
SUBNET_IDS_EXAMPLE = ("subnet-0123456789abcdef0", "subnet-0123456789abcdef1")
EPHEMERAL_PORTS = (1024, 65535)
"""Ports replies come back to on NAT gateways and load balancers (all of 1024-65535)."""
HOST_EPHEMERAL_PORTS = (32768, 60999)
"""Ports replies from the internet come back to on the hosts: Linux's ``net.ipv4.ip_local_port_range`` default (the
NAT gateway hands each reply back to the host's own port)."""


@dataclass(frozen=True, kw_only=True)
class NetworkRef:
    """The subnets a tier is placed in, from a Network or from an existing VPC.

    Attributes:
        vpc_id (str): VPC id. Required.
        vpc_cidr (str): The VPC's IPv4 CIDR, used by host firewalls to admit load balancer traffic. Required.
        public_subnet_ids (tuple[str, ...]): Subnets for the internet-facing load balancer only, one per AZ.
            Required.
        private_subnet_ids (tuple[str, ...]): Subnets for hosts, with outbound access through NAT, one per AZ.
            Required.
        isolated_subnet_ids (tuple[str, ...]): Subnets with no route to the internet, for the database, one per AZ.
            Required.
        public_subnet_cidrs (tuple[str, ...]): IPv4 blocks of the public subnets; web host firewalls admit HTTPS
            only from them (the public load balancer's). Default: none (the VPC's block).
        private_subnet_cidrs (tuple[str, ...]): IPv4 blocks of the private subnets; app host firewalls admit the
            app port only from them (the internal load balancer's). Default: none (the VPC's block).
    """

    vpc_id: str
    """VPC id. Required."""
    vpc_cidr: str
    """The VPC's IPv4 CIDR, used by host firewalls to admit load balancer traffic. Required."""
    public_subnet_ids: tuple[str, ...]
    """Subnets for the internet-facing load balancer only, one per AZ. Required."""
    private_subnet_ids: tuple[str, ...]
    """Subnets for hosts, with outbound access through NAT, one per AZ. Required."""
    isolated_subnet_ids: tuple[str, ...]
    """Subnets with no route to the internet, for the database, one per AZ. Required."""
    public_subnet_cidrs: tuple[str, ...] = ()
    """IPv4 blocks of the public subnets; web host firewalls admit HTTPS only from them (the public load balancer's). Default: none (the VPC's block)."""
    private_subnet_cidrs: tuple[str, ...] = ()
    """IPv4 blocks of the private subnets; app host firewalls admit the app port only from them (the internal load balancer's). Default: none (the VPC's block)."""

    def load_balancer_cidrs(self, layer: str) -> tuple[str, ...]:
        """Where the ``layer`` ('public' or 'private') load balancer's addresses come from: its subnets, else the VPC."""
        return tuple(getattr(self, f"{layer}_subnet_cidrs")) or (self.vpc_cidr,)


@dataclass(frozen=True, kw_only=True)
class SubnetPlan:
    """CIDR blocks per layer, one per availability zone."""

    public: tuple[str, ...]
    private: tuple[str, ...]
    isolated: tuple[str, ...]


def plan_subnets(vpc_cidr: str, az_count: int) -> SubnetPlan:
    """Split the VPC: private subnets take an eighth each; isolated and public share the last two eighths.

    Works for a /16 to /22 VPC and 2 to 6 AZs; the blocks never overlap and all lie inside the VPC.
    """
    vpc = ipaddress.ip_network(vpc_cidr)
    eighths = list(vpc.subnets(prefixlen_diff=3))
    private = eighths[:az_count]
    isolated = list(eighths[6].subnets(prefixlen_diff=3))[:az_count]
    public = list(eighths[7].subnets(prefixlen_diff=3))[:az_count]
    return SubnetPlan(
        public=tuple(map(str, public)), private=tuple(map(str, private)), isolated=tuple(map(str, isolated))
    )


@dataclass(frozen=True, kw_only=True)
class NetworkProps:
    """Options for Network.

    Attributes:
        cidr_block (str): The VPC's IPv4 CIDR, a /16 to /22. Default: 10.0.0.0/16.
        availability_zones (tuple[str, ...]): AZ names to use. Default: the first ``az_count`` AZs the region
            reports.
        az_count (int): How many AZs when ``availability_zones`` is empty, 2 to 6. Default: 3.
        nat_gateway_per_az (bool): One NAT gateway per AZ, so losing an AZ does not cut the others off; False warns.
            Default: True.
        vpc_endpoints (bool): Interface endpoints (ssm, ssmmessages, ec2messages, logs, monitoring, kms,
            secretsmanager, sts) in the private subnets and an S3 gateway endpoint, with policies admitting only this
            account, so AWS API calls never leave through NAT; about 24 endpoint-hours per hour in 3 AZs. False
            warns. Default: True.
        flow_log_retention_days (int): Days VPC flow logs are kept; below 365 warns. Default: 365.
        tags (Mapping[str, str]): Tags for every resource, per AWS tag rules; no 'aws:' or 'secure-web:' keys.
            Default: none.
    """

    cidr_block: str = DEFAULT_CIDR
    """The VPC's IPv4 CIDR, a /16 to /22. Default: 10.0.0.0/16."""
    availability_zones: tuple[str, ...] = ()
    """AZ names to use. Default: the first ``az_count`` AZs the region reports."""
    az_count: int = DEFAULT_AZ_COUNT
    """How many AZs when ``availability_zones`` is empty, 2 to 6. Default: 3."""
    nat_gateway_per_az: bool = True
    """One NAT gateway per AZ, so losing an AZ does not cut the others off; False warns. Default: True."""
    vpc_endpoints: bool = True
    """Interface endpoints (ssm, ssmmessages, ec2messages, logs, monitoring, kms, secretsmanager, sts) in the private subnets and an S3 gateway endpoint, with policies admitting only this account, so AWS API calls never leave through NAT; about 24 endpoint-hours per hour in 3 AZs. False warns. Default: True."""
    flow_log_retention_days: int = SECURE_LOG_RETENTION_DAYS
    """Days VPC flow logs are kept; below 365 warns. Default: 365."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every resource, per AWS tag rules; no 'aws:' or 'secure-web:' keys. Default: none."""


def _check(props: NetworkProps, path: str) -> int:
    checks = Checks()
    checks.construct_path(path)
    vpc = checks.cidr("cidr_block", props.cidr_block)
    if vpc is not None:
        low, high = VPC_PREFIX_RANGE
        checks.require(
            vpc.version == 4 and low <= vpc.prefixlen <= high,
            "cidr_block",
            f"must be an IPv4 block from /{low} to /{high}",
            props.cidr_block,
        )
    zones = checks.sequence("availability_zones", props.availability_zones, "AZ names", AZ_NAMES_EXAMPLE)
    az_count = len(zones or ()) or props.az_count
    if zones:
        named = [zone for zone in zones if isinstance(zone, str)]
        checks.require(len(set(named)) == len(named), "availability_zones", "must not repeat a zone", zones)
        checks.between("availability_zones (count)", len(zones), 2, MAX_AZ_COUNT)
        for index, zone in enumerate(zones):
            checks.matches(f"availability_zones[{index}]", zone, AZ_NAME_PATTERN, "must be an AZ name like eu-west-1a")
    elif zones is not None:
        checks.between("az_count", props.az_count, 2, MAX_AZ_COUNT)
    checks.boolean("nat_gateway_per_az", props.nat_gateway_per_az)
    checks.boolean("vpc_endpoints", props.vpc_endpoints)
    checks.one_of("flow_log_retention_days", props.flow_log_retention_days, CLOUDWATCH_RETENTION_DAYS)
    checks.tags("tags", props.tags)
    checks.raise_if_any(path)
    return az_count


def check_network_ref(network: NetworkRef, checks: Checks) -> dict[str, Sequence[str] | None] | None:
    """Adds every problem with a NetworkRef's ids and VPC CIDR (fields named ``network.*``); tokens are not judged.

    Returns the subnet ids per layer (``public``, ``private``, ``isolated``; None for a layer that is not a tuple),
    or None when ``network`` is not a NetworkRef at all, so callers judge only what could be read.
    """
    if not isinstance(network, NetworkRef):
        hint = "pass its .ref, not the Network itself" if isinstance(network, Network) else \
            "a Network's .ref, or NetworkRef(...) for an existing VPC"
        checks.fail("network", f"must be a NetworkRef ({hint})", shown(network))
        return None
    checks.matches("network.vpc_id", network.vpc_id, VPC_ID_PATTERN, "must be a VPC id like vpc-0123456789abcdef0")
    vpc = checks.cidr("network.vpc_cidr", network.vpc_cidr)
    if vpc is not None:
        checks.require(vpc.version == 4 and 16 <= vpc.prefixlen <= 28, "network.vpc_cidr",
                       "must be an IPv4 block from /16 to /28 (the VPC sizes AWS allows)", network.vpc_cidr)
    subnets: dict[str, Sequence[str] | None] = {}
    for layer in ("public", "private", "isolated"):
        field_name = f"network.{layer}_subnet_ids"
        subnets[layer] = checks.sequence(field_name, getattr(network, f"{layer}_subnet_ids"), "subnet ids",
                                         SUBNET_IDS_EXAMPLE)
        checks.ids(field_name, subnets[layer], SUBNET_ID_PATTERN, "must be a subnet id like subnet-0123456789abcdef0")
    for layer in ("public", "private"):
        field_name = f"network.{layer}_subnet_cidrs"
        blocks_given = checks.sequence(field_name, getattr(network, f"{layer}_subnet_cidrs"), "CIDR strings",
                                       ("10.0.0.0/24",))
        for index, cidr in enumerate(blocks_given or ()):
            if checks.known(f"{field_name}[{index}]", cidr, "it is written into the hosts' firewalls at boot"):
                block = checks.cidr(f"{field_name}[{index}]", cidr)
                if block is not None and vpc is not None and block.version == vpc.version:
                    checks.require(block.subnet_of(vpc), f"{field_name}[{index}]",
                                   f"must lie inside the VPC's {network.vpc_cidr}", cidr)
    return subnets


class Network(Construct):
    """A VPC across 2+ AZs: public, private and isolated subnets, flow logs, and a closed default security group.

    No subnet assigns public IPs on launch; only the load balancer gets public addresses.
    Use ``ref`` to place tiers in it, or build a ``NetworkRef`` for an existing VPC instead.
    """

    def __init__(self, scope: Construct, construct_id: str, props: NetworkProps | None = None) -> None:
        props = props or NetworkProps()
        az_count = _check(props, construct_path(scope, construct_id))
        super().__init__(scope, construct_id)
        if props.flow_log_retention_days < SECURE_LOG_RETENTION_DAYS:
            announce_weakened(self, "flow_log_retention_days", props.flow_log_retention_days, SECURE_LOG_RETENTION_DAYS)
        if not props.nat_gateway_per_az:
            announce_weakened(self, "nat_gateway_per_az", False, True)
        if not props.vpc_endpoints:
            announce_weakened(self, "vpc_endpoints", False, True)
        tags = dict(props.tags)
        plan = plan_subnets(props.cidr_block, az_count)
        zones = self._zones(props, az_count)

        vpc = resource_module("vpc").Vpc(
            self, "vpc", cidr_block=props.cidr_block, enable_dns_hostnames=True, enable_dns_support=True,
            tags={**tags, "Name": path_of(self)},
        )
        resource_module("default_security_group").DefaultSecurityGroup(
            self, "default-security-group", vpc_id=vpc.id, tags={**tags, "Name": f"{path_of(self)} default (closed)"}
        )
        gateway = resource_module("internet_gateway").InternetGateway(self, "internet-gateway", vpc_id=vpc.id, tags=tags)

        public_routes = self._route_table("public", vpc.id, tags)
        resource_module("route").Route(
            self, "public-default-route", route_table_id=public_routes.id, destination_cidr_block="0.0.0.0/0",
            gateway_id=gateway.id,
        )
        isolated_routes = self._route_table("isolated", vpc.id, tags)
        public, private, isolated, nat_ids, private_route_ids = [], [], [], [], []
        for index, zone in enumerate(zones):
            public.append(self._subnet("public", index, vpc.id, plan.public[index], zone, public_routes.id, tags))
            if props.nat_gateway_per_az or index == 0:
                address = resource_module("eip").Eip(self, f"nat-address-{index}", domain="vpc", tags=tags)
                nat = resource_module("nat_gateway").NatGateway(
                    self, f"nat-{index}", allocation_id=address.id, subnet_id=public[-1].id, tags=tags,
                    depends_on=[gateway],
                )
                nat_ids.append(nat.id)
            private_routes = self._route_table(f"private-{index}", vpc.id, tags)
            private_route_ids.append(private_routes.id)
            resource_module("route").Route(
                self, f"private-default-route-{index}", route_table_id=private_routes.id,
                destination_cidr_block="0.0.0.0/0", nat_gateway_id=nat_ids[-1],
            )
            private.append(self._subnet("private", index, vpc.id, plan.private[index], zone, private_routes.id, tags))
            isolated.append(self._subnet("isolated", index, vpc.id, plan.isolated[index], zone, isolated_routes.id, tags))

        self._network_acls(vpc, props.cidr_block, plan, public, private, isolated, tags)
        if props.vpc_endpoints:
            PrivateEndpoints(self, "endpoints", vpc_id=vpc.id, subnet_ids=[subnet.id for subnet in private],
                             route_table_ids=private_route_ids, client_cidrs=plan.private, tags=tags)
        self._flow_logs(vpc.id, props.flow_log_retention_days, tags)
        self.vpc_id: str = vpc.id
        self.subnet_plan = plan
        self.ref = NetworkRef(
            vpc_id=vpc.id,
            vpc_cidr=props.cidr_block,
            public_subnet_ids=tuple(s.id for s in public),
            private_subnet_ids=tuple(s.id for s in private),
            isolated_subnet_ids=tuple(s.id for s in isolated),
            public_subnet_cidrs=plan.public,
            private_subnet_cidrs=plan.private,
        )

    def _zones(self, props: NetworkProps, az_count: int) -> list[str]:
        if props.availability_zones:
            return list(props.availability_zones)
        available = resource_module("data_aws_availability_zones").DataAwsAvailabilityZones(
            self, "zones", state="available", filter=blocks([{"name": "opt-in-status", "values": ["opt-in-not-required"]}])
        )
        return [cdktf.Fn.element(available.names, index) for index in range(az_count)]

    def _route_table(self, name: str, vpc_id: str, tags: Mapping[str, str]):
        return resource_module("route_table").RouteTable(
            self, f"{name}-routes", vpc_id=vpc_id, tags={**tags, "Name": f"{path_of(self)}/{name}"}
        )

    def _subnet(self, layer: str, index: int, vpc_id: str, cidr: str, zone: str, route_table_id: str, tags):
        subnet = resource_module("subnet").Subnet(
            self, f"{layer}-{index}", vpc_id=vpc_id, cidr_block=cidr, availability_zone=zone,
            map_public_ip_on_launch=False, tags={**tags, "Name": f"{path_of(self)}/{layer}-{index}", "Layer": layer},
        )
        resource_module("route_table_association").RouteTableAssociation(
            self, f"{layer}-{index}-route-association", subnet_id=subnet.id, route_table_id=route_table_id
        )
        return subnet

    def _network_acls(self, vpc, vpc_cidr: str, plan: SubnetPlan, public, private, isolated,
                      tags: Mapping[str, str]) -> None:
        """Stateless filters under the security groups: the default ACL admits nothing (no subnet uses it), the
        isolated subnets admit only MySQL from the private subnets (and each other, for the cluster's replication)
        and send only replies, the public and private subnets admit what their load balancers, NAT gateways and
        hosts exchange, and replies from the internet."""
        resource_module("default_network_acl").DefaultNetworkAcl(
            self, "default-network-acl", default_network_acl_id=vpc.default_network_acl_id,
            tags={**tags, "Name": f"{path_of(self)} default (no rules)"}, lifecycle={"ignore_changes": ["subnet_ids"]},
        )
        low, high = EPHEMERAL_PORTS
        world = "0.0.0.0/0"

        def rule(number: int, cidr: str, protocol: str = "tcp", ports: tuple[int, int] = (0, 0)) -> dict[str, object]:
            return {"rule_no": number, "action": "allow", "protocol": protocol, "cidr_block": cidr,
                    "from_port": ports[0], "to_port": ports[1]}

        edge = [rule(100, world, ports=(443, 443)), rule(110, world, ports=(80, 80)), rule(120, vpc_cidr, "-1"),
                rule(130, world, ports=(low, high))]
        hosts = [rule(100, vpc_cidr, "-1"), rule(130, world, ports=HOST_EPHEMERAL_PORTS)]
        everywhere = [rule(100, world, "-1")]
        database_clients = [*plan.private, *plan.isolated]
        database_in = [rule(100 + index, cidr, ports=(MYSQL_PORT, MYSQL_PORT))
                       for index, cidr in enumerate(database_clients)]
        database_in += [rule(200 + index, cidr, ports=(low, high)) for index, cidr in enumerate(plan.isolated)]
        database_out = [rule(100 + index, cidr, ports=(low, high)) for index, cidr in enumerate(database_clients)]
        database_out += [rule(200 + index, cidr, ports=(MYSQL_PORT, MYSQL_PORT)) for index, cidr in enumerate(plan.isolated)]
        for layer, subnets, ingress, egress in (("public", public, edge, everywhere), ("private", private, hosts, everywhere),
                                                ("isolated", isolated, database_in, database_out)):
            resource_module("network_acl").NetworkAcl(
                self, f"{layer}-network-acl", vpc_id=vpc.id, subnet_ids=[subnet.id for subnet in subnets],
                ingress=blocks(ingress), egress=blocks(egress), tags={**tags, "Name": f"{path_of(self)}/{layer}"},
            )

    def _flow_logs(self, vpc_id: str, retention_days: int, tags: Mapping[str, str]) -> None:
        context = AccountContext.of(self)
        key = encryption_key(self, "flow-log-key", context=context, description=f"{path_of(self)} flow logs",
                             services=["logs"])
        group = resource_module("cloudwatch_log_group").CloudwatchLogGroup(
            self, "flow-log-group", name_prefix="/secure-web/vpc-flow-logs/", retention_in_days=retention_days,
            kms_key_id=key.arn, tags=tags,
        )
        role = resource_module("iam_role").IamRole(
            self, "flow-log-role", name_prefix="secure-web-flow-logs-", tags=tags,
            assume_role_policy=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow", "Action": "sts:AssumeRole",
                    "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                    "Condition": {"StringEquals": {"aws:SourceAccount": context.account_id}},
                }],
            }),
        )
        resource_module("iam_role_policy").IamRolePolicy(
            self, "flow-log-delivery", role=role.id,
            policy=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    "Resource": f"{group.arn}:*",
                }],
            }),
        )
        resource_module("flow_log").FlowLog(
            self, "flow-log", vpc_id=vpc_id, traffic_type="ALL", log_destination_type="cloud-watch-logs",
            log_destination=group.arn, iam_role_arn=role.arn, max_aggregation_interval=60, tags=tags,
        )
