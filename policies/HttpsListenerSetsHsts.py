"""CKV_SWEB_024: every HTTPS listener adds Strict-Transport-Security itself, for a year or more, subdomains included.

nginx on the hosts sends HSTS, but responses the load balancer or its WAF make themselves
(a WAF block, a 502/503 with no healthy target, a fixed response) never reach a host. A
listener sets the header on all of them with
``routing_http_response_strict_transport_security_header_value``. An HTTPS listener passes
when that value has ``max-age`` of at least a year (31,536,000 s) and ``includeSubDomains``.
HTTP listeners are not judged (HSTS over clear text is ignored by browsers; CKV_SWEB_001
makes them redirect).
"""

import re

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import first

ONE_YEAR_SECONDS = 31_536_000
HSTS_ARGUMENT = "routing_http_response_strict_transport_security_header_value"


def hsts_is_strong(value: object) -> bool:
    directives = [part.strip().lower() for part in str(value or "").split(";")]
    ages = [int(match.group(1)) for part in directives if (match := re.fullmatch(r"max-age=(\d+)", part))]
    return len(ages) == 1 and ages[0] >= ONE_YEAR_SECONDS and "includesubdomains" in directives


class HttpsListenerSetsHsts(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that HTTPS listeners add HSTS (max-age of a year or more, includeSubDomains) to every response",
            id="CKV_SWEB_024", categories=[CheckCategories.ENCRYPTION],
            supported_resources=["aws_lb_listener", "aws_alb_listener"],
        )

    def scan_resource_conf(self, conf):
        if str(first(conf, "protocol", "")).upper() != "HTTPS":
            return CheckResult.UNKNOWN
        self.evaluated_keys = [HSTS_ARGUMENT]
        return CheckResult.PASSED if hsts_is_strong(first(conf, HSTS_ARGUMENT)) else CheckResult.FAILED


check = HttpsListenerSetsHsts()
