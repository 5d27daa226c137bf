"""The host's part of the request path: a web host proxies over verified TLS, an app host runs its application.

Role-specific: on a web host the app checks skip, on an app host the proxy checks skip, each with its reason.
"""

import pytest

APP_SERVICE = "secure-web-app"
APP_USER = "secure-web-app"


@pytest.fixture(scope="module")
def role(bootstrap_env) -> str:
    return bootstrap_env["ROLE"]


@pytest.fixture
def app_host(role) -> None:
    if role != "app":
        pytest.skip(f"app host check; this host's role is {role} (ROLE in bootstrap.env)")


@pytest.fixture
def proxying_web_host(role, bootstrap_env) -> None:
    if role != "web" or not bootstrap_env["PROXIED_PATHS"]:
        pytest.skip(f"proxying web host check; this host's role is {role} (ROLE, PROXIED_PATHS in bootstrap.env)")


def test_application_runs_as_its_own_user_and_restarts_on_failure(host, app_host):
    service = host.service(APP_SERVICE)
    assert service.is_running and service.is_enabled
    assert host.check_output(f"systemctl show --property=Restart --value {APP_SERVICE}.service") == "on-failure"
    main_pid = host.check_output(f"systemctl show --property=MainPID --value {APP_SERVICE}.service")
    assert host.check_output(f"ps -o user= -p {main_pid}") == APP_USER


def test_application_listens_on_loopback_only(host, app_host, bootstrap_env, listening):
    assert listening.get(int(bootstrap_env["APP_PORT"])) == {"127.0.0.1"}


def test_application_settings_are_readable_by_its_user_only(host, app_host, bootstrap_env):
    directory = host.file(bootstrap_env["DATABASE_CONFIG"].rsplit("/", 1)[0])
    assert (directory.mode, directory.user, directory.group) == (0o750, "root", APP_USER)


def test_database_ca_is_a_certificate_bundle(host, app_host, bootstrap_env):
    assert host.run(f"openssl x509 -noout -in {bootstrap_env['DATABASE_CA']}").rc == 0


def test_every_proxy_location_verifies_the_app_tier(host, proxying_web_host, bootstrap_env):
    config = host.file("/etc/nginx/conf.d/secure-web.conf").content_string
    locations = config.count("proxy_pass https://")
    assert locations == len(bootstrap_env["PROXIED_PATHS"].split())
    assert config.count("proxy_ssl_verify on;") == locations and "proxy_ssl_verify off" not in config
    assert config.count(f"proxy_ssl_name {bootstrap_env['UPSTREAM_SERVER_NAME']};") == locations
    assert config.count(f"proxy_ssl_trusted_certificate {bootstrap_env['UPSTREAM_CA']};") == locations
    assert "proxy_pass http://" not in config


def test_upstream_trust_is_a_certificate_bundle(host, proxying_web_host, bootstrap_env):
    assert host.run(f"openssl x509 -noout -in {bootstrap_env['UPSTREAM_CA']}").rc == 0
