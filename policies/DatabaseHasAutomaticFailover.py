"""CKV_SWEB_007: the MySQL writer fails over automatically to a standby in another AZ.

Flaw 2: "Only one MySQL server accepts writes: a single point of failure".
Passes: an RDS Multi-AZ DB cluster (engine mysql with db_cluster_instance_class: a writer and
two standbys), an Aurora cluster with at least two aws_rds_cluster_instance, or a Multi-AZ
aws_db_instance. Fails: a single instance, or a primary with a manually promoted read replica.
"""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import entity_name, first, is_true, references, stack_for

AURORA_MIN_INSTANCES = 2


class DatabaseHasAutomaticFailover(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that the MySQL database has a standby with automatic failover (Multi-AZ or Aurora x2)",
            id="CKV_SWEB_007", categories=[CheckCategories.BACKUP_AND_RECOVERY],
            supported_resources=["aws_rds_cluster", "aws_db_instance"],
        )

    def scan_resource_conf(self, conf):
        engine = str(first(conf, "engine", ""))
        if self.entity_type == "aws_db_instance":
            if first(conf, "replicate_source_db"):
                return CheckResult.UNKNOWN
            self.evaluated_keys = ["multi_az"]
            return CheckResult.PASSED if is_true(first(conf, "multi_az", False)) else CheckResult.FAILED
        if engine == "mysql":
            self.evaluated_keys = ["engine", "db_cluster_instance_class"]
            return CheckResult.PASSED if first(conf, "db_cluster_instance_class") else CheckResult.FAILED
        if engine.startswith("aurora"):
            self.evaluated_keys = ["engine"]
            name = entity_name(self)
            instances = [
                instance for _, _, instance in stack_for(self).of_type("aws_rds_cluster_instance")
                if ("aws_rds_cluster", name) in references(instance.get("cluster_identifier"))
            ]
            count = sum(int(instance.get("count", 1)) if str(instance.get("count", 1)).isdigit() else 1
                        for instance in instances)
            return CheckResult.PASSED if count >= AURORA_MIN_INSTANCES else CheckResult.FAILED
        return CheckResult.UNKNOWN


check = DatabaseHasAutomaticFailover()
