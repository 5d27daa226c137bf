"""Secrets and generated configuration have tight owners and modes."""

import pytest

CONFIG_FILES = [
    "/etc/nginx/nginx.conf",
    "/etc/nginx/conf.d/secure-web.conf",
    "/etc/nginx/conf.d/secure-web-status.conf",
    "/etc/nftables.conf",
    "/etc/default/prometheus-nginx-exporter",
]


@pytest.mark.parametrize(
    "path_variable, mode, groups",
    [
        pytest.param("TLS_KEY", 0o600, {"root"}, id="tls-key-0600"),
        # The CloudWatch agent runs as cwagent and reads its files through that group.
        pytest.param("AGENT_CONFIG_PATH", 0o640, {"root", "cwagent"}, id="agent-config-0640"),
        pytest.param("PROMETHEUS_SCRAPE_CONFIG_PATH", 0o640, {"root", "cwagent"}, id="scrape-config-0640"),
    ],
)
def test_owned_by_root_with_mode(host, bootstrap_env, path_variable, mode, groups):
    file = host.file(bootstrap_env[path_variable])
    assert (file.user, file.mode) == ("root", mode)
    assert file.group in groups


@pytest.mark.parametrize("path", CONFIG_FILES)
def test_config_is_root_owned_and_not_world_writable(host, path):
    file = host.file(path)
    assert file.user == "root"
    assert not file.mode & 0o002


def test_default_site_is_removed(host):
    assert not host.file("/etc/nginx/sites-enabled/default").exists
