"""Shared helpers for the CKV_SWEB policies: reading checkov's Terraform JSON shapes and the whole stack.

checkov's ``terraform_json`` parser hands a resource check the resource's arguments
with every value wrapped the way its HCL parser does: scalars become ``[value]``
("true"/"false" strings become booleans), a block given as a dict becomes
``[{...}]``, and a list of blocks stays a list of dicts. ``first`` and ``blocks``
undo that.

Some requirements span resources (a launch template's role must carry a policy; an
alarm must exist for the load balancer; an Aurora cluster needs two instances).
checkov's YAML graph checks follow one connection and cannot count, so those policies
are Python checks that look at the stack they are scanning through ``stack_for``.
checkov 3.3.30's ``terraform_json`` runner does not give resource checks the file's
other resources, so this module records which files the runner scans (one wrapper
around ``add_python_check_results``) and reads them again as cdktf wrote them.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from checkov.terraform_json.runner import TerraformJsonRunner

# Mirrors secure_web.contract.ALLOWED_SSL_POLICIES (a test keeps the two equal), so the
# policies also run in a plain checkov (--external-checks-dir policies) without secure_web.
ALLOWED_SSL_POLICIES = (
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
)
REFERENCE = re.compile(r"\$\{(data\.)?([a-z0-9_]+)\.([A-Za-z0-9_\-]+)(?:\.([A-Za-z0-9_\[\]\.\*]+))?\}")
WORLD_CIDRS = frozenset({"0.0.0.0/0", "::/0"})


def first(conf: dict[str, Any], key: str, default: Any = None) -> Any:
    """The value of ``key`` in a checkov-wrapped configuration, unwrapped once."""
    value = conf.get(key, default)
    if isinstance(value, list):
        return value[0] if value else default
    return value


def blocks(conf: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The nested blocks under ``key`` (a dict or a list of dicts in either shape)."""
    value = conf.get(key) or []
    if isinstance(value, dict):
        return [value]
    return [item for item in value if isinstance(item, dict)]


def as_list(value: Any) -> list[Any]:
    """``value`` as a flat list: None → [], a scalar → [scalar], nested single lists flattened."""
    if value is None:
        return []
    if isinstance(value, list):
        items: list[Any] = []
        for item in value:
            items.extend(as_list(item) if isinstance(item, list) else [item])
        return items
    return [value]


def is_true(value: Any) -> bool:
    """Terraform truthiness of a literal: True, "true" (any case) or 1."""
    value = as_list(value)[0] if isinstance(value, list) and value else value
    return value is True or (isinstance(value, str) and value.lower() == "true") or value == 1


def references(value: Any) -> list[tuple[str, str]]:
    """Every ``(type, name)`` of a managed resource referenced in ``value`` ("${aws_x.name.attr}")."""
    text = json.dumps(value) if not isinstance(value, str) else value
    return [(kind, name) for data, kind, name, _ in REFERENCE.findall(text) if not data]


def policy_statements(document: Any) -> list[dict[str, Any]]:
    """The statements of an IAM policy document given as a dict or its literal JSON text.

    Raises ValueError when the text is not JSON or the document not a JSON object.
    """
    if isinstance(document, str):
        document = json.loads(document)  # json.JSONDecodeError is a ValueError
    if not isinstance(document, dict):
        raise ValueError("the policy is not a JSON object")
    statements = document.get("Statement") or []
    statements = [statements] if isinstance(statements, dict) else statements
    return [statement for statement in statements if isinstance(statement, dict)]


def allowed_actions(document: Any) -> set[str]:
    """The actions (lower case) an IAM policy document (a dict or its literal JSON text) allows outright."""
    try:
        statements = policy_statements(document)
    except ValueError:
        return set()
    return {str(action).lower() for statement in statements if str(statement.get("Effect", "")).lower() == "allow"
            for action in as_list(statement.get("Action"))}


def host_roles(stack: "Stack", host: dict[str, Any]) -> set[str]:
    """Names of the aws_iam_role resources a host's (launch template's or instance's) instance profile carries."""
    profile_ref = host.get("iam_instance_profile")
    if isinstance(profile_ref, list):
        profile_ref = profile_ref[0] if profile_ref else None
    if isinstance(profile_ref, dict):
        profile_ref = [profile_ref.get("arn"), profile_ref.get("name")]
    return {name for _, profile in stack.referenced(profile_ref, "aws_iam_instance_profile")
            for kind, name in references(profile.get("role")) if kind == "aws_iam_role"}


