"""CKV_SWEB_013: hosts require IMDSv2 session tokens (or switch the metadata service off)."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import HOST_TYPES, blocks, first


class HostsRequireImdsv2(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that launch templates and instances require IMDSv2 (http_tokens = required)",
            id="CKV_SWEB_013", categories=[CheckCategories.GENERAL_SECURITY],
            supported_resources=list(HOST_TYPES),
        )

    def scan_resource_conf(self, conf):
        self.evaluated_keys = ["metadata_options/[0]/http_tokens", "metadata_options/[0]/http_endpoint"]
        options = blocks(conf, "metadata_options")
        if len(options) != 1:
            return CheckResult.FAILED
        if first(options[0], "http_endpoint") == "disabled" or first(options[0], "http_tokens") == "required":
            return CheckResult.PASSED
        return CheckResult.FAILED


check = HostsRequireImdsv2()
