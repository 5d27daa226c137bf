"""CKV_SWEB_011: every host runs the CloudWatch agent with its configuration from SSM.

Seed requirement: monitoring of every server. A host passes when its instance profile's role
has CloudWatchAgentServerPolicy attached, its user data runs
``amazon-cloudwatch-agent-ctl -a fetch-config ... -c ssm:AmazonCloudWatch-<name>``, and an
aws_ssm_parameter of that name exists in the stack.
"""

import re

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import HOST_TYPES, Stack, blocks, decoded_user_data, entity_name, first, references, stack_for

AGENT_POLICY = "CloudWatchAgentServerPolicy"
PARAMETER_PREFIX = "AmazonCloudWatch-"
FETCH_CONFIG = re.compile(r"amazon-cloudwatch-agent-ctl\b[^\n]*-a\s+fetch-config\b[^\n]*-c\s+\"?ssm:([^\s\"']+)")
FETCH_CONFIG_VIA_VARIABLE = re.compile(r"(?:\"\$\{?\w+\}?\"|\$\{?\w+\}?)[^\n]*-a\s+fetch-config\b[^\n]*-c\s+\"?ssm:([^\s\"']+)")
AGENT_DISABLED = re.compile(r"^\s*(?:readonly\s+)?CLOUDWATCH_AGENT=0\s*$", re.MULTILINE)


class HostsRunCloudWatchAgent(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that hosts run the CloudWatch agent: instance profile with CloudWatchAgentServerPolicy, "
                 "SSM AmazonCloudWatch-* configuration, agent started by user data",
            id="CKV_SWEB_011", categories=[CheckCategories.LOGGING],
            supported_resources=list(HOST_TYPES),
        )

    def scan_resource_conf(self, conf):
        self.evaluated_keys = ["iam_instance_profile", "user_data"]
        stack = stack_for(self)
        raw = stack.get(self.entity_type, entity_name(self)) or {}
        if not self._role_has_agent_policy(stack, raw):
            return CheckResult.FAILED
        parameter = self._agent_parameter(decoded_user_data(first(conf, "user_data")))
        if parameter is None or not parameter.startswith(PARAMETER_PREFIX):
            return CheckResult.FAILED
        names = {str(p.get("name")) for _, _, p in stack.of_type("aws_ssm_parameter")}
        return CheckResult.PASSED if parameter in names else CheckResult.FAILED

    @staticmethod
    def _role_has_agent_policy(stack: Stack, host) -> bool:
        profile_ref = host.get("iam_instance_profile")
        if isinstance(profile_ref, list):
            profile_ref = profile_ref[0] if profile_ref else None
        if isinstance(profile_ref, dict):
            profile_ref = [profile_ref.get("arn"), profile_ref.get("name")]
        roles = {name for _, profile in stack.referenced(profile_ref, "aws_iam_instance_profile")
                 for kind, name in references(profile.get("role")) if kind == "aws_iam_role"}
        if not roles:
            return False
        attached = {
            name for _, _, attachment in stack.of_type("aws_iam_role_policy_attachment")
            if str(attachment.get("policy_arn", "")).endswith(f"policy/{AGENT_POLICY}")
            for kind, name in references(attachment.get("role")) if kind == "aws_iam_role"
        }
        inline = {
            name for _, name, role in stack.of_type("aws_iam_role")
            if any(str(arn).endswith(f"policy/{AGENT_POLICY}") for arn in role.get("managed_policy_arns") or [])
        }
        return roles <= attached | inline

    @staticmethod
    def _agent_parameter(script: str) -> str | None:
        if "amazon-cloudwatch-agent-ctl" not in script or AGENT_DISABLED.search(script):
            return None
        match = FETCH_CONFIG.search(script) or FETCH_CONFIG_VIA_VARIABLE.search(script)
        if match is None:
            return None
        source = match.group(1)
        variable = re.fullmatch(r"\$\{?(\w+)\}?", source)
        if variable is None:
            return source
        assignment = re.search(rf"^\s*(?:readonly\s+)?{variable.group(1)}=[\"']?([^\s\"']+)", script, re.MULTILINE)
        return assignment.group(1) if assignment else None


check = HostsRunCloudWatchAgent()
