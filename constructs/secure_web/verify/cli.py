"""``python -m secure_web.verify --outputs FILE --region R [--json]``: verify a deployed stack.

Exit status: 0 every check passed, 1 a check failed, 2 the outputs could not be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import timedelta

import boto3

from .checks import Deployment, VerifySettings, run_checks
from .clients import Clients
from .outputs import OutputsError, load_outputs


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    defaults = VerifySettings()
    parser = argparse.ArgumentParser(prog="python -m secure_web.verify", description=__doc__.splitlines()[0])
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


def main(argv: Sequence[str] | None = None, *, clients: Clients | None = None) -> int:
    args = parse_args(argv)
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
