"""The synthesized reference stack, applied to an emulated account (moto) with boto3, and deliberate faults.

``build`` reads the stack's ``cdk.tf.json`` and creates each resource, in dependency
order, with the API calls Terraform's AWS provider makes for it, resolving every
``${aws_x.y.attribute}`` to what moto returned. Every argument of every resource is
either sent to moto or listed in ``NOT_REPRESENTED`` with the reason, and every
resource type either has a handler here or is listed in ``NOT_APPLIED``; anything else
stops the build, so a change to the stack cannot leave the emulation silently behind.

What AWS does on its own and moto does not (the launch template's settings at launch,
the three members of a Multi-AZ DB cluster) and what only a live site produces (traffic,
agent metrics) is emulated after the apply, in ``_emulate_aws``. A ``Breakage`` is one
deliberate fault on top: an edit of the document before the apply (a weakened stack) or
an API call against the applied account (drift after deploy).
"""

from __future__ import annotations

import copy
import enum
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3

from secure_web.agent_config import HOST_METRICS_NAMESPACE
from secure_web.qps import FLEET_QPS, HOST_QPS
from secure_web.verify.checks import COMMON_RULE_SET
from stack_document import TERRAFORM_ONLY, addresses, apply_order, evaluator, interpolate, resources

REGION = "eu-west-1"
TIER_TAG = "secure-web:tier"
MULTI_AZ_DB_CLUSTER_MEMBERS = 3
"""A Multi-AZ DB cluster always has one writer and two readers, in three zones; AWS creates them, moto does not."""
OLD_TLS_POLICY = "ELBSecurityPolicy-2016-08"

ELB_ACCOUNTS = {"eu-west-1": "156460612806"}
"""The provider's built-in table of ELB log-delivery accounts (``data.aws_elb_service_account``); no API has it."""

NOT_APPLIED = {
    "aws_route53_record": "its zone_id is the synth placeholder (setting hosted_zone_id); there is no zone to "
                          "write to, in moto or in AWS, until a real one is set",
}
"""Resource types of the stack that are not created in moto, and why."""

_ON_DESTROY = "used only when Terraform destroys the resource"
_ON_UPDATE = "used only when Terraform updates the resource"
NOT_REPRESENTED: dict[str, dict[str, str]] = {
    "aws_kms_key": {"deletion_window_in_days": _ON_DESTROY + " (ScheduleKeyDeletion)"},
    "aws_s3_bucket": {"force_destroy": _ON_DESTROY},
    "aws_acm_certificate_validation": {
        "validation_record_fqdns": "names the validation records in the placeholder zone (see NOT_APPLIED); "
                                   "Terraform only waits for the certificate, there is no API call to emulate"},
    "aws_launch_template": {"update_default_version": _ON_UPDATE},
    "aws_autoscaling_group": {"instance_refresh": _ON_UPDATE + " (an instance refresh when the template changes)"},
    "aws_rds_cluster": {
        "apply_immediately": _ON_UPDATE,
        "final_snapshot_identifier": _ON_DESTROY,
        "skip_final_snapshot": _ON_DESTROY,
        "iam_database_authentication_enabled": "moto 5.2.1 refuses IAM database authentication on a Multi-AZ DB "
                                               "cluster (InvalidParameterCombination); AWS's list of Multi-AZ DB "
                                               "cluster limitations does not include it",
    },
}
"""Arguments of the stack that are not sent to moto, by resource type, and why."""


class Breakage(enum.Enum):
    """The one thing a non-compliant variant gets wrong."""

    HTTP_TARGET_GROUP = "target group over HTTP"
    SSH_FROM_WORLD = "SSH open to the world on the web hosts"
    SINGLE_AZ_DATABASE = "database with one instance"
    NO_QPS_LOW_ALARM = "low QPS alarm missing"
    IMDSV1_HOST = "one host allows IMDSv1"
    NO_WAF = "no WAF association"
    WAF_WITHOUT_RULES = "web ACL without rules"
    WAF_RULE_COUNTS = "the common rule set only counts"
    OLD_TLS_POLICY = "HTTPS listener with a TLS 1.0 policy"
    HTTP_FORWARDED = "port 80 forwards instead of redirecting"
    PUBLIC_LOG_BUCKET = "log bucket without a public access block"
    SHORT_BACKUPS = "database backups kept 1 day"
    STALE_ALARM = "QPS alarm without data"
    SILENT_HOST = "one host publishes no agent metrics"
    APP_HTTP_TARGET_GROUP = "app target group over HTTP"
    INTERNET_FACING_APP_ALB = "the app tier's load balancer faces the internet"
    APP_HTTP_LISTENER = "the app tier's load balancer also listens on HTTP"
    WEB_TO_APP_DIRECT = "web hosts reach app hosts directly, around the internal load balancer"
    WIDE_APP_ROLE_POLICY = "the app role reads every secret"
    PASSWORD_IN_DATABASE_CONFIG = "the database parameter holds the password"
    NO_CONNECTION_LOGS = "the internet-facing load balancer stops writing connection logs"
    APP_LISTENER_HSTS_HOST_ONLY = "the app tier's HTTPS listener sends HSTS without includeSubDomains"
    DATABASE_ACL_ADMITS_WORLD = "the database subnets' network ACL admits MySQL from anywhere"
    DEFAULT_ACL_ALLOWS_ALL = "the VPC's default network ACL allows all traffic in"
    HOST_ROLE_AGENT_GUIDE_POLICY = "the web hosts' role gets CloudWatchAgentServerPolicy attached"
    HOST_POLICY_MAY_SHORTEN_RETENTION = "the web hosts' agent policy may change log retention"


class StackNotEmulated(ValueError):
    """The stack holds something this emulation neither applies nor lists as not representable."""


class Arguments:
    """A resource's arguments, interpolated when read; remembers which ones its handler read."""

    def __init__(self, body: Mapping[str, Any], evaluate: Callable[[str], Any]) -> None:
        self._body = {key: value for key, value in body.items() if key not in TERRAFORM_ONLY}
        self._evaluate = evaluate
        self._read: set[str] = set()

    def __contains__(self, key: str) -> bool:
        return key in self._body

    def __getitem__(self, key: str) -> Any:
        self._read.add(key)
        return interpolate(self._body[key], self._evaluate)

    def get(self, key: str, default: Any = None) -> Any:
        self._read.add(key)
        return interpolate(self._body[key], self._evaluate) if key in self._body else default

    def unread(self) -> set[str]:
        return set(self._body) - self._read


