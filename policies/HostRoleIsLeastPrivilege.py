"""CKV_SWEB_027: a host's role grants only what its agents need, scoped to the tier's own resources.

A compromised host (the nginx worker included) can use its role's credentials. The AWS
managed policies an agent's guide suggests reach much further than the agent does:
CloudWatchAgentServerPolicy allows ``logs:CreateLogGroup``/``PutRetentionPolicy``/
``PutLogEvents`` on every log group (shorten the retention of flow, WAF or RDS logs,
forge events) and AmazonSSMManagedInstanceCore ``ssm:GetParameter(s)`` on every
parameter in the account. A host (launch template or instance) passes when its instance
profile's role has no AWS managed policy attached and every Allow statement of its inline
policies (and of customer policies the stack attaches) passes ``host_statement_problems``:
no wildcard action; no action that changes or deletes log groups, their retention,
subscriptions or keys; log, parameter, secret and key actions on named resources, never
``*``; ``cloudwatch:PutMetricData`` only under a ``cloudwatch:namespace`` condition.
"""

from typing import Mapping

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import HOST_TYPES, Stack, entity_name, host_roles, policy_statements, references, stack_for

# Mirrors secure_web.contract (a test keeps the two equal), so the policy also runs in a
# plain checkov (--external-checks-dir policies) without secure_web.
LOG_TAMPERING_ACTIONS = frozenset({
    "logs:createloggroup", "logs:deleteloggroup", "logs:deletelogstream", "logs:putretentionpolicy",
    "logs:deleteretentionpolicy", "logs:putsubscriptionfilter", "logs:deletesubscriptionfilter",
    "logs:associatekmskey", "logs:disassociatekmskey", "logs:putresourcepolicy", "logs:deleteresourcepolicy",
    "logs:putdataprotectionpolicy", "logs:deletedataprotectionpolicy", "logs:untagloggroup", "logs:untagresource",
})

RESOURCE_SCOPED_ACTIONS = frozenset({
    "logs:putlogevents", "logs:createlogstream", "logs:describelogstreams", "ssm:getparameter",
    "ssm:getparameters", "ssm:getparametersbypath", "ssm:getparameterhistory", "secretsmanager:getsecretvalue",
    "kms:decrypt", "kms:generatedatakey",
})


def _listed(value: object) -> list[object]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def host_statement_problems(statement: Mapping[str, object]) -> list[str]:
    """What lets one IAM statement of a host's role reach beyond what its agents need; [] when nothing does.

    An Allow fails on: NotAction/NotResource; a wildcard action; an action in
    ``LOG_TAMPERING_ACTIONS``; an action in ``RESOURCE_SCOPED_ACTIONS`` on ``*`` or on every
    parameter; ``cloudwatch:PutMetricData`` without a ``cloudwatch:namespace`` condition.
    The original is secure_web.contract.host_statement_problems (the verifier's); a test keeps them equal.
    """
    if str(statement.get("Effect", "")).lower() != "allow":
        return []
    if "NotAction" in statement or "NotResource" in statement:
        return ["NotAction/NotResource allows everything not listed"]
    actions = [str(action).lower() for action in _listed(statement.get("Action"))]
    resources = [str(resource) for resource in _listed(statement.get("Resource"))]
    problems = [f"wildcard action {action}" for action in actions if action == "*" or action.endswith(":*")]
    problems += [f"{action} changes or deletes log evidence" for action in actions if action in LOG_TAMPERING_ACTIONS]
    unscoped = [resource for resource in resources
                if resource == "*" or resource.endswith((":parameter/*", ":parameter*"))]
    problems += [f"{action} on {resource}" for action in actions if action in RESOURCE_SCOPED_ACTIONS
                 for resource in unscoped]
    if "cloudwatch:putmetricdata" in actions:
        condition = statement.get("Condition") or {}
        keys = {str(key).lower() for operator in (condition.values() if isinstance(condition, Mapping) else [])
                if isinstance(operator, Mapping) for key in operator}
        if "cloudwatch:namespace" not in keys:
            problems.append("cloudwatch:putmetricdata without a cloudwatch:namespace condition")
    return problems


def document_problems(document: object) -> list[str]:
    """``host_statement_problems`` of every statement of a policy document (a dict or its JSON text)."""
    try:
        statements = policy_statements(document)
    except ValueError as error:
        return [f"the policy is not literal JSON: {error}"]
    return [problem for statement in statements for problem in host_statement_problems(statement)]


class HostRoleIsLeastPrivilege(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that hosts' roles carry no AWS managed policy and grant only scoped agent permissions "
                 "(no log retention or deletion, no parameter or secret on *, metrics only in a namespace)",
            id="CKV_SWEB_027", categories=[CheckCategories.IAM],
            supported_resources=list(HOST_TYPES),
        )

    def scan_resource_conf(self, conf):
        self.evaluated_keys = ["iam_instance_profile"]
        stack = stack_for(self)
        host = stack.get(self.entity_type, entity_name(self)) or {}
        roles = host_roles(stack, host)
        if not roles:
            return CheckResult.UNKNOWN
        return CheckResult.FAILED if any(self._role_problems(stack, role) for role in roles) else CheckResult.PASSED

    @staticmethod
    def _role_problems(stack: Stack, role_name: str) -> list[str]:
        role = stack.get("aws_iam_role", role_name) or {}
        attached = [str(attachment.get("policy_arn", "")) for _, _, attachment
                    in stack.of_type("aws_iam_role_policy_attachment")
                    if ("aws_iam_role", role_name) in references(attachment.get("role"))]
        attached += [str(arn) for arn in role.get("managed_policy_arns") or []]
        problems = [f"AWS managed policy {arn}" for arn in attached if ":iam::aws:policy/" in arn]
        customer = [conf for arn in attached for _, conf in stack.referenced(arn, "aws_iam_policy")]
        inline = [conf for _, _, conf in stack.of_type("aws_iam_role_policy")
                  if ("aws_iam_role", role_name) in references(conf.get("role"))]
        inline += [block for block in role.get("inline_policy") or [] if isinstance(block, dict)]
        for policy in customer + inline:
            problems += document_problems(policy.get("policy"))
        return problems


check = HostRoleIsLeastPrivilege()
