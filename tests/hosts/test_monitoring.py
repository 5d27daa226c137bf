"""nginx stub_status and the Prometheus exporter answer on loopback; the access log is JSON."""

import json


def test_stub_status_answers_on_loopback(host):
    assert "Active connections" in host.check_output("curl -sf --max-time 10 http://127.0.0.1:8080/stub_status")


def test_exporter_reports_nginx_up(host):
    metrics = host.check_output("curl -sf --max-time 10 http://127.0.0.1:9113/metrics").splitlines()
    assert "nginx_up 1" in metrics


def test_exporter_reports_request_counter(host):
    metrics = host.check_output("curl -sf --max-time 10 http://127.0.0.1:9113/metrics")
    assert any(line.startswith("nginx_http_requests_total ") for line in metrics.splitlines())


def test_access_log_lines_are_json(host, https_port):
    host.run(f"curl -sk -o /dev/null --max-time 10 https://127.0.0.1:{https_port}/?access-log-probe")
    last_line = host.check_output("tail -n 1 /var/log/nginx/access.log")
    record = json.loads(last_line)
    assert record["request_uri"] == "/?access-log-probe"