class Account:
    """Clients for the emulated account, and what the applied resources returned (their Terraform attributes)."""

    def __init__(self, session: boto3.Session, endpoint_url: str, document: Mapping[str, Any], suffix: str) -> None:
        provider = document["provider"]["aws"][0]
        if provider["region"] != REGION:
            raise StackNotEmulated(f"the stack is for {provider['region']}; the emulated account is in {REGION}")
        self.region = REGION
        self.suffix = suffix
        self.default_tags: dict[str, str] = {key: value for block in provider.get("default_tags", [])
                                             for key, value in block.get("tags", {}).items()}
        self.state: dict[str, dict[str, Any]] = {}
        self.renamed: dict[str, str] = {}
        """Fixed Terraform name → the name it got in this deployment (``name``)."""
        self._session, self._endpoint_url = session, endpoint_url
        self._images: dict[str, list[dict[str, Any]]] = {}
        self._clients: dict[str, Any] = {}

    def client(self, service: str):
        if service not in self._clients:
            self._clients[service] = self._session.client(service, region_name=self.region,
                                                          endpoint_url=self._endpoint_url)
        return self._clients[service]

    def images(self, *, owners: list[str], filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """DescribeImages, asked once per build for each (owners, filters): moto answers it slowly."""
        key = json.dumps([owners, filters], sort_keys=True)
        if key not in self._images:
            self._images[key] = self.client("ec2").describe_images(Owners=owners, Filters=filters)["Images"]
        return self._images[key]

    def attribute(self, address: str, name: str) -> Any:
        if address not in self.state:
            raise StackNotEmulated(f"{address} is referenced but was not applied")
        attributes = self.state[address]
        if name not in attributes:
            raise StackNotEmulated(f"{address}.{name} is referenced; the emulation records only {sorted(attributes)}")
        return attributes[name]

    def name(self, args: Arguments, key: str = "name", prefix_key: str = "name_prefix") -> str:
        """The resource's name, unique to this deployment (several share one emulated account)."""
        if key in args:
            self.renamed[args[key]] = unique_name(args[key], self.suffix)
            return self.renamed[args[key]]
        return f"{args[prefix_key]}{self.suffix}"

    def tags(self, args: Arguments) -> dict[str, str]:
        """The resource's tags with the provider's default_tags, as Terraform sends them."""
        return {**self.default_tags, **(args.get("tags") or {})}


def unique_name(name: str, suffix: str) -> str:
    """The name a fixed Terraform name gets in a deployment with ``suffix``."""
    return f"{name}-{suffix}"


Handler = Callable[[Account, Arguments], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}


def applies(resource_type: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[resource_type] = handler
        return handler
    return register


def build(session: boto3.Session, endpoint_url: str, document: Mapping[str, Any], breakage: Breakage | None = None,
          *, suffix: str = "0") -> dict[str, str]:
    """Apply ``document`` (a synthesized cdk.tf.json) to the emulated account, then ``breakage``; its outputs.

    ``suffix`` keeps names apart, so several deployments can share one emulated account.
    """
    document = DOCUMENT_FAULTS.get(breakage, _unchanged)(copy.deepcopy(document))
    account = Account(session, endpoint_url, document, suffix)
    known = addresses(document)
    evaluate = evaluator(account.attribute)
    for address in apply_order(document):
        kind, resource_type, body = known[address]
        if kind == "resource" and resource_type in NOT_APPLIED:
            continue
        handler = HANDLERS.get(f"data.{resource_type}" if kind == "data" else resource_type)
        if handler is None:
            raise StackNotEmulated(f"{address}: no handler for {resource_type}; add one to moto_deployment.py "
                                   "or list the type in NOT_APPLIED with the reason")
        args = Arguments(body, evaluate)
        account.state[address] = handler(account, args)
        unexplained = args.unread() - set(NOT_REPRESENTED.get(resource_type, {}))
        if unexplained:
            raise StackNotEmulated(f"{address}: argument(s) {sorted(unexplained)} are neither sent to moto nor "
                                   "listed in NOT_REPRESENTED")
    # An output stating a fixed name literally (the tier's database_config_parameter_name) names what the
    # deployment created under that name.
    outputs = {name: account.renamed.get(output["value"], str(interpolate(output["value"], evaluate)))
               for name, output in document["output"].items()}
    _emulate_aws(account, document, outputs, breakage)
    ACCOUNT_FAULTS.get(breakage, _no_fault)(account, outputs)
    return outputs


def _unchanged(document: dict[str, Any]) -> dict[str, Any]:
    return document


def _no_fault(account: Account, outputs: Mapping[str, str]) -> None:
    return None


# --- Conversions ----------------------------------------------------------------------------------

def _compact(value: Any) -> Any:
    """``value`` without None entries (boto3 refuses None for optional parameters)."""
    if isinstance(value, Mapping):
        return {key: _compact(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_compact(item) for item in value]
    return value


def _one(block: Any) -> dict[str, Any]:
    """A nested block, given as a dict or (as cdktf writes some) a list of one dict."""
    if isinstance(block, list):
        return block[0] if block else {}
    return block or {}


def _bool(value: Any) -> bool | None:
    if value is None:
        return None
    return value is True or str(value).lower() == "true"


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def _tag_specifications(resource_type: str, tags: Mapping[str, str]) -> list[dict[str, Any]]:
    return [{"ResourceType": resource_type, "Tags": _tag_list(tags)}] if tags else []


WAF_KEYS = {"cloudwatch_metrics_enabled": "CloudWatchMetricsEnabled"}


def waf_shape(value: Any) -> Any:
    """A WAFv2 block as Terraform writes it (snake_case) in the API's shape (CamelCase)."""
    if isinstance(value, Mapping):
        return {WAF_KEYS.get(key, "".join(part.capitalize() for part in key.split("_"))): waf_shape(item)
                for key, item in value.items()}
    if isinstance(value, list):
        return [waf_shape(item) for item in value]
    return value


# --- Data sources ---------------------------------------------------------------------------------

@applies("data.aws_availability_zones")
def _zones(account: Account, args: Arguments) -> dict[str, Any]:
    filters = [{"Name": block["name"], "Values": block["values"]} for block in args.get("filter", [])]
    if args.get("state"):
        filters.append({"Name": "state", "Values": [args["state"]]})
    zones = account.client("ec2").describe_availability_zones(Filters=filters)["AvailabilityZones"]
    return {"names": sorted(zone["ZoneName"] for zone in zones), "id": account.region}


@applies("data.aws_caller_identity")
def _caller(account: Account, args: Arguments) -> dict[str, Any]:
    identity = account.client("sts").get_caller_identity()
    return {"account_id": identity["Account"], "arn": identity["Arn"], "id": identity["Account"]}


@applies("data.aws_partition")
def _partition(account: Account, args: Arguments) -> dict[str, Any]:
    partition = account.client("sts").get_caller_identity()["Arn"].split(":")[1]
    return {"partition": partition, "id": partition, "dns_suffix": "amazonaws.com"}


@applies("data.aws_region")
def _region(account: Account, args: Arguments) -> dict[str, Any]:
    return {"region": account.region, "name": account.region, "id": account.region}


@applies("data.aws_elb_service_account")
def _elb_account(account: Account, args: Arguments) -> dict[str, Any]:
    elb_account = ELB_ACCOUNTS[account.region]
    return {"id": elb_account, "arn": f"arn:aws:iam::{elb_account}:root"}


STAND_IN_IMAGE = {"Owners": ["amazon"], "Filters": [{"Name": "name", "Values": ["al2023-ami-2023*-x86_64"]}]}
"""moto's catalogue has no Debian 12 image (owner 136693071363): the hosts get moto's Amazon Linux 2023 instead."""


@applies("data.aws_ami")
def _image(account: Account, args: Arguments) -> dict[str, Any]:
    """The image the lookup finds in moto or, when it finds none, the STAND_IN_IMAGE."""
    filters = [{"Name": block["name"], "Values": block["values"]} for block in args.get("filter", [])]
    images = account.images(owners=args.get("owners", []), filters=filters)
    if not images:
        kept = [block for block in filters if block["Name"] in ("architecture", "virtualization-type")]
        images = account.images(owners=STAND_IN_IMAGE["Owners"], filters=STAND_IN_IMAGE["Filters"] + kept)
    newest = max(images, key=lambda image: image.get("CreationDate", "")) if args.get("most_recent") else images[0]
    return {"id": newest["ImageId"], "image_id": newest["ImageId"]}


# --- Network --------------------------------------------------------------------------------------

@applies("aws_vpc")
def _vpc(account: Account, args: Arguments) -> dict[str, Any]:
    ec2 = account.client("ec2")
    vpc = ec2.create_vpc(CidrBlock=args["cidr_block"],
                         TagSpecifications=_tag_specifications("vpc", account.tags(args)))["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": bool(args.get("enable_dns_support", True))})
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": bool(args.get("enable_dns_hostnames", False))})
    (default_acl,) = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                        {"Name": "default", "Values": ["true"]}])["NetworkAcls"]
    return {"id": vpc, "default_network_acl_id": default_acl["NetworkAclId"]}


@applies("aws_subnet")
def _subnet(account: Account, args: Arguments) -> dict[str, Any]:
    ec2 = account.client("ec2")
    subnet = ec2.create_subnet(VpcId=args["vpc_id"], CidrBlock=args["cidr_block"],
                               AvailabilityZone=args["availability_zone"],
                               TagSpecifications=_tag_specifications("subnet", account.tags(args)))["Subnet"]
    ec2.modify_subnet_attribute(SubnetId=subnet["SubnetId"],
                                MapPublicIpOnLaunch={"Value": bool(args.get("map_public_ip_on_launch", False))})
    return {"id": subnet["SubnetId"], "availability_zone": subnet["AvailabilityZone"]}


