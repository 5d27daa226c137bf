"""CKV_SWEB_002: an HTTPS listener negotiates with one of the TLS 1.3-capable policies secure_web allows."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import ALLOWED_SSL_POLICIES, first


class HttpsListenerUsesAllowedTlsPolicy(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that HTTPS load balancer listeners use an allowed TLS 1.3 security policy",
            id="CKV_SWEB_002", categories=[CheckCategories.ENCRYPTION],
            supported_resources=["aws_lb_listener", "aws_alb_listener"],
        )

    def scan_resource_conf(self, conf):
        if str(first(conf, "protocol", "")).upper() not in ("HTTPS", "TLS"):
            return CheckResult.UNKNOWN
        self.evaluated_keys = ["ssl_policy"]
        return CheckResult.PASSED if first(conf, "ssl_policy") in ALLOWED_SSL_POLICIES else CheckResult.FAILED


check = HttpsListenerUsesAllowedTlsPolicy()
