"""CKV_SWEB_014: hosts get no public IP address; only the load balancer faces the internet."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import blocks, first, is_true


class HostsHaveNoPublicIp(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that hosts get no public IP (associate_public_ip_address and map_public_ip_on_launch false)",
            id="CKV_SWEB_014", categories=[CheckCategories.NETWORKING],
            supported_resources=["aws_launch_template", "aws_instance", "aws_subnet"],
        )

    def scan_resource_conf(self, conf):
        if self.entity_type == "aws_subnet":
            self.evaluated_keys = ["map_public_ip_on_launch"]
            return CheckResult.FAILED if is_true(first(conf, "map_public_ip_on_launch", False)) else CheckResult.PASSED
        if self.entity_type == "aws_instance":
            self.evaluated_keys = ["associate_public_ip_address"]
            explicit_false = first(conf, "associate_public_ip_address") is False
            return CheckResult.PASSED if explicit_false else CheckResult.FAILED
        # A launch template without an explicit "false" leaves the choice to the subnet.
        self.evaluated_keys = ["network_interfaces"]
        interfaces = blocks(conf, "network_interfaces")
        explicit_false = bool(interfaces) and all(
            first(interface, "associate_public_ip_address") is False for interface in interfaces
        )
        return CheckResult.PASSED if explicit_false else CheckResult.FAILED


check = HostsHaveNoPublicIp()