@applies("aws_internet_gateway")
def _internet_gateway(account: Account, args: Arguments) -> dict[str, Any]:
    ec2 = account.client("ec2")
    gateway = ec2.create_internet_gateway(TagSpecifications=_tag_specifications("internet-gateway",
                                                                                 account.tags(args)))
    gateway_id = gateway["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway_id, VpcId=args["vpc_id"])
    return {"id": gateway_id}


@applies("aws_eip")
def _elastic_ip(account: Account, args: Arguments) -> dict[str, Any]:
    address = account.client("ec2").allocate_address(
        Domain=args.get("domain", "vpc"), TagSpecifications=_tag_specifications("elastic-ip", account.tags(args)))
    return {"id": address["AllocationId"], "public_ip": address["PublicIp"]}


@applies("aws_nat_gateway")
def _nat_gateway(account: Account, args: Arguments) -> dict[str, Any]:
    gateway = account.client("ec2").create_nat_gateway(
        SubnetId=args["subnet_id"], AllocationId=args["allocation_id"],
        TagSpecifications=_tag_specifications("natgateway", account.tags(args)))
    return {"id": gateway["NatGateway"]["NatGatewayId"]}


@applies("aws_route_table")
def _route_table(account: Account, args: Arguments) -> dict[str, Any]:
    table = account.client("ec2").create_route_table(
        VpcId=args["vpc_id"], TagSpecifications=_tag_specifications("route-table", account.tags(args)))
    return {"id": table["RouteTable"]["RouteTableId"]}


@applies("aws_route")
def _route(account: Account, args: Arguments) -> dict[str, Any]:
    table, destination = args["route_table_id"], args["destination_cidr_block"]
    account.client("ec2").create_route(**_compact({
        "RouteTableId": table, "DestinationCidrBlock": destination,
        "GatewayId": args.get("gateway_id"), "NatGatewayId": args.get("nat_gateway_id")}))
    return {"id": f"r-{table}-{destination}"}


@applies("aws_route_table_association")
def _route_table_association(account: Account, args: Arguments) -> dict[str, Any]:
    association = account.client("ec2").associate_route_table(RouteTableId=args["route_table_id"],
                                                               SubnetId=args["subnet_id"])
    return {"id": association["AssociationId"]}


@applies("aws_default_security_group")
def _default_security_group(account: Account, args: Arguments) -> dict[str, Any]:
    """Terraform adopts the VPC's default group and removes every rule it does not declare (here: all)."""
    ec2 = account.client("ec2")
    group = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [args["vpc_id"]]},
                                                  {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]
    if group["IpPermissions"]:
        ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=group["IpPermissions"])
    if group["IpPermissionsEgress"]:
        ec2.revoke_security_group_egress(GroupId=group["GroupId"], IpPermissions=group["IpPermissionsEgress"])
    ec2.create_tags(Resources=[group["GroupId"]], Tags=_tag_list(account.tags(args)))
    return {"id": group["GroupId"]}


NETWORK_ACL_PROTOCOLS = {"-1": "-1", "all": "-1", "tcp": "6", "udp": "17", "icmp": "1"}
"""Terraform's protocol names → the numbers the EC2 API stores (the provider converts them the same way)."""


def _network_acl_entries(account: Account, acl_id: str, args: Arguments) -> None:
    ec2 = account.client("ec2")
    for direction in ("ingress", "egress"):
        for rule in args.get(direction) or []:
            protocol = NETWORK_ACL_PROTOCOLS.get(str(rule["protocol"]).lower(), str(rule["protocol"]))
            ec2.create_network_acl_entry(**_compact({
                "NetworkAclId": acl_id, "RuleNumber": rule["rule_no"], "Protocol": protocol,
                "RuleAction": rule["action"], "Egress": direction == "egress", "CidrBlock": rule.get("cidr_block"),
                "PortRange": {"From": rule["from_port"], "To": rule["to_port"]} if protocol in ("6", "17") else None,
            }))


@applies("aws_default_network_acl")
def _default_network_acl(account: Account, args: Arguments) -> dict[str, Any]:
    """Terraform adopts the VPC's default ACL and replaces AWS's allow-all entries with the declared ones."""
    ec2 = account.client("ec2")
    acl_id = args["default_network_acl_id"]
    (acl,) = ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"]
    for entry in acl["Entries"]:
        if entry["RuleNumber"] != 32767:
            ec2.delete_network_acl_entry(NetworkAclId=acl_id, RuleNumber=entry["RuleNumber"], Egress=entry["Egress"])
    _network_acl_entries(account, acl_id, args)
    ec2.create_tags(Resources=[acl_id], Tags=_tag_list(account.tags(args)))
    return {"id": acl_id}


@applies("aws_network_acl")
def _network_acl(account: Account, args: Arguments) -> dict[str, Any]:
    ec2 = account.client("ec2")
    acl_id = ec2.create_network_acl(VpcId=args["vpc_id"], TagSpecifications=_tag_specifications(
        "network-acl", account.tags(args)))["NetworkAcl"]["NetworkAclId"]
    _network_acl_entries(account, acl_id, args)
    for subnet in args.get("subnet_ids") or []:
        (current,) = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])[
            "NetworkAcls"]
        (association,) = [link["NetworkAclAssociationId"] for link in current["Associations"]
                          if link["SubnetId"] == subnet]
        ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=acl_id)
    return {"id": acl_id}


@applies("aws_flow_log")
def _flow_log(account: Account, args: Arguments) -> dict[str, Any]:
    response = account.client("ec2").create_flow_logs(
        ResourceIds=[args["vpc_id"]], ResourceType="VPC", TrafficType=args["traffic_type"],
        LogDestinationType=args["log_destination_type"], LogDestination=args["log_destination"],
        DeliverLogsPermissionArn=args["iam_role_arn"], MaxAggregationInterval=args["max_aggregation_interval"],
        TagSpecifications=_tag_specifications("vpc-flow-log", account.tags(args)))
    return {"id": response["FlowLogIds"][0]}


@applies("aws_vpc_endpoint")
def _vpc_endpoint(account: Account, args: Arguments) -> dict[str, Any]:
    endpoint = account.client("ec2").create_vpc_endpoint(**_compact({
        "VpcId": args["vpc_id"], "ServiceName": args["service_name"],
        "VpcEndpointType": args.get("vpc_endpoint_type", "Gateway"), "PolicyDocument": args.get("policy"),
        "RouteTableIds": args.get("route_table_ids"), "SubnetIds": args.get("subnet_ids"),
        "SecurityGroupIds": args.get("security_group_ids"), "PrivateDnsEnabled": args.get("private_dns_enabled"),
        "TagSpecifications": _tag_specifications("vpc-endpoint", account.tags(args))}))["VpcEndpoint"]
    return {"id": endpoint["VpcEndpointId"]}


# --- Security groups ------------------------------------------------------------------------------

@applies("aws_security_group")
def _security_group(account: Account, args: Arguments) -> dict[str, Any]:
    ec2 = account.client("ec2")
    name = account.name(args)
    group = ec2.create_security_group(GroupName=name, Description=args["description"], VpcId=args["vpc_id"],
                                      TagSpecifications=_tag_specifications("security-group", account.tags(args)))
    # Terraform removes the allow-all egress rule AWS gives a new group: only declared rules remain.
    ec2.revoke_security_group_egress(GroupId=group["GroupId"], IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    return {"id": group["GroupId"], "name": name}


def _security_group_rule(account: Account, args: Arguments, direction: str) -> dict[str, Any]:
    protocol = str(args["ip_protocol"])
    permission: dict[str, Any] = {"IpProtocol": protocol}
    if protocol != "-1":
        permission.update(FromPort=args["from_port"], ToPort=args["to_port"])
    described = _compact({"Description": args.get("description")})
    sources = {
        "IpRanges": [{"CidrIp": cidr, **described} for cidr in [args.get("cidr_ipv4")] if cidr],
        "Ipv6Ranges": [{"CidrIpv6": cidr, **described} for cidr in [args.get("cidr_ipv6")] if cidr],
        "UserIdGroupPairs": [{"GroupId": group, **described}
                             for group in [args.get("referenced_security_group_id")] if group],
        "PrefixListIds": [{"PrefixListId": prefix, **described} for prefix in [args.get("prefix_list_id")] if prefix],
    }
    permission.update({key: value for key, value in sources.items() if value})
    ec2 = account.client("ec2")
    authorize = ec2.authorize_security_group_ingress if direction == "ingress" else ec2.authorize_security_group_egress
    response = authorize(GroupId=args["security_group_id"], IpPermissions=[permission],
                         TagSpecifications=_tag_specifications("security-group-rule", account.tags(args)))
    return {"id": response["SecurityGroupRules"][0]["SecurityGroupRuleId"]}


@applies("aws_vpc_security_group_ingress_rule")
def _ingress_rule(account: Account, args: Arguments) -> dict[str, Any]:
    return _security_group_rule(account, args, "ingress")


@applies("aws_vpc_security_group_egress_rule")
def _egress_rule(account: Account, args: Arguments) -> dict[str, Any]:
    return _security_group_rule(account, args, "egress")


# --- Keys, logs, IAM ------------------------------------------------------------------------------

@applies("aws_kms_key")
def _kms_key(account: Account, args: Arguments) -> dict[str, Any]:
    kms = account.client("kms")
    key = kms.create_key(**_compact({
        "Description": args.get("description"), "Policy": args.get("policy"),
        "Tags": [{"TagKey": key, "TagValue": value} for key, value in account.tags(args).items()]}))["KeyMetadata"]
    if args.get("enable_key_rotation"):
        kms.enable_key_rotation(KeyId=key["KeyId"])
    return {"arn": key["Arn"], "key_id": key["KeyId"], "id": key["KeyId"]}


@applies("aws_cloudwatch_log_group")
def _log_group(account: Account, args: Arguments) -> dict[str, Any]:
    logs = account.client("logs")
    name = account.name(args)
    logs.create_log_group(**_compact({"logGroupName": name, "kmsKeyId": args.get("kms_key_id"),
                                      "tags": account.tags(args) or None}))
    if args.get("retention_in_days"):
        logs.put_retention_policy(logGroupName=name, retentionInDays=args["retention_in_days"])
    group = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]
    return {"arn": group["arn"].removesuffix(":*"), "name": name, "id": name}


