"""ReplicatedMySQL: automatic failover instead of a single writer, TLS-only, no literal secrets."""

from __future__ import annotations

import json
import re

import cdktf

from secure_web import Network, ReplicatedMySQL, ReplicatedMySQLProps
from secure_web.aws import resource_module
from tests.conftest import synth_stack


def test_default_is_a_multi_az_db_cluster_with_readable_standbys(reference_stack):
    cluster = reference_stack.by_path("aws_rds_cluster", "database/cluster")
    assert cluster["engine"] == "mysql"
    assert cluster["db_cluster_instance_class"] == "db.m6gd.large"
    assert cluster["storage_type"] == "gp3" and cluster["allocated_storage"] == 100
    assert len(reference_stack.by_path("aws_db_subnet_group", "database/subnets")["subnet_ids"]) == 3
    assert not reference_stack.resources("aws_rds_cluster_instance")


def test_cluster_is_encrypted_backed_up_protected_and_observable(reference_stack):
    cluster = reference_stack.by_path("aws_rds_cluster", "database/cluster")
    assert cluster["storage_encrypted"] is True and "aws_kms_key" in cluster["kms_key_id"]
    assert cluster["backup_retention_period"] >= 7
    assert cluster["deletion_protection"] is True
    assert cluster["skip_final_snapshot"] is False and cluster["final_snapshot_identifier"]
    assert cluster["copy_tags_to_snapshot"] is True
    assert cluster["enabled_cloudwatch_logs_exports"] == ["error", "slowquery"]
    assert cluster["monitoring_interval"] == 60 and "aws_iam_role" in cluster["monitoring_role_arn"]


def test_master_password_is_managed_by_secrets_manager(reference_stack):
    cluster = reference_stack.by_path("aws_rds_cluster", "database/cluster")
    assert cluster["manage_master_user_password"] is True
    assert "master_password" not in cluster


def test_no_literal_secret_anywhere_in_the_synthesized_json(reference_stack):
    text = json.dumps(reference_stack.document)
    assert not re.search(r'"(master_)?password"\s*:', text)
    assert not re.search(r'"secret_string"\s*:', text)


def test_parameter_group_requires_tls(reference_stack):
    group = reference_stack.by_path("aws_rds_cluster_parameter_group", "database/parameters")
    assert group["family"] == "mysql8.0"
    assert {"name": "require_secure_transport", "value": "1", "apply_method": "immediate"} in group["parameter"]


def test_aurora_option_runs_two_instances_with_failover_order(tmp_path):
    app = cdktf.App(outdir=str(tmp_path))
    stack = cdktf.TerraformStack(app, "db")
    resource_module("provider").AwsProvider(stack, "aws", region="eu-west-1")
    network = Network(stack, "network")
    database = ReplicatedMySQL(stack, "db", ReplicatedMySQLProps(network=network.ref, engine="aurora-mysql"))
    assert cdktf.Token.is_unresolved(database.writer_endpoint) and cdktf.Token.is_unresolved(database.reader_endpoint)
    synthesized = synth_stack(app, "db")
    instances = list(synthesized.resources("aws_rds_cluster_instance").values())
    assert len(instances) == 2
    assert sorted(i["promotion_tier"] for i in instances) == [0, 1]
    assert all(i["publicly_accessible"] is False and i["instance_class"] == "db.r6g.large" for i in instances)
    assert synthesized.by_path("aws_rds_cluster_parameter_group", "db/parameters")["family"] == "aurora-mysql8.0"


def test_writer_and_reader_endpoints_are_outputs(reference_stack):
    outputs = reference_stack.document["output"]
    cluster = reference_stack.address_of("aws_rds_cluster", "database/cluster")
    assert outputs["db_writer_endpoint"]["value"] == "${" + cluster + ".endpoint}"
    assert outputs["db_reader_endpoint"]["value"] == "${" + cluster + ".reader_endpoint}"
