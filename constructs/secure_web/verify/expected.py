"""What secure_web's constructs build, as plain values: the verifier's expectations, free of cdktf.

The constructs' modules import cdktf, and importing cdktf starts node (the jsii runtime);
the verifier runs with the ``verify`` extra alone and must not. So it reads these copies,
and ``tests/verify/test_expected_values.py`` pins each one to the constant of the construct
it mirrors (named below), so the two cannot drift apart.
"""

from __future__ import annotations

ALLOWED_SSL_POLICIES = (
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
)
"""HTTPS listener policies the tier accepts (``secure_web_tier.ALLOWED_SSL_POLICIES``)."""

WORLD = ("0.0.0.0/0",)
"""Sources the load balancer admits on 80 and 443 (``secure_web_tier.WORLD``)."""

DEFAULT_APP_PORT = 8443
"""Port the app tier serves on unless set (``SecureWebTierProps.app_port``)."""

MYSQL_PORT = 3306
"""Port of the database (``replicated_mysql.MYSQL_PORT``)."""

MIN_BACKUP_RETENTION_DAYS = 7
"""Fewest days of automated backups the database accepts (``replicated_mysql.BACKUP_RETENTION_RANGE[0]``)."""

AGENT_MANAGED_POLICIES = ("CloudWatchAgentServerPolicy", "AmazonSSMManagedInstanceCore")
"""The only managed policies of a host's role (``monitored_host.AGENT_MANAGED_POLICIES``)."""
