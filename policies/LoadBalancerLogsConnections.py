"""CKV_SWEB_023: an application load balancer writes connection logs (who connected, and how TLS went).

Access logs record requests; a client that never completes a TLS handshake (a scanner, a
downgrade attempt, a client certificate problem) appears only in connection logs: client
address and port, TLS protocol and cipher, handshake latency and result. The load balancer
passes when its ``connection_logs`` block is enabled and names a bucket.
"""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import first, is_true


class LoadBalancerLogsConnections(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that application load balancers write connection logs to S3",
            id="CKV_SWEB_023", categories=[CheckCategories.LOGGING],
            supported_resources=["aws_lb", "aws_alb"],
        )

    def scan_resource_conf(self, conf):
        if first(conf, "load_balancer_type", "application") != "application":
            return CheckResult.UNKNOWN
        self.evaluated_keys = ["connection_logs"]
        logs = first(conf, "connection_logs") or {}
        logging = isinstance(logs, dict) and is_true(first(logs, "enabled")) and bool(first(logs, "bucket"))
        return CheckResult.PASSED if logging else CheckResult.FAILED


check = LoadBalancerLogsConnections()
