"""An S3 bucket for load balancer access and connection logs: private, encrypted, TLS-only, expiring."""

from __future__ import annotations

import json
from typing import Mapping

from constructs import Construct

from .aws import blocks, resource_module
from .kms import AccountContext

ACCESS_LOG_PREFIX = "alb"
CONNECTION_LOG_PREFIX = "alb-connections"
"""Where load balancers write connection logs (client address, port, TLS protocol and cipher, handshake result)."""


class AccessLogBucket(Construct):
    """Blocks all public access, encrypts at rest, denies non-TLS requests, and expires logs after ``retention_days``."""

    def __init__(self, scope: Construct, construct_id: str, *, retention_days: int, tags: Mapping[str, str]) -> None:
        super().__init__(scope, construct_id)
        context = AccountContext.of(self)
        bucket = resource_module("s3_bucket").S3Bucket(
            self, "bucket", bucket_prefix="secure-web-alb-logs-", force_destroy=False, tags=tags
        )
        resource_module("s3_bucket_public_access_block").S3BucketPublicAccessBlock(
            self, "public-access-block", bucket=bucket.id, block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True,
        )
        resource_module("s3_bucket_ownership_controls").S3BucketOwnershipControls(
            self, "ownership", bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}
        )
        resource_module("s3_bucket_versioning").S3BucketVersioningA(
            self, "versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"}
        )
        # ALB access logs can only be written to buckets encrypted with S3-managed keys.
        resource_module("s3_bucket_server_side_encryption_configuration").S3BucketServerSideEncryptionConfigurationA(
            self, "encryption", bucket=bucket.id,
            rule=blocks([{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"},
                         "bucket_key_enabled": True}]),
        )
        resource_module("s3_bucket_lifecycle_configuration").S3BucketLifecycleConfiguration(
            self, "lifecycle", bucket=bucket.id,
            rule=blocks([{
                "id": "expire-access-logs", "status": "Enabled", "filter": [{"prefix": ""}],
                "expiration": [{"days": retention_days}],
                "noncurrent_version_expiration": [{"noncurrent_days": 30}],
                "abort_incomplete_multipart_upload": [{"days_after_initiation": 7}],
            }]),
        )
        elb_account = resource_module("data_aws_elb_service_account").DataAwsElbServiceAccount(self, "elb-account")
        log_objects = [f"{bucket.arn}/{prefix}/AWSLogs/{context.account_id}/*"
                       for prefix in (ACCESS_LOG_PREFIX, CONNECTION_LOG_PREFIX)]
        resource_module("s3_bucket_policy").S3BucketPolicy(
            self, "policy", bucket=bucket.id,
            policy=json.dumps({
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                     "Resource": [bucket.arn, f"{bucket.arn}/*"],
                     "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
                    {"Sid": "LoadBalancerLogDelivery", "Effect": "Allow",
                     "Principal": {"AWS": elb_account.arn, "Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
                     "Action": "s3:PutObject", "Resource": log_objects},
                ],
            }),
        )
        self.bucket_name: str = bucket.id
        self.bucket_arn: str = bucket.arn
