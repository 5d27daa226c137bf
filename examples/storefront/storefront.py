"""A consumer's stack built from secure_web: a storefront and its orders database.

Written the way a platform team would: its own construct ids, provider classes
imported the usual way, and the verifier's outputs declared by secure_web's helper.
"""

from __future__ import annotations

import secure_web.aws  # noqa: F401  (first: the provider imports below then load one module each)
from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct
from secure_web import Network, NetworkProps, ReplicatedMySQL, ReplicatedMySQLProps, SecureWebTier, SecureWebTierProps
from secure_web.outputs import verifier_outputs

CONSTRUCT_IDS = {"network": "edge-net", "tier": "storefront", "database": "orders"}
"""The ids this stack gives secure_web's constructs (a test renames every one)."""


class Storefront(TerraformStack):
    """A network, the storefront's web and app tiers behind HTTPS, and a MySQL that fails over."""

    def __init__(self, scope: Construct, stack_id: str, *, region: str = "us-east-2") -> None:
        super().__init__(scope, stack_id)
        AwsProvider(self, "aws", region=region)
        network = Network(self, CONSTRUCT_IDS["network"], NetworkProps(cidr_block="10.40.0.0/16"))
        self.tier = SecureWebTier(self, CONSTRUCT_IDS["tier"], SecureWebTierProps(
            network=network.ref, name="shopfront", domain_name="shop.example.net",
            hosted_zone_id="Z0987654321ZYXWVUTSRQ"))
        self.orders = ReplicatedMySQL(self, CONSTRUCT_IDS["database"], ReplicatedMySQLProps(
            network=network.ref, name="orders-db"))
        self.tier.connect_database(self.orders)
        verifier_outputs(self, tier=self.tier, database=self.orders)

