"""Verifier suite: an emulated AWS (moto_server on 127.0.0.1) holding the synthesized reference stack.

One moto_server serves the whole session; each test applies its own deployment of the
stack (tests/conftest.py ``reference_stack``) under a unique name suffix (resetting the
server would reload IAM's managed policies each time).
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


def _apply(endpoint: str, document, breakage: Breakage | None) -> EmulatedDeployment:
    suffix = str(next(_suffixes))
    raw = build(aws_session(), endpoint, document, breakage, suffix=suffix)
    return EmulatedDeployment(endpoint=endpoint, outputs=parse_outputs({"secure-web": raw}), raw_outputs=raw,
                              suffix=suffix)


@pytest.fixture
def deploy(moto_endpoint: str, reference_stack):
    """``deploy(breakage=None)`` applies the synthesized reference stack to moto, with ``breakage``: a fresh copy."""
    return lambda breakage=None: _apply(moto_endpoint, reference_stack.document, breakage)


@pytest.fixture(scope="session")
def deployed(moto_endpoint: str, reference_stack):
    """``deployed(breakage=None)``: like ``deploy``, applied once per breakage and shared, for tests that only read."""
    applied: dict[Breakage | None, EmulatedDeployment] = {}

    def _deployed(breakage: Breakage | None = None) -> EmulatedDeployment:
        if breakage not in applied:
            applied[breakage] = _apply(moto_endpoint, reference_stack.document, breakage)
        return applied[breakage]

    return _deployed
