"""Alarm notifications and the fleet QPS alarms and dashboard.

Fleet QPS is ALB ``RequestCount`` (namespace AWS/ApplicationELB, statistic Sum)
divided by ``PERIOD`` in metric math; see docs/qps.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Mapping

from constructs import Construct

from .aws import blocks, resource_module
from .kms import AccountContext, encryption_key
from .qps import FLEET_QPS, HOST_QPS
from .tree import path_of
from .validation import Checks, construct_path


class AlarmTopic(Construct):
    """A KMS-encrypted SNS topic that CloudWatch alarms publish to."""

    def __init__(self, scope: Construct, construct_id: str, *, tags: Mapping[str, str] | None = None) -> None:
        checks = Checks()
        path = construct_path(scope, construct_id)
        checks.construct_path(path)
        checks.tags("tags", tags or {})
        checks.raise_if_any(path)
        super().__init__(scope, construct_id)
        context = AccountContext.of(self)
        key = encryption_key(self, "key", context=context, description=f"{path_of(self)} alarm notifications",
                             services=["cloudwatch", "sns"])
        topic = resource_module("sns_topic").SnsTopic(
            self, "topic", name_prefix="secure-web-alarms-", kms_master_key_id=key.arn, tags=dict(tags or {})
        )
        self.topic_arn: str = topic.arn


@dataclass(frozen=True, kw_only=True)
class QpsAlarmSettings:
    """Thresholds of the fleet QPS alarms."""

    high_threshold: float
    low_threshold: float
    evaluation_periods: int
    period_seconds: int


def fleet_qps_metrics(load_balancer_arn_suffix: str, period_seconds: int) -> list[dict[str, object]]:
    """Metric-math queries: m1 = RequestCount Sum, qps = m1 / PERIOD(m1)."""
    return [
        {
            "id": "m1", "return_data": False,
            "metric": {
                "namespace": FLEET_QPS.namespace, "metric_name": FLEET_QPS.metric_name,
                "dimensions": {FLEET_QPS.dimension_names[0]: load_balancer_arn_suffix},
                "stat": FLEET_QPS.statistic, "period": period_seconds,
            },
        },
        {"id": "qps", "expression": FLEET_QPS.expression, "label": "Fleet QPS", "return_data": True},
    ]


BAND_LABEL = "Expected fleet QPS"


def _fleet_qps_alarm(
    scope: Construct, construct_id: str, *, load_balancer_arn_suffix: str, settings: QpsAlarmSettings,
    topic_arn: str, extra_queries: tuple[dict[str, object], ...] = (), **alarm: object,
) -> object:
    """An alarm over the fleet QPS queries (plus ``extra_queries``), breaching for all its evaluation
    periods, notifying ``topic_arn`` on alarm and on recovery."""
    actions = [topic_arn]
    queries = [*fleet_qps_metrics(load_balancer_arn_suffix, settings.period_seconds), *extra_queries]
    return resource_module("cloudwatch_metric_alarm").CloudwatchMetricAlarm(
        scope, construct_id, evaluation_periods=settings.evaluation_periods,
        datapoints_to_alarm=settings.evaluation_periods, metric_query=blocks(queries),
        alarm_actions=actions, ok_actions=actions, **alarm,
    )


def fleet_qps_alarms(
    scope: Construct, *, name: str, load_balancer_arn_suffix: str, settings: QpsAlarmSettings, topic_arn: str,
) -> tuple[object, object]:
    """High and low QPS alarms; no data counts as fine for 'high' and as breaching for 'low'."""
    common = dict(load_balancer_arn_suffix=load_balancer_arn_suffix, settings=settings, topic_arn=topic_arn)
    high = _fleet_qps_alarm(
        scope, "qps-high-alarm", alarm_name=f"{name} fleet QPS high", threshold=settings.high_threshold,
        comparison_operator="GreaterThanThreshold", treat_missing_data="notBreaching",
        alarm_description=f"Fleet QPS (RequestCount Sum / PERIOD) above {settings.high_threshold}", **common,
    )
    low = _fleet_qps_alarm(
        scope, "qps-low-alarm", alarm_name=f"{name} fleet QPS low", threshold=settings.low_threshold,
        comparison_operator="LessThanThreshold", treat_missing_data="breaching",
        alarm_description=(f"Fleet QPS (RequestCount Sum / PERIOD) below {settings.low_threshold}; "
                           "no data means no requests reached the load balancer"),
        **common,
    )
    return high, low


@dataclass(frozen=True, kw_only=True)
class LoadBalancerAlarm:
    """One alarm on a load balancer or its target group (AWS/ApplicationELB)."""

    construct_id: str
    title: str
    metric_name: str
    statistic: str
    threshold: float
    comparison_operator: str
    treat_missing_data: str
    description: str
    per_target_group: bool = False
    extended_statistic: bool = False


LOAD_BALANCER_ALARMS = (
    LoadBalancerAlarm(construct_id="target-5xx-alarm", title="target 5xx", metric_name="HTTPCode_Target_5XX_Count",
                      statistic="Sum", threshold=10, comparison_operator="GreaterThanThreshold",
                      treat_missing_data="notBreaching",
                      description="More than 10 responses with a 5xx status from the hosts in a minute"),
    LoadBalancerAlarm(construct_id="latency-alarm", title="p99 latency", metric_name="TargetResponseTime",
                      statistic="p99", threshold=2, comparison_operator="GreaterThanThreshold",
                      treat_missing_data="notBreaching", extended_statistic=True,
                      description="99th percentile of the hosts' response time above 2 s"),
    LoadBalancerAlarm(construct_id="healthy-hosts-alarm", title="no healthy host", metric_name="HealthyHostCount",
                      statistic="Minimum", threshold=1, comparison_operator="LessThanThreshold",
                      treat_missing_data="breaching", per_target_group=True,
                      description="No healthy host behind the load balancer (no data: the target group is gone)"),
)
"""5xx, latency and healthy hosts: each tier's load balancer carries these, over 3 of 3 one-minute periods."""


