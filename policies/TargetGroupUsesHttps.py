"""CKV_SWEB_003: the load balancer reaches its targets, and health-checks them, over HTTPS.

Flaw 1: "SSL terminated at the load balancer leaves traffic to the servers in clear text".
"""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import blocks, first, is_true


class TargetGroupUsesHttps(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that load balancer target groups use HTTPS for traffic and health checks",
            id="CKV_SWEB_003", categories=[CheckCategories.ENCRYPTION],
            supported_resources=["aws_lb_target_group", "aws_alb_target_group"],
        )

    def scan_resource_conf(self, conf):
        if first(conf, "target_type") in ("lambda", "alb"):
            return CheckResult.UNKNOWN
        self.evaluated_keys = ["protocol", "health_check/[0]/protocol"]
        if str(first(conf, "protocol", "")).upper() != "HTTPS":
            return CheckResult.FAILED
        # An absent health_check block, or one without a protocol, checks over HTTP.
        checks = blocks(conf, "health_check")
        if len(checks) != 1 or not is_true(first(checks[0], "enabled", True)):
            return CheckResult.FAILED
        return CheckResult.PASSED if str(first(checks[0], "protocol", "")).upper() == "HTTPS" else CheckResult.FAILED


check = TargetGroupUsesHttps()
