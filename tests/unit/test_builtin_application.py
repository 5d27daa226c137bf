"""The built-in application's production path, without a host: settings from SSM, the password from Secrets Manager
(both emulated by moto), and a database client that must verify the server.

The VM suite runs the same file on a booted app host against real MariaDB servers (with the settings and the
credentials in files, as there is no AWS in a VM); this covers what only EC2 would exercise.
"""

from __future__ import annotations

import importlib.util
import json
import os
import stat
import sys
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from secure_web.host_bootstrap import builtin_application_source

REGION = "eu-west-1"
PARAMETER = "/secure-web/shop-app/database"


@pytest.fixture
def application(tmp_path, monkeypatch):
    """The shipped application module, loaded from its text (what the app host runs)."""
    path = tmp_path / "secure_web_app.py"
    path.write_text(builtin_application_source())
    spec = importlib.util.spec_from_file_location("secure_web_app_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setenv("AWS_REGION", REGION)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    return module


@pytest.fixture
def fake_client(tmp_path, monkeypatch):
    """A ``mariadb`` on PATH that records its arguments and the options file, and answers as a TLS server would."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "record.json"
    client = bin_dir / "mariadb"
    client.write_text(f"""#!{sys.executable}
import json, sys
options = next(a for a in sys.argv[1:] if a.startswith("--defaults-extra-file="))
with open(options.split("=", 1)[1]) as handle:
    text = handle.read()
json.dump({{"argv": sys.argv[1:], "options": text}}, open({str(record)!r}, "w"))
print("1")
print("Ssl_version\\tTLSv1.3")
""")
    client.chmod(client.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("SECURE_WEB_DATABASE_CA", "/etc/secure-web/tls/database-ca.pem")
    return record


@mock_aws
def test_on_ec2_the_settings_come_from_ssm_and_the_password_from_secrets_manager(application, fake_client,
                                                                                 monkeypatch):
    secret = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="rds!cluster-1", SecretString=json.dumps({"username": "admin", "password": "s3cr3t-from-rds"}))
    boto3.client("ssm", region_name=REGION).put_parameter(Name=PARAMETER, Type="String", Value=json.dumps({
        "host": "db.cluster-abc.eu-west-1.rds.amazonaws.com", "port": 3306, "database": "app",
        "secret_arn": secret["ARN"]}))
    monkeypatch.setenv("SECURE_WEB_DATABASE_PARAMETER", PARAMETER)

    status, body = application.query_database()

    assert (status, body["database"], body["tls"]) == (200, "ok", "TLSv1.3")
    call = json.loads(fake_client.read_text())
    assert "password=s3cr3t-from-rds" in call["options"] and "user=admin" in call["options"]
    assert not any("s3cr3t" in argument for argument in call["argv"])  # never on the command line
    assert {"--ssl", "--ssl-verify-server-cert", "--ssl-ca=/etc/secure-web/tls/database-ca.pem",
            "--host=db.cluster-abc.eu-west-1.rds.amazonaws.com", "--port=3306"} <= set(call["argv"])


@mock_aws
def test_a_missing_parameter_is_a_failed_check_not_a_crash(application, monkeypatch):
    monkeypatch.setenv("SECURE_WEB_DATABASE_PARAMETER", PARAMETER)
    monkeypatch.setenv("SECURE_WEB_DATABASE_CA", "/nonexistent")
    with pytest.raises(Exception, match="ParameterNotFound"):
        application.database_config()


def test_an_answer_without_tls_is_a_failure_even_when_the_client_succeeds(application, fake_client, tmp_path,
                                                                         monkeypatch):
    # The broken twin of the client: it connects, but the session reports no TLS version.
    client = Path(os.environ["PATH"].split(os.pathsep)[0]) / "mariadb"
    client.write_text(client.read_text().replace("Ssl_version\\tTLSv1.3", "Ssl_version\\t"))
    settings = tmp_path / "database.json"
    credentials = tmp_path / "credentials.json"
    credentials.write_text(json.dumps({"username": "app", "password": "pw"}))
    settings.write_text(json.dumps({"host": "10.0.2.200", "port": 3306, "database": "app",
                                    "credentials_file": str(credentials)}))
    monkeypatch.setenv("SECURE_WEB_DATABASE_CONFIG", str(settings))
    monkeypatch.delenv("SECURE_WEB_DATABASE_PARAMETER", raising=False)

    status, body = application.query_database()

    assert (status, body["database"]) == (503, "failed")
