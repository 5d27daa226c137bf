"""CKV_SWEB_012: the load balancer's QPS (RequestCount Sum / PERIOD) has an alarm that notifies SNS.

Seed requirement: monitoring with QPS. A load balancer passes when an
aws_cloudwatch_metric_alarm has a metric_query over ``RequestCount`` (statistic ``Sum``)
with this load balancer as its ``LoadBalancer`` dimension, an expression dividing that
query by ``PERIOD(...)``, and alarm_actions referencing an aws_sns_topic.
"""

import re

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import Stack, blocks, entity_name, first, references, stack_for

PER_SECOND = re.compile(r"^\s*(\w+)\s*/\s*PERIOD\(\s*(\w+)\s*\)\s*$")


class LoadBalancerQpsIsAlarmedToSns(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that the load balancer's QPS (RequestCount Sum / PERIOD) is alarmed and the alarm notifies SNS",
            id="CKV_SWEB_012", categories=[CheckCategories.LOGGING],
            supported_resources=["aws_lb", "aws_alb"],
        )

    def scan_resource_conf(self, conf):
        if first(conf, "load_balancer_type", "application") != "application":
            return CheckResult.UNKNOWN
        stack = stack_for(self)
        name = entity_name(self)
        alarmed = any(self._alarms_qps_of(alarm, name) and self._notifies_sns(stack, alarm)
                      for _, _, alarm in stack.of_type("aws_cloudwatch_metric_alarm"))
        return CheckResult.PASSED if alarmed else CheckResult.FAILED

    @staticmethod
    def _alarms_qps_of(alarm, load_balancer: str) -> bool:
        queries = blocks(alarm, "metric_query")
        request_sums = {
            query.get("id") for query in queries for metric in blocks(query, "metric")
            if metric.get("metric_name") == "RequestCount" and metric.get("stat") == "Sum"
            and {("aws_lb", load_balancer), ("aws_alb", load_balancer)}
            & set(references((metric.get("dimensions") or {}).get("LoadBalancer")))
        }
        for query in queries:
            match = PER_SECOND.match(str(query.get("expression") or ""))
            if match and match.group(1) == match.group(2) and match.group(1) in request_sums:
                return True
        return False

    @staticmethod
    def _notifies_sns(stack: Stack, alarm) -> bool:
        return bool(stack.referenced(alarm.get("alarm_actions"), "aws_sns_topic"))


check = LoadBalancerQpsIsAlarmedToSns()
