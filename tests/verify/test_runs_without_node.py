"""The verifier runs from the package without starting node, and answers ``--help`` without boto3.

Each case runs in a fresh interpreter (this test process has loaded the constructs, and so
node, through the moto fixture). ``python -S`` leaves out every installed distribution:
only the standard library and ``constructs/`` remain, which is less than the ``verify``
extra brings. A probe reports what the interpreter loaded and which processes it started.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from moto_deployment import REGION

REPO = Path(__file__).resolve().parents[2]
NODE_STARTERS = ["cdktf", "constructs", "jsii"]

PROBE = """
import importlib, importlib.util, json, os, sys

def child_processes():
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as stat_file:
                stat = stat_file.read()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2:].split()[1]) == os.getpid():
            found.append(stat[stat.index("(") + 1:stat.rindex(")")])
    return sorted(found)

for module in filter(None, sys.argv[1].split(",")):
    importlib.import_module(module)
from secure_web.verify.cli import main

status = main(sys.argv[2:])
print(json.dumps({"status": status, "children": child_processes(),
                  "modules": sorted({name.split(".")[0] for name in sys.modules}
                                    & {"jsii", "cdktf", "constructs", "boto3", "botocore"}),
                  "boto3_installed": importlib.util.find_spec("boto3") is not None}))
"""


def run_python(*arguments: str, site: bool = True, extra_env: dict[str, str] | None = None,
               timeout: float = 120) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(REPO / "constructs"), **(extra_env or {})}
    command = [sys.executable, *([] if site else ["-S"]), *arguments]
    return subprocess.run(command, cwd=REPO, env=environment, capture_output=True, text=True, timeout=timeout)


def probe(*argv: str, first_import: str = "", site: bool = True,
          extra_env: dict[str, str] | None = None) -> tuple[dict[str, object], str]:
    """Import ``first_import`` (comma-separated), run ``secure_web.verify.cli.main(argv)``; the report and stdout."""
    result = run_python("-c", PROBE, first_import, *argv, site=site, extra_env=extra_env)
    assert result.returncode == 0, result.stderr[-3000:]
    *printed, report = result.stdout.splitlines()
    return json.loads(report), "\n".join(printed)


def test_help_without_boto3_exits_0_and_loads_neither_node_nor_boto3():
    report, printed = probe("--help", site=False)
    assert report == {"status": 0, "children": [], "modules": [], "boto3_installed": False}
    assert printed.startswith("usage: secure-web verify") and "--outputs" in printed


@pytest.mark.parametrize("command, usage", [
    (["-m", "secure_web.verify", "--help"], "usage: python -m secure_web.verify"),
    (["-c", "import sys; from secure_web.cli import main; sys.exit(main(['verify', '--help']))"],
     "usage: secure-web verify"),
    (["-m", "secure_web.verify.failover", "--help"], "usage: python -m secure_web.verify.failover"),
], ids=["python-m-secure_web.verify", "secure-web-verify", "failover-drill"])
def test_help_commands_exit_0_without_any_installed_package(command, usage):
    result = run_python(*command, site=False)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith(usage)


@pytest.mark.parametrize("command", [
    ["-m", "secure_web.verify", "--outputs", "outputs.json", "--region", REGION],
    ["-m", "secure_web.verify.failover", "--cluster", "db", "--region", REGION, "--yes-i-understand"],
], ids=["verify", "failover-drill"])
def test_running_without_boto3_exits_2_and_names_the_extra(command):
    result = run_python(*command, site=False)
    assert result.returncode == 2
    assert "boto3 is not installed; install secure-web[verify]" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_installed_package_answers_help_outside_the_source_tree(tmp_path):
    # GIVEN the package installed from the repository (as pip does from a git URL), none of its dependencies
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(site), str(REPO)], check=True, capture_output=True, text=True, timeout=300)

    # WHEN an interpreter without site-packages, outside the repository, asks that copy for help
    result = subprocess.run(
        [sys.executable, "-S", "-c",
         "import sys, secure_web.verify.cli as cli; print(cli.__file__); sys.exit(cli.main(['--help']))"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(site)}, capture_output=True, text=True, timeout=120)

    # THEN the installed copy answered
    assert (result.returncode, result.stderr) == (0, "")
    module_file, usage, *_ = result.stdout.splitlines()
    assert Path(module_file).is_relative_to(site) and usage.startswith("usage: secure-web verify")


@contextmanager
def ssm_answering_online(moto_endpoint: str) -> Iterator[str]:
    """An SSM endpoint on 127.0.0.1 reporting every instance asked about Online (moto has no such API) and passing
    every other SSM request on to moto."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the http.server hook's name)
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers["X-Amz-Target"] != "AmazonSSM.DescribeInstanceInformation":
                forwarded = urllib.request.Request(moto_endpoint + self.path, data=raw, method="POST", headers={
                    name: self.headers[name] for name in ("X-Amz-Target", "Content-Type", "Authorization",
                                                          "X-Amz-Date") if self.headers[name]})
                try:
                    with urllib.request.urlopen(forwarded, timeout=30) as response:
                        status, body = response.status, response.read()
                except urllib.error.HTTPError as error:
                    status, body = error.code, error.read()
            else:
                request = json.loads(raw)
                ids = [value for query in request["Filters"] if query["Key"] == "InstanceIds"
                       for value in query["Values"]]
                status, body = 200, json.dumps({"InstanceInformationList": [
                    {"InstanceId": instance_id, "PingStatus": "Online", "ResourceType": "EC2Instance"}
                    for instance_id in ids]}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_a_full_verification_starts_no_node(deployed, tmp_path):
    # GIVEN a compliant deployment in the emulated account and its outputs file, as after cdktf deploy
    deployment = deployed()
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"secure-web": deployment.raw_outputs}), encoding="utf-8")
    with ssm_answering_online(deployment.endpoint) as ssm_endpoint:
        emulated_account = {"AWS_ENDPOINT_URL": deployment.endpoint, "AWS_ENDPOINT_URL_SSM": ssm_endpoint,
                            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                            "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                            "AWS_EC2_METADATA_DISABLED": "true"}

        # WHEN the command runs every check, with every module of secure_web.verify loaded
        report, printed = probe("--outputs", str(outputs), "--region", REGION, "--json",
                                first_import="secure_web.verify.failover,secure_web.verify.checks",
                                extra_env=emulated_account)

    # THEN every check passed with boto3, and nothing loaded cdktf or started node
    results = json.loads(printed)
    assert [entry["id"] for entry in results if not entry["passed"]] == [] and len(results) == 32
    assert report["status"] == 0
    assert report["modules"] == ["boto3", "botocore"] and report["children"] == []


def test_the_probe_sees_node_start_when_the_constructs_load():
    report, _ = probe("--help", first_import="secure_web.secure_web_tier",
                      extra_env={"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"})
    assert report["modules"] == NODE_STARTERS and "node" in report["children"]
