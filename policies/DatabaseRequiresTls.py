"""CKV_SWEB_008: the database's parameter group refuses connections without TLS (require_secure_transport=1)."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import first, stack_for

PARAMETER_GROUP = {
    "aws_rds_cluster": ("db_cluster_parameter_group_name", "aws_rds_cluster_parameter_group"),
    "aws_db_instance": ("parameter_group_name", "aws_db_parameter_group"),
}
ON = ("1", "on", "true")


class DatabaseRequiresTls(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that MySQL requires TLS through its parameter group (require_secure_transport=1)",
            id="CKV_SWEB_008", categories=[CheckCategories.ENCRYPTION],
            supported_resources=list(PARAMETER_GROUP),
        )

    def scan_resource_conf(self, conf):
        if "mysql" not in str(first(conf, "engine", "")) or first(conf, "replicate_source_db"):
            return CheckResult.UNKNOWN
        argument, group_type = PARAMETER_GROUP[self.entity_type]
        self.evaluated_keys = [argument]
        groups = stack_for(self).referenced(first(conf, argument), group_type)
        # No group of ours means the engine default, which accepts clear-text connections.
        requires_tls = bool(groups) and all(self._requires_tls(group) for _, group in groups)
        return CheckResult.PASSED if requires_tls else CheckResult.FAILED

    @staticmethod
    def _requires_tls(group):
        parameters = group.get("parameter") or []
        parameters = [parameters] if isinstance(parameters, dict) else parameters
        return any(p.get("name") == "require_secure_transport" and str(p.get("value", "")).lower() in ON
                   for p in parameters)


check = DatabaseRequiresTls()
