"""``secure-web verify --outputs FILE --region R [--format F] [--output FILE]``: verify a deployed stack.

Also ``python -m secure_web.verify``. Exit status: 0 every check passed, 1 a check
failed, 2 the outputs could not be read, the arguments are wrong, the report cannot be
written or boto3 is missing. The report formats are in ``formats``.
boto3 loads only to run the checks, so ``--help`` works without the ``verify`` extra;
nothing here imports cdktf, so node never starts.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from .formats import FORMATS, ReportError, render, report_context
from .outputs import OutputsError, load_outputs
from .settings import VerifySettings

if TYPE_CHECKING:
    from .clients import Clients

PROG = "secure-web verify"
AWS_SDK = ("boto3", "botocore")
"""The packages the ``verify`` extra brings; only the checks need them."""
INSTALL_HINT = 'install secure-web[verify] (pip install "secure-web[verify]")'


def missing_aws_sdk(error: ModuleNotFoundError, command: str) -> int:
    """Exit status 2 with the install hint when the ``verify`` extra is missing; any other missing module is raised."""
    if (error.name or "").split(".")[0] not in AWS_SDK:
        raise error
    print(f"{command}: {error.name} is not installed; {INSTALL_HINT}", file=sys.stderr)
    return 2


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
    report = parser.add_mutually_exclusive_group()
    report.add_argument("--format", choices=FORMATS, default="text",
                        help="report format; json, junit, sarif and asff carry each check's severity and controls "
                             "(default %(default)s)")
    report.add_argument("--json", action="store_const", dest="format", const="json", help="the same as --format json")
    parser.add_argument("--output", metavar="FILE", help="write the report to FILE (default: standard output)")
    parser.add_argument("--account-id",
                        help="AWS account of the findings (SARIF ARNs, ASFF AwsAccountId); default: the account in "
                             "the load balancer's ARN (output alb_arn), which it must match")
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
        return missing_aws_sdk(error, "secure_web.verify")
    try:
        outputs = load_outputs(args.outputs, stack=args.stack)
    except OutputsError as error:
        print(f"secure_web.verify: {error}", file=sys.stderr)
        return 2
    settings = VerifySettings(app_port=args.app_port,
                              insufficient_data_grace=timedelta(minutes=args.insufficient_data_grace_minutes))
    clients = clients or Clients(boto3.Session(profile_name=args.profile), region=args.region)
    deployment = Deployment(outputs, clients, settings=settings)
    try:
        context = report_context(outputs, region=args.region, generated_at=deployment.now, account_id=args.account_id)
    except ReportError as error:
        print(f"secure_web.verify: {error}", file=sys.stderr)
        return 2
    results = run_checks(deployment)
    report = render(args.format, results, context)
    if args.output is None:
        sys.stdout.write(report)
    else:
        try:
            Path(args.output).write_text(report, encoding="utf-8")
        except OSError as error:
            print(f"secure_web.verify: cannot write the report: {error}", file=sys.stderr)
            return 2
    return 0 if all(result.passed for result in results) else 1
