"""The CloudWatch agent configuration every MonitoredHost runs, built in plain Python.

It collects host metrics (CPU, memory, disk, network, the nginx processes),
ships the nginx access and error logs, and scrapes the Prometheus nginx
exporter on the host, which is where the per-host QPS metric comes from
(see docs/qps.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .qps import HOST_QPS

HOST_METRICS_NAMESPACE = "SecureWeb/Host"
EXPORTER_ADDRESS = "127.0.0.1:9113"
STUB_STATUS_URL = "http://127.0.0.1:8080/stub_status"
PROMETHEUS_SCRAPE_CONFIG_PATH = "/etc/secure-web/prometheus-scrape.yaml"
INSTANCE_ID_PLACEHOLDER = "@INSTANCE_ID@"
NGINX_ACCESS_LOG = "/var/log/nginx/access.log"
NGINX_ERROR_LOG = "/var/log/nginx/error.log"
EXPORTER_JOB = "nginx"
SCRAPE_INTERVAL_SECONDS = 60


@dataclass(frozen=True, kw_only=True)
class AgentLogGroups:
    """Log group names the agent writes to."""

    access: str
    error: str
    prometheus: str


def agent_config(*, log_groups: AgentLogGroups) -> dict[str, object]:
    """The agent's JSON configuration as a dict; stored in the ``AmazonCloudWatch-*`` SSM parameter."""
    append_dimensions = {"InstanceId": "${aws:InstanceId}", "AutoScalingGroupName": "${aws:AutoScalingGroupName}"}
    return {
        "agent": {"metrics_collection_interval": SCRAPE_INTERVAL_SECONDS, "run_as_user": "cwagent"},
        "metrics": {
            "namespace": HOST_METRICS_NAMESPACE,
            "append_dimensions": append_dimensions,
            "aggregation_dimensions": [["AutoScalingGroupName"], ["InstanceId"]],
            "metrics_collected": {
                "cpu": {"measurement": ["cpu_usage_idle", "cpu_usage_iowait", "cpu_usage_user", "cpu_usage_system"],
                        "totalcpu": True},
                "mem": {"measurement": ["mem_used_percent", "mem_available_percent"]},
                "disk": {"measurement": ["used_percent", "inodes_free"], "resources": ["/"]},
                "diskio": {"measurement": ["io_time", "reads", "writes"], "resources": ["*"]},
                "net": {"measurement": ["bytes_sent", "bytes_recv", "drop_in", "drop_out"], "resources": ["*"]},
                "netstat": {"measurement": ["tcp_established", "tcp_time_wait"]},
                "procstat": [{"exe": "nginx", "measurement": ["cpu_usage", "memory_rss", "pid_count"]}],
            },
        },
        "logs": {
            "logs_collected": {
                "files": {
                    "collect_list": [
                        {"file_path": NGINX_ACCESS_LOG, "log_group_name": log_groups.access,
                         "log_stream_name": "{instance_id}", "timezone": "UTC"},
                        {"file_path": NGINX_ERROR_LOG, "log_group_name": log_groups.error,
                         "log_stream_name": "{instance_id}", "timezone": "UTC"},
                    ]
                }
            },
            "metrics_collected": {
                "prometheus": {
                    "log_group_name": log_groups.prometheus,
                    "prometheus_config_path": PROMETHEUS_SCRAPE_CONFIG_PATH,
                    "emf_processor": {
                        "metric_namespace": HOST_QPS.namespace,
                        "metric_declaration": [
                            {
                                "source_labels": ["job"],
                                "label_matcher": f"^{EXPORTER_JOB}$",
                                "dimensions": [list(HOST_QPS.dimension_names), ["Tier"]],
                                "metric_selectors": [f"^{HOST_QPS.metric_name}$"],
                            }
                        ],
                    },
                }
            },
        },
    }


def agent_config_json(*, log_groups: AgentLogGroups) -> str:
    """``agent_config`` serialized compactly, as stored in SSM and on the host."""
    return json.dumps(agent_config(log_groups=log_groups), separators=(",", ":"), sort_keys=True)


def prometheus_scrape_yaml(*, tier: str) -> str:
    """The Prometheus scrape configuration the agent reads; the bootstrap fills in the instance id."""
    return (
        "global:\n"
        f"  scrape_interval: {SCRAPE_INTERVAL_SECONDS}s\n"
        "  scrape_timeout: 10s\n"
        "scrape_configs:\n"
        f"  - job_name: {EXPORTER_JOB}\n"
        "    sample_limit: 1000\n"
        "    static_configs:\n"
        f"      - targets: ['{EXPORTER_ADDRESS}']\n"
        "        labels:\n"
        f"          InstanceId: '{INSTANCE_ID_PLACEHOLDER}'\n"
        f"          Tier: '{tier}'\n"
    )
