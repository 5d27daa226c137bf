"""CKV_SWEB_015: every CloudWatch metric alarm notifies an SNS topic, so an alarm reaches a person."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import as_list, references

SNS_ARN_PREFIX = "arn:aws"


class MetricAlarmNotifiesSns(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that CloudWatch metric alarms notify an SNS topic",
            id="CKV_SWEB_015", categories=[CheckCategories.LOGGING],
            supported_resources=["aws_cloudwatch_metric_alarm"],
        )

    def scan_resource_conf(self, conf):
        self.evaluated_keys = ["alarm_actions"]
        actions = [str(action) for action in as_list(conf.get("alarm_actions"))]
        to_sns = any(kind == "aws_sns_topic" for kind, _ in references(actions)) or any(
            action.startswith(SNS_ARN_PREFIX) and ":sns:" in action for action in actions
        )
        return CheckResult.PASSED if to_sns else CheckResult.FAILED


check = MetricAlarmNotifiesSns()
