"""Rendering bootstrap/host_bootstrap.sh into user data: quoting, validation, size, shell syntax."""

from __future__ import annotations

import base64
import dataclasses
import gzip
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import secure_web
from secure_web.agent_config import AgentLogGroups, PROMETHEUS_SCRAPE_CONFIG_PATH, agent_config_json, prometheus_scrape_yaml
from secure_web.host_bootstrap import (
    PARAMETERS_MARKER,
    USER_DATA_LIMIT_BYTES,
    Application,
    HostBootstrapParams,
    Upstream,
    bootstrap_script,
    builtin_application_source,
    compressed_user_data,
    render_user_data,
)

SCRIPT_PATH = Path(__file__).resolve().parents[2] / "constructs" / "secure_web" / "bootstrap" / "host_bootstrap.sh"
HOSTILE_TEXT = "it's \"$(touch /tmp/pwned)\" `id` ${HOME} \\ \n; exit 1 #"


def valid_params(**overrides: object) -> HostBootstrapParams:
    log_groups = AgentLogGroups(access="/sw/access", error="/sw/error", prometheus="/sw/prometheus")
    values: dict[str, object] = {
        "role": "web",
        "allowed_https_cidrs": ("10.0.0.0/16",),
        "agent_config_parameter": "AmazonCloudWatch-web",
        "agent_config_json": agent_config_json(log_groups=log_groups),
        "prometheus_scrape_yaml": prometheus_scrape_yaml(tier="web"),
    }
    values.update(overrides)
    return HostBootstrapParams(**values)


def agent_json_with(extra: str) -> str:
    config = json.loads(valid_params().agent_config_json)
    config["comment"] = extra
    return json.dumps(config)


BASE_NAMES = ("ROLE", "HTTPS_PORT", "ALLOWED_HTTPS_CIDRS", "SSH_ALLOWED_CIDRS", "CLOUDWATCH_AGENT",
              "AGENT_CONFIG_PARAMETER", "PROMETHEUS_SCRAPE_CONFIG_PATH", "AGENT_CONFIG_JSON", "PROMETHEUS_SCRAPE_YAML")
UPSTREAM_NAMES = ("UPSTREAM_ADDRESS", "UPSTREAM_PORT", "UPSTREAM_SERVER_NAME", "UPSTREAM_CA_PEM", "PROXIED_PATHS",
                  "DNS_RESOLVER", "UPSTREAM_CONNECT_TIMEOUT", "UPSTREAM_READ_TIMEOUT", "UPSTREAM_TRIES", "APP_COMMAND",
                  "APP_SOURCE")
APP_NAMES = ("APP_COMMAND", "APP_PORT", "APP_ENVIRONMENT", "APP_PACKAGES", "APP_SOURCE", "DATABASE_CONFIG_PARAMETER",
             "DATABASE_CA_PEM", "UPSTREAM_ADDRESS")
UPSTREAM = Upstream(address="app-internal.shop.example.org", port=8443, server_name="app-internal.shop.example.org")
TEST_PEM = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUTEST\n-----END CERTIFICATE-----\n"


def rendered_parameters(user_data: str, names: tuple[str, ...] = BASE_NAMES) -> dict[str, str]:
    """Runs only the rendered parameter block in bash and reads back what each variable holds."""
    block = user_data.split("set -Eeuo pipefail\n", 1)[1].split("\nfor parameter in", 1)[0]
    program = block + "\nprintf '%s\\0' " + " ".join(f'"${name}"' for name in names)
    # Bytes, not text=True: universal-newline decoding would turn a '\r' in a value into '\n'.
    output = subprocess.run(["bash", "-c", program], capture_output=True, check=True).stdout.decode()
    return dict(zip(names, output.split("\0")))


def test_marker_is_replaced_once_and_the_rest_is_the_shipped_script():
    script = bootstrap_script()
    head, tail = script.split(PARAMETERS_MARKER)
    user_data = render_user_data(valid_params())
    assert PARAMETERS_MARKER not in user_data
    assert user_data.startswith(head) and user_data.endswith(tail)


def test_shipped_script_is_the_repository_file():
    assert bootstrap_script() == SCRIPT_PATH.read_text()


def test_parameters_reach_the_script_verbatim():
    params = valid_params(role="app", https_port=8443, ssh_allowed_cidrs=("10.0.2.0/24", "fd00::/8"),
                          cloudwatch_agent=False, agent_config_json=agent_json_with(HOSTILE_TEXT),
                          prometheus_scrape_yaml=HOSTILE_TEXT)
    assert rendered_parameters(render_user_data(params)) == {
        "ROLE": "app",
        "HTTPS_PORT": "8443",
        "ALLOWED_HTTPS_CIDRS": "10.0.0.0/16",
        "SSH_ALLOWED_CIDRS": "10.0.2.0/24 fd00::/8",
        "CLOUDWATCH_AGENT": "0",
        "AGENT_CONFIG_PARAMETER": "AmazonCloudWatch-web",
        "PROMETHEUS_SCRAPE_CONFIG_PATH": PROMETHEUS_SCRAPE_CONFIG_PATH,
        "AGENT_CONFIG_JSON": params.agent_config_json,
        "PROMETHEUS_SCRAPE_YAML": HOSTILE_TEXT,
    }