@applies("aws_iam_role")
def _role(account: Account, args: Arguments) -> dict[str, Any]:
    name = account.name(args)
    role = account.client("iam").create_role(**_compact({
        "RoleName": name, "AssumeRolePolicyDocument": args["assume_role_policy"],
        "Description": args.get("description"), "Tags": _tag_list(account.tags(args))}))["Role"]
    return {"arn": role["Arn"], "name": name, "id": name, "unique_id": role["RoleId"]}


@applies("aws_iam_role_policy")
def _role_policy(account: Account, args: Arguments) -> dict[str, Any]:
    role = args["role"]
    name = args.get("name") or f"{args.get('name_prefix', 'terraform-')}{account.suffix}"
    account.client("iam").put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=args["policy"])
    return {"id": f"{role}:{name}", "name": name}


@applies("aws_iam_role_policy_attachment")
def _role_policy_attachment(account: Account, args: Arguments) -> dict[str, Any]:
    account.client("iam").attach_role_policy(RoleName=args["role"], PolicyArn=args["policy_arn"])
    return {"id": f"{args['role']}-{args['policy_arn']}"}


@applies("aws_iam_instance_profile")
def _instance_profile(account: Account, args: Arguments) -> dict[str, Any]:
    iam = account.client("iam")
    name = account.name(args)
    profile = iam.create_instance_profile(InstanceProfileName=name,
                                          Tags=_tag_list(account.tags(args)))["InstanceProfile"]
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=args["role"])
    return {"arn": profile["Arn"], "name": name, "id": name}


# --- Access log bucket ----------------------------------------------------------------------------

@applies("aws_s3_bucket")
def _bucket(account: Account, args: Arguments) -> dict[str, Any]:
    s3 = account.client("s3")
    name = account.name(args, "bucket", "bucket_prefix")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": account.region})
    if tags := account.tags(args):
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tag_list(tags)})
    return {"id": name, "bucket": name, "arn": f"arn:aws:s3:::{name}"}


@applies("aws_s3_bucket_public_access_block")
def _public_access_block(account: Account, args: Arguments) -> dict[str, Any]:
    account.client("s3").put_public_access_block(Bucket=args["bucket"], PublicAccessBlockConfiguration={
        "BlockPublicAcls": bool(args.get("block_public_acls", False)),
        "IgnorePublicAcls": bool(args.get("ignore_public_acls", False)),
        "BlockPublicPolicy": bool(args.get("block_public_policy", False)),
        "RestrictPublicBuckets": bool(args.get("restrict_public_buckets", False))})
    return {"id": args["bucket"]}


@applies("aws_s3_bucket_versioning")
def _versioning(account: Account, args: Arguments) -> dict[str, Any]:
    configuration = _one(args["versioning_configuration"])
    account.client("s3").put_bucket_versioning(Bucket=args["bucket"], VersioningConfiguration=_compact({
        "Status": configuration["status"], "MFADelete": configuration.get("mfa_delete")}))
    return {"id": args["bucket"]}


@applies("aws_s3_bucket_server_side_encryption_configuration")
def _encryption(account: Account, args: Arguments) -> dict[str, Any]:
    rules = []
    for rule in args["rule"]:
        default = _one(rule.get("apply_server_side_encryption_by_default"))
        rules.append(_compact({
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": default["sse_algorithm"],
                                                   "KMSMasterKeyID": default.get("kms_master_key_id")},
            "BucketKeyEnabled": _bool(rule.get("bucket_key_enabled"))}))
    account.client("s3").put_bucket_encryption(Bucket=args["bucket"],
                                               ServerSideEncryptionConfiguration={"Rules": rules})
    return {"id": args["bucket"]}


@applies("aws_s3_bucket_ownership_controls")
def _ownership(account: Account, args: Arguments) -> dict[str, Any]:
    account.client("s3").put_bucket_ownership_controls(Bucket=args["bucket"], OwnershipControls={
        "Rules": [{"ObjectOwnership": _one(args["rule"])["object_ownership"]}]})
    return {"id": args["bucket"]}


@applies("aws_s3_bucket_lifecycle_configuration")
def _lifecycle(account: Account, args: Arguments) -> dict[str, Any]:
    rules = []
    for rule in args["rule"]:
        expiration = _one(rule.get("expiration"))
        noncurrent = _one(rule.get("noncurrent_version_expiration"))
        multipart = _one(rule.get("abort_incomplete_multipart_upload"))
        rules.append(_compact({
            "ID": rule["id"], "Status": rule["status"],
            "Filter": {"Prefix": _one(rule.get("filter")).get("prefix", "")},
            "Expiration": {"Days": expiration["days"]} if expiration else None,
            "NoncurrentVersionExpiration": {"NoncurrentDays": noncurrent["noncurrent_days"]} if noncurrent else None,
            "AbortIncompleteMultipartUpload": ({"DaysAfterInitiation": multipart["days_after_initiation"]}
                                               if multipart else None)}))
    account.client("s3").put_bucket_lifecycle_configuration(Bucket=args["bucket"],
                                                            LifecycleConfiguration={"Rules": rules})
    return {"id": args["bucket"]}


@applies("aws_s3_bucket_policy")
def _bucket_policy(account: Account, args: Arguments) -> dict[str, Any]:
    account.client("s3").put_bucket_policy(Bucket=args["bucket"], Policy=args["policy"])
    return {"id": args["bucket"]}


# --- Certificate, load balancer, WAF --------------------------------------------------------------

@applies("aws_acm_certificate")
def _certificate(account: Account, args: Arguments) -> dict[str, Any]:
    certificate = account.client("acm").request_certificate(**_compact({
        "DomainName": args["domain_name"], "ValidationMethod": args.get("validation_method"),
        "KeyAlgorithm": args.get("key_algorithm"), "SubjectAlternativeNames": args.get("subject_alternative_names"),
        "Tags": _tag_list(account.tags(args)) or None}))
    return {"arn": certificate["CertificateArn"], "id": certificate["CertificateArn"]}


@applies("aws_acm_certificate_validation")
def _certificate_validation(account: Account, args: Arguments) -> dict[str, Any]:
    """Terraform waits here for the certificate to be issued; nothing is created."""
    return {"certificate_arn": args["certificate_arn"], "id": args["certificate_arn"]}


LOAD_BALANCER_ATTRIBUTES = {
    "drop_invalid_header_fields": ("routing.http.drop_invalid_header_fields.enabled", False),
    "enable_deletion_protection": ("deletion_protection.enabled", False),
    "desync_mitigation_mode": ("routing.http.desync_mitigation_mode", "defensive"),
    "enable_http2": ("routing.http2.enabled", True),
    "enable_waf_fail_open": ("waf.fail_open.enabled", False),
    "xff_header_processing_mode": ("routing.http.xff_header_processing.mode", "append"),
}
"""aws_lb argument → (load balancer attribute, provider default)."""


