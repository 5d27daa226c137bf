"""CKV_SWEB_016: an internal application load balancer (the app tier's entry) listens only on HTTPS, allowed policy.

Seed flaw 1 carried one tier down: the web hosts reach the app tier through an internal
load balancer, and that hop must be TLS too. The load balancer passes when at least one
listener points at it and every one of them is HTTPS with a policy from
``ALLOWED_SSL_POLICIES``; an HTTP listener fails it even as a redirect, since nothing on
the private side should ever speak clear text. Internet-facing load balancers are
CKV_SWEB_001/002's concern and are not judged here.
"""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import ALLOWED_SSL_POLICIES, entity_name, first, is_true, references, stack_for

LISTENER_TYPES = ("aws_lb_listener", "aws_alb_listener")


class InternalLoadBalancerIsHttpsOnly(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that internal application load balancers have only HTTPS listeners with an allowed TLS policy",
            id="CKV_SWEB_016", categories=[CheckCategories.ENCRYPTION],
            supported_resources=["aws_lb", "aws_alb"],
        )

    def scan_resource_conf(self, conf):
        if first(conf, "load_balancer_type", "application") != "application" or not is_true(first(conf, "internal")):
            return CheckResult.UNKNOWN
        self.evaluated_keys = ["internal"]
        load_balancer = {(kind, entity_name(self)) for kind in ("aws_lb", "aws_alb")}
        listeners = [listener for _, _, listener in stack_for(self).of_type(*LISTENER_TYPES)
                     if load_balancer & set(references(listener.get("load_balancer_arn")))]
        https_only = bool(listeners) and all(
            str(listener.get("protocol", "")).upper() == "HTTPS" and listener.get("ssl_policy") in ALLOWED_SSL_POLICIES
            for listener in listeners)
        return CheckResult.PASSED if https_only else CheckResult.FAILED


check = InternalLoadBalancerIsHttpsOnly()
