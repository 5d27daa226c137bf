"""CKV_SWEB_010: web/app hosts and the database are separate tiers: own security groups, own subnets, no MySQL on hosts.

Flaw 3: "Every server runs web + app + database".
"""

import re

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import HOST_TYPES, decoded_user_data, first, host_security_groups, host_subnets, references, stack_for

DATABASE_TYPES = ("aws_rds_cluster", "aws_db_instance")
SUBNET_GROUP_ARGUMENT = "db_subnet_group_name"
DATABASE_SERVER_INSTALL = re.compile(
    r"\b(apt-get|apt|yum|dnf|zypper)\b[^\n]*\binstall\b[^\n]*\b(mysql-server|mariadb-server|mysql-community-server|percona-server-server)\b"
)


class HostsAndDatabaseInSeparateTiers(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that hosts and the database are separate tiers (own security groups and subnets, no MySQL on hosts)",
            id="CKV_SWEB_010", categories=[CheckCategories.NETWORKING],
            supported_resources=[*DATABASE_TYPES, *HOST_TYPES],
        )

    def scan_resource_conf(self, conf):
        if self.entity_type in HOST_TYPES:
            self.evaluated_keys = ["user_data"]
            script = decoded_user_data(first(conf, "user_data"))
            return CheckResult.FAILED if DATABASE_SERVER_INSTALL.search(script) else CheckResult.PASSED
        self.evaluated_keys = ["vpc_security_group_ids", SUBNET_GROUP_ARGUMENT]
        stack = stack_for(self)
        database_groups = {name for kind, name in references(conf.get("vpc_security_group_ids"))
                           if kind == "aws_security_group"}
        if not database_groups:
            return CheckResult.FAILED
        host_groups = set().union(*(host_security_groups(kind, host) for kind, _, host in stack.of_type(*HOST_TYPES)))
        if database_groups & host_groups:
            return CheckResult.FAILED
        database_subnets = {
            name for _, group in stack.referenced(first(conf, SUBNET_GROUP_ARGUMENT), "aws_db_subnet_group")
            for kind, name in references(group.get("subnet_ids")) if kind == "aws_subnet"
        }
        return CheckResult.FAILED if database_subnets & host_subnets(stack) else CheckResult.PASSED


check = HostsAndDatabaseInSeparateTiers()
