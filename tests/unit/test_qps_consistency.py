"""The documented QPS names are the ones the alarms, the dashboard and the agent's scrape actually use."""

from __future__ import annotations

import json
from pathlib import Path

from secure_web.agent_config import EXPORTER_ADDRESS, EXPORTER_JOB, prometheus_scrape_yaml
from secure_web.qps import FLEET_QPS, HOST_QPS, TIER_QPS

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "qps.md").read_text()


def test_docs_table_states_each_level_exactly():
    for level in (FLEET_QPS, HOST_QPS, TIER_QPS):
        row = (f"| `{level.namespace}` | `{level.metric_name}` | "
               + ", ".join(f"`{name}`" for name in level.dimension_names)
               + f" | `{level.statistic}` | {level.period_seconds} s | `{level.expression}` |")
        assert row in DOCS


def test_agent_publishes_the_documented_host_and_tier_metrics(reference_stack):
    parameter = reference_stack.by_path("aws_ssm_parameter", "web/web-hosts/agent-config")
    processor = json.loads(parameter["value"])["logs"]["metrics_collected"]["prometheus"]["emf_processor"]
    assert processor["metric_namespace"] == HOST_QPS.namespace == TIER_QPS.namespace
    (declaration,) = processor["metric_declaration"]
    assert declaration["metric_selectors"] == [f"^{HOST_QPS.metric_name}$"]
    assert sorted(map(tuple, declaration["dimensions"])) == sorted([HOST_QPS.dimension_names,
                                                                     TIER_QPS.dimension_names])
    assert declaration["source_labels"] == ["job"] and declaration["label_matcher"] == f"^{EXPORTER_JOB}$"


def test_scrape_targets_the_loopback_exporter_and_labels_every_dimension():
    scrape = prometheus_scrape_yaml(tier="shop-web")
    assert f"job_name: {EXPORTER_JOB}" in scrape and f"['{EXPORTER_ADDRESS}']" in scrape
    assert EXPORTER_ADDRESS.startswith("127.0.0.1:")
    assert all(f"{name}:" in scrape for name in HOST_QPS.dimension_names)


def test_alarms_and_dashboard_use_the_fleet_definition(reference_stack):
    for suffix in ("web/qps-high-alarm", "web/qps-low-alarm"):
        queries = {q["id"]: q for q in reference_stack.by_path("aws_cloudwatch_metric_alarm", suffix)["metric_query"]}
        metric = queries["m1"]["metric"]
        assert (metric["namespace"], metric["metric_name"], metric["stat"], metric["period"]) == (
            FLEET_QPS.namespace, FLEET_QPS.metric_name, FLEET_QPS.statistic, FLEET_QPS.period_seconds)
        assert list(metric["dimensions"]) == list(FLEET_QPS.dimension_names)
        assert queries["qps"]["expression"] == FLEET_QPS.expression
    widgets = json.loads(reference_stack.by_path("aws_cloudwatch_dashboard", "web/dashboard")["dashboard_body"])
    fleet, hosts = widgets["widgets"][0]["properties"], widgets["widgets"][1]["properties"]
    assert fleet["metrics"][0][:2] == [FLEET_QPS.namespace, FLEET_QPS.metric_name]
    assert {"expression": FLEET_QPS.expression, "id": "qps", "label": "Fleet QPS"} in fleet["metrics"][1]
    assert HOST_QPS.namespace in json.dumps(hosts) and HOST_QPS.metric_name in json.dumps(hosts)
    assert hosts["stat"] == HOST_QPS.statistic == "Sum"
