"""Security-group wiring that reads like prose: ``db.connections.allow_default_port_from(app.connections)``.

Every rule is its own ``aws_vpc_security_group_*_rule`` with a description;
rules between tiers reference security groups, never CIDR ranges.
"""

from __future__ import annotations

from constructs import Construct

from .aws import resource_module

TCP = "tcp"


class Connections:
    """The ingress and egress rules of one security group."""

    def __init__(self, scope: Construct, security_group_id: str, *, default_port: int) -> None:
        self._scope = scope
        self.security_group_id = security_group_id
        self.default_port = default_port
        self._count = 0

    def _next_id(self, kind: str, port: int) -> str:
        self._count += 1
        return f"{kind}-{port}-{self._count}"

    def allow_default_port_from(self, other: "Connections", description: str) -> None:
        """Let ``other``'s group reach this group's default port (and let ``other`` send it there)."""
        self.allow_from(other, self.default_port, description)

    def allow_from(self, other: "Connections", port: int, description: str) -> None:
        """Ingress on ``port`` from ``other``'s group, with the matching egress rule on ``other``."""
        resource_module("vpc_security_group_ingress_rule").VpcSecurityGroupIngressRule(
            self._scope, self._next_id("ingress", port), security_group_id=self.security_group_id,
            referenced_security_group_id=other.security_group_id, ip_protocol=TCP, from_port=port, to_port=port,
            description=description,
        )
        other._egress_to_group(self, port, description)

    def _egress_to_group(self, target: "Connections", port: int, description: str) -> None:
        resource_module("vpc_security_group_egress_rule").VpcSecurityGroupEgressRule(
            self._scope, self._next_id("egress", port), security_group_id=self.security_group_id,
            referenced_security_group_id=target.security_group_id, ip_protocol=TCP, from_port=port, to_port=port,
            description=description,
        )

    def allow_from_cidr(self, cidr: str, port: int, description: str) -> None:
        """Ingress on ``port`` from an address range (only the load balancer takes this from the world)."""
        rule = resource_module("vpc_security_group_ingress_rule").VpcSecurityGroupIngressRule
        address = {"cidr_ipv6": cidr} if ":" in cidr else {"cidr_ipv4": cidr}
        rule(self._scope, self._next_id("ingress", port), security_group_id=self.security_group_id,
             ip_protocol=TCP, from_port=port, to_port=port, description=description, **address)

    def allow_egress_to_cidr(self, cidr: str, port: int, description: str) -> None:
        """Egress on ``port`` to an address range."""
        rule = resource_module("vpc_security_group_egress_rule").VpcSecurityGroupEgressRule
        address = {"cidr_ipv6": cidr} if ":" in cidr else {"cidr_ipv4": cidr}
        rule(self._scope, self._next_id("egress", port), security_group_id=self.security_group_id,
             ip_protocol=TCP, from_port=port, to_port=port, description=description, **address)
