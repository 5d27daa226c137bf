"""secure_web: CDK for Terraform constructs for a secured, monitored AWS web tier.

The classic design (3 web servers behind a load balancer, a firewall per server,
HTTPS, monitoring with QPS, MySQL primary + replica) with its three flaws fixed:
TLS end to end, a database with automatic failover, and separate web/app/database tiers.
"""

from .alarms import AlarmTopic
from .certificate import CertificateProps, DnsValidatedCertificate
from .monitored_host import MonitoredHost, MonitoredHostProps, host_user_data
from .network import Network, NetworkProps, NetworkRef, plan_subnets
from .replicated_mysql import ReplicatedMySQL, ReplicatedMySQLProps
from .secure_web_tier import ALLOWED_SSL_POLICIES, AlbIngressRule, SecureWebTier, SecureWebTierProps
from .validation import InvalidPropsError, SecureDefaultWeakened

__all__ = [
    "ALLOWED_SSL_POLICIES",
    "AlarmTopic",
    "AlbIngressRule",
    "CertificateProps",
    "DnsValidatedCertificate",
    "InvalidPropsError",
    "MonitoredHost",
    "MonitoredHostProps",
    "Network",
    "NetworkProps",
    "NetworkRef",
    "ReplicatedMySQL",
    "ReplicatedMySQLProps",
    "SecureDefaultWeakened",
    "SecureWebTier",
    "SecureWebTierProps",
    "host_user_data",
    "plan_subnets",
]