@settings(max_examples=25, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), min_size=1))
def test_any_scrape_config_text_survives_quoting(text):
    if not text.strip():
        return
    user_data = render_user_data(valid_params(prometheus_scrape_yaml=text))
    assert rendered_parameters(user_data)["PROMETHEUS_SCRAPE_YAML"] == text


def test_agent_defaults_on_and_ssh_closed():
    values = rendered_parameters(render_user_data(valid_params()))
    assert (values["CLOUDWATCH_AGENT"], values["SSH_ALLOWED_CIDRS"], values["HTTPS_PORT"]) == ("1", "", "443")


@pytest.mark.parametrize(
    "field, value",
    [
        ("role", "Web!"),
        ("role", ""),
        ("https_port", 0),
        ("https_port", 70000),
        ("https_port", 8080),
        ("https_port", 22),
        ("https_port", True),
        ("allowed_https_cidrs", ()),
        ("allowed_https_cidrs", ("10.0.0.1/16",)),
        ("allowed_https_cidrs", ("10.0.0.0/16; accept",)),
        ("ssh_allowed_cidrs", ("10.0.2.0/33",)),
        ("ssh_allowed_cidrs", ("10.0.2.1",)),
        ("cloudwatch_agent", "yes"),
        ("agent_config_parameter", "secure-web-agent"),
        ("agent_config_parameter", "AmazonCloudWatch-x;reboot"),
        ("agent_config_json", "not json"),
        ("agent_config_json", "{}"),
        ("agent_config_json", "[]"),
        ("agent_config_json", '{"logs":{"metrics_collected":{"prometheus":{"prometheus_config_path":"../x"}}}}'),
        ("prometheus_scrape_yaml", " \n"),
    ],
)
def test_invalid_value_is_rejected_naming_the_field(field, value):
    with pytest.raises(ValueError, match=f"'{field}"):
        render_user_data(valid_params(**{field: value}))


def test_every_problem_is_reported_at_once():
    with pytest.raises(ValueError) as raised:
        render_user_data(valid_params(role="", https_port=0, allowed_https_cidrs=()))
    assert all(f"'{field}'" in str(raised.value) for field in ("role", "https_port", "allowed_https_cidrs"))


def test_user_data_over_ec2_limit_is_rejected():
    # Random text barely compresses: 18000 random bytes as base64 stay above 16 KiB after gzip.
    oversized = valid_params(prometheus_scrape_yaml=base64.b64encode(os.urandom(18000)).decode())
    with pytest.raises(ValueError, match=f"gzip-compressed user data must be at most {USER_DATA_LIMIT_BYTES} bytes"):
        render_user_data(oversized)


def test_user_data_just_under_the_limit_uncompressed_would_not_fit_but_is_accepted():
    # The limit counts what EC2 receives: the compressed bytes, not the script.
    params = valid_params(prometheus_scrape_yaml="# " + "scrape padding " * 2000)
    script = render_user_data(params)
    assert len(script.encode()) > USER_DATA_LIMIT_BYTES > len(compressed_user_data(script))


@pytest.mark.parametrize("role", ["web", "app"])
def test_default_user_data_leaves_room_under_the_limit(role):
    extra = {"upstream": UPSTREAM} if role == "web" else {"application": Application(database_ca_pem=TEST_PEM * 4)}
    script = render_user_data(valid_params(role=role, **extra))
    assert len(compressed_user_data(script)) < USER_DATA_LIMIT_BYTES - 4096


def test_compressed_user_data_is_byte_stable_and_inflates_to_the_script():
    script = render_user_data(valid_params())
    assert compressed_user_data(script) == compressed_user_data(render_user_data(valid_params()))  # a re-render
    assert gzip.decompress(compressed_user_data(script)).decode() == script
    assert compressed_user_data(script)[4:8] == b"\0\0\0\0"  # no timestamp in the gzip header


