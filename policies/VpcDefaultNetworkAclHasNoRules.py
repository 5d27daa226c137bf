"""CKV_SWEB_025: a VPC's default network ACL is managed and has no rules, so a subnet nobody placed denies everything.

A new subnet is associated with the default network ACL until someone associates another,
and AWS creates that ACL allowing all traffic both ways. A VPC passes when the stack holds an
``aws_default_network_acl`` for its ``default_network_acl_id`` with no ``ingress`` and no
``egress`` rule (Terraform then removes AWS's allow-all entries). Subnets get their own ACLs.
"""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import REFERENCE, blocks, entity_name, stack_for


class VpcDefaultNetworkAclHasNoRules(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that the VPC's default network ACL is managed with no rules (it denies all traffic)",
            id="CKV_SWEB_025", categories=[CheckCategories.NETWORKING],
            supported_resources=["aws_vpc"],
        )

    def scan_resource_conf(self, conf):
        self.evaluated_keys = ["id"]
        vpc = entity_name(self)
        managed = [acl for _, _, acl in stack_for(self).of_type("aws_default_network_acl")
                   if any((data, kind, name, attribute) == ("", "aws_vpc", vpc, "default_network_acl_id")
                          for data, kind, name, attribute in REFERENCE.findall(str(acl.get("default_network_acl_id"))))]
        closed = bool(managed) and all(not blocks(acl, "ingress") and not blocks(acl, "egress") for acl in managed)
        return CheckResult.PASSED if closed else CheckResult.FAILED


check = VpcDefaultNetworkAclHasNoRules()
