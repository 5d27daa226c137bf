"""What secure_web's constructs build and the verifier expects, as plain values free of cdktf.

The constructs' modules import cdktf, and importing cdktf starts node (the jsii runtime);
the verifier runs with the ``verify`` extra alone and must not. Both import these
constants from here, so there is one copy of each.
"""

from __future__ import annotations

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

HSTS_HEADER = "max-age=63072000; includeSubDomains"
"""Strict-Transport-Security of every HTTPS response: set by both load balancers' listeners (so responses the
load balancer or WAF makes itself carry it too) and by nginx on the hosts. Two years, subdomains included."""

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

AGENT_MANAGED_POLICIES = ("CloudWatchAgentServerPolicy", "AmazonSSMManagedInstanceCore")
"""The only managed policies of a host's role."""
