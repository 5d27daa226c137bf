"""What secure_web's constructs build and the verifier expects, as plain values free of cdktf.

The constructs' modules import cdktf, and importing cdktf starts node (the jsii runtime);
the verifier runs with the ``verify`` extra alone and must not. Both import these
constants from here, so there is one copy of each.
"""

from __future__ import annotations

from typing import Mapping

ALLOWED_SSL_POLICIES = (
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
)
"""HTTPS listener policies the tier accepts, all TLS 1.3-capable; the first is the default.

The ``Res`` policy offers TLS 1.2 only with AEAD ciphers and forward secrecy; the last two add
TLS 1.2 CBC suites (and warn when chosen). ``Ext2`` (legacy, non-forward-secret ciphers) is refused.
"""

DOMAIN_PATTERN = r"(?=.{1,253}$)(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
"""A lower-case DNS name with a dot and a letters-only top-level label, optionally '*.'-prefixed: what a
certificate covers, and so what nginx may serve the site for."""
DOMAIN_RULE = "must be a lower-case DNS name like app.example.com"

HSTS_HEADER = "max-age=63072000; includeSubDomains"
"""Strict-Transport-Security of every HTTPS response: set by both load balancers' listeners (so responses the
load balancer or WAF makes itself carry it too) and by nginx on the hosts. Two years, subdomains included."""

DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
"""Content-Security-Policy nginx adds to every response that has none of its own (an application sets its own to
allow what its pages load): nothing loads, nothing frames the site, no base URL or form target."""

LISTENER_RESPONSE_HEADERS = {
    "routing_http_response_strict_transport_security_header_value": HSTS_HEADER,
    "routing_http_response_x_content_type_options_header_value": "nosniff",
    "routing_http_response_x_frame_options_header_value": "DENY",
    "routing_http_response_server_enabled": False,
}
"""aws_lb_listener arguments every HTTPS listener of the tier sets: security headers, no ``Server: awselb``."""

WORLD = ("0.0.0.0/0",)
"""Sources the load balancer admits on 80 and 443."""

DEFAULT_APP_PORT = 8443
"""Port the app tier serves on unless set (``SecureWebTierProps.app_port``)."""

MYSQL_PORT = 3306
"""Port of the database."""

MIN_BACKUP_RETENTION_DAYS = 7
"""Fewest days of automated backups the database accepts."""

CLOUDWATCH_AGENT_KEY_FINGERPRINT = "937616F3450B7D806CBD9725D58167303B789C72"
"""Primary-key fingerprint of the OpenPGP key AWS signs the CloudWatch agent packages with (AWS's installation
guide prints it as ``9376 16F3 450B 7D80 6CBD 9725 D581 6730 3B78 9C72``). The host bootstrap installs the agent
only when the package's signature verifies against a key with exactly this fingerprint."""

INTERFACE_ENDPOINT_SERVICES = ("ssm", "ssmmessages", "ec2messages", "logs", "monitoring", "kms", "secretsmanager",
                               "sts")
"""AWS APIs a Network reaches through interface endpoints (``com.amazonaws.<region>.<service>``): what the SSM and
CloudWatch agents, the app's database secret and the SDKs' credential calls use."""

ENDPOINT_POLICY_SERVICES = frozenset({"ssm", "logs", "monitoring", "kms", "secretsmanager", "sts", "s3"})
"""Services whose endpoints take an endpoint policy (AWS's PrivateLink service table); ssmmessages and
ec2messages take none, so their endpoints admit what the caller's IAM policy admits."""

HOST_AGENT_POLICY = "host-agent"
"""The inline policy of every host's role: what the CloudWatch and SSM agents need, on the tier's own resources."""

LOG_TAMPERING_ACTIONS = frozenset({
    "logs:createloggroup", "logs:deleteloggroup", "logs:deletelogstream", "logs:putretentionpolicy",
    "logs:deleteretentionpolicy", "logs:putsubscriptionfilter", "logs:deletesubscriptionfilter",
    "logs:associatekmskey", "logs:disassociatekmskey", "logs:putresourcepolicy", "logs:deleteresourcepolicy",
    "logs:putdataprotectionpolicy", "logs:deletedataprotectionpolicy", "logs:untagloggroup", "logs:untagresource",
})
"""Log actions no host may hold (lower case): they would let a compromised host shorten, redirect or delete evidence."""

RESOURCE_SCOPED_ACTIONS = frozenset({
    "logs:putlogevents", "logs:createlogstream", "logs:describelogstreams", "ssm:getparameter",
    "ssm:getparameters", "ssm:getparametersbypath", "ssm:getparameterhistory", "secretsmanager:getsecretvalue",
    "kms:decrypt", "kms:generatedatakey",
})
"""Actions a host may hold only on named resources, never ``*`` (lower case)."""


def _listed(value: object) -> list[object]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def host_statement_problems(statement: Mapping[str, object]) -> list[str]:
    """What lets one IAM statement of a host's role reach beyond what its agents need; [] when nothing does.

    An Allow fails on: NotAction/NotResource; a wildcard action; an action in
    ``LOG_TAMPERING_ACTIONS``; an action in ``RESOURCE_SCOPED_ACTIONS`` on ``*`` or on every
    parameter; ``cloudwatch:PutMetricData`` without a ``cloudwatch:namespace`` condition.
    The policy CKV_SWEB_027 keeps a copy (it runs without secure_web); a test keeps them equal.
    """
    if str(statement.get("Effect", "")).lower() != "allow":
        return []
    if "NotAction" in statement or "NotResource" in statement:
        return ["NotAction/NotResource allows everything not listed"]
    actions = [str(action).lower() for action in _listed(statement.get("Action"))]
    resources = [str(resource) for resource in _listed(statement.get("Resource"))]
    problems = [f"wildcard action {action}" for action in actions if action == "*" or action.endswith(":*")]
    problems += [f"{action} changes or deletes log evidence" for action in actions if action in LOG_TAMPERING_ACTIONS]
    unscoped = [resource for resource in resources
                if resource == "*" or resource.endswith((":parameter/*", ":parameter*"))]
    problems += [f"{action} on {resource}" for action in actions if action in RESOURCE_SCOPED_ACTIONS
                 for resource in unscoped]
    if "cloudwatch:putmetricdata" in actions:
        condition = statement.get("Condition") or {}
        keys = {str(key).lower() for operator in (condition.values() if isinstance(condition, Mapping) else [])
                if isinstance(operator, Mapping) for key in operator}
        if "cloudwatch:namespace" not in keys:
            problems.append("cloudwatch:putmetricdata without a cloudwatch:namespace condition")
    return problems