def port_range(conf: dict[str, Any]) -> tuple[int, int] | None:
    """(from, to) of a rule; None when the protocol is 'all' ("-1"), which opens every port."""
    protocol = str(first(conf, "ip_protocol", first(conf, "protocol", "tcp"))).lower()
    if protocol in ("-1", "all"):
        return None
    low, high = first(conf, "from_port"), first(conf, "to_port")
    try:
        return int(low), int(high if high is not None else low)
    except (TypeError, ValueError):
        return None


GZIP_MAGIC = b"\x1f\x8b"


def decoded_user_data(value: Any) -> str:
    """User data as text: base64-decoded (and inflated when gzip-compressed, as cloud-init does) when it is
    base64, else as written."""
    if not isinstance(value, str):
        return ""
    try:
        data = base64.b64decode(value, validate=True)
        if data[:2] == GZIP_MAGIC:
            data = gzip.decompress(data)
        return data.decode()
    except (binascii.Error, UnicodeDecodeError, ValueError, OSError, EOFError):
        return value


@dataclass
class Stack:
    """One synthesized stack as cdktf wrote it: ``resources[type][name] -> arguments``."""

    resources: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def of_type(self, *kinds: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for kind in kinds:
            for name, conf in self.resources.get(kind, {}).items():
                yield kind, name, conf

    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        return self.resources.get(kind, {}).get(name)

    def referenced(self, value: Any, kind: str) -> list[tuple[str, dict[str, Any]]]:
        """``(name, arguments)`` of each resource of ``kind`` that ``value`` references."""
        found = []
        for ref_kind, name in references(value):
            conf = self.get(ref_kind, name)
            if ref_kind == kind and conf is not None:
                found.append((name, conf))
        return found


# Kept on the runner class: checkov executes this file afresh each time it loads the
# policies directory, and every copy must share the one record of scanned files.
if "swe_scanned_files" not in TerraformJsonRunner.__dict__:
    TerraformJsonRunner.swe_scanned_files = {}
_SCANNED: dict[str, str] = TerraformJsonRunner.swe_scanned_files
_CACHE: dict[tuple[str, float], Stack] = {}


def _record_scanned_files(original):
    def add_python_check_results(self, report, runner_filter):
        for full_path in self.definitions:
            _SCANNED[f"/{os.path.relpath(full_path, self.root_folder)}"] = full_path
        return original(self, report, runner_filter)

    add_python_check_results.swe_recording = True
    return add_python_check_results


if not getattr(TerraformJsonRunner.add_python_check_results, "swe_recording", False):
    TerraformJsonRunner.add_python_check_results = _record_scanned_files(TerraformJsonRunner.add_python_check_results)


def load_stack(path: str) -> Stack:
    """Read a cdk.tf.json (or any Terraform JSON file) into a Stack."""
    key = (path, os.path.getmtime(path))
    if key not in _CACHE:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
        resources = {kind: {name: conf for name, conf in by_name.items() if name != "//"}
                     for kind, by_name in (document.get("resource") or {}).items() if kind != "//"}
        _CACHE[key] = Stack(resources=resources)
    return _CACHE[key]


def stack_for(check: Any) -> Stack:
    """The stack holding the entity ``check`` is scanning (from checkov's ``entity_path``)."""
    scanned_file = check.entity_path.split(":", 1)[0]
    path = _SCANNED.get(scanned_file)
    if path is None:
        raise RuntimeError(f"{check.id}: {scanned_file} was not recorded; scan with --framework terraform_json")
    return load_stack(path)


INGRESS_RULE_TYPES = ("aws_vpc_security_group_ingress_rule", "aws_security_group_rule", "aws_security_group")
RULE_TYPES = ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_security_group_rule",
              "aws_security_group")


@dataclass(frozen=True)
class Rule:
    """One ingress or egress permission, whichever resource type wrote it."""

    ports: tuple[int, int] | None
    """(from, to); None for the 'all traffic' protocol."""
    protocol: str
    cidrs: tuple[str, ...]
    groups: tuple[str, ...]
    """The peer security groups (the source of an ingress rule, the destination of an egress rule); "self" for self."""
    prefix_lists: tuple[str, ...]

    def opens(self, port: int) -> bool:
        return self.ports is None or self.ports[0] <= port <= self.ports[1]

    @property
    def from_world(self) -> bool:
        return any(cidr in WORLD_CIDRS for cidr in self.cidrs)


