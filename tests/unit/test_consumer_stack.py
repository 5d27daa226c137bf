"""Another stack pip-installs secure_web and imports the constructs from the installed package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from secure_web.terraform_check import check_document, terraform_binary

REPO = Path(__file__).resolve().parents[2]

CONSUMER_APP = textwrap.dedent("""
    import sys
    import cdktf
    import secure_web
    from secure_web import (MonitoredHost, MonitoredHostProps, Network, ReplicatedMySQL, ReplicatedMySQLProps,
                            SecureWebTier, SecureWebTierProps)
    from secure_web.aws import resource_module

    app = cdktf.App(outdir=sys.argv[1])
    stack = cdktf.TerraformStack(app, "consumer")
    resource_module("provider").AwsProvider(stack, "aws", region="us-east-1")
    network = Network(stack, "net")
    tier = SecureWebTier(stack, "shop", SecureWebTierProps(
        network=network.ref, name="shop",
        certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/0f0f0f0f-1111-2222-3333-444455556666",
        hosted_zone_id="Z0123456789ABCDEFGHIJ", app_domain_name="shop-app.internal.example.net",
        app_certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/0f0f0f0f-1111-2222-3333-777788889999"))
    db = ReplicatedMySQL(stack, "orders", ReplicatedMySQLProps(network=network.ref, name="orders"))
    tier.connect_database(db)
    MonitoredHost(stack, "batch", MonitoredHostProps(
        name="batch", role="app", vpc_id=network.vpc_id, subnet_ids=network.ref.private_subnet_ids,
        allowed_https_cidrs=("10.0.0.0/16",), instance_count=1, https_port=9443))
    app.synth()
    print(secure_web.__file__)
""")


def test_consumer_stack_synthesizes_from_the_installed_package(tmp_path):
    # GIVEN the library installed from the repository into a fresh site directory (as pip does from a git URL)
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(site), str(REPO)],
        check=True, capture_output=True, text=True,
    )
    assert (site / "secure_web" / "bootstrap" / "host_bootstrap.sh").is_file()
    consumer = tmp_path / "consumer"
    consumer.mkdir()
    (consumer / "app.py").write_text(CONSUMER_APP)

    # WHEN a consumer app outside the repository imports the constructs and synthesizes
    environment = {**os.environ, "PYTHONPATH": str(site), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    result = subprocess.run([sys.executable, "app.py", str(tmp_path / "out")], cwd=consumer, env=environment,
                            capture_output=True, text=True, timeout=300)

    # THEN it used the installed copy and produced the constructs' resources
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().startswith(str(site))
    document = json.loads((tmp_path / "out/stacks/consumer/cdk.tf.json").read_text())
    resources = document["resource"]
    assert len(resources["aws_autoscaling_group"]) == 3
    assert len(resources["aws_rds_cluster"]) == 1
    assert not resources.get("aws_acm_certificate")
    listener = next(l for l in resources["aws_lb_listener"].values() if l["port"] == 443)
    assert listener["certificate_arn"].startswith("arn:aws:acm:us-east-1:")
    internal = next(l for l in resources["aws_lb_listener"].values() if l["port"] == 8443)
    assert internal["certificate_arn"].endswith("777788889999")
    # AND Terraform itself accepts the consumer's stack (offline: templates, references, keys)
    checked = check_document(document, file="consumer", terraform=terraform_binary())
    assert [str(error) for error in checked.errors] == []
