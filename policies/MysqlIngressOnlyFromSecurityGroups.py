"""CKV_SWEB_006: MySQL (3306) is reachable only from named security groups, never from address ranges."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import INGRESS_RULE_TYPES, ingress_rules

MYSQL_PORT = 3306


class MysqlIngressOnlyFromSecurityGroups(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that ingress to MySQL port 3306 comes only from referenced security groups",
            id="CKV_SWEB_006", categories=[CheckCategories.NETWORKING],
            supported_resources=list(INGRESS_RULE_TYPES),
        )

    def scan_resource_conf(self, conf):
        rules = [rule for rule in ingress_rules(self.entity_type, conf) if rule.opens(MYSQL_PORT)]
        if not rules:
            return CheckResult.UNKNOWN
        self.evaluated_keys = ["referenced_security_group_id", "cidr_ipv4", "cidr_ipv6", "prefix_list_id"]
        only_groups = all(rule.groups and not rule.cidrs and not rule.prefix_lists for rule in rules)
        return CheckResult.PASSED if only_groups else CheckResult.FAILED


check = MysqlIngressOnlyFromSecurityGroups()
