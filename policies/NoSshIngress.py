"""CKV_SWEB_005: no security group opens the SSH port, from anywhere; hosts are reached through SSM."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import INGRESS_RULE_TYPES, ingress_rules

SSH_PORT = 22


class NoSshIngress(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that no security group allows ingress to the SSH port 22 from any source",
            id="CKV_SWEB_005", categories=[CheckCategories.NETWORKING],
            supported_resources=list(INGRESS_RULE_TYPES),
        )

    def scan_resource_conf(self, conf):
        self.evaluated_keys = ["from_port", "to_port", "ip_protocol", "ingress"]
        rules = ingress_rules(self.entity_type, conf)
        return CheckResult.FAILED if any(rule.opens(SSH_PORT) for rule in rules) else CheckResult.PASSED


check = NoSshIngress()
