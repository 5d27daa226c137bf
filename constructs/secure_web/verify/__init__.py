"""Read-only verification of a deployed secure_web stack, from its Terraform outputs.

``secure-web verify --outputs outputs.json --region eu-west-1`` (or ``python -m
secure_web.verify``) runs every check in ``checks.CHECKS`` with boto3 and reports each
failure as the resource, what was expected and what was found. It only calls the
read-only actions listed in ``secure_web/verify/verifier-policy.json``. The failover drill (which does
change the database) is a separate command, ``python -m secure_web.verify.failover``.
``secure_web.outputs.verifier_outputs`` declares the outputs it reads. See docs/verifier.md.

Needs the ``verify`` extra (boto3), never cdktf or node. The names below load on first
use, so ``--help`` and reading an outputs file work without boto3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS = {
    "CHECKS": "checks",
    "Check": "checks",
    "CheckResult": "checks",
    "Deployment": "checks",
    "Finding": "checks",
    "run_checks": "checks",
    "Clients": "clients",
    "DeploymentOutputs": "outputs",
    "OUTPUT_NAMES": "outputs",
    "OutputsError": "outputs",
    "load_outputs": "outputs",
    "VerifySettings": "settings",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from .checks import CHECKS, Check, CheckResult, Deployment, Finding, run_checks
    from .clients import Clients
    from .outputs import OUTPUT_NAMES, DeploymentOutputs, OutputsError, load_outputs
    from .settings import VerifySettings

__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