@applies("aws_lb")
def _load_balancer(account: Account, args: Arguments) -> dict[str, Any]:
    elbv2 = account.client("elbv2")
    name = account.name(args)
    balancer = elbv2.create_load_balancer(
        Name=name, Subnets=args["subnets"], SecurityGroups=args["security_groups"],
        Scheme="internal" if args.get("internal") else "internet-facing", Type=args.get("load_balancer_type"),
        IpAddressType=args.get("ip_address_type", "ipv4"), Tags=_tag_list(account.tags(args)),
    )["LoadBalancers"][0]
    attributes = {f"{block}.s3.{key}": _one(args.get(block)).get(key, default)
                  for block in ("access_logs", "connection_logs")
                  for key, default in (("enabled", False), ("bucket", ""), ("prefix", ""))}
    attributes.update({key: args.get(argument, default)
                       for argument, (key, default) in LOAD_BALANCER_ATTRIBUTES.items()})
    elbv2.modify_load_balancer_attributes(LoadBalancerArn=balancer["LoadBalancerArn"], Attributes=[
        {"Key": key, "Value": _text(value)} for key, value in attributes.items()])
    arn = balancer["LoadBalancerArn"]
    return {"arn": arn, "id": arn, "arn_suffix": arn.split(":loadbalancer/", 1)[1], "name": name,
            "dns_name": balancer["DNSName"], "zone_id": balancer["CanonicalHostedZoneId"]}


@applies("aws_lb_target_group")
def _target_group(account: Account, args: Arguments) -> dict[str, Any]:
    elbv2 = account.client("elbv2")
    name = account.name(args)
    health = _one(args.get("health_check"))
    group = elbv2.create_target_group(**_compact({
        "Name": name, "Protocol": args["protocol"], "ProtocolVersion": args.get("protocol_version"),
        "Port": args["port"], "VpcId": args["vpc_id"], "TargetType": args.get("target_type", "instance"),
        "HealthCheckEnabled": health.get("enabled"), "HealthCheckProtocol": health.get("protocol"),
        "HealthCheckPort": health.get("port"), "HealthCheckPath": health.get("path"),
        "HealthCheckIntervalSeconds": health.get("interval"), "HealthCheckTimeoutSeconds": health.get("timeout"),
        "HealthyThresholdCount": health.get("healthy_threshold"),
        "UnhealthyThresholdCount": health.get("unhealthy_threshold"),
        "Matcher": {"HttpCode": health["matcher"]} if health.get("matcher") else None,
        "Tags": _tag_list(account.tags(args)),
    }))["TargetGroups"][0]
    arn = group["TargetGroupArn"]
    if args.get("deregistration_delay") is not None:
        elbv2.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": str(args["deregistration_delay"])}])
    return {"arn": arn, "id": arn, "arn_suffix": arn.split(":", 5)[5], "name": name}


def _listener_action(action: Mapping[str, Any]) -> dict[str, Any]:
    if action["type"] == "forward":
        return {"Type": "forward", "TargetGroupArn": action["target_group_arn"]}
    if action["type"] == "redirect":
        redirect = _one(action["redirect"])
        return {"Type": "redirect", "RedirectConfig": _compact({
            "Protocol": redirect.get("protocol"), "Port": redirect.get("port"), "Host": redirect.get("host"),
            "Path": redirect.get("path"), "Query": redirect.get("query"), "StatusCode": redirect["status_code"]})}
    raise StackNotEmulated(f"listener action {action['type']!r} is not emulated")


@applies("aws_lb_listener")
def _listener(account: Account, args: Arguments) -> dict[str, Any]:
    certificate = args.get("certificate_arn")
    listener = account.client("elbv2").create_listener(**_compact({
        "LoadBalancerArn": args["load_balancer_arn"], "Port": args["port"], "Protocol": args["protocol"],
        "SslPolicy": args.get("ssl_policy"), "Certificates": [{"CertificateArn": certificate}] if certificate else None,
        "DefaultActions": [_listener_action(action) for action in args["default_action"]],
        "Tags": _tag_list(account.tags(args)),
    }))["Listeners"][0]
    attributes = {key: args.get(argument, default) for argument, (key, default) in LISTENER_ATTRIBUTES.items()
                  if argument in args or args["protocol"] == "HTTPS"}
    if attributes:
        account.client("elbv2").modify_listener_attributes(ListenerArn=listener["ListenerArn"], Attributes=[
            {"Key": key, "Value": _text(value)} for key, value in attributes.items() if value is not None])
    return {"arn": listener["ListenerArn"], "id": listener["ListenerArn"]}


LISTENER_ATTRIBUTES = {
    "routing_http_response_strict_transport_security_header_value":
        ("routing.http.response.strict_transport_security.header_value", None),
    "routing_http_response_x_content_type_options_header_value":
        ("routing.http.response.x_content_type_options.header_value", None),
    "routing_http_response_x_frame_options_header_value": ("routing.http.response.x_frame_options.header_value", None),
    "routing_http_response_server_enabled": ("routing.http.response.server.enabled", True),
}
"""aws_lb_listener argument → (listener attribute, AWS's value when unset; None: no header added)."""


@applies("aws_wafv2_web_acl")
def _web_acl(account: Account, args: Arguments) -> dict[str, Any]:
    name = account.name(args)
    summary = account.client("wafv2").create_web_acl(
        Name=name, Scope=args["scope"], DefaultAction=waf_shape(args["default_action"]),
        Rules=waf_shape(args.get("rule", [])), VisibilityConfig=waf_shape(args["visibility_config"]),
        Tags=_tag_list(account.tags(args)),
    )["Summary"]
    return {"arn": summary["ARN"], "id": summary["Id"], "name": name}


@applies("aws_wafv2_web_acl_association")
def _web_acl_association(account: Account, args: Arguments) -> dict[str, Any]:
    account.client("wafv2").associate_web_acl(WebACLArn=args["web_acl_arn"], ResourceArn=args["resource_arn"])
    return {"id": f"{args['web_acl_arn']},{args['resource_arn']}"}


@applies("aws_wafv2_web_acl_logging_configuration")
def _web_acl_logging(account: Account, args: Arguments) -> dict[str, Any]:
    account.client("wafv2").put_logging_configuration(LoggingConfiguration=_compact({
        "ResourceArn": args["resource_arn"], "LogDestinationConfigs": args["log_destination_configs"],
        "RedactedFields": waf_shape(args.get("redacted_fields")) or None}))
    return {"id": args["resource_arn"]}


# --- Hosts, alarms, dashboard ---------------------------------------------------------------------

@applies("aws_sns_topic")
def _topic(account: Account, args: Arguments) -> dict[str, Any]:
    name = account.name(args)
    topic = account.client("sns").create_topic(**_compact({
        "Name": name, "Attributes": _compact({"KmsMasterKeyId": args.get("kms_master_key_id")}),
        "Tags": _tag_list(account.tags(args)) or None}))
    return {"arn": topic["TopicArn"], "id": topic["TopicArn"], "name": name}


@applies("aws_ssm_parameter")
def _parameter(account: Account, args: Arguments) -> dict[str, Any]:
    name = account.name(args)
    ssm = account.client("ssm")
    ssm.put_parameter(**_compact({
        "Name": name, "Description": args.get("description"), "Value": args["value"], "Type": args["type"],
        "Tier": args.get("tier"), "Tags": _tag_list(account.tags(args)) or None}))
    arn = ssm.get_parameter(Name=name)["Parameter"]["ARN"]
    return {"name": name, "id": name, "arn": arn}


def _block_device(mapping: Mapping[str, Any]) -> dict[str, Any]:
    ebs = _one(mapping.get("ebs"))
    return _compact({"DeviceName": mapping["device_name"], "Ebs": {
        "DeleteOnTermination": _bool(ebs.get("delete_on_termination")), "Encrypted": _bool(ebs.get("encrypted")),
        "KmsKeyId": ebs.get("kms_key_id"), "VolumeSize": ebs.get("volume_size"),
        "VolumeType": ebs.get("volume_type")}})


