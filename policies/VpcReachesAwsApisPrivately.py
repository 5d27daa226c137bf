"""CKV_SWEB_029: a VPC reaches the AWS APIs its hosts use through private endpoints that admit only its account.

Without endpoints, every SSM, CloudWatch, KMS, Secrets Manager and STS call leaves through NAT
to the internet, and nothing stops a host from using credentials of another account on the way.
A VPC passes when the stack gives it, per service in ``INTERFACE_SERVICES``, an ``Interface``
``aws_vpc_endpoint`` (service name ending ``.<service>``) with private DNS on, subnets and a
security group; and an S3 ``Gateway`` endpoint on route tables. Every endpoint of a service in
``POLICY_SERVICES`` needs a policy whose every Allow statement either requires
``aws:PrincipalAccount`` (and, for S3, ``aws:ResourceAccount``) or only reads named objects
(``s3:GetObject`` on ARNs without a wildcard bucket: the agents' download buckets).
"""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import as_list, entity_name, first, is_true, policy_statements, references, stack_for

# Mirror secure_web.contract.INTERFACE_ENDPOINT_SERVICES and ENDPOINT_POLICY_SERVICES (a test keeps them equal).
INTERFACE_SERVICES = ("ssm", "ssmmessages", "ec2messages", "logs", "monitoring", "kms", "secretsmanager", "sts")
POLICY_SERVICES = frozenset({"ssm", "logs", "monitoring", "kms", "secretsmanager", "sts", "s3"})


def _conditions(statement: dict) -> set[str]:
    condition = statement.get("Condition") or {}
    return {key.lower() for operator, tests in condition.items() if str(operator) == "StringEquals"
            and isinstance(tests, dict) for key in tests}


def _reads_named_objects(statement: dict) -> bool:
    actions = [str(action).lower() for action in as_list(statement.get("Action"))]
    resources = [str(resource) for resource in as_list(statement.get("Resource"))]
    return bool(actions) and all(action == "s3:getobject" for action in actions) and bool(resources) \
        and all(resource.startswith("arn:") and ":::" in resource and "*" not in resource.split(":::", 1)[1].split("/")[0]
                for resource in resources)


def policy_is_own_account(policy: object, service: str) -> bool:
    """Every Allow statement of ``policy`` requires this account's principals (and resources, for S3), or only
    reads named S3 objects."""
    if policy in (None, ""):
        return False
    try:
        statements = policy_statements(policy)
    except ValueError:
        return False
    required = {"aws:principalaccount"} | ({"aws:resourceaccount"} if service == "s3" else set())
    allows = [statement for statement in statements if str(statement.get("Effect", "")).lower() == "allow"]
    return bool(allows) and all(required <= _conditions(statement)
                                or (service == "s3" and _reads_named_objects(statement)) for statement in allows)


class VpcReachesAwsApisPrivately(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that the VPC reaches the hosts' AWS APIs through private endpoints limited to its account",
            id="CKV_SWEB_029", categories=[CheckCategories.NETWORKING],
            supported_resources=["aws_vpc"],
        )

    def scan_resource_conf(self, conf):
        self.evaluated_keys = ["id"]
        vpc = entity_name(self)
        endpoints = [endpoint for _, _, endpoint in stack_for(self).of_type("aws_vpc_endpoint")
                     if ("aws_vpc", vpc) in references(endpoint.get("vpc_id"))]
        for service in (*INTERFACE_SERVICES, "s3"):
            kind = "Gateway" if service == "s3" else "Interface"
            if not any(self._serves(endpoint, service, kind) for endpoint in endpoints):
                return CheckResult.FAILED
        return CheckResult.PASSED

    @staticmethod
    def _serves(endpoint: dict, service: str, kind: str) -> bool:
        if not str(first(endpoint, "service_name", "")).endswith(f".{service}"):
            return False
        if str(first(endpoint, "vpc_endpoint_type", "Gateway")) != kind:
            return False
        if kind == "Interface":
            placed = is_true(first(endpoint, "private_dns_enabled")) and as_list(endpoint.get("subnet_ids")) \
                and as_list(endpoint.get("security_group_ids"))
        else:
            placed = bool(as_list(endpoint.get("route_table_ids")))
        return bool(placed) and (service not in POLICY_SERVICES or policy_is_own_account(first(endpoint, "policy"), service))


check = VpcReachesAwsApisPrivately()
