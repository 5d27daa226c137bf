"""The reference stack's Terraform outputs, read from either file format that produces them.

* ``cdktf deploy --outputs-file f.json``: ``{"<stack>": {"<output>": value}}``
* ``terraform output -json``: ``{"<output>": {"value": value, "type": ..., "sensitive": ...}}``
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


class OutputsError(ValueError):
    """The outputs file cannot be read as the reference stack's outputs."""


@dataclass(frozen=True, kw_only=True)
class DeploymentOutputs:
    """The outputs ``main.py`` declares; the verifier's contract with the stack. All required."""

    alb_dns_name: str
    url: str
    alb_arn: str
    https_listener_arn: str
    target_group_arn: str
    certificate_arn: str
    access_log_bucket: str
    alb_security_group_id: str
    web_security_group_id: str
    app_security_group_id: str
    db_security_group_id: str
    web_autoscaling_group: str
    app_autoscaling_group: str
    db_cluster_identifier: str
    db_writer_endpoint: str
    db_reader_endpoint: str
    dashboard_name: str
    qps_high_alarm: str
    qps_low_alarm: str
    alarm_topic_arn: str
    app_load_balancer_arn: str
    app_target_group_arn: str
    app_alb_security_group_id: str
    database_config_parameter_name: str

    @property
    def load_balancer_dimension(self) -> str:
        """The ``LoadBalancer`` CloudWatch dimension: the ARN after ``loadbalancer/`` (``app/<name>/<id>``)."""
        return self.alb_arn.split(":loadbalancer/", 1)[-1]


OUTPUT_NAMES = tuple(field.name for field in dataclasses.fields(DeploymentOutputs))


def load_outputs(path: str | Path, *, stack: str | None = None) -> DeploymentOutputs:
    """Read ``path`` in either format; ``stack`` picks one stack of a multi-stack cdktf file.

    Raises ``OutputsError`` naming the file and what is wrong with it.
    """
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise OutputsError(f"{path}: cannot read outputs: {error}") from error
    return parse_outputs(document, source=str(path), stack=stack)


def parse_outputs(document: object, *, source: str = "outputs", stack: str | None = None) -> DeploymentOutputs:
    """Outputs from an already-parsed document; see ``load_outputs``."""
    if not isinstance(document, Mapping) or not document:
        raise OutputsError(f"{source}: expected a non-empty JSON object; got {document!r}")
    values = _terraform_values(document) if _is_terraform_format(document) else _cdktf_values(document, source, stack)
    missing = [name for name in OUTPUT_NAMES if name not in values]
    if missing:
        raise OutputsError(f"{source}: missing outputs {missing}; found {sorted(values)}")
    not_text = {name: values[name] for name in OUTPUT_NAMES if not isinstance(values[name], str) or not values[name]}
    if not_text:
        raise OutputsError(f"{source}: outputs must be non-empty strings; got {not_text}")
    return DeploymentOutputs(**{name: values[name] for name in OUTPUT_NAMES})


def _is_terraform_format(document: Mapping[str, object]) -> bool:
    return all(isinstance(entry, Mapping) and "value" in entry for entry in document.values())


def _terraform_values(document: Mapping[str, object]) -> dict[str, object]:
    return {name: entry["value"] for name, entry in document.items()}  # type: ignore[index]


def _cdktf_values(document: Mapping[str, object], source: str, stack: str | None) -> dict[str, object]:
    stacks = {name: entry for name, entry in document.items() if isinstance(entry, Mapping)}
    if stack is not None:
        if stack not in stacks:
            raise OutputsError(f"{source}: no stack {stack!r}; found stacks {sorted(stacks)}")
        return dict(stacks[stack])
    if len(stacks) != 1 or len(stacks) != len(document):
        raise OutputsError(
            f"{source}: expected one stack's outputs (cdktf) or terraform output -json; "
            f"found top-level keys {sorted(document)}; pass --stack to pick one"
        )
    return dict(next(iter(stacks.values())))
