"""CKV_SWEB_002: an HTTPS listener negotiates with one of the TLS 1.3-capable policies secure_web allows."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import first

# Mirrors secure_web.contract.ALLOWED_SSL_POLICIES (a test keeps the two equal), so the
# policies also run in a plain checkov (--external-checks-dir policies) without secure_web.
ALLOWED_SSL_POLICIES = (
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
)


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