def test_upstream_and_application_reach_the_script_verbatim():
    upstream = dataclasses.replace(UPSTREAM, ca_pem=TEST_PEM, paths=("/api/", "/cart/"))
    web = rendered_parameters(render_user_data(valid_params(upstream=upstream)), UPSTREAM_NAMES)
    assert web == {"UPSTREAM_ADDRESS": "app-internal.shop.example.org", "UPSTREAM_PORT": "8443",
                   "UPSTREAM_SERVER_NAME": "app-internal.shop.example.org", "UPSTREAM_CA_PEM": TEST_PEM.strip(),
                   "PROXIED_PATHS": "/api/ /cart/", "DNS_RESOLVER": "169.254.169.253", "UPSTREAM_CONNECT_TIMEOUT": "3",
                   "UPSTREAM_READ_TIMEOUT": "30", "UPSTREAM_TRIES": "2", "APP_COMMAND": "", "APP_SOURCE": ""}
    application = Application(command="/usr/bin/node /srv/shop/server.js", port=3000, environment={"MODE": "prod"},
                              packages=("nodejs",), database_config_parameter="/shop/app/database")
    app = rendered_parameters(render_user_data(valid_params(role="app", application=application)), APP_NAMES)
    assert app == {"APP_COMMAND": "/usr/bin/node /srv/shop/server.js", "APP_PORT": "3000",
                   "APP_ENVIRONMENT": "MODE=prod", "APP_PACKAGES": "nodejs", "APP_SOURCE": "",
                   "DATABASE_CONFIG_PARAMETER": "/shop/app/database", "DATABASE_CA_PEM": "", "UPSTREAM_ADDRESS": ""}


def test_an_app_host_without_a_command_ships_the_built_in_application():
    app = rendered_parameters(render_user_data(valid_params(role="app")), APP_NAMES)
    assert app["APP_SOURCE"] == builtin_application_source()
    assert app["APP_PORT"] == "8000"


@pytest.mark.parametrize("role, field, value", [
    ("app", "upstream", UPSTREAM),
    ("web", "application", Application()),
])
def test_role_specific_settings_are_refused_on_the_other_role(role, field, value):
    with pytest.raises(ValueError, match=f"'{field}' is only for the"):
        render_user_data(valid_params(role=role, **{field: value}))


def test_rendered_user_data_is_valid_bash(tmp_path):
    user_data = tmp_path / "user-data"
    user_data.write_text(render_user_data(valid_params(agent_config_json=agent_json_with(HOSTILE_TEXT))))
    result = subprocess.run(["bash", "-n", str(user_data)], capture_output=True, text=True)
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed (apt-get install shellcheck)")
def test_script_passes_shellcheck():
    result = subprocess.run(["shellcheck", str(SCRIPT_PATH)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed (apt-get install shellcheck)")
def test_rendered_user_data_passes_shellcheck(tmp_path):
    user_data = tmp_path / "user-data"
    user_data.write_text(render_user_data(valid_params()))
    # SC2016: the agent configuration holds the agent's own ${aws:...} placeholders, quoted on purpose.
    result = subprocess.run(["shellcheck", "--exclude=SC2016", str(user_data)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_unrendered_script_stops_before_changing_anything():
    result = subprocess.run(["bash", str(SCRIPT_PATH)], capture_output=True, text=True)
    assert result.returncode == 2
    assert "not rendered: ROLE is not set" in result.stderr


def test_params_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        valid_params().role = "app"  # type: ignore[misc]


def test_nginx_sends_the_same_hsts_as_the_load_balancers():
    from secure_web.contract import HSTS_HEADER
    script = (Path(secure_web.__file__).parent / "bootstrap" / "host_bootstrap.sh").read_text()
    assert f'readonly HSTS_HEADER="{HSTS_HEADER}"' in script
    assert 'add_header Strict-Transport-Security "$HSTS_HEADER" always;' in script



def test_server_names_reach_the_script(tmp_path):
    user_data = render_user_data(valid_params(server_names=("shop.example.org", "*.shop.example.org")))
    assert rendered_parameters(user_data, ("SERVER_NAMES",)) == {"SERVER_NAMES": "shop.example.org *.shop.example.org"}
    assert rendered_parameters(render_user_data(valid_params()), ("SERVER_NAMES",)) == {"SERVER_NAMES": ""}


@pytest.mark.parametrize("names", [("Shop.example.org",), ("shop.example.org;",), ("localhost",),
                                   ("shop.example.org", "a b.example.org"), ["shop.example.org"]])
def test_a_server_name_nginx_could_misread_is_refused(names):
    with pytest.raises(ValueError, match="server_names"):
        render_user_data(valid_params(server_names=names))


def test_nginx_sends_the_contracts_content_security_policy_unless_the_response_has_one():
    from secure_web.contract import DEFAULT_CSP
    script = bootstrap_script()
    assert f'readonly DEFAULT_CSP="{DEFAULT_CSP}"' in script
    assert 'map \\$upstream_http_content_security_policy \\$secure_web_csp {\n    "" "$DEFAULT_CSP";\n    default "";' in script
    assert script.count("add_header Content-Security-Policy \\$secure_web_csp always;") == 1
