"""ReplicatedMySQL: MySQL with no single writer as a single point of failure.

Default: an RDS Multi-AZ DB cluster (engine ``mysql``): a writer and two
readable standbys in three AZs, with automatic failover (typically under 35 s).
Option: Aurora MySQL with two or more instances.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Mapping

from constructs import Construct

from .aws import blocks, resource_module
from .connections import Connections
from .contract import MIN_BACKUP_RETENTION_DAYS, MYSQL_PORT
from .kms import AccountContext, encryption_key
from .naming import short_hash
from .network import CLOUDWATCH_RETENTION_DAYS, SECURE_LOG_RETENTION_DAYS, NetworkRef, check_network_ref
from .tree import path_of
from .validation import Checks, announce_weakened, is_token, validate_props

ENGINES = ("mysql", "aurora-mysql")
SUPPORTED_VERSIONS = {
    "mysql": ("8.0.36", "8.0.39", "8.0.40", "8.0.41", "8.0.42", "8.4.3", "8.4.4", "8.4.5"),
    "aurora-mysql": ("8.0.mysql_aurora.3.05.2", "8.0.mysql_aurora.3.07.1", "8.0.mysql_aurora.3.08.0",
                     "8.0.mysql_aurora.3.08.2", "8.0.mysql_aurora.3.09.0"),
}
DEFAULT_VERSIONS = {"mysql": "8.0.40", "aurora-mysql": "8.0.mysql_aurora.3.08.0"}
# Multi-AZ DB clusters run only on instance classes with local NVMe storage.
MULTI_AZ_CLUSTER_CLASS_PATTERN = r"db\.(m5d|m6gd|m6id|r5d|r6gd|r6id|c6gd)\.(large|\d{0,2}xlarge)"
AURORA_CLASS_PATTERN = r"db\.(r5|r6g|r6i|r7g|r7i|r8g|t3|t4g|x2g)\.(medium|large|\d{0,2}xlarge)"
EXPORTED_LOGS = ("error", "slowquery")
DATABASE_PARAMETERS = (
    ("require_secure_transport", "1"),
    # The exported slow query log stays empty unless the server writes one, to a file (the export reads files).
    ("slow_query_log", "1"),
    ("long_query_time", "2"),
    ("log_output", "FILE"),
)
WELL_KNOWN_MASTER_USERS = ("admin", "root", "mysql", "master", "administrator", "sa", "dbadmin")
"""Master user names an attacker tries first; refused."""
# IAM role name_prefix allows 38 characters: name + "-monitoring-".
IDENTIFIER_PATTERN = r"[a-z][a-z0-9-]{0,25}"
DATABASE_NAME_PATTERN = r"[A-Za-z][A-Za-z0-9_]{0,63}"
USERNAME_PATTERN = r"[A-Za-z][A-Za-z0-9_]{0,15}"
BACKUP_RETENTION_RANGE = (MIN_BACKUP_RETENTION_DAYS, 35)
MONITORING_INTERVALS = (0, 1, 5, 10, 15, 30, 60)


@dataclass(frozen=True, kw_only=True)
class ReplicatedMySQLProps:
    """Options for ReplicatedMySQL.

    Attributes:
        network (NetworkRef): The database goes into ``network.isolated_subnet_ids`` (no route to the internet).
            Required.
        name (str): Cluster identifier prefix, 1-26 characters a-z 0-9 '-'. Default: 'sweb-db'.
        engine (str): 'mysql' (Multi-AZ DB cluster, writer + 2 readable standbys) or 'aurora-mysql'.
            Default: 'mysql'.
        engine_version (str | None): Engine version from SUPPORTED_VERSIONS. Default: 8.0.40 for mysql,
            8.0.mysql_aurora.3.08.0 for Aurora.
        instance_class (str | None): DB instance class. Default: db.m6gd.large (Multi-AZ cluster) or db.r6g.large
            (Aurora).
        aurora_instance_count (int): Aurora instances (one writer, the rest failover readers), 2 to 15; only for
            Aurora. Default: 2.
        allocated_storage_gb (int): gp3 storage per Multi-AZ cluster member, 20 to 65536 GiB. Default: 100.
        database_name (str): Initial database. Default: 'app'.
        master_username (str): Master user; its password is generated and kept in Secrets Manager by RDS; a
            well-known name (admin, root, mysql, ...) is refused. Default: 'sweb_master'.
        backup_retention_days (int): Days of automated backups, 7 to 35. Default: 7.
        deletion_protection (bool): Refuse deletion until turned off; False warns. Default: True.
        monitoring_interval_seconds (int): Enhanced monitoring interval (0, 1, 5, 10, 15, 30, 60); 0 turns it off
            and warns. Default: 60.
        log_retention_days (int): Days the exported error and slow-query logs are kept; below 365 warns.
            Default: 365.
        tags (Mapping[str, str]): Tags for every resource, per AWS tag rules; no 'aws:' or 'secure-web:' keys.
            Default: none.
    """

    network: NetworkRef
    """The database goes into ``network.isolated_subnet_ids`` (no route to the internet). Required."""
    name: str = "sweb-db"
    """Cluster identifier prefix, 1-26 characters a-z 0-9 '-'. Default: 'sweb-db'."""
    engine: str = "mysql"
    """'mysql' (Multi-AZ DB cluster, writer + 2 readable standbys) or 'aurora-mysql'. Default: 'mysql'."""
    engine_version: str | None = None
    """Engine version from SUPPORTED_VERSIONS. Default: 8.0.40 for mysql, 8.0.mysql_aurora.3.08.0 for Aurora."""
    instance_class: str | None = None
    """DB instance class. Default: db.m6gd.large (Multi-AZ cluster) or db.r6g.large (Aurora)."""
    aurora_instance_count: int = 2
    """Aurora instances (one writer, the rest failover readers), 2 to 15; only for Aurora. Default: 2."""
    allocated_storage_gb: int = 100
    """gp3 storage per Multi-AZ cluster member, 20 to 65536 GiB. Default: 100."""
    database_name: str = "app"
    """Initial database. Default: 'app'."""
    master_username: str = "sweb_master"
    """Master user; its password is generated and kept in Secrets Manager by RDS; a well-known name (admin, root, mysql, ...) is refused. Default: 'sweb_master'."""
    backup_retention_days: int = 7
    """Days of automated backups, 7 to 35. Default: 7."""
    deletion_protection: bool = True
    """Refuse deletion until turned off; False warns. Default: True."""
    monitoring_interval_seconds: int = 60
    """Enhanced monitoring interval (0, 1, 5, 10, 15, 30, 60); 0 turns it off and warns. Default: 60."""
    log_retention_days: int = SECURE_LOG_RETENTION_DAYS
    """Days the exported error and slow-query logs are kept; below 365 warns. Default: 365."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every resource, per AWS tag rules; no 'aws:' or 'secure-web:' keys. Default: none."""


