#!/usr/bin/env python
"""The reference stack: the classic secured, monitored web design with its three flaws fixed.

Internet → ALB (HTTPS, WAF) → web tier (HTTPS) → internal ALB (HTTPS, verified name) → app tier (TLS)
→ MySQL Multi-AZ DB cluster (TLS, verified against the RDS CA).
Settings come from the environment (SECURE_WEB_<NAME>), then cdktf context
(``cdktf.json`` → ``context``), then offline-safe defaults; nothing needs AWS
credentials to synthesize.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

sys.path.insert(0, str(Path(__file__).resolve().parent / "constructs"))

import cdktf  # noqa: E402
import jsii.errors  # noqa: E402
from constructs import Construct  # noqa: E402

from secure_web import (  # noqa: E402
    AlarmTopic, InvalidPropsError, Network, NetworkProps, ReplicatedMySQL, ReplicatedMySQLProps, SecureWebTier,
    SecureWebTierProps,
)
from secure_web.aws import IMPORT_MODE_VARIABLE, blocks, resource_module  # noqa: E402
from secure_web.outputs import verifier_outputs  # noqa: E402
from secure_web.terraform_check import TERRAFORM_VARIABLE  # noqa: E402
from secure_web.validation import is_ip_address  # noqa: E402


@dataclass(frozen=True, kw_only=True)
class ReferenceSettings:
    """What an operator sets per deployment; each has an offline-safe default."""

    stack_name: str = "secure-web"
    """Stack (and cdktf.out directory) name. Default: secure-web."""
    region: str = "eu-west-1"
    """AWS region. Default: eu-west-1."""
    domain_name: str = "www.example.com"
    """Site domain; the ACM certificate is validated in ``hosted_zone_id``. Default: www.example.com."""
    hosted_zone_id: str = "Z00000000000EXAMPLE"
    """Route 53 zone of ``domain_name``. Default: a placeholder id (synth only)."""
    web_instance_count: int = 3
    """Web hosts. Default: 3."""
    app_instance_count: int = 2
    """App hosts. Default: 2."""
    instance_type: str = "t3.small"
    """Web and app instance type. Default: t3.small."""
    db_engine: str = "mysql"
    """'mysql' (Multi-AZ DB cluster) or 'aurora-mysql'. Default: mysql."""
    db_instance_class: str = ""
    """DB instance class; empty means the engine's default. Default: empty."""
    state_bucket: str = ""
    """S3 bucket for shared state with native locking; empty keeps state local. Default: empty."""
    state_key: str = "secure-web/terraform.tfstate"
    """Object key of the state in ``state_bucket``. Default: secure-web/terraform.tfstate."""


SETTING_PREFIX = "SECURE_WEB_"
# Variables other secure_web tools read (provider import mode, the Terraform check, the VM and live test suites):
# main.py ignores them, and they are not reported as unknown settings.
OTHER_VARIABLES = frozenset({IMPORT_MODE_VARIABLE, TERRAFORM_VARIABLE, "SECURE_WEB_VM_CACHE", "SECURE_WEB_OUTPUTS",
                             "SECURE_WEB_STACK"})
STACK_NAME_PATTERN = r"[A-Za-z][A-Za-z0-9_-]{0,63}"
REGION_PATTERN = r"[a-z]{2,4}(-[a-z]+){1,3}-\d{1,2}"
BUCKET_NAME_PATTERN = r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"
BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


class SettingsError(ValueError):
    """Settings from the environment or the cdktf context that cannot be used; one line per problem."""


def stack_name_problem(value: str) -> str | None:
    if re.fullmatch(STACK_NAME_PATTERN, value):
        return None
    return ("must be 1-64 letters, digits, '-' and '_', starting with a letter (it names the stack, its "
            "directory in the output and the 'stack' tag)")


def region_problem(value: str) -> str | None:
    if re.fullmatch(REGION_PATTERN, value):
        return None
    if re.fullmatch(REGION_PATTERN + "[a-z]", value):
        return f"must be a region like eu-west-1, not an availability zone (this one is in {value[:-1]})"
    return "must be an AWS region like eu-west-1"


def state_bucket_problem(value: str) -> str | None:
    """S3 bucket naming rules; empty is allowed and keeps state local."""
    if not value:
        return None
    if value.startswith(("s3://", "arn:", "https://")):
        return ("must be the bucket name alone, like team-state, not a URL or ARN (the object key is the state_key "
                "setting)")
    if (not re.fullmatch(BUCKET_NAME_PATTERN, value) or ".." in value or value.startswith(BUCKET_RESERVED_PREFIXES)
            or value.endswith(BUCKET_RESERVED_SUFFIXES) or is_ip_address(value)):
        return ("must be an S3 bucket name: 3-63 characters of a-z, 0-9, '.' and '-', starting and ending with a "
                "letter or digit, not an IP address")
    return None


def state_key_problem(value: str) -> str | None:
    """What Terraform's S3 backend refuses in ``key``."""
    if value and len(value.encode()) <= 1024 and not value.startswith("/") and not value.endswith("/") \
            and "//" not in value:
        return None
    return "must be an S3 object key of 1-1024 bytes, not starting or ending with '/' and without '//'"