def _rule(conf: dict[str, Any], cidr_keys: tuple[str, ...], group_keys: tuple[str, ...],
          prefix_keys: tuple[str, ...], self_key: str | None = None) -> Rule:
    protocol = str(first(conf, "ip_protocol", first(conf, "protocol", "tcp"))).lower()
    groups = [str(group) for key in group_keys for group in as_list(conf.get(key))]
    if self_key and is_true(first(conf, self_key, False)):
        groups.append("self")
    return Rule(
        ports=port_range(conf), protocol=protocol,
        cidrs=tuple(str(cidr) for key in cidr_keys for cidr in as_list(conf.get(key))),
        groups=tuple(groups), prefix_lists=tuple(str(p) for key in prefix_keys for p in as_list(conf.get(key))),
    )


def rules(kind: str, conf: dict[str, Any], direction: str) -> list[Rule]:
    """The ``direction`` ("ingress" or "egress") permissions a security group resource or rule resource grants."""
    if kind == f"aws_vpc_security_group_{direction}_rule":
        return [_rule(conf, ("cidr_ipv4", "cidr_ipv6"), ("referenced_security_group_id",), ("prefix_list_id",))]
    if kind == "aws_security_group_rule":
        if first(conf, "type") != direction:
            return []
        return [_rule(conf, ("cidr_blocks", "ipv6_cidr_blocks"), ("source_security_group_id",),
                      ("prefix_list_ids",), "self")]
    if kind == "aws_security_group":
        return [_rule(block, ("cidr_blocks", "ipv6_cidr_blocks"), ("security_groups",), ("prefix_list_ids",), "self")
                for block in blocks(conf, direction)]
    return []


def ingress_rules(kind: str, conf: dict[str, Any]) -> list[Rule]:
    """The ingress permissions a security group resource or rule resource grants."""
    return rules(kind, conf, "ingress")


def rule_group(kind: str, conf: dict[str, Any], name: str) -> set[str]:
    """Names of the aws_security_group resources a rule resource belongs to; ``{name}`` for a group's own blocks."""
    if kind == "aws_security_group":
        return {name}
    return {group for ref_kind, group in references(conf.get("security_group_id")) if ref_kind == "aws_security_group"}


def load_balancer_groups(stack: Stack, *, internal: bool | None = None) -> set[str]:
    """Names of the aws_security_group resources attached to a load balancer (only internal, or only
    internet-facing ones, when ``internal`` is given)."""
    return {name for _, _, lb in stack.of_type("aws_lb", "aws_alb")
            if internal is None or is_true(lb.get("internal", False)) == internal
            for ref_kind, name in references(lb.get("security_groups")) if ref_kind == "aws_security_group"}


def entity_name(check: Any) -> str:
    """Name of the resource ``check`` is scanning (checkov's ``entity_path`` is file:type:name)."""
    return check.entity_path.rsplit(":", 1)[-1]


HOST_TYPES = ("aws_launch_template", "aws_instance")


def host_security_groups(kind: str, conf: dict[str, Any]) -> set[str]:
    """Names of the aws_security_group resources a host resource (raw cdktf JSON) attaches."""
    values: list[Any] = [conf.get("vpc_security_group_ids"), conf.get("security_groups")]
    if kind == "aws_launch_template":
        values += [interface.get("security_groups") for interface in blocks(conf, "network_interfaces")]
    return {name for ref_kind, name in references(values) if ref_kind == "aws_security_group"}


def host_subnets(stack: Stack) -> set[str]:
    """Names of the aws_subnet resources any host (instance, launch template, Auto Scaling group) uses."""
    values: list[Any] = []
    for kind, _, conf in stack.of_type("aws_instance", "aws_launch_template", "aws_autoscaling_group"):
        values += [conf.get("subnet_id"), conf.get("vpc_zone_identifier")]
        values += [interface.get("subnet_id") for interface in blocks(conf, "network_interfaces")]
    return {name for ref_kind, name in references(values) if ref_kind == "aws_subnet"}