def resolved_engine_version(props: ReplicatedMySQLProps) -> str:
    """The engine version to run, defaulting per engine."""
    return props.engine_version or DEFAULT_VERSIONS.get(props.engine, "")


def resolved_instance_class(props: ReplicatedMySQLProps) -> str:
    """The instance class to run, defaulting per engine."""
    return props.instance_class or ("db.m6gd.large" if props.engine == "mysql" else "db.r6g.large")


def parameter_group_family(props: ReplicatedMySQLProps) -> str:
    """``mysql8.0``/``mysql8.4`` or ``aurora-mysql8.0``."""
    major = ".".join(resolved_engine_version(props).split(".")[:2])
    return f"aurora-mysql{major}" if props.engine == "aurora-mysql" else f"mysql{major}"


def check_props(props: ReplicatedMySQLProps, checks: Checks) -> None:
    """Adds every problem with ``props`` to ``checks``."""
    if checks.matches("name", props.name, IDENTIFIER_PATTERN,
                      "must be 1-26 characters of a-z, 0-9 and '-', starting with a letter (IAM role prefix limit)"):
        checks.require(not props.name.endswith("-") and "--" not in props.name, "name",
                       "must not end with '-' or contain '--' (RDS refuses both in the cluster identifier "
                       "'<name>-<hash>' and the parameter group name)", props.name)
    if checks.one_of("engine", props.engine, ENGINES):
        if props.engine_version is not None:
            checks.one_of("engine_version", props.engine_version, SUPPORTED_VERSIONS[props.engine])
        pattern = MULTI_AZ_CLUSTER_CLASS_PATTERN if props.engine == "mysql" else AURORA_CLASS_PATTERN
        kind = "a Multi-AZ DB cluster class like db.m6gd.large" if props.engine == "mysql" else "an Aurora class like db.r6g.large"
        checks.matches("instance_class", resolved_instance_class(props), pattern, f"must be {kind}")
    if props.engine == "aurora-mysql":
        checks.between("aurora_instance_count", props.aurora_instance_count, 2, 15)
    checks.between("allocated_storage_gb", props.allocated_storage_gb, 20, 65536)
    checks.matches("database_name", props.database_name, DATABASE_NAME_PATTERN,
                   "must start with a letter and hold only letters, digits and '_' (max 64)")
    if checks.matches("master_username", props.master_username, USERNAME_PATTERN,
                      "must start with a letter and hold only letters, digits and '_' (max 16)"):
        checks.require(props.master_username.lower() not in WELL_KNOWN_MASTER_USERS, "master_username",
                       f"must not be a well-known name ({', '.join(WELL_KNOWN_MASTER_USERS)}): the first ones "
                       "guessed", props.master_username)
    checks.between("backup_retention_days", props.backup_retention_days, *BACKUP_RETENTION_RANGE)
    checks.one_of("monitoring_interval_seconds", props.monitoring_interval_seconds, MONITORING_INTERVALS)
    checks.one_of("log_retention_days", props.log_retention_days, CLOUDWATCH_RETENTION_DAYS)
    checks.boolean("deletion_protection", props.deletion_protection)
    checks.tags("tags", props.tags)
    layers = check_network_ref(props.network, checks)
    if layers is None:
        return
    subnets = layers["isolated"]
    checks.count("network.isolated_subnet_ids", subnets, 3 if props.engine == "mysql" else 2,
                 "must name a subnet in each of 3 AZs for a Multi-AZ DB cluster (2 for Aurora)")
    known = {subnet for subnet in subnets or () if isinstance(subnet, str) and not is_token(subnet)}
    public = sorted(known.intersection(subnet for subnet in layers["public"] or () if isinstance(subnet, str)))
    checks.require(not public, "network.isolated_subnet_ids",
                   "must not include public subnets: the database is never reachable from the internet", public)
    routed = sorted(known.intersection(subnet for subnet in layers["private"] or () if isinstance(subnet, str)))
    checks.require(not routed, "network.isolated_subnet_ids",
                   "must not include private subnets: the database subnets have no route to the internet", routed)


