"""Customer-managed KMS keys with rotation, and the key policies the AWS services need."""

from __future__ import annotations

import json
import weakref
from typing import Sequence

import cdktf
from constructs import Construct

from .aws import resource_module
from .tree import stack_of

KEY_DELETION_WINDOW_DAYS = 30


ACCOUNT_CONTEXT_ID = "secure-web-account"


class AccountContext(Construct):
    """Account id, region and partition of the deploying credentials, as Terraform data sources.

    One per stack (``AccountContext.of``): every key policy of every construct in the stack
    reads the same three data sources.
    """

    @classmethod
    def of(cls, scope: Construct) -> "AccountContext":
        """The stack's context, created under the stack on first use."""
        stack = stack_of(scope)
        context = _CONTEXTS.get(stack)
        if context is None:
            context = _CONTEXTS[stack] = cls(stack, ACCOUNT_CONTEXT_ID)
        return context

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.account_id = resource_module("data_aws_caller_identity").DataAwsCallerIdentity(self, "caller").account_id
        self.region = resource_module("data_aws_region").DataAwsRegion(self, "region").region
        self.partition = resource_module("data_aws_partition").DataAwsPartition(self, "partition").partition


_CONTEXTS: "weakref.WeakKeyDictionary[cdktf.TerraformStack, AccountContext]" = weakref.WeakKeyDictionary()


def service_key_policy(context: AccountContext, services: Sequence[str]) -> str:
    """A key policy: the account administers the key; each named service may use it for encryption."""
    statements: list[dict[str, object]] = [
        {
            "Sid": "AccountAdministersKey",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{context.partition}:iam::{context.account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    for service in services:
        principal = f"{service}.{context.region}.amazonaws.com" if service == "logs" else f"{service}.amazonaws.com"
        statements.append(
            {
                "Sid": f"{service.title().replace('.', '')}UsesKey",
                "Effect": "Allow",
                "Principal": {"Service": principal},
                "Action": list(SERVICE_KEY_ACTIONS.get(service, DATA_KEY_ACTIONS)),
                "Resource": "*",
                "Condition": _service_condition(context, service),
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


DATA_KEY_ACTIONS = ("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*")
"""What a service that encrypts data with the key asks of it (never key administration)."""

SERVICE_KEY_ACTIONS = {"cloudwatch": ("kms:Decrypt", "kms:GenerateDataKey*"),
                       "sns": ("kms:Decrypt", "kms:GenerateDataKey*")}
"""Services that only publish to an encrypted topic: AWS documents Decrypt and GenerateDataKey* as enough."""


def _service_condition(context: AccountContext, service: str) -> dict[str, object]:
    """CloudWatch Logs names the log group in the encryption context (AWS's documented condition);
    every other service is held to calls made for this account."""
    if service == "logs":
        group_arns = f"arn:{context.partition}:logs:{context.region}:{context.account_id}:log-group:*"
        return {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": group_arns}}
    return {"StringEquals": {"aws:SourceAccount": context.account_id}}


def encryption_key(
    scope: Construct, construct_id: str, *, context: AccountContext, description: str, services: Sequence[str]
) -> object:
    """A rotating customer-managed key that the given services may use."""
    return resource_module("kms_key").KmsKey(
        scope,
        construct_id,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=KEY_DELETION_WINDOW_DAYS,
        policy=service_key_policy(context, services),
    )
