"""CKV_SWEB_018: the web ACL blocks a client IP that sends more than a set number of requests (a rate-based rule)."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import blocks, first


class WebAclRateLimitsClients(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that the WAF web ACL blocks clients over a request rate (a rate-based rule with a block action)",
            id="CKV_SWEB_018", categories=[CheckCategories.NETWORKING],
            supported_resources=["aws_wafv2_web_acl"],
        )

    def scan_resource_conf(self, conf):
        self.evaluated_keys = ["rule"]
        for rule in blocks(conf, "rule"):
            statement = first(rule, "statement") or {}
            action = first(rule, "action") or {}
            if isinstance(statement, dict) and first(statement, "rate_based_statement") \
                    and isinstance(action, dict) and "block" in action:
                return CheckResult.PASSED
        return CheckResult.FAILED


check = WebAclRateLimitsClients()
