"""Every service the bootstrap configures runs, starts at boot, and is restarted by systemd on failure."""

import pytest

SERVICES = ["nginx", "prometheus-nginx-exporter", "nftables"]
AGENT_SERVICES = ["amazon-cloudwatch-agent", "amazon-ssm-agent"]


def restart_policy(host, service: str) -> str:
    return host.check_output(f"systemctl show --property=Restart --value {service}.service")


@pytest.mark.parametrize("service", SERVICES)
def test_service_is_running(host, service):
    assert host.service(service).is_running


@pytest.mark.parametrize("service", SERVICES)
def test_service_is_enabled(host, service):
    assert host.service(service).is_enabled


@pytest.mark.parametrize("service", SERVICES)
def test_service_restarts_on_failure(host, service):
    assert restart_policy(host, service) == "on-failure"


@pytest.mark.parametrize("service", AGENT_SERVICES)
def test_agent_service_is_running(host, requires_agent, service):
    assert host.service(service).is_running


@pytest.mark.parametrize("service", AGENT_SERVICES)
def test_agent_service_is_enabled(host, requires_agent, service):
    assert host.service(service).is_enabled


@pytest.mark.parametrize("service", AGENT_SERVICES)
def test_agent_service_restarts_on_failure(host, requires_agent, service):
    assert restart_policy(host, service) == "on-failure"
