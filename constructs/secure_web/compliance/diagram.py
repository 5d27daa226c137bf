"""The synthesized architecture as a Graphviz picture: tiers, TLS hops, security-group edges, check results.

Built from the stack's Terraform JSON alone; ``dot`` (graphviz) renders it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .scan import FAILED, PASSED, SKIPPED, Result

REF = re.compile(r"\$\{(aws_[a-z0-9_]+)\.([A-Za-z0-9_\-]+)\.")
PASS_COLOR, FAIL_COLOR, NEUTRAL = "#2e7d32", "#c62828", "#455a64"


def _refs(value: object, kind: str | None = None) -> list[tuple[str, str]]:
    found = REF.findall(json.dumps(value))
    return [(k, n) for k, n in found if kind is None or k == kind]


@dataclass
class Node:
    key: str
    label: str
    layer: str
    members: set[str] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)


def _nodes(resources: dict) -> list[Node]:
    nodes: list[Node] = []
    for name, lb in resources.get("aws_lb", {}).items():
        internal = lb.get("internal") is True
        node = Node(f"aws_lb.{name}", f"{'Internal ' if internal else ''}Application Load Balancer\\n"
                    f"{lb.get('name', name)}", "private" if internal else "public",
                    {f"aws_lb.{name}"}, {n for _, n in _refs(lb.get("security_groups"), "aws_security_group")})
        for kind in ("aws_lb_listener", "aws_wafv2_web_acl_association"):
            for other, conf in resources.get(kind, {}).items():
                if (("aws_lb", name) in _refs(conf)):
                    node.members.add(f"{kind}.{other}")
                    if kind == "aws_lb_listener":  # the target groups this load balancer forwards to
                        node.members |= {f"aws_lb_target_group.{n}" for _, n in _refs(conf, "aws_lb_target_group")}
        nodes.append(node)
    for name, group in resources.get("aws_autoscaling_group", {}).items():
        templates = _refs(group.get("launch_template"), "aws_launch_template")
        members = {f"aws_autoscaling_group.{name}"} | {f"{k}.{n}" for k, n in templates}
        groups = set()
        role = name
        for _, template_name in templates:
            template = resources["aws_launch_template"][template_name]
            groups |= {n for _, n in _refs(template.get("network_interfaces"), "aws_security_group")}
            tags = (template.get("tags") or {})
            role = tags.get("secure-web:tier", role)
        size = group.get("desired_capacity", group.get("min_size", "?"))
        nodes.append(Node(f"aws_autoscaling_group.{name}", f"{role} hosts x{size}\\n(Auto Scaling group)", "private",
                          members, groups))
    for kind in ("aws_rds_cluster", "aws_db_instance"):
        for name, db in resources.get(kind, {}).items():
            engine = db.get("engine", "")
            shape = f"Multi-AZ DB cluster ({db.get('db_cluster_instance_class')})" if db.get("db_cluster_instance_class") \
                else f"{engine}"
            instances = [n for n, c in resources.get("aws_rds_cluster_instance", {}).items()
                         if (kind, name) in _refs(c)]
            if instances:
                shape += f" x{len(instances)} instances"
            members = {f"{kind}.{name}"} | {f"aws_rds_cluster_instance.{n}" for n in instances}
            nodes.append(Node(f"{kind}.{name}", f"MySQL ({engine})\\n{shape}", "isolated", members,
                              {n for _, n in _refs(db.get("vpc_security_group_ids"), "aws_security_group")}))
    return nodes


def _status(addresses: set[str], results: list[Result]) -> tuple[int, int, int]:
    mine = [r for r in results if r.address in addresses]
    return (sum(r.status == PASSED for r in mine), sum(r.status == FAILED for r in mine),
            sum(r.status == SKIPPED for r in mine))


def _verdict(counts: tuple[int, int, int]) -> str:
    passed, failed, skipped = counts
    text = f"{passed} passed"
    if failed:
        text += f", {failed} FAILED"
    if skipped:
        text += f", {skipped} skipped"
    return text


def architecture_dot(stack_file: Path, results: list[Result]) -> str:
    """DOT text for one stack, coloured by the results of the checks on each tier and edge."""
    document = json.loads(stack_file.read_text())
    resources = document.get("resource") or {}
    nodes = _nodes(resources)
    owner = {group: node for node in nodes for group in node.groups}
    rules = resources.get("aws_vpc_security_group_ingress_rule", {})
    for node in nodes:
        node.members |= {f"aws_security_group.{g}" for g in node.groups}
        node.members |= {f"aws_vpc_security_group_ingress_rule.{n}" for n, r in rules.items()
                         if set(n2 for _, n2 in _refs(r.get("security_group_id"))) & node.groups}

    lines = ["digraph architecture {", '  graph [rankdir=TB, fontname="Helvetica", fontsize=14, nodesep=0.8, '
             'ranksep=0.9, pad=0.4, labelloc=t, label="secure_web: synthesized architecture (checkov results per tier)"];',
             '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=13, fillcolor="#ffffff", penwidth=2];',
             '  edge [fontname="Helvetica", fontsize=12, penwidth=1.6];',
             f'  internet [label="Internet\\nclients", shape=ellipse, fillcolor="#eceff1", color="{NEUTRAL}"];']
    layers = {"public": "Public subnets", "private": "Private subnets (NAT egress)", "isolated": "Isolated subnets (no internet route)"}
    for layer, title in layers.items():
        members = [n for n in nodes if n.layer == layer]
        if not members:
            continue
        lines.append(f'  subgraph cluster_{layer} {{ label="{title}"; style="rounded,dashed"; color="#90a4ae";')
        for node in members:
            counts = _status(node.members, results)
            color = FAIL_COLOR if counts[1] else PASS_COLOR
            lines.append(f'    "{node.key}" [label="{node.label}\\nchecks: {_verdict(counts)}", color="{color}"];')
        lines.append("  }")

    for name, rule in sorted(rules.items()):
        targets = [owner[g] for _, g in _refs(rule.get("security_group_id"), "aws_security_group") if g in owner]
        if not targets:
            continue
        port = rule.get("from_port")
        port_text = f"{port}" if port == rule.get("to_port") else f"{port}-{rule.get('to_port')}"
        counts = _status({f"aws_vpc_security_group_ingress_rule.{name}"}, results)
        color = FAIL_COLOR if counts[1] else PASS_COLOR
        sources = [owner[g] for _, g in _refs(rule.get("referenced_security_group_id"), "aws_security_group") if g in owner]
        source_key = sources[0].key if sources else ("internet" if rule.get("cidr_ipv4") in ("0.0.0.0/0",) or rule.get("cidr_ipv6") == "::/0" else None)
        if source_key is None:
            source_key = f"cidr_{name}"
            lines.append(f'  "{source_key}" [label="{rule.get("cidr_ipv4") or rule.get("cidr_ipv6")}", shape=ellipse, color="{NEUTRAL}"];')
        hop = _hop_label(int(port) if str(port).isdigit() else None, targets[0], resources)
        style = "dashed" if "redirect" in hop else "solid"
        lines.append(f'  "{source_key}" -> "{targets[0].key}" [label="{hop}\\ntcp/{port_text} (SG rule)", '
                     f'color="{color}", fontcolor="{color}", style={style}];')
    topics = resources.get("aws_sns_topic", {})
    for name in topics:
        lines.append(f'  "aws_sns_topic.{name}" [label="SNS alarm topic", shape=note, color="{NEUTRAL}"];')
        alarms = [a for a in resources.get("aws_cloudwatch_metric_alarm", {}).values()
                  if ("aws_sns_topic", name) in _refs(a.get("alarm_actions"))]
        qps = [a for a in alarms if "metric_query" in a]
        for node in nodes:
            if node.key.startswith("aws_lb.") and qps:
                counts = _status({node.key}, [r for r in results if r.check_id == "CKV_SWEB_012"])
                color = FAIL_COLOR if counts[1] else PASS_COLOR
                lines.append(f'  "{node.key}" -> "aws_sns_topic.{name}" [label="QPS alarms (RequestCount Sum / PERIOD)", '
                             f'style=dotted, color="{color}", fontcolor="{color}", constraint=false];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _hop_label(port: int | None, target: Node, resources: dict) -> str:
    if target.key.startswith("aws_lb."):
        return "HTTP: 301 redirect to HTTPS" if port == 80 else "HTTPS (TLS 1.3 policy)"
    if target.layer == "isolated":
        return "MySQL over TLS (require_secure_transport)"
    groups = resources.get("aws_lb_target_group", {})
    if any(g.get("protocol") == "HTTPS" and g.get("port") == port for g in groups.values()):
        return "HTTPS (target group)"
    return "TLS"


def render(dot_text: str, out_base: Path) -> list[Path]:
    """Write ``<base>.dot`` and, when graphviz is installed, ``<base>.svg`` and ``<base>.png``."""
    out_base.parent.mkdir(parents=True, exist_ok=True)
    dot_file = out_base.with_suffix(".dot")
    dot_file.write_text(dot_text)
    written = [dot_file]
    if shutil.which("dot") is None:
        return written
    for fmt in ("svg", "png"):
        target = out_base.with_suffix(f".{fmt}")
        extra = ["-Gdpi=110"] if fmt == "png" else []
        subprocess.run(["dot", f"-T{fmt}", *extra, "-o", str(target), str(dot_file)], check=True)
        written.append(target)
    return written
