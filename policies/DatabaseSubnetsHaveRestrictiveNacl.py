"""CKV_SWEB_026: the database's subnets sit behind a network ACL that admits only TCP from inside the VPC.

Security groups are the first filter; a network ACL on the isolated subnets is the second,
so one mistaken group rule cannot open the database to the internet or to every protocol.
A database (``aws_rds_cluster``, ``aws_db_instance``) passes when each subnet of its subnet
group is listed in an ``aws_network_acl`` whose ingress allow rules are all TCP, on a port
range (not protocol ``-1``), from an IPv4 block that is not the world's and lies inside the
VPC's block, and whose egress allow rules are TCP to such blocks too (replies and
replication stay inside the VPC). Rules given as ``aws_network_acl_rule`` and associations
given as ``aws_network_acl_association`` count the same; a subnet with no ACL, or with
more than one claiming it, fails.
"""

import ipaddress

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import WORLD_CIDRS, as_list, blocks, first, references, stack_for

DATABASE_TYPES = ("aws_rds_cluster", "aws_db_instance")


def _inside(cidr: object, vpc_cidrs: list[str]) -> bool:
    try:
        block = ipaddress.ip_network(str(cidr))
        return str(cidr) not in WORLD_CIDRS and any(block.subnet_of(ipaddress.ip_network(vpc)) for vpc in vpc_cidrs)
    except (TypeError, ValueError):
        return False  # unresolved or IPv6 blocks are not judged safe


def _rule_is_narrow(rule: dict, vpc_cidrs: list[str]) -> bool:
    if str(first(rule, "action", first(rule, "rule_action", ""))).lower() != "allow":
        return True
    protocol = str(first(rule, "protocol", "")).lower()
    return protocol in ("tcp", "6") and _inside(first(rule, "cidr_block"), vpc_cidrs) \
        and not first(rule, "ipv6_cidr_block")


class DatabaseSubnetsHaveRestrictiveNacl(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that the database's subnets have a network ACL admitting only TCP from inside the VPC",
            id="CKV_SWEB_026", categories=[CheckCategories.NETWORKING],
            supported_resources=list(DATABASE_TYPES),
        )

    def scan_resource_conf(self, conf):
        self.evaluated_keys = ["db_subnet_group_name"]
        stack = stack_for(self)
        subnet_groups = stack.referenced(conf.get("db_subnet_group_name"), "aws_db_subnet_group")
        subnets = {name for _, group in subnet_groups for kind, name in references(group.get("subnet_ids"))
                   if kind == "aws_subnet"}
        if not subnets:
            return CheckResult.FAILED
        standalone = {}
        for _, _, rule in stack.of_type("aws_network_acl_rule"):
            for _, acl_name in references(rule.get("network_acl_id")):
                standalone.setdefault(acl_name, []).append(rule)
        for subnet in subnets:
            subnet_conf = stack.get("aws_subnet", subnet) or {}
            vpc_cidrs = [str(first(vpc, "cidr_block")) for _, vpc in stack.referenced(subnet_conf.get("vpc_id"), "aws_vpc")]
            associated = {acl for _, _, link in stack.of_type("aws_network_acl_association")
                          if ("aws_subnet", subnet) in references(link.get("subnet_id"))
                          for kind, acl in references(link.get("network_acl_id")) if kind == "aws_network_acl"}
            acls = [(name, acl) for _, name, acl in stack.of_type("aws_network_acl")
                    if name in associated or ("aws_subnet", subnet) in references(as_list(acl.get("subnet_ids")))]
            if len(acls) != 1 or not vpc_cidrs:
                return CheckResult.FAILED
            name, acl = acls[0]
            rules = blocks(acl, "ingress") + blocks(acl, "egress") + standalone.get(name, [])
            if not all(_rule_is_narrow(rule, vpc_cidrs) for rule in rules):
                return CheckResult.FAILED
        return CheckResult.PASSED


check = DatabaseSubnetsHaveRestrictiveNacl()
