"""The Terraform outputs the verifier reads, declared from the constructs themselves.

``secure_web.verify`` reads a deployment through the outputs named in
``secure_web.verify.outputs.OUTPUT_NAMES``. ``verifier_outputs`` declares exactly those,
each from the attribute of the construct that records it, so a consumer stack (any
construct ids, any scope) gets outputs the verifier can read without copying names, and
the two lists cannot drift: the names come from the verifier's own contract.

    tier = SecureWebTier(stack, "storefront", ...)
    orders = ReplicatedMySQL(stack, "orders", ...)
    verifier_outputs(stack, tier=tier, database=orders)
"""

from __future__ import annotations

import cdktf
from constructs import Construct

from .literals import terraform_literal
from .replicated_mysql import ReplicatedMySQL
from .secure_web_tier import SecureWebTier
from .tree import path_of
from .verify.outputs import OUTPUT_NAMES

OUTPUT_DESCRIPTIONS = {
    "alb_dns_name": "DNS name of the load balancer.",
    "url": "HTTPS address of the site (the domain name if set, otherwise the load balancer's DNS name).",
    "alb_arn": "ARN of the load balancer.",
    "https_listener_arn": "ARN of the load balancer's HTTPS listener.",
    "target_group_arn": "ARN of the web hosts' HTTPS target group.",
    "certificate_arn": "ARN of the HTTPS listener's ACM certificate.",
    "access_log_bucket": "S3 bucket receiving the load balancer's access logs.",
    "alb_security_group_id": "Security group of the load balancer.",
    "web_security_group_id": "Security group of the web hosts.",
    "app_security_group_id": "Security group of the app hosts.",
    "db_security_group_id": "Security group of the database.",
    "web_autoscaling_group": "Auto Scaling group of the web hosts.",
    "app_autoscaling_group": "Auto Scaling group of the app hosts.",
    "db_cluster_identifier": "Identifier of the MySQL DB cluster.",
    "db_writer_endpoint": "Writer endpoint of the database.",
    "db_reader_endpoint": "Reader endpoint of the database.",
    "dashboard_name": "CloudWatch dashboard of the tier.",
    "qps_high_alarm": "Name of the high fleet-QPS alarm.",
    "qps_low_alarm": "Name of the low fleet-QPS alarm.",
    "alarm_topic_arn": "SNS topic the tier's alarms notify.",
    "app_load_balancer_arn": "ARN of the app tier's internal load balancer.",
    "app_target_group_arn": "ARN of the app hosts' HTTPS target group.",
    "app_alb_security_group_id": "Security group of the internal load balancer.",
    "database_config_parameter_name": "SSM parameter telling the app hosts where the database is (no secret).",
}
"""One sentence per output of ``OUTPUT_NAMES``, shown by ``terraform output`` and in the state."""


def verifier_outputs(scope: Construct, *, tier: SecureWebTier, database: ReplicatedMySQL,
                     alarm_topic_arn: str | None = None) -> dict[str, cdktf.TerraformOutput]:
    """Declare in ``scope`` the outputs ``secure_web.verify`` reads, and return them by name.

    Args:
        scope: where the outputs are created; any construct of the stack. Their Terraform
            names are exactly ``OUTPUT_NAMES`` whatever the scope (``static_id``).
        tier: the ``SecureWebTier`` to verify.
        database: the ``ReplicatedMySQL`` behind ``tier``'s app hosts.
        alarm_topic_arn: SNS topic the tier's QPS alarms notify. Default: the tier's
            ``alarm_topic_arn`` (the topic it was given, or the one it made).

    Raises:
        ValueError: naming ``scope``'s path, when no alarm topic is known or the one given is
            not the tier's (the verifier checks that the tier's alarms notify this topic).
    """
    topic = _alarm_topic(scope, tier, alarm_topic_arn)
    values = {
        "alb_dns_name": tier.dns_name,
        "url": tier.url,
        "alb_arn": tier.load_balancer_arn,
        "https_listener_arn": tier.https_listener_arn,
        "target_group_arn": tier.target_group_arn,
        "certificate_arn": tier.certificate_arn,
        "access_log_bucket": tier.access_log_bucket,
        "alb_security_group_id": tier.security_group_id,
        "web_security_group_id": tier.web_hosts.security_group_id,
        "app_security_group_id": tier.app_hosts.security_group_id,
        "db_security_group_id": database.security_group_id,
        "web_autoscaling_group": tier.web_hosts.auto_scaling_group_name,
        "app_autoscaling_group": tier.app_hosts.auto_scaling_group_name,
        "db_cluster_identifier": database.cluster_identifier,
        "db_writer_endpoint": database.writer_endpoint,
        "db_reader_endpoint": database.reader_endpoint,
        "dashboard_name": tier.dashboard_name,
        "qps_high_alarm": tier.qps_high_alarm_name,
        "qps_low_alarm": tier.qps_low_alarm_name,
        "alarm_topic_arn": topic,
        "app_load_balancer_arn": tier.app_load_balancer_arn,
        "app_target_group_arn": tier.app_target_group_arn,
        "app_alb_security_group_id": tier.app_alb_connections.security_group_id,
        "database_config_parameter_name": tier.database_config_parameter_name,
    }
    return {
        name: cdktf.TerraformOutput(scope, name, value=values[name], static_id=True,
                                    description=terraform_literal(OUTPUT_DESCRIPTIONS[name]))
        for name in OUTPUT_NAMES
    }


def _alarm_topic(scope: Construct, tier: SecureWebTier, given: str | None) -> str:
    own = getattr(tier, "alarm_topic_arn", None)
    if given is None and own is None:
        raise ValueError(f"{path_of(scope)}: verifier_outputs: alarm_topic_arn is required: "
                         f"the tier {tier.node.path} records no alarm topic of its own")
    if given is not None and own is not None and given != own:
        raise ValueError(f"{path_of(scope)}: verifier_outputs: alarm_topic_arn must be the topic the tier "
                         f"{tier.node.path} notifies ({own!r}); got {given!r}")
    return given if given is not None else own
