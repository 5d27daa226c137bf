"""CKV_SWEB_009: no literal master password: RDS generates it and keeps it in Secrets Manager."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import first, is_true

# aws_rds_cluster names it master_password; aws_db_instance names it password.
LITERAL_PASSWORD_ARGUMENTS = ("master_password", "master_password_wo", "password", "password_wo")


class DatabaseUsesManagedMasterPassword(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that RDS master passwords are managed in Secrets Manager, never written in the configuration",
            id="CKV_SWEB_009", categories=[CheckCategories.SECRETS],
            supported_resources=["aws_rds_cluster", "aws_db_instance"],
        )

    def scan_resource_conf(self, conf):
        if first(conf, "replicate_source_db") or first(conf, "snapshot_identifier"):
            return CheckResult.UNKNOWN
        self.evaluated_keys = ["manage_master_user_password", *LITERAL_PASSWORD_ARGUMENTS]
        if any(first(conf, argument) is not None for argument in LITERAL_PASSWORD_ARGUMENTS):
            return CheckResult.FAILED
        return CheckResult.PASSED if is_true(first(conf, "manage_master_user_password", False)) else CheckResult.FAILED


check = DatabaseUsesManagedMasterPassword()