def load_balancer_health_alarms(scope: Construct, *, name: str, load_balancer_arn_suffix: str,
                                target_group_arn_suffix: str, topic_arn: str) -> list[object]:
    """The LOAD_BALANCER_ALARMS of one load balancer, each notifying ``topic_arn`` on alarm and on recovery."""
    actions = [topic_arn]
    alarms = []
    for spec in LOAD_BALANCER_ALARMS:
        dimensions = {"LoadBalancer": load_balancer_arn_suffix}
        if spec.per_target_group:
            dimensions["TargetGroup"] = target_group_arn_suffix
        statistic = {"extended_statistic": spec.statistic} if spec.extended_statistic else {"statistic": spec.statistic}
        alarms.append(resource_module("cloudwatch_metric_alarm").CloudwatchMetricAlarm(
            scope, spec.construct_id, alarm_name=f"{name} {spec.title}", namespace=FLEET_QPS.namespace,
            metric_name=spec.metric_name, dimensions=dimensions, period=60, evaluation_periods=3,
            datapoints_to_alarm=3, threshold=spec.threshold, comparison_operator=spec.comparison_operator,
            treat_missing_data=spec.treat_missing_data, alarm_description=spec.description,
            alarm_actions=actions, ok_actions=actions, **statistic,
        ))
    return alarms


def anomaly_band_expression(band_stddevs: float) -> str:
    """The expected range of fleet QPS: CloudWatch's anomaly-detection model of the ``qps`` expression."""
    return f"ANOMALY_DETECTION_BAND(qps, {band_stddevs:g})"


def fleet_qps_anomaly_alarm(
    scope: Construct, *, name: str, load_balancer_arn_suffix: str, settings: QpsAlarmSettings, band_stddevs: float,
    topic_arn: str,
) -> object:
    """Fleet QPS outside its anomaly-detection band, on either side; no data is the low alarm's to report."""
    band = {"id": "band", "expression": anomaly_band_expression(band_stddevs), "label": BAND_LABEL,
            "return_data": True}
    return _fleet_qps_alarm(
        scope, "qps-anomaly-alarm", load_balancer_arn_suffix=load_balancer_arn_suffix, settings=settings,
        topic_arn=topic_arn, extra_queries=(band,), alarm_name=f"{name} fleet QPS anomaly",
        comparison_operator="LessThanLowerOrGreaterThanUpperThreshold", threshold_metric_id="band",
        treat_missing_data="notBreaching",
        alarm_description=(f"Fleet QPS (RequestCount Sum / PERIOD) outside its anomaly-detection band "
                           f"({band_stddevs:g} standard deviations)"),
    )


