"""Read-only verification of a deployed secure_web stack, from its Terraform outputs.

``python -m secure_web.verify --outputs outputs.json --region eu-west-1`` runs every
check in ``checks.CHECKS`` with boto3 and reports each failure as the resource, what was
expected and what was found. It only calls the read-only actions listed in
``iam/verifier-policy.json``. The failover drill (which does change the database) is a
separate command, ``python -m secure_web.verify.failover``. See docs/verifier.md.
"""

from .checks import CHECKS, Check, CheckResult, Deployment, Finding, VerifySettings, run_checks
from .clients import Clients
from .outputs import DeploymentOutputs, OutputsError, load_outputs

__all__ = [
    "CHECKS",
    "Check",
    "CheckResult",
    "Clients",
    "Deployment",
    "DeploymentOutputs",
    "Finding",
    "OutputsError",
    "VerifySettings",
    "load_outputs",
    "run_checks",
]
