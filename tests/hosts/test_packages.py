"""The packages the bootstrap relies on are installed."""

import pytest

PACKAGES = ["nginx", "nftables", "openssl", "prometheus-nginx-exporter", "curl", "ca-certificates"]
AGENT_PACKAGES = ["amazon-cloudwatch-agent", "amazon-ssm-agent"]


@pytest.mark.parametrize("name", PACKAGES)
def test_package_is_installed(host, name):
    assert host.package(name).is_installed


@pytest.mark.parametrize("name", AGENT_PACKAGES)
def test_agent_package_is_installed(host, requires_agent, name):
    assert host.package(name).is_installed
