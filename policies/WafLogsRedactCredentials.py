"""CKV_SWEB_019: WAF logs never keep the Authorization and Cookie headers (redacted fields)."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import blocks, first

CREDENTIAL_HEADERS = frozenset({"authorization", "cookie"})


class WafLogsRedactCredentials(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that WAF logging redacts the Authorization and Cookie headers",
            id="CKV_SWEB_019", categories=[CheckCategories.LOGGING],
            supported_resources=["aws_wafv2_web_acl_logging_configuration"],
        )

    def scan_resource_conf(self, conf):
        self.evaluated_keys = ["redacted_fields"]
        redacted = set()
        for field in blocks(conf, "redacted_fields"):
            header = first(field, "single_header") or {}
            name = first(header, "name") if isinstance(header, dict) else None
            if isinstance(name, str):
                redacted.add(name.lower())
        return CheckResult.PASSED if CREDENTIAL_HEADERS <= redacted else CheckResult.FAILED


check = WafLogsRedactCredentials()