@applies("aws_launch_template")
def _launch_template(account: Account, args: Arguments) -> dict[str, Any]:
    name = account.name(args)
    metadata = _one(args.get("metadata_options"))
    data = _compact({
        "BlockDeviceMappings": [_block_device(mapping) for mapping in args.get("block_device_mappings", [])],
        "EbsOptimized": _bool(args.get("ebs_optimized")),
        "IamInstanceProfile": {"Arn": _one(args.get("iam_instance_profile")).get("arn")},
        "ImageId": args["image_id"], "InstanceType": args["instance_type"],
        "MetadataOptions": {"HttpEndpoint": metadata.get("http_endpoint"), "HttpTokens": metadata.get("http_tokens"),
                            "HttpPutResponseHopLimit": metadata.get("http_put_response_hop_limit"),
                            "InstanceMetadataTags": metadata.get("instance_metadata_tags")},
        "Monitoring": {"Enabled": _bool(_one(args.get("monitoring")).get("enabled"))},
        "NetworkInterfaces": [
            {"DeviceIndex": index, "AssociatePublicIpAddress": _bool(interface.get("associate_public_ip_address")),
             "DeleteOnTermination": _bool(interface.get("delete_on_termination")),
             "Groups": interface.get("security_groups")}
            for index, interface in enumerate(args.get("network_interfaces", []))],
        "TagSpecifications": [{"ResourceType": specification["resource_type"],
                               "Tags": _tag_list(specification["tags"])}
                              for specification in args.get("tag_specifications", [])],
        "UserData": args.get("user_data"),
    })
    template = account.client("ec2").create_launch_template(
        LaunchTemplateName=name, LaunchTemplateData=data,
        TagSpecifications=_tag_specifications("launch-template", account.tags(args)))["LaunchTemplate"]
    return {"id": template["LaunchTemplateId"], "name": name,
            "latest_version": str(template["LatestVersionNumber"])}


@applies("aws_autoscaling_group")
def _autoscaling_group(account: Account, args: Arguments) -> dict[str, Any]:
    """The provider's default_tags do not reach an Auto Scaling group: its ``tag`` blocks are its tags."""
    autoscaling = account.client("autoscaling")
    name = account.name(args)
    template = _one(args["launch_template"])
    autoscaling.create_auto_scaling_group(**_compact({
        "AutoScalingGroupName": name, "MinSize": args["min_size"], "MaxSize": args["max_size"],
        "DesiredCapacity": args.get("desired_capacity"),
        "LaunchTemplate": {"LaunchTemplateId": template["id"], "Version": str(template["version"])},
        "VPCZoneIdentifier": ",".join(args["vpc_zone_identifier"]),
        "TargetGroupARNs": args.get("target_group_arns"), "HealthCheckType": args.get("health_check_type"),
        "HealthCheckGracePeriod": args.get("health_check_grace_period"),
        "Tags": [{"Key": tag["key"], "Value": tag["value"], "PropagateAtLaunch": bool(tag["propagate_at_launch"]),
                  "ResourceId": name, "ResourceType": "auto-scaling-group"} for tag in args.get("tag", [])],
    }))
    if args.get("enabled_metrics"):
        autoscaling.enable_metrics_collection(AutoScalingGroupName=name, Metrics=args["enabled_metrics"],
                                              Granularity=args.get("metrics_granularity", "1Minute"))
    return {"name": name, "id": name}


def _metric_query(query: Mapping[str, Any]) -> dict[str, Any]:
    """A ``metric_query`` block in the CloudWatch API's shape."""
    if "expression" in query:
        return _compact({"Id": query["id"], "Expression": query["expression"], "Label": query.get("label"),
                         "ReturnData": query.get("return_data")})
    metric = _one(query["metric"])
    return _compact({"Id": query["id"], "ReturnData": query.get("return_data"), "MetricStat": {
        "Metric": {"Namespace": metric["namespace"], "MetricName": metric["metric_name"],
                   "Dimensions": [{"Name": key, "Value": value}
                                  for key, value in metric.get("dimensions", {}).items()]},
        "Period": metric["period"], "Stat": metric["stat"], "Unit": metric.get("unit")}})


@applies("aws_cloudwatch_metric_alarm")
def _alarm(account: Account, args: Arguments) -> dict[str, Any]:
    name = account.name(args, "alarm_name")
    parameters: dict[str, Any] = {
        "AlarmName": name, "AlarmDescription": args.get("alarm_description"),
        "ComparisonOperator": args["comparison_operator"], "EvaluationPeriods": args["evaluation_periods"],
        "DatapointsToAlarm": args.get("datapoints_to_alarm"), "Threshold": float(args["threshold"]),
        "TreatMissingData": args.get("treat_missing_data"), "AlarmActions": args.get("alarm_actions", []),
        "OKActions": args.get("ok_actions", []), "InsufficientDataActions": args.get("insufficient_data_actions", []),
        "Tags": _tag_list(account.tags(args)) or None,
    }
    if "metric_query" in args:
        parameters["Metrics"] = [_metric_query(query) for query in args["metric_query"]]
    else:
        parameters.update({
            "Namespace": args["namespace"], "MetricName": args["metric_name"], "Period": args["period"],
            "Statistic": args.get("statistic"), "ExtendedStatistic": args.get("extended_statistic"),
            "Unit": args.get("unit"),
            "Dimensions": [{"Name": key, "Value": value} for key, value in (args.get("dimensions") or {}).items()]})
    account.client("cloudwatch").put_metric_alarm(**_compact(parameters))
    return {"alarm_name": name, "id": name}


@applies("aws_cloudwatch_dashboard")
def _dashboard(account: Account, args: Arguments) -> dict[str, Any]:
    name = account.name(args, "dashboard_name")
    account.client("cloudwatch").put_dashboard(DashboardName=name, DashboardBody=args["dashboard_body"])
    return {"dashboard_name": name, "id": name}


# --- Database -------------------------------------------------------------------------------------

@applies("aws_db_subnet_group")
def _db_subnet_group(account: Account, args: Arguments) -> dict[str, Any]:
    name = account.name(args)
    account.client("rds").create_db_subnet_group(
        DBSubnetGroupName=name, DBSubnetGroupDescription=args.get("description", "Managed by Terraform"),
        SubnetIds=args["subnet_ids"], Tags=_tag_list(account.tags(args)))
    return {"name": name, "id": name}


@applies("aws_rds_cluster_parameter_group")
def _db_cluster_parameter_group(account: Account, args: Arguments) -> dict[str, Any]:
    rds = account.client("rds")
    name = account.name(args)
    rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName=name, DBParameterGroupFamily=args["family"],
        Description=args.get("description", "Managed by Terraform"), Tags=_tag_list(account.tags(args)))
    parameters = [_compact({"ParameterName": parameter["name"], "ParameterValue": str(parameter["value"]),
                            "ApplyMethod": parameter.get("apply_method")}) for parameter in args.get("parameter", [])]
    if parameters:
        rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName=name, Parameters=parameters)
    return {"name": name, "id": name}


RDS_CLUSTER_PARAMETERS = {
    "engine": "Engine", "engine_version": "EngineVersion", "db_cluster_instance_class": "DBClusterInstanceClass",
    "allocated_storage": "AllocatedStorage", "storage_type": "StorageType", "iops": "Iops",
    "storage_encrypted": "StorageEncrypted", "kms_key_id": "KmsKeyId",
    "backup_retention_period": "BackupRetentionPeriod", "preferred_backup_window": "PreferredBackupWindow",
    "preferred_maintenance_window": "PreferredMaintenanceWindow", "copy_tags_to_snapshot": "CopyTagsToSnapshot",
    "deletion_protection": "DeletionProtection", "database_name": "DatabaseName", "port": "Port",
    "master_username": "MasterUsername", "manage_master_user_password": "ManageMasterUserPassword",
    "master_user_secret_kms_key_id": "MasterUserSecretKmsKeyId",
    "db_cluster_parameter_group_name": "DBClusterParameterGroupName", "db_subnet_group_name": "DBSubnetGroupName",
    "vpc_security_group_ids": "VpcSecurityGroupIds", "enabled_cloudwatch_logs_exports": "EnableCloudwatchLogsExports",
    "monitoring_interval": "MonitoringInterval", "monitoring_role_arn": "MonitoringRoleArn",
    "performance_insights_enabled": "EnablePerformanceInsights",
    "performance_insights_kms_key_id": "PerformanceInsightsKMSKeyId",
    "performance_insights_retention_period": "PerformanceInsightsRetentionPeriod",
}
"""aws_rds_cluster argument → CreateDBCluster parameter."""


