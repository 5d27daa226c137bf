"""The CloudWatch agent configuration on the host ships the nginx logs and scrapes the exporter (the QPS source)."""

import json
import re

import pytest

EXPORTER_TARGET = "127.0.0.1:9113"
INSTANCE_ID_PLACEHOLDER = "@INSTANCE_ID@"


@pytest.fixture(scope="module")
def agent_config_text(host, bootstrap_env) -> str:
    return host.file(bootstrap_env["AGENT_CONFIG_PATH"]).content_string


@pytest.fixture(scope="module")
def scrape_config_text(host, bootstrap_env) -> str:
    return host.file(bootstrap_env["PROMETHEUS_SCRAPE_CONFIG_PATH"]).content_string


def test_agent_config_is_a_json_object(agent_config_text):
    assert isinstance(json.loads(agent_config_text), dict)


def test_prometheus_section_reads_the_scrape_config(agent_config_text, bootstrap_env):
    prometheus = json.loads(agent_config_text)["logs"]["metrics_collected"]["prometheus"]
    assert prometheus["prometheus_config_path"] == bootstrap_env["PROMETHEUS_SCRAPE_CONFIG_PATH"]


def test_scrape_config_targets_the_exporter(scrape_config_text):
    targets = re.findall(r"targets:\s*\[([^\]]*)\]", scrape_config_text)
    assert [target.strip(" '\"") for target in targets] == [EXPORTER_TARGET]


def test_agent_config_has_instance_id_filled_in(agent_config_text):
    assert INSTANCE_ID_PLACEHOLDER not in agent_config_text


def test_scrape_config_has_instance_id_filled_in(scrape_config_text):
    assert INSTANCE_ID_PLACEHOLDER not in scrape_config_text


@pytest.mark.parametrize("log_file", ["/var/log/nginx/access.log", "/var/log/nginx/error.log"])
def test_nginx_log_is_shipped(agent_config_text, log_file):
    collected = json.loads(agent_config_text)["logs"]["logs_collected"]["files"]["collect_list"]
    assert log_file in {entry["file_path"] for entry in collected}
