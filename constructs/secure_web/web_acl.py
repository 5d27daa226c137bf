"""A regional WAFv2 web ACL of AWS managed rule groups, with logging, for the load balancer."""

from __future__ import annotations

from typing import Mapping, Sequence

from constructs import Construct

from .aws import blocks, resource_module

DEFAULT_MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesSQLiRuleSet",
    "AWSManagedRulesLinuxRuleSet",
)
DEFAULT_RATE_LIMIT = 2000
"""Requests per client IP in any 5 minutes above which the web ACL blocks that IP (AWS's own suggested start)."""
REDACTED_HEADERS = ("authorization", "cookie")
"""Headers WAF logs never keep: credentials and sessions."""


def _visibility(metric_name: str) -> dict[str, object]:
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric_name, "sampled_requests_enabled": True}


class ManagedWebAcl(Construct):
    """Blocks clients over ``rate_limit`` and what the named AWS managed rule groups match; allows the rest;
    logs to CloudWatch Logs without the Authorization and Cookie headers."""

    def __init__(
        self, scope: Construct, construct_id: str, *, name: str, rule_groups: Sequence[str],
        resource_arn: str, log_retention_days: int, log_key_arn: str, tags: Mapping[str, str],
        rate_limit: int | None = DEFAULT_RATE_LIMIT,
    ) -> None:
        super().__init__(scope, construct_id)
        rules = [
            {
                "name": "rate-limit-per-ip", "priority": 0, "action": {"block": {}},
                "statement": {"rate_based_statement": {"limit": rate_limit, "aggregate_key_type": "IP"}},
                "visibility_config": _visibility("rate-limit-per-ip"),
            }
        ] if rate_limit is not None else []
        rules += [
            {
                "name": group, "priority": index,
                "override_action": {"none": {}},
                "statement": {"managed_rule_group_statement": {"name": group, "vendor_name": "AWS"}},
                "visibility_config": _visibility(group),
            }
            for index, group in enumerate(rule_groups, start=1)
        ]
        acl = resource_module("wafv2_web_acl").Wafv2WebAcl(
            self, "web-acl", name=name, scope="REGIONAL", default_action={"allow": {}}, rule=blocks(rules),
            visibility_config=_visibility(name), tags=tags,
        )
        log_group = resource_module("cloudwatch_log_group").CloudwatchLogGroup(
            self, "logs", name=f"aws-waf-logs-{name}", retention_in_days=log_retention_days, kms_key_id=log_key_arn,
            tags=tags,
        )
        resource_module("wafv2_web_acl_logging_configuration").Wafv2WebAclLoggingConfiguration(
            self, "logging", resource_arn=acl.arn, log_destination_configs=[log_group.arn],
            redacted_fields=blocks([{"single_header": {"name": header}} for header in REDACTED_HEADERS]),
        )
        resource_module("wafv2_web_acl_association").Wafv2WebAclAssociation(
            self, "association", resource_arn=resource_arn, web_acl_arn=acl.arn
        )
        self.web_acl_arn: str = acl.arn