# Settings passed on to construct props are checked there; these reach AWS, Terraform or cdktf directly.
SETTING_PROBLEMS = {
    "stack_name": stack_name_problem,
    "region": region_problem,
    "state_bucket": state_bucket_problem,
    "state_key": state_key_problem,
}


def unknown_variables(environment: Mapping[str, str]) -> list[str]:
    """A problem for each ``SECURE_WEB_*`` variable that is not a setting, naming the closest setting."""
    settings = sorted(SETTING_PREFIX + setting.name.upper() for setting in dataclasses.fields(ReferenceSettings))
    problems = []
    for variable in sorted(environment):
        if not variable.upper().startswith(SETTING_PREFIX) or variable in settings or variable in OTHER_VARIABLES:
            continue
        closest = difflib.get_close_matches(variable.upper(), settings, n=1, cutoff=0)[0]
        problems.append(f"{variable} is not a setting of the reference stack; did you mean {closest}?")
    return problems


def read_settings(app: cdktf.App) -> ReferenceSettings:
    """Environment ``SECURE_WEB_<FIELD>`` wins over context ``<field>``, which wins over the default.

    Raises one SettingsError for every value that cannot be parsed or would be refused by AWS, Terraform or cdktf,
    and for every ``SECURE_WEB_*`` variable that is not a setting (a misspelt one would otherwise be ignored).
    """
    values: dict[str, object] = {}
    problems = unknown_variables(os.environ)
    node = app.node  # one round trip to node, not one per setting
    for setting in dataclasses.fields(ReferenceSettings):
        source = SETTING_PREFIX + setting.name.upper()
        raw = os.environ.get(source)
        if raw is None:
            source = f"context '{setting.name}'"
            raw = node.try_get_context(setting.name)
        if raw is None:
            continue
        if setting.type != "int":
            values[setting.name] = str(raw)
            check = SETTING_PROBLEMS.get(setting.name)
            rule = check(str(raw)) if check else None
            if rule:
                problems.append(f"{source} {rule}; got {raw!r}")
            continue
        try:
            values[setting.name] = int(str(raw).strip())
        except ValueError:
            problems.append(f"{source} must be a whole number; got {raw!r}")
    if problems:
        raise SettingsError("\n".join(problems))
    return ReferenceSettings(**values)


class ReferenceStack(cdktf.TerraformStack):
    """Network, alarm topic, SecureWebTier and ReplicatedMySQL; the app tier connects to the database over TLS."""

    def __init__(self, scope: Construct, settings: ReferenceSettings) -> None:
        super().__init__(scope, settings.stack_name)
        resource_module("provider").AwsProvider(
            self, "aws", region=settings.region,
            default_tags=blocks([{"tags": {"project": "secure-web", "stack": settings.stack_name}}]),
        )
        if settings.state_bucket:
            backend = cdktf.S3Backend(self, bucket=settings.state_bucket, key=settings.state_key,
                                      region=settings.region, encrypt=True)
            # S3 native state locking (Terraform >= 1.10); the cdktf 0.21 bindings predate the argument.
            backend.add_override("use_lockfile", True)
        network = Network(self, "network", NetworkProps())
        alarms = AlarmTopic(self, "alarms")
        tier = SecureWebTier(self, "web", SecureWebTierProps(
            network=network.ref, domain_name=settings.domain_name, hosted_zone_id=settings.hosted_zone_id,
            instance_count=settings.web_instance_count, instance_type=settings.instance_type,
            app_instance_count=settings.app_instance_count, app_instance_type=settings.instance_type,
            alarm_topic_arn=alarms.topic_arn,
        ))
        database = ReplicatedMySQL(self, "database", ReplicatedMySQLProps(
            network=network.ref, engine=settings.db_engine, instance_class=settings.db_instance_class or None,
        ))
        tier.connect_database(database)

        verifier_outputs(self, tier=tier, database=database, alarm_topic_arn=alarms.topic_arn)


def build_app(outdir: str | None = None, context: dict[str, object] | None = None) -> cdktf.App:
    """The cdktf app holding the reference stack (not yet synthesized)."""
    app = cdktf.App(outdir=outdir, context=context) if outdir else cdktf.App(context=context)
    ReferenceStack(app, read_settings(app))
    return app


def publish(staging: Path, outdir: Path) -> None:
    """Move a finished synth into ``outdir`` file by file, manifest last; other files there (.terraform, plans) stay."""
    manifest = staging / "manifest.json"
    for source in sorted(staging.rglob("*")):
        if source.is_file() and source != manifest:
            target = outdir / source.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
    os.replace(manifest, outdir / "manifest.json")


def main() -> int:
    """Synthesize into a staging directory and publish only a complete result, so bad input leaves outdir as it was.

    The output directory is ``CDKTF_OUTDIR`` (set by cdktf-cli) or ``cdktf.out``.
    """
    outdir = Path(os.environ.get("CDKTF_OUTDIR") or "cdktf.out")
    outdir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".synth-", dir=outdir))
    try:
        try:
            app = build_app(outdir=str(staging))
        except (InvalidPropsError, SettingsError) as error:
            print(f"secure_web: the reference stack was not synthesized:\n{error}", file=sys.stderr)
            return 2
        try:
            app.synth()
        except jsii.errors.JSIIError as error:
            print(f"secure_web: synthesis failed; {outdir} was left as it was:\n{error}", file=sys.stderr)
            return 1
        publish(staging, outdir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
