"""The design requirements of the secure web tier and the checks that enforce each one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Requirement:
    title: str
    quote: str
    """The seed requirement or flaw, as the design states it."""
    checks: tuple[str, ...]


REQUIREMENTS = (
    Requirement("Deployable", "cdktf deploy hands the synthesized JSON to Terraform, which must accept it.",
                ("TF_OFFLINE_VALIDATE",)),
    Requirement("Firewalls", "A firewall in front of every server; only the load balancer faces the internet.",
                ("CKV_SWEB_004", "CKV_SWEB_005", "CKV_SWEB_006", "CKV_AWS_23", "CKV_AWS_24", "CKV_AWS_25",
                 "CKV_AWS_260", "CKV_AWS_277", "CKV2_AWS_12", "CKV2_AWS_28")),
    Requirement("HTTPS", "The site is served over HTTPS; HTTP only redirects.",
                ("CKV_SWEB_001", "CKV_SWEB_002", "CKV_AWS_2", "CKV_AWS_103", "CKV2_AWS_20")),
    Requirement("Monitoring", "Every server is monitored.",
                ("CKV_SWEB_011", "CKV_SWEB_015", "CKV_AWS_91", "CKV_AWS_319", "CKV_AWS_338", "CKV2_AWS_11")),
    Requirement("QPS", "Monitoring includes queries per second, and someone is told when it is abnormal.",
                ("CKV_SWEB_012",)),
    Requirement("Flaw 1: TLS to the servers",
                "SSL terminated at the load balancer leaves traffic to the servers in clear text.",
                ("CKV_SWEB_003", "CKV_AWS_261")),
    Requirement("Flaw 2: database failover",
                "Only one MySQL server accepts writes: a single point of failure.",
                ("CKV_SWEB_007", "CKV_SWEB_008", "CKV_SWEB_009")),
    Requirement("Flaw 3: separate tiers", "Every server runs web + app + database.",
                ("CKV_SWEB_010",)),
    Requirement("Host hardening", "Hosts have no public address and require IMDSv2.",
                ("CKV_SWEB_013", "CKV_SWEB_014", "CKV_AWS_79", "CKV_AWS_88", "CKV_AWS_130", "CKV_AWS_341")),
)
