"""CKV_SWEB_020: a database that exports its slow query log also writes one (slow_query_log=1, log_output=FILE)."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import as_list, first, stack_for

PARAMETER_GROUP = {
    "aws_rds_cluster": ("db_cluster_parameter_group_name", "aws_rds_cluster_parameter_group"),
    "aws_db_instance": ("parameter_group_name", "aws_db_parameter_group"),
}
REQUIRED = {"slow_query_log": ("1", "on", "true"), "log_output": ("file",)}


class DatabaseSlowQueryLogOn(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that a database exporting its slow query log writes one (slow_query_log=1, log_output=FILE)",
            id="CKV_SWEB_020", categories=[CheckCategories.LOGGING],
            supported_resources=list(PARAMETER_GROUP),
        )

    def scan_resource_conf(self, conf):
        exports = [str(log) for log in as_list(conf.get("enabled_cloudwatch_logs_exports"))]
        if "mysql" not in str(first(conf, "engine", "")) or "slowquery" not in exports:
            return CheckResult.UNKNOWN
        argument, group_type = PARAMETER_GROUP[self.entity_type]
        self.evaluated_keys = [argument, "enabled_cloudwatch_logs_exports"]
        groups = stack_for(self).referenced(first(conf, argument), group_type)
        # The engine default writes no slow query log: the exported log group would stay empty.
        writes = bool(groups) and all(self._writes_slow_query_log(group) for _, group in groups)
        return CheckResult.PASSED if writes else CheckResult.FAILED

    @staticmethod
    def _writes_slow_query_log(group):
        parameters = group.get("parameter") or []
        parameters = [parameters] if isinstance(parameters, dict) else parameters
        values = {p.get("name"): str(p.get("value", "")).lower() for p in parameters if isinstance(p, dict)}
        return all(values.get(name) in allowed for name, allowed in REQUIRED.items())


check = DatabaseSlowQueryLogOn()