class ReplicatedMySQL(Construct):
    """MySQL with automatic failover in isolated subnets, encrypted, TLS-only, password in Secrets Manager.

    Exposes ``writer_endpoint``, ``reader_endpoint``, ``port``, ``database_name``, ``master_user_secret_arn``,
    ``key_arn`` and ``connections`` (ingress on 3306 only from the groups you allow).
    """

    def __init__(self, scope: Construct, construct_id: str, props: ReplicatedMySQLProps) -> None:
        validate_props(check_props, props, scope, construct_id)
        super().__init__(scope, construct_id)
        self._announce_weakened_defaults(props)
        tags = {**props.tags, "secure-web:tier": props.name}
        identifier = f"{props.name}-{short_hash(path_of(self))}"
        context = AccountContext.of(self)
        key = encryption_key(self, "key", context=context, description=f"{path_of(self)} storage, logs and secret",
                             services=["logs", "rds", "secretsmanager"])

        group = resource_module("security_group").SecurityGroup(
            self, "security-group", name_prefix=f"{props.name}-", vpc_id=props.network.vpc_id,
            description=f"{path_of(self)}: MySQL {MYSQL_PORT} only from allowed application groups",
            tags={**tags, "Name": path_of(self)}, lifecycle={"create_before_destroy": True},
        )
        self.connections = Connections(self, group.id, default_port=MYSQL_PORT)
        subnet_group = resource_module("db_subnet_group").DbSubnetGroup(
            self, "subnets", name_prefix=f"{props.name}-", subnet_ids=list(props.network.isolated_subnet_ids),
            description=f"{path_of(self)}: isolated subnets, no internet route", tags=tags,
        )
        family = parameter_group_family(props)
        parameters = resource_module("rds_cluster_parameter_group").RdsClusterParameterGroup(
            self, "parameters", name_prefix=f"{props.name}-", family=family,
            description=f"{path_of(self)}: TLS required, slow queries logged",
            parameter=blocks([{"name": name, "value": value, "apply_method": "immediate"}
                              for name, value in DATABASE_PARAMETERS]),
            tags=tags, lifecycle={"create_before_destroy": True},
        )
        for log in EXPORTED_LOGS:
            resource_module("cloudwatch_log_group").CloudwatchLogGroup(
                self, f"{log}-logs", name=f"/aws/rds/cluster/{identifier}/{log}",
                retention_in_days=props.log_retention_days, kms_key_id=key.arn, tags=tags,
            )
        monitoring_role_arn = self._monitoring_role(props, tags)
        is_aurora = props.engine == "aurora-mysql"
        monitoring = {"monitoring_interval": props.monitoring_interval_seconds,
                      "monitoring_role_arn": monitoring_role_arn} if props.monitoring_interval_seconds else {}
        cluster_options: dict[str, object] = {} if is_aurora else {
            "db_cluster_instance_class": resolved_instance_class(props), "storage_type": "gp3",
            "allocated_storage": props.allocated_storage_gb, "performance_insights_enabled": True,
            "performance_insights_kms_key_id": key.arn, "performance_insights_retention_period": 7, **monitoring,
        }
        cluster = resource_module("rds_cluster").RdsCluster(
            self, "cluster", cluster_identifier=identifier, engine=props.engine,
            engine_version=resolved_engine_version(props), database_name=props.database_name,
            master_username=props.master_username, manage_master_user_password=True,
            master_user_secret_kms_key_id=key.arn, port=MYSQL_PORT, db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[group.id], db_cluster_parameter_group_name=parameters.name,
            storage_encrypted=True, kms_key_id=key.arn, backup_retention_period=props.backup_retention_days,
            preferred_backup_window="02:00-03:00", preferred_maintenance_window="sun:03:30-sun:04:30",
            copy_tags_to_snapshot=True, deletion_protection=props.deletion_protection, skip_final_snapshot=False,
            final_snapshot_identifier=f"{identifier}-final", enabled_cloudwatch_logs_exports=list(EXPORTED_LOGS),
            iam_database_authentication_enabled=True,
            apply_immediately=False, tags=tags, **cluster_options,
        )
        if is_aurora:
            for index in range(props.aurora_instance_count):
                resource_module("rds_cluster_instance").RdsClusterInstance(
                    self, f"instance-{index}", identifier=f"{identifier}-{index}", cluster_identifier=cluster.id,
                    engine=props.engine, engine_version=cluster.engine_version,
                    instance_class=resolved_instance_class(props), db_subnet_group_name=subnet_group.name,
                    publicly_accessible=False, performance_insights_enabled=True,
                    performance_insights_kms_key_id=key.arn, auto_minor_version_upgrade=True,
                    copy_tags_to_snapshot=True, promotion_tier=index, tags=tags, **monitoring,
                )
        self.cluster_identifier: str = cluster.cluster_identifier
        self.writer_endpoint: str = cluster.endpoint
        self.reader_endpoint: str = cluster.reader_endpoint
        self.port: int = MYSQL_PORT
        self.security_group_id: str = group.id
        self.master_user_secret_arn: str = cluster.master_user_secret.get(0).secret_arn
        self.database_name: str = props.database_name
        self.key_arn: str = key.arn
        """The KMS key of the storage, the exported logs and the master user secret."""

    def _monitoring_role(self, props: ReplicatedMySQLProps, tags: Mapping[str, str]) -> str:
        partition = AccountContext.of(self).partition
        role = resource_module("iam_role").IamRole(
            self, "monitoring-role", name_prefix=f"{props.name}-monitoring-", tags=tags,
            assume_role_policy=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                               "Principal": {"Service": "monitoring.rds.amazonaws.com"}}],
            }),
        )
        resource_module("iam_role_policy_attachment").IamRolePolicyAttachment(
            self, "monitoring-policy", role=role.name,
            policy_arn=f"arn:{partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
        )
        return role.arn

    def _announce_weakened_defaults(self, props: ReplicatedMySQLProps) -> None:
        if not props.deletion_protection:
            announce_weakened(self, "deletion_protection", False, True)
        if props.monitoring_interval_seconds == 0:
            announce_weakened(self, "monitoring_interval_seconds", 0, 60)
        if props.log_retention_days < SECURE_LOG_RETENTION_DAYS:
            announce_weakened(self, "log_retention_days", props.log_retention_days, SECURE_LOG_RETENTION_DAYS)
