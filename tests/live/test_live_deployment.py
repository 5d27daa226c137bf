"""The verifier's checks against a real deployment, one test per check.

Runs only when SECURE_WEB_OUTPUTS (a ``cdktf deploy --outputs-file`` or
``terraform output -json`` file) and AWS_REGION are set; SECURE_WEB_STACK picks a stack
from a multi-stack outputs file. Credentials come from the standard chain and need only
``secure_web/verify/verifier-policy.json``. Example::

    SECURE_WEB_OUTPUTS=outputs.json AWS_REGION=eu-west-1 pipenv run pytest tests/live
"""

from __future__ import annotations

import os

import boto3
import pytest

from secure_web.verify import CHECKS, Check, Clients, Deployment, load_outputs, run_checks

OUTPUTS = os.environ.get("SECURE_WEB_OUTPUTS")
REGION = os.environ.get("AWS_REGION")

pytestmark = pytest.mark.skipif(not (OUTPUTS and REGION),
                                reason="live suite: set SECURE_WEB_OUTPUTS (outputs file) and AWS_REGION")


@pytest.fixture(scope="module")
def deployment() -> Deployment:
    outputs = load_outputs(OUTPUTS, stack=os.environ.get("SECURE_WEB_STACK"))
    return Deployment(outputs, Clients(boto3.Session(), region=REGION))


@pytest.mark.parametrize("check", CHECKS, ids=[check.check_id for check in CHECKS])
def test_check_passes(deployment: Deployment, check: Check):
    (result,) = run_checks(deployment, [check])
    assert result.passed, f"{check.title}:\n" + "\n".join(str(finding) for finding in result.findings)
