"""The storefront example with one deliberate weakness: SSH open to the world on the web hosts.

A raw provider rule added next to secure_web's constructs, as a hurried change might; the
compliance gate must fail on it (CKV_SWEB_005, and checkov's own CKV_AWS_24).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "storefront"))

from cdktf import App  # noqa: E402
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule  # noqa: E402

from storefront import Storefront  # noqa: E402

app = App()
stack = Storefront(app, "storefront-prod")
VpcSecurityGroupIngressRule(stack, "debug-ssh", security_group_id=stack.tier.web_connections.security_group_id,
                            ip_protocol="tcp", from_port=22, to_port=22, cidr_ipv4="0.0.0.0/0",
                            description="SSH for debugging")
app.synth()