@applies("aws_rds_cluster")
def _db_cluster(account: Account, args: Arguments) -> dict[str, Any]:
    rds = account.client("rds")
    identifier = account.name(args, "cluster_identifier", "cluster_identifier_prefix")
    parameters = {parameter: args.get(argument) for argument, parameter in RDS_CLUSTER_PARAMETERS.items()}
    cluster = rds.create_db_cluster(**_compact({"DBClusterIdentifier": identifier, **parameters,
                                                "Tags": _tag_list(account.tags(args))}))["DBCluster"]
    secret = cluster.get("MasterUserSecret")
    return {"cluster_identifier": identifier, "id": identifier, "arn": cluster["DBClusterArn"],
            "endpoint": cluster["Endpoint"], "reader_endpoint": cluster["ReaderEndpoint"], "port": cluster["Port"],
            "master_user_secret": [{"secret_arn": secret["SecretArn"], "kms_key_id": secret.get("KmsKeyId"),
                                    "secret_status": secret.get("SecretStatus")}] if secret else []}


# --- What AWS does that moto does not, and what only a live site produces -------------------------

def _emulate_aws(account: Account, document: Mapping[str, Any], outputs: Mapping[str, str],
                 breakage: Breakage | None) -> None:
    instances = _launch_with_template_settings(account, document)
    members = 1 if breakage is Breakage.SINGLE_AZ_DATABASE else MULTI_AZ_DB_CLUSTER_MEMBERS
    for address, body in resources(document, "aws_rds_cluster"):
        if not str(body["engine"]).startswith("aurora"):
            _multi_az_db_cluster_members(account, account.state[address]["cluster_identifier"], members)
    silent = {instances[-1][0]} if breakage is Breakage.SILENT_HOST else set()
    load_balancers = [account.state[address]["arn_suffix"] for address, _ in resources(document, "aws_lb")]
    _traffic(account.client("cloudwatch"), load_balancers, instances, silent)


def _launch_with_template_settings(account: Account, document: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(instance id, tier tag) of every host; gives each its launch template's metadata options and profile.

    AWS launches an Auto Scaling group's instances with the template's MetadataOptions and
    IamInstanceProfile; moto's Auto Scaling ignores both, so they are applied here, read
    back from the template moto stored.
    """
    ec2, autoscaling = account.client("ec2"), account.client("autoscaling")
    names = [account.state[address]["name"] for address, _ in resources(document, "aws_autoscaling_group")]
    instances: list[tuple[str, str]] = []
    for group in autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=names)["AutoScalingGroups"]:
        template = group["LaunchTemplate"]
        data = ec2.describe_launch_template_versions(LaunchTemplateId=template["LaunchTemplateId"],
                                                     Versions=[template["Version"]])
        launch = data["LaunchTemplateVersions"][0]["LaunchTemplateData"]
        tier = {tag["Key"]: tag["Value"] for tag in group.get("Tags", [])}.get(TIER_TAG, "")
        for instance in group["Instances"]:
            if "MetadataOptions" in launch:
                ec2.modify_instance_metadata_options(InstanceId=instance["InstanceId"], **launch["MetadataOptions"])
            if "IamInstanceProfile" in launch:
                ec2.associate_iam_instance_profile(InstanceId=instance["InstanceId"],
                                                   IamInstanceProfile=launch["IamInstanceProfile"])
            instances.append((instance["InstanceId"], tier))
    return instances


def _multi_az_db_cluster_members(account: Account, identifier: str, members: int) -> None:
    """The writer and readers AWS creates with a Multi-AZ DB cluster, one per zone of its subnet group."""
    rds = account.client("rds")
    cluster = rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"][0]
    subnet_group = rds.describe_db_subnet_groups(DBSubnetGroupName=cluster["DBSubnetGroup"])["DBSubnetGroups"][0]
    zones = sorted({subnet["SubnetAvailabilityZone"]["Name"] for subnet in subnet_group["Subnets"]})
    for index in range(members):
        rds.create_db_instance(DBInstanceIdentifier=f"{identifier}-{index}", DBClusterIdentifier=identifier,
                               Engine=cluster["Engine"], DBInstanceClass=cluster["DBClusterInstanceClass"],
                               AvailabilityZone=zones[index % len(zones)])


def _traffic(cloudwatch, load_balancers: Iterable[str], instances: list[tuple[str, str]], silent: set[str]) -> None:
    """Three minutes of requests at the load balancer and on every host, and the agent's memory metric."""
    minute = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    times = [minute - timedelta(minutes=offset) for offset in (3, 2, 1)]
    for load_balancer in load_balancers:
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


# --- Faults ---------------------------------------------------------------------------------------

def made_by(document: Mapping[str, Any], resource_type: str, construct: str, path: str) -> list[dict[str, Any]]:
    """Bodies of the ``resource_type`` resources our ``construct`` recorded at ``path`` inside itself."""
    provenance = document["//"]["secure_web"]["resources"]
    found = [body for _, body in resources(document, resource_type)
             if provenance.get(body["//"]["metadata"]["path"]) == {"construct": construct, "path": path}]
    if not found:
        raise StackNotEmulated(f"the stack has no {resource_type} {path!r} made by {construct}")
    return found


def _over_http(document: dict[str, Any], path: str) -> dict[str, Any]:
    for body in made_by(document, "aws_lb_target_group", "SecureWebTier", path):
        body["protocol"] = "HTTP"
        body["health_check"] = {**_one(body.get("health_check")), "protocol": "HTTP"}
    return document


def _http_target_group(document: dict[str, Any]) -> dict[str, Any]:
    return _over_http(document, "web-targets")


def _app_http_target_group(document: dict[str, Any]) -> dict[str, Any]:
    return _over_http(document, "app-targets")


def _internet_facing_app_alb(document: dict[str, Any]) -> dict[str, Any]:
    for body in made_by(document, "aws_lb", "SecureWebTier", "app-alb"):
        body["internal"] = False
    return document


def _web_acl_without_rules(document: dict[str, Any]) -> dict[str, Any]:
    for _, body in resources(document, "aws_wafv2_web_acl"):
        body["rule"] = []
    return document


DOCUMENT_FAULTS: dict[Breakage | None, Callable[[dict[str, Any]], dict[str, Any]]] = {
    Breakage.HTTP_TARGET_GROUP: _http_target_group,
    Breakage.WAF_WITHOUT_RULES: _web_acl_without_rules,
    Breakage.APP_HTTP_TARGET_GROUP: _app_http_target_group,
    Breakage.INTERNET_FACING_APP_ALB: _internet_facing_app_alb,
}
"""Faults written into the stack before it is applied: the stack a user weakened."""


def _ssh_from_world(account: Account, outputs: Mapping[str, str]) -> None:
    account.client("ec2").authorize_security_group_ingress(GroupId=outputs["web_security_group_id"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])


def _no_low_alarm(account: Account, outputs: Mapping[str, str]) -> None:
    account.client("cloudwatch").delete_alarms(AlarmNames=[outputs["qps_low_alarm"]])


def _imdsv1_host(account: Account, outputs: Mapping[str, str]) -> None:
    group = account.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[outputs["web_autoscaling_group"]])["AutoScalingGroups"][0]
    # moto replaces an instance's metadata options with those given, where AWS changes only those: keep the endpoint.
    account.client("ec2").modify_instance_metadata_options(InstanceId=group["Instances"][0]["InstanceId"],
                                                           HttpTokens="optional", HttpEndpoint="enabled")


def _no_waf(account: Account, outputs: Mapping[str, str]) -> None:
    account.client("wafv2").disassociate_web_acl(ResourceArn=outputs["alb_arn"])


def _common_rule_set_counts(account: Account, outputs: Mapping[str, str]) -> None:
    wafv2 = account.client("wafv2")
    summary = wafv2.get_web_acl_for_resource(ResourceArn=outputs["alb_arn"])["WebACL"]
    current = wafv2.get_web_acl(Name=summary["Name"], Scope="REGIONAL", Id=summary["Id"])
    acl = current["WebACL"]
    rules = [_compact({**rule, "OverrideAction": {"Count": {}}})
             if rule["Statement"].get("ManagedRuleGroupStatement", {}).get("Name") == COMMON_RULE_SET[1]
             else _compact(rule) for rule in acl["Rules"]]
    wafv2.update_web_acl(Name=acl["Name"], Scope="REGIONAL", Id=acl["Id"], DefaultAction=acl["DefaultAction"],
                         Rules=rules, VisibilityConfig=acl["VisibilityConfig"], LockToken=current["LockToken"])


def _no_connection_logs(account: Account, outputs: Mapping[str, str]) -> None:
    account.client("elbv2").modify_load_balancer_attributes(
        LoadBalancerArn=outputs["alb_arn"], Attributes=[{"Key": "connection_logs.s3.enabled", "Value": "false"}])


