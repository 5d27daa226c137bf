"""CKV_SWEB_001: an HTTP listener only redirects, permanently (301), to HTTPS."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import blocks, first


class HttpListenerRedirectsToHttps(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that HTTP load balancer listeners only redirect to HTTPS with a 301",
            id="CKV_SWEB_001", categories=[CheckCategories.NETWORKING],
            supported_resources=["aws_lb_listener", "aws_alb_listener"],
        )

    def scan_resource_conf(self, conf):
        if str(first(conf, "protocol", "")).upper() != "HTTP":
            return CheckResult.UNKNOWN
        self.evaluated_keys = ["protocol", "default_action"]
        actions = blocks(conf, "default_action")
        if len(actions) != 1 or first(actions[0], "type") != "redirect":
            return CheckResult.FAILED
        redirects = blocks(actions[0], "redirect")
        if len(redirects) != 1:
            return CheckResult.FAILED
        redirect = redirects[0]
        is_https = str(first(redirect, "protocol", "")).upper() == "HTTPS"
        is_permanent = first(redirect, "status_code") == "HTTP_301"
        return CheckResult.PASSED if is_https and is_permanent else CheckResult.FAILED


check = HttpListenerRedirectsToHttps()
