"""The optional anomaly-detection band on fleet QPS: off by default, and when on, trained on
the documented QPS expression, alarmed on both sides and shown on the dashboard."""

from __future__ import annotations

import json

import cdktf
import pytest

from secure_web import AlarmTopic, Network, NetworkProps, SecureWebTier, SecureWebTierProps
from secure_web.aws import resource_module
from secure_web.qps import FLEET_QPS
from tests.conftest import synth_stack

CERTIFICATE_ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/0123abcd-0123-4567-89ab-0123456789ab"


@pytest.fixture(scope="module")
def banded(tmp_path_factory):
    app = cdktf.App(outdir=str(tmp_path_factory.mktemp("banded")))
    stack = cdktf.TerraformStack(app, "banded")
    resource_module("provider").AwsProvider(stack, "aws", region="eu-west-1")
    network = Network(stack, "network", NetworkProps())
    alarms = AlarmTopic(stack, "alarms")
    tier = SecureWebTier(stack, "web", SecureWebTierProps(
        network=network.ref, certificate_arn=CERTIFICATE_ARN, hosted_zone_id="Z0123456789ABCDEFGHIJ",
        app_domain_name="app.shop.example.net", alarm_topic_arn=alarms.topic_arn,
        qps_anomaly_band_stddevs=2.5, qps_evaluation_periods=3,
    ))
    assert tier.qps_anomaly_alarm_name is not None
    return synth_stack(app, "banded")


def test_band_alarm_fires_outside_the_band_of_the_documented_qps_expression(banded):
    alarm = banded.by_path("aws_cloudwatch_metric_alarm", "web/qps-anomaly-alarm")
    queries = {query["id"]: query for query in alarm["metric_query"]}
    assert list(queries) == ["m1", "qps", "band"]
    metric = queries["m1"]["metric"]
    assert (metric["namespace"], metric["metric_name"], metric["stat"], metric["period"]) == (
        FLEET_QPS.namespace, FLEET_QPS.metric_name, FLEET_QPS.statistic, FLEET_QPS.period_seconds)
    assert queries["m1"]["return_data"] is False
    assert (queries["qps"]["expression"], queries["qps"]["return_data"]) == (FLEET_QPS.expression, True)
    assert (queries["band"]["expression"], queries["band"]["return_data"]) == ("ANOMALY_DETECTION_BAND(qps, 2.5)", True)
    assert (alarm["comparison_operator"], alarm["threshold_metric_id"]) == (
        "LessThanLowerOrGreaterThanUpperThreshold", "band")
    assert "threshold" not in alarm
    assert (alarm["evaluation_periods"], alarm["datapoints_to_alarm"]) == (3, 3)
    assert alarm["treat_missing_data"] == "notBreaching"


def test_band_alarm_notifies_the_alarm_topic(banded):
    alarm = banded.by_path("aws_cloudwatch_metric_alarm", "web/qps-anomaly-alarm")
    topic = "${" + banded.address_of("aws_sns_topic", "alarms/topic") + ".arn}"
    assert alarm["alarm_actions"] == alarm["ok_actions"] == [topic]


def test_dashboard_draws_the_band_next_to_fleet_qps(banded):
    body = json.loads(banded.by_path("aws_cloudwatch_dashboard", "web/dashboard")["dashboard_body"])
    fleet = body["widgets"][0]["properties"]["metrics"]
    assert [{"expression": "ANOMALY_DETECTION_BAND(qps, 2.5)", "id": "band", "label": "Expected fleet QPS"}] in fleet
    assert {"expression": FLEET_QPS.expression, "id": "qps", "label": "Fleet QPS"} in fleet[1]


def test_no_band_by_default(reference_stack):
    alarms = reference_stack.resources("aws_cloudwatch_metric_alarm").values()
    assert not [alarm for alarm in alarms if "threshold_metric_id" in alarm]
    dashboard = reference_stack.by_path("aws_cloudwatch_dashboard", "web/dashboard")["dashboard_body"]
    assert "ANOMALY_DETECTION_BAND" not in dashboard