def _app_listener_hsts_host_only(account: Account, outputs: Mapping[str, str]) -> None:
    elbv2 = account.client("elbv2")
    (listener,) = elbv2.describe_listeners(LoadBalancerArn=outputs["app_load_balancer_arn"])["Listeners"]
    elbv2.modify_listener_attributes(ListenerArn=listener["ListenerArn"], Attributes=[
        {"Key": "routing.http.response.strict_transport_security.header_value", "Value": "max-age=63072000"}])


def _database_acl_admits_world(account: Account, outputs: Mapping[str, str]) -> None:
    rds, ec2 = account.client("rds"), account.client("ec2")
    cluster = rds.describe_db_clusters(DBClusterIdentifier=outputs["db_cluster_identifier"])["DBClusters"][0]
    group = rds.describe_db_subnet_groups(DBSubnetGroupName=cluster["DBSubnetGroup"])["DBSubnetGroups"][0]
    subnet = group["Subnets"][0]["SubnetIdentifier"]
    (acl,) = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["NetworkAcls"]
    ec2.create_network_acl_entry(NetworkAclId=acl["NetworkAclId"], RuleNumber=90, Protocol="6", RuleAction="allow",
                                 Egress=False, CidrBlock="0.0.0.0/0", PortRange={"From": 3306, "To": 3306})


def _default_acl_allows_all(account: Account, outputs: Mapping[str, str]) -> None:
    ec2 = account.client("ec2")
    balancer = account.client("elbv2").describe_load_balancers(LoadBalancerArns=[outputs["alb_arn"]])["LoadBalancers"][0]
    (acl,) = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [balancer["VpcId"]]},
                                                {"Name": "default", "Values": ["true"]}])["NetworkAcls"]
    ec2.create_network_acl_entry(NetworkAclId=acl["NetworkAclId"], RuleNumber=100, Protocol="-1", RuleAction="allow",
                                 Egress=False, CidrBlock="0.0.0.0/0")


def _old_tls_policy(account: Account, outputs: Mapping[str, str]) -> None:
    account.client("elbv2").modify_listener(ListenerArn=outputs["https_listener_arn"], SslPolicy=OLD_TLS_POLICY)


def _http_forwarded(account: Account, outputs: Mapping[str, str]) -> None:
    elbv2 = account.client("elbv2")
    listeners = elbv2.describe_listeners(LoadBalancerArn=outputs["alb_arn"])["Listeners"]
    http = next(listener for listener in listeners if listener["Protocol"] == "HTTP")
    elbv2.modify_listener(ListenerArn=http["ListenerArn"],
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": outputs["target_group_arn"]}])


def _public_log_bucket(account: Account, outputs: Mapping[str, str]) -> None:
    account.client("s3").delete_public_access_block(Bucket=outputs["access_log_bucket"])


def _short_backups(account: Account, outputs: Mapping[str, str]) -> None:
    account.client("rds").modify_db_cluster(DBClusterIdentifier=outputs["db_cluster_identifier"],
                                            BackupRetentionPeriod=1, ApplyImmediately=True)


def _stale_alarm(account: Account, outputs: Mapping[str, str]) -> None:
    account.client("cloudwatch").set_alarm_state(AlarmName=outputs["qps_high_alarm"], StateValue="INSUFFICIENT_DATA",
                                                 StateReason="no data yet")


def _app_http_listener(account: Account, outputs: Mapping[str, str]) -> None:
    account.client("elbv2").create_listener(
        LoadBalancerArn=outputs["app_load_balancer_arn"], Port=80, Protocol="HTTP",
        DefaultActions=[{"Type": "forward", "TargetGroupArn": outputs["app_target_group_arn"]}])


def _web_to_app_direct(account: Account, outputs: Mapping[str, str]) -> None:
    ec2, web, app = account.client("ec2"), outputs["web_security_group_id"], outputs["app_security_group_id"]
    ec2.authorize_security_group_ingress(GroupId=app, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 8443, "ToPort": 8443, "UserIdGroupPairs": [{"GroupId": web}]}])
    ec2.authorize_security_group_egress(GroupId=web, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 8443, "ToPort": 8443, "UserIdGroupPairs": [{"GroupId": app}]}])


def _app_role(account: Account, outputs: Mapping[str, str]) -> str:
    return _host_role(account, outputs["app_autoscaling_group"])


def _host_role(account: Account, group_name: str) -> str:
    group = account.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[group_name])["AutoScalingGroups"][0]
    template = group["LaunchTemplate"]
    data = account.client("ec2").describe_launch_template_versions(
        LaunchTemplateId=template["LaunchTemplateId"], Versions=[template["Version"]])
    profile = data["LaunchTemplateVersions"][0]["LaunchTemplateData"]["IamInstanceProfile"]["Arn"]
    iam = account.client("iam")
    return iam.get_instance_profile(InstanceProfileName=profile.rsplit("/", 1)[-1])["InstanceProfile"]["Roles"][0][
        "RoleName"]


def _wide_app_role_policy(account: Account, outputs: Mapping[str, str]) -> None:
    iam, role, name = account.client("iam"), _app_role(account, outputs), "database-access"
    document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    for statement in document["Statement"]:
        if statement["Action"] == "secretsmanager:GetSecretValue":
            statement["Resource"] = "*"
    iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(document))


def _host_role_gets_agent_guide_policy(account: Account, outputs: Mapping[str, str]) -> None:
    role = _host_role(account, outputs["web_autoscaling_group"])
    account.client("iam").attach_role_policy(RoleName=role,
                                             PolicyArn="arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy")


def _host_policy_may_shorten_retention(account: Account, outputs: Mapping[str, str]) -> None:
    iam, role = account.client("iam"), _host_role(account, outputs["web_autoscaling_group"])
    document = iam.get_role_policy(RoleName=role, PolicyName="host-agent")["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    for statement in document["Statement"]:
        if statement.get("Sid") == "AgentLogs":
            statement["Action"] = [*statement["Action"], "logs:PutRetentionPolicy"]
    iam.put_role_policy(RoleName=role, PolicyName="host-agent", PolicyDocument=json.dumps(document))


def _password_in_database_config(account: Account, outputs: Mapping[str, str]) -> None:
    ssm, name = account.client("ssm"), outputs["database_config_parameter_name"]
    value = json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    ssm.put_parameter(Name=name, Type="String", Overwrite=True,
                      Value=json.dumps({**value, "password": "change-me-before-launch"}))


ACCOUNT_FAULTS: dict[Breakage | None, Callable[[Account, Mapping[str, str]], None]] = {
    Breakage.SSH_FROM_WORLD: _ssh_from_world,
    Breakage.NO_QPS_LOW_ALARM: _no_low_alarm,
    Breakage.IMDSV1_HOST: _imdsv1_host,
    Breakage.NO_WAF: _no_waf,
    Breakage.WAF_RULE_COUNTS: _common_rule_set_counts,
    Breakage.OLD_TLS_POLICY: _old_tls_policy,
    Breakage.HTTP_FORWARDED: _http_forwarded,
    Breakage.PUBLIC_LOG_BUCKET: _public_log_bucket,
    Breakage.SHORT_BACKUPS: _short_backups,
    Breakage.STALE_ALARM: _stale_alarm,
    Breakage.APP_HTTP_LISTENER: _app_http_listener,
    Breakage.WEB_TO_APP_DIRECT: _web_to_app_direct,
    Breakage.WIDE_APP_ROLE_POLICY: _wide_app_role_policy,
    Breakage.HOST_ROLE_AGENT_GUIDE_POLICY: _host_role_gets_agent_guide_policy,
    Breakage.HOST_POLICY_MAY_SHORTEN_RETENTION: _host_policy_may_shorten_retention,
    Breakage.PASSWORD_IN_DATABASE_CONFIG: _password_in_database_config,
    Breakage.NO_CONNECTION_LOGS: _no_connection_logs,
    Breakage.APP_LISTENER_HSTS_HOST_ONLY: _app_listener_hsts_host_only,
    Breakage.DATABASE_ACL_ADMITS_WORLD: _database_acl_admits_world,
    Breakage.DEFAULT_ACL_ALLOWS_ALL: _default_acl_allows_all,
}
"""Faults made in the applied account: drift after deploy. SINGLE_AZ_DATABASE and SILENT_HOST change the emulation."""

