"""What the CloudWatch agent reads: its configuration as fetched from SSM, and the scrape configuration it names.

The agent never reads the bootstrap's own copy (``AGENT_CONFIG_PATH``); ``fetch-config``
downloads the ``AmazonCloudWatch-<name>`` parameter into ``amazon-cloudwatch-agent.d``
and the agent runs that. On EC2 these tests read the file the real fetch wrote; on the
test VM (no SSM there) the suite's fixture puts the parameter's value, as Terraform
evaluates it, where fetch-config would (an emulated fetch, said so in tests/vm).
"""

import json
import re

import pytest

EXPORTER_TARGET = "127.0.0.1:9113"
INSTANCE_ID_PLACEHOLDER = "@INSTANCE_ID@"


@pytest.fixture(scope="module")
def agent_config(host, fetched_agent_config) -> dict:
    fetched = host.file(fetched_agent_config)
    assert fetched.exists, f"{fetched.path} missing: fetch-config has not run"
    return json.loads(fetched.content_string)


@pytest.fixture(scope="module")
def scrape_config_text(host, agent_config) -> str:
    path = agent_config["logs"]["metrics_collected"]["prometheus"]["prometheus_config_path"]
    return host.file(path).content_string


def test_agent_publishes_per_instance_and_per_group(agent_config):
    assert agent_config["metrics"]["append_dimensions"] == {
        "InstanceId": "${aws:InstanceId}", "AutoScalingGroupName": "${aws:AutoScalingGroupName}"}


def test_scrape_config_the_agent_names_targets_the_exporter(scrape_config_text):
    targets = re.findall(r"targets:\s*\[([^\]]*)\]", scrape_config_text)
    assert [target.strip(" '\"") for target in targets] == [EXPORTER_TARGET]


def test_scrape_config_has_instance_id_filled_in(scrape_config_text):
    assert INSTANCE_ID_PLACEHOLDER not in scrape_config_text and re.search(r"InstanceId: '[^']+'", scrape_config_text)


@pytest.mark.parametrize("log_file", ["/var/log/nginx/access.log", "/var/log/nginx/error.log"])
def test_nginx_log_is_shipped(agent_config, log_file):
    collected = agent_config["logs"]["logs_collected"]["files"]["collect_list"]
    assert log_file in {entry["file_path"] for entry in collected}