def dashboard_body(*, region: str, load_balancer_arn_suffix: str, target_group_arn_suffix: str, tier: str,
                   period_seconds: int, band_stddevs: float | None = None, app_load_balancer_arn_suffix: str | None = None,
                   app_target_group_arn_suffix: str | None = None, app_tier: str | None = None) -> str:
    """CloudWatch dashboard: fleet QPS (with its anomaly band, if any), per-host and tier QPS, latency,
    target health, 5xx; then the same for the app tier's internal load balancer, when given."""
    elb = FLEET_QPS.namespace
    band = ([[{"expression": anomaly_band_expression(band_stddevs), "id": "band", "label": BAND_LABEL}]]
            if band_stddevs is not None else [])
    fleet = {
        "type": "metric", "x": 0, "y": 0, "width": 12, "height": 6,
        "properties": {
            "title": "Fleet QPS (ALB RequestCount Sum / PERIOD)", "region": region, "view": "timeSeries",
            "period": period_seconds, "stat": FLEET_QPS.statistic,
            "metrics": [
                [elb, FLEET_QPS.metric_name, "LoadBalancer", load_balancer_arn_suffix, {"id": "m1", "visible": False}],
                [{"expression": FLEET_QPS.expression, "id": "qps", "label": "Fleet QPS"}],
                *band,
            ],
        },
    }
    hosts = {
        "type": "metric", "x": 12, "y": 0, "width": 12, "height": 6,
        "properties": {
            "title": f"Per-host QPS ({HOST_QPS.metric_name} Sum / PERIOD)", "region": region, "view": "timeSeries",
            "period": period_seconds, "stat": HOST_QPS.statistic,
            "metrics": [
                [{"expression": (f"SEARCH('{{{HOST_QPS.namespace},InstanceId,Tier}} MetricName=\"{HOST_QPS.metric_name}\" "
                                 f"Tier=\"{tier}\"', '{HOST_QPS.statistic}', {period_seconds}) / {period_seconds}"),
                  "id": "hosts", "label": "QPS"}],
                [HOST_QPS.namespace, HOST_QPS.metric_name, "Tier", tier, {"id": "t1", "visible": False}],
                [{"expression": "t1 / PERIOD(t1)", "id": "tier", "label": f"{tier} tier QPS"}],
            ],
        },
    }
    health = {
        "type": "metric", "x": 0, "y": 6, "width": 24, "height": 6,
        "properties": {
            "title": "Latency, errors and target health", "region": region, "view": "timeSeries",
            "period": period_seconds,
            "metrics": [
                [elb, "TargetResponseTime", "LoadBalancer", load_balancer_arn_suffix, {"stat": "p99"}],
                [elb, "HTTPCode_Target_5XX_Count", "LoadBalancer", load_balancer_arn_suffix, {"stat": "Sum"}],
                [elb, "HealthyHostCount", "TargetGroup", target_group_arn_suffix, "LoadBalancer",
                 load_balancer_arn_suffix, {"stat": "Minimum"}],
            ],
        },
    }
    widgets = [fleet, hosts, health]
    if app_load_balancer_arn_suffix is not None and app_target_group_arn_suffix is not None and app_tier is not None:
        app = json.loads(dashboard_body(region=region, load_balancer_arn_suffix=app_load_balancer_arn_suffix,
                                        target_group_arn_suffix=app_target_group_arn_suffix, tier=app_tier,
                                        period_seconds=period_seconds))["widgets"]
        for widget in app:
            widget["y"] += 12
            widget["properties"]["title"] = f"App tier: {widget['properties']['title']}"
        widgets += app
    return json.dumps({"widgets": widgets})
