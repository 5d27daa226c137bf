"""CKV_SWEB_021: the database's master user is not a name attackers try first (admin, root, ...)."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import first

# Mirrors secure_web.replicated_mysql.WELL_KNOWN_MASTER_USERS (a test keeps the two equal).
WELL_KNOWN_MASTER_USERS = ("admin", "root", "mysql", "master", "administrator", "sa", "dbadmin")


class DatabaseMasterUserIsNotWellKnown(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that the database master user name is not a well-known one (admin, root, mysql, ...)",
            id="CKV_SWEB_021", categories=[CheckCategories.IAM],
            supported_resources=["aws_rds_cluster", "aws_db_instance"],
        )

    def scan_resource_conf(self, conf):
        if first(conf, "replicate_source_db") or first(conf, "snapshot_identifier"):
            return CheckResult.UNKNOWN  # the user comes from the source
        name = first(conf, "master_username", first(conf, "username"))
        self.evaluated_keys = ["master_username", "username"]
        if not isinstance(name, str) or name.startswith("${"):
            return CheckResult.UNKNOWN
        return CheckResult.FAILED if name.lower() in WELL_KNOWN_MASTER_USERS else CheckResult.PASSED


check = DatabaseMasterUserIsNotWellKnown()
