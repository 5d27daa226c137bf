"""CKV_SWEB_028: a key policy lets AWS services use the key for data, for this account, and nothing more.

A service principal in a key policy acts for whoever calls the service. Left without a
condition, ``logs.<region>.amazonaws.com`` would encrypt any account's log group with our
key; with ``kms:*`` a service could administer or delete it. A key passes when every Allow
statement naming a service principal grants only data actions (``kms:Encrypt*``,
``kms:Decrypt*``, ``kms:ReEncrypt*``, ``kms:GenerateDataKey*``, ``kms:Describe*``) under a
condition that ties the call to this account or resource (``aws:SourceAccount``,
``aws:SourceArn``, ``kms:ViaService``, ``kms:CallerAccount`` or an encryption-context key),
and, for CloudWatch Logs, under ``kms:EncryptionContext:aws:logs:arn``, the condition AWS
documents for log groups. Statements for account principals (key administration) are not
this check's concern.
"""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import as_list, first, policy_statements

DATA_ACTION_PREFIXES = ("kms:encrypt", "kms:decrypt", "kms:reencrypt", "kms:generatedatakey", "kms:describe")
SCOPING_KEYS = ("aws:sourceaccount", "aws:sourcearn", "kms:viaservice", "kms:calleraccount", "kms:encryptioncontext:")
LOGS_CONTEXT_KEY = "kms:encryptioncontext:aws:logs:arn"


def service_statement_problems(statement: dict) -> list[str]:
    """What lets one key-policy statement's service principals reach beyond using the key for this account."""
    principal = statement.get("Principal")
    services = [str(service) for service in as_list(principal.get("Service"))] if isinstance(principal, dict) else []
    if str(statement.get("Effect", "")).lower() != "allow" or not services:
        return []
    actions = [str(action).lower() for action in as_list(statement.get("Action"))]
    problems = [f"{action} is not a data action" for action in actions if not action.startswith(DATA_ACTION_PREFIXES)]
    if "NotAction" in statement:
        problems.append("NotAction grants every action not listed")
    condition = statement.get("Condition")
    keys = {str(key).lower() for operator in (condition.values() if isinstance(condition, dict) else [])
            if isinstance(operator, dict) for key in operator}
    if not any(key.startswith(SCOPING_KEYS) for key in keys):
        problems.append(f"{services} may use the key for any account")
    if any(service.startswith("logs.") for service in services) and LOGS_CONTEXT_KEY not in keys:
        problems.append(f"CloudWatch Logs without a {LOGS_CONTEXT_KEY} condition")
    return problems


class KmsKeyPolicyScopesServices(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that KMS key policies let AWS services only encrypt and decrypt, for this account "
                 "(CloudWatch Logs by log group encryption context)",
            id="CKV_SWEB_028", categories=[CheckCategories.ENCRYPTION],
            supported_resources=["aws_kms_key"],
        )

    def scan_resource_conf(self, conf):
        self.evaluated_keys = ["policy"]
        policy = first(conf, "policy")
        if policy is None:
            return CheckResult.PASSED  # the default key policy names no service
        try:
            statements = policy_statements(policy)
        except ValueError:
            return CheckResult.UNKNOWN
        problems = [problem for statement in statements for problem in service_statement_problems(statement)]
        return CheckResult.FAILED if problems else CheckResult.PASSED


check = KmsKeyPolicyScopesServices()
