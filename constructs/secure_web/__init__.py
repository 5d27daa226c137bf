"""secure_web: CDK for Terraform constructs for a secured, monitored AWS web tier.

The classic design (3 web servers behind a load balancer, a firewall per server,
HTTPS, monitoring with QPS, MySQL primary + replica) with its three flaws fixed:
TLS end to end, a database with automatic failover, and separate web/app/database tiers.

The constructs load on first use (``from secure_web import SecureWebTier``), so the
parts that need no cdktf (the verifier, the compliance gate, the Terraform check)
import without starting the jsii runtime. Importing the package makes later imports of
the AWS provider bindings lazy (see ``secure_web.aws``), whoever imports them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports

# Provider loading: from here on, importing cdktf_cdktf_provider_aws (ours or the user's
# `from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket`) loads one submodule at a time.
# Only the standard library is imported for this; node starts when cdktf is first used.
from . import aws as _provider_loading  # noqa: F401,E402

_EXPORTS = {
    "AlarmTopic": "alarms",
    "CertificateProps": "certificate",
    "DnsValidatedCertificate": "certificate",
    "Application": "host_bootstrap",
    "Upstream": "host_bootstrap",
    "MonitoredHost": "monitored_host",
    "MonitoredHostProps": "monitored_host",
    "host_user_data": "monitored_host",
    "Network": "network",
    "NetworkProps": "network",
    "NetworkRef": "network",
    "plan_subnets": "network",
    "ReplicatedMySQL": "replicated_mysql",
    "ReplicatedMySQLProps": "replicated_mysql",
    "ALLOWED_SSL_POLICIES": "secure_web_tier",
    "AlbIngressRule": "secure_web_tier",
    "SecureWebTier": "secure_web_tier",
    "SecureWebTierProps": "secure_web_tier",
    "InvalidPropsError": "validation",
    "SecureDefaultWeakened": "validation",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from .alarms import AlarmTopic
    from .certificate import CertificateProps, DnsValidatedCertificate
    from .host_bootstrap import Application, Upstream
    from .monitored_host import MonitoredHost, MonitoredHostProps, host_user_data
    from .network import Network, NetworkProps, NetworkRef, plan_subnets
    from .replicated_mysql import ReplicatedMySQL, ReplicatedMySQLProps
    from .secure_web_tier import ALLOWED_SSL_POLICIES, AlbIngressRule, SecureWebTier, SecureWebTierProps
    from .validation import InvalidPropsError, SecureDefaultWeakened

__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
