"""The architecture picture of the reference stack: each load balancer in its own layer, with its own targets."""

from __future__ import annotations

import re

from secure_web.compliance.diagram import architecture_dot


def _clusters(dot: str) -> dict[str, str]:
    """Subgraph name -> its body."""
    return dict(re.findall(r"subgraph cluster_(\w+) \{(.*?)\n  \}", dot, re.DOTALL))


def test_internal_load_balancer_is_drawn_in_the_private_subnets_and_the_public_one_in_the_public(reference_stack):
    dot = architecture_dot(reference_stack, [])
    clusters = _clusters(dot)
    assert "Internal Application Load Balancer" in clusters["private"]
    assert "Internal Application Load Balancer" not in clusters["public"]
    assert "Application Load Balancer" in clusters["public"]


def _short(key: str) -> str:
    """``aws_lb.web_app-alb_42997C30`` -> ``app-alb`` (the construct id); ``internet`` stays."""
    return key.split(".", 1)[1].split("_")[1] if "." in key else key


def test_the_request_path_is_drawn_hop_by_hop(reference_stack):
    edges = re.findall(r'"([^"]+)" -> "([^"]+)" \[label="([^\\"]+)', architecture_dot(reference_stack, []))
    hops = {(_short(source), _short(target), label) for source, target, label in edges if "sns_topic" not in target}
    assert hops == {
        ("internet", "alb", "HTTPS (TLS 1.3 policy)"), ("internet", "alb", "HTTP: 301 redirect to HTTPS"),
        ("alb", "web-hosts", "HTTPS (target group)"), ("web-hosts", "app-alb", "HTTPS (TLS 1.3 policy)"),
        ("app-alb", "app-hosts", "HTTPS (target group)"),
        ("app-hosts", "cluster", "MySQL over TLS (require_secure_transport)"),
    }
