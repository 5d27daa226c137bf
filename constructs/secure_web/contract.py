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
