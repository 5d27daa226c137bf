"""CKV_SWEB_017: app hosts are reached only through an internal load balancer, never straight from the web hosts.

Seed flaw 3 ("every server runs web + app + database"), kept apart at the network: the
app tier's only way in is the internal load balancer in front of it. Security groups are
known by the role our hosts record on them (tag ``secure-web:role`` = ``app`` / ``web``).
Judged are the ingress permissions of app-role groups, which pass only when every source
is a security group attached to an internal load balancer of the stack (no address
range, prefix list, ``self`` or other group: the web hosts' group in particular), and the
egress permissions of web-role groups, which fail when they name an app-role group.
Other rules are not this check's concern.
"""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import RULE_TYPES, Stack, entity_name, load_balancer_groups, references, rule_group, rules, stack_for

ROLE_TAG = "secure-web:role"


def groups_with_role(stack: Stack, role: str) -> set[str]:
    """Names of the aws_security_group resources tagged ``secure-web:role`` = ``role``."""
    return {name for _, name, group in stack.of_type("aws_security_group")
            if (group.get("tags") or {}).get(ROLE_TAG) == role}


def peer_groups(peers: tuple[str, ...]) -> set[str]:
    """The aws_security_group names ``peers`` reference; a literal id or "self" stays as written."""
    found = set()
    for peer in peers:
        named = {name for kind, name in references(peer) if kind == "aws_security_group"}
        found |= named or {peer}
    return found


class AppHostsReachedOnlyThroughLoadBalancer(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that app hosts admit traffic only from internal load balancers and web hosts do not reach "
                 "them directly",
            id="CKV_SWEB_017", categories=[CheckCategories.NETWORKING],
            supported_resources=list(RULE_TYPES),
        )

    def scan_resource_conf(self, conf):
        kind = self.entity_type
        stack = stack_for(self)
        owners = rule_group(kind, conf, entity_name(self))
        app_groups = groups_with_role(stack, "app")
        on_app_group, on_web_group = bool(owners & app_groups), bool(owners & groups_with_role(stack, "web"))
        ingress = rules(kind, conf, "ingress") if on_app_group else []
        egress = rules(kind, conf, "egress") if on_web_group else []
        if not (ingress or egress or (kind == "aws_security_group" and (on_app_group or on_web_group))):
            return CheckResult.UNKNOWN
        self.evaluated_keys = ["referenced_security_group_id", "source_security_group_id", "security_groups",
                               "cidr_ipv4", "cidr_ipv6", "cidr_blocks", "ipv6_cidr_blocks", "prefix_list_id", "self"]
        internal = load_balancer_groups(stack, internal=True)
        from_internal_load_balancers = all(
            not rule.cidrs and not rule.prefix_lists and rule.groups and peer_groups(rule.groups) <= internal
            for rule in ingress)
        around_the_load_balancer = any(peer_groups(rule.groups) & app_groups for rule in egress)
        return CheckResult.PASSED if from_internal_load_balancers and not around_the_load_balancer \
            else CheckResult.FAILED

check = AppHostsReachedOnlyThroughLoadBalancer()
