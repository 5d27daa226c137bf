"""Verifier suite: an emulated AWS (moto_server on 127.0.0.1) holding deployments built with boto3.

One moto_server serves the whole session; each test builds its own deployment under a
unique name suffix (resetting the server would reload IAM's managed policies each time).
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from emulated_aws import EmulatedDeployment, aws_session
from moto_deployment import Breakage, build
from secure_web.verify.outputs import parse_outputs

STARTUP_TIMEOUT_SECONDS = 30
_suffixes = itertools.count(1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log = (tmp_path_factory.mktemp("moto") / "moto_server.log").open("w")
    # The hosts' profile attaches AWS managed policies, which moto loads only when asked.
    environment = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
    server = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)], env=environment,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
                break
            except (urllib.error.URLError, ConnectionError):
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"moto_server did not start on {endpoint}; see {log.name}")
                time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


@pytest.fixture
def deploy(moto_endpoint: str):
    """``deploy(breakage=None)`` builds a fresh deployment in moto and returns it."""

    def _deploy(breakage: Breakage | None = None) -> EmulatedDeployment:
        raw = build(aws_session(), moto_endpoint, breakage, suffix=str(next(_suffixes)))
        return EmulatedDeployment(endpoint=moto_endpoint, outputs=parse_outputs({"secure-web": raw}),
                                  raw_outputs=raw)

    return _deploy
