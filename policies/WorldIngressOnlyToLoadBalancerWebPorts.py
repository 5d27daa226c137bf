"""CKV_SWEB_004: only a load balancer's security group admits the internet, and only on 80 and 443.

Seed requirement: a firewall in front of every server; the servers take traffic from the load balancer only.
"""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import INGRESS_RULE_TYPES, entity_name, ingress_rules, load_balancer_groups, rule_group, stack_for

WEB_PORTS = ((80, 80), (443, 443))


class WorldIngressOnlyToLoadBalancerWebPorts(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that only load balancer security groups allow ingress from 0.0.0.0/0 or ::/0, on 80/443 only",
            id="CKV_SWEB_004", categories=[CheckCategories.NETWORKING],
            supported_resources=list(INGRESS_RULE_TYPES),
        )

    def scan_resource_conf(self, conf):
        kind = self.entity_type
        world_rules = [rule for rule in ingress_rules(kind, conf) if rule.from_world]
        if not world_rules:
            return CheckResult.PASSED
        self.evaluated_keys = ["cidr_ipv4", "cidr_ipv6", "cidr_blocks", "ipv6_cidr_blocks", "from_port", "to_port"]
        if not all(rule.protocol in ("tcp", "6") and rule.ports in WEB_PORTS for rule in world_rules):
            return CheckResult.FAILED
        return CheckResult.PASSED if self._guards_load_balancer(kind, conf) else CheckResult.FAILED

    def _guards_load_balancer(self, kind, conf):
        groups = rule_group(kind, conf, entity_name(self))
        return bool(groups) and groups <= load_balancer_groups(stack_for(self))


check = WorldIngressOnlyToLoadBalancerWebPorts()
