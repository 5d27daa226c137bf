#!/usr/bin/python3
"""secure_web's built-in application: the app tier's default service, on loopback behind nginx.

GET /                  a marker naming this host (proof a request crossed web -> app)
GET /healthz/database  runs a real query on the database over verified TLS: 200 or 503, JSON
Python standard library and the Debian mariadb client only. The connection settings are a
JSON document (host, port, database, and either secret_arn or credentials_file) in the file
SECURE_WEB_DATABASE_CONFIG, or in the SSM parameter SECURE_WEB_DATABASE_PARAMETER on EC2;
the password comes from Secrets Manager (or the credentials file outside AWS) at each check,
so a rotated secret is picked up. The client verifies the server's certificate against
SECURE_WEB_DATABASE_CA and its name against the host, and refuses a server without TLS.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

QUERY = "SELECT 1; SHOW SESSION STATUS LIKE 'Ssl_version'"
CLIENT_TIMEOUT_SECONDS = 10


def aws_client(service):
    import boto3  # Debian's python3-boto3, installed on EC2 app hosts only
    return boto3.client(service, region_name=os.environ["AWS_REGION"])


def database_config():
    parameter = os.environ.get("SECURE_WEB_DATABASE_PARAMETER")
    if parameter:
        return json.loads(aws_client("ssm").get_parameter(Name=parameter)["Parameter"]["Value"])
    with open(os.environ["SECURE_WEB_DATABASE_CONFIG"], encoding="utf-8") as config:
        return json.load(config)


def credentials(config):
    if "secret_arn" in config:
        secret = aws_client("secretsmanager").get_secret_value(SecretId=config["secret_arn"])
        return json.loads(secret["SecretString"])
    with open(config["credentials_file"], encoding="utf-8") as source:
        return json.load(source)


def query_database():
    """(status, body): the query's answer over verified TLS, or why it failed."""
    config = database_config()
    login = credentials(config)
    with tempfile.NamedTemporaryFile("w", prefix="client-", suffix=".cnf") as options:
        options.write("[client]\nuser=%s\npassword=%s\n" % (login["username"], login["password"]))
        options.flush()
        command = ["mariadb", "--defaults-extra-file=" + options.name, "--ssl", "--ssl-verify-server-cert",
                   "--ssl-ca=" + os.environ["SECURE_WEB_DATABASE_CA"], "--host=" + config["host"],
                   "--port=%d" % int(config["port"]), "--connect-timeout=5", "--batch", "--skip-column-names",
                   "--execute=" + QUERY, config["database"]]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=CLIENT_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            return 503, {"database": "failed", "error": "no answer within %d s" % CLIENT_TIMEOUT_SECONDS}
    if result.returncode != 0:
        return 503, {"database": "failed", "error": result.stderr.strip()[-300:]}
    rows = result.stdout.split()
    tls = rows[2] if len(rows) == 3 and rows[0] == "1" and rows[1] == "Ssl_version" else ""
    if not tls:
        return 503, {"database": "failed", "error": "unexpected answer %r" % result.stdout[:100]}
    return 200, {"database": "ok", "query": "SELECT 1", "tls": tls, "host": config["host"]}


class Handler(BaseHTTPRequestHandler):
    server_version = "secure-web-app"
    sys_version = ""

    def do_GET(self):
        if self.path == "/healthz/database":
            try:
                status, body = query_database()
            except Exception as error:  # a health check reports, it never crashes the service
                status, body = 503, {"database": "failed", "error": "%s: %s" % (type(error).__name__, error)}
            self.answer(status, "application/json", json.dumps(body) + "\n")
        elif self.path == "/" or self.path.startswith("/?"):
            self.answer(200, "text/plain", "secure_web app %s\n" % socket.gethostname())
        else:
            self.answer(404, "text/plain", "not found\n")

    def answer(self, status, content_type, text):
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type + "; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Secure-Web-App", socket.gethostname())
        self.end_headers()
        self.wfile.write(data)


def main():
    host, _, port = os.environ.get("SECURE_WEB_APP_LISTEN", "127.0.0.1:8000").rpartition(":")
    if host not in ("127.0.0.1", "::1"):
        sys.exit("SECURE_WEB_APP_LISTEN must be a loopback address; nginx terminates TLS in front")
    ThreadingHTTPServer((host, int(port)), Handler).serve_forever()


if __name__ == "__main__":
    main()
