"""``secure-web verify --outputs FILE --region R [--json]``: verify a deployed stack.

Also ``python -m secure_web.verify``. Exit status: 0 every check passed, 1 a check
failed, 2 the outputs could not be read, the arguments are wrong or boto3 is missing.
boto3 loads only to run the checks, so ``--help`` works without the ``verify`` extra;
nothing here imports cdktf, so node never starts.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from .outputs import OutputsError, load_outputs
from .settings import VerifySettings

if TYPE_CHECKING:
    from .clients import Clients

PROG = "secure-web verify"
AWS_SDK = ("boto3", "botocore")
"""The packages the ``verify`` extra brings; only the checks need them."""
INSTALL_HINT = 'install secure-web[verify] (pip install "secure-web[verify]")'


def parse_args(argv: Sequence[str] | None, *, prog: str = PROG) -> argparse.Namespace:
    defaults = VerifySettings()
    parser = argparse.ArgumentParser(
        prog=prog, description="Verify a deployed secure_web stack from its Terraform outputs (read-only AWS calls).",
        epilog="exit status: 0 every check passed, 1 a check failed, 2 unreadable outputs, bad arguments or no boto3 "
               "(install secure-web[verify]); see docs/verifier.md",
    )
    parser.add_argument("--outputs", required=True,
                        help="cdktf deploy --outputs-file JSON, or terraform output -json")
    parser.add_argument("--region", required=True, help="AWS region of the deployment")
    parser.add_argument("--stack", help="stack to read from a cdktf outputs file holding several")
    parser.add_argument("--profile", help="AWS profile; default: the standard credential chain")
    parser.add_argument("--app-port", type=int, default=defaults.app_port,
                        help=f"port of the app tier (default {defaults.app_port})")
    parser.add_argument("--insufficient-data-grace-minutes", type=int,
                        default=int(defaults.insufficient_data_grace.total_seconds() // 60),
                        help="how long a QPS alarm may stay INSUFFICIENT_DATA (default %(default)s)")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, *, clients: Clients | None = None, prog: str = PROG) -> int:
    """Run the verifier on ``argv`` (default ``sys.argv[1:]``) and return the exit status.

    ``--help`` and argument errors return their status (0, 2) instead of raising
    ``SystemExit``, so a caller dispatching subcommands can return it as it is.
    ``clients`` replaces the boto3 clients built from ``--profile`` and ``--region``.
    """
    try:
        args = parse_args(argv, prog=prog)
    except SystemExit as exit_request:
        return 0 if exit_request.code is None else int(exit_request.code)
    try:
        import boto3

        from .checks import Deployment, run_checks
        from .clients import Clients
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in AWS_SDK:
            raise
        print(f"secure_web.verify: {error.name} is not installed; {INSTALL_HINT}", file=sys.stderr)
        return 2
    try:
        outputs = load_outputs(args.outputs, stack=args.stack)
    except OutputsError as error:
        print(f"secure_web.verify: {error}", file=sys.stderr)
        return 2
    settings = VerifySettings(app_port=args.app_port,
                              insufficient_data_grace=timedelta(minutes=args.insufficient_data_grace_minutes))
    clients = clients or Clients(boto3.Session(profile_name=args.profile), region=args.region)
    results = run_checks(Deployment(outputs, clients, settings=settings))
    if args.json:
        print(json.dumps([{
            "id": result.check.check_id, "title": result.check.title, "passed": result.passed,
            "findings": [{"resource": f.resource, "expected": f.expected, "found": f.found} for f in result.findings],
        } for result in results], indent=2))
    else:
        for result in results:
            print(f"{'PASS' if result.passed else 'FAIL'} {result.check.check_id} {result.check.title}")
            for finding in result.findings:
                print(f"     {finding}")
        failed = sum(not result.passed for result in results)
        print(f"{len(results) - failed} passed, {failed} failed")
    return 0 if all(result.passed for result in results) else 1
