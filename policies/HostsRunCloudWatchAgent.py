"""CKV_SWEB_011: every host runs the CloudWatch agent with its configuration from SSM.

Seed requirement: monitoring of every server. A host passes when its instance profile's role
may publish what the agent sends (CloudWatchAgentServerPolicy attached, or an inline or
in-stack policy allowing ``logs:PutLogEvents`` and ``cloudwatch:PutMetricData``; how far
those reach is CKV_SWEB_027's concern), its user data runs
``amazon-cloudwatch-agent-ctl -a fetch-config ... -c ssm:AmazonCloudWatch-<name>``, and an
aws_ssm_parameter of that name exists in the stack.
"""

import re

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import (HOST_TYPES, Stack, allowed_actions, blocks, decoded_user_data, entity_name, first, host_roles,
                     references, stack_for)

AGENT_POLICY = "CloudWatchAgentServerPolicy"
AGENT_ACTIONS = frozenset({"logs:putlogevents", "cloudwatch:putmetricdata"})
PARAMETER_PREFIX = "AmazonCloudWatch-"
FETCH_CONFIG = re.compile(r"amazon-cloudwatch-agent-ctl\b[^\n]*-a\s+fetch-config\b[^\n]*-c\s+\"?ssm:([^\s\"']+)")
FETCH_CONFIG_VIA_VARIABLE = re.compile(r"(?:\"\$\{?\w+\}?\"|\$\{?\w+\}?)[^\n]*-a\s+fetch-config\b[^\n]*-c\s+\"?ssm:([^\s\"']+)")
AGENT_DISABLED = re.compile(r"^\s*(?:readonly\s+)?CLOUDWATCH_AGENT=0\s*$", re.MULTILINE)


class HostsRunCloudWatchAgent(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that hosts run the CloudWatch agent: a role that may put log events and metrics, "
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
        roles = host_roles(stack, host)
        if not roles:
            return False
        attached = {
            name for _, _, attachment in stack.of_type("aws_iam_role_policy_attachment")
            if str(attachment.get("policy_arn", "")).endswith(f"policy/{AGENT_POLICY}")
            for kind, name in references(attachment.get("role")) if kind == "aws_iam_role"
        }
        managed = {
            name for _, name, role in stack.of_type("aws_iam_role")
            if any(str(arn).endswith(f"policy/{AGENT_POLICY}") for arn in role.get("managed_policy_arns") or [])
        }
        granted = {
            name for _, _, policy in stack.of_type("aws_iam_role_policy")
            if AGENT_ACTIONS <= allowed_actions(policy.get("policy"))
            for kind, name in references(policy.get("role")) if kind == "aws_iam_role"
        } | {
            role_name for _, _, attachment in stack.of_type("aws_iam_role_policy_attachment")
            for _, policy in stack.referenced(attachment.get("policy_arn"), "aws_iam_policy")
            if AGENT_ACTIONS <= allowed_actions(policy.get("policy"))
            for kind, role_name in references(attachment.get("role")) if kind == "aws_iam_role"
        }
        return roles <= attached | managed | granted

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
