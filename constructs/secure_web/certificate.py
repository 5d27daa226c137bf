"""An ACM certificate validated by DNS records in a Route 53 zone."""

from __future__ import annotations

from dataclasses import dataclass

import cdktf
from constructs import Construct

from .aws import resource_module
from .contract import DOMAIN_PATTERN, DOMAIN_RULE
from .validation import Checks, validate_props

HOSTED_ZONE_PATTERN = r"Z[A-Z0-9]{1,31}"
HOSTED_ZONE_RULE = "must be a Route 53 hosted zone id like Z0123456789ABCDEFGHIJ"
KEY_ALGORITHMS = ("RSA_2048", "EC_prime256v1", "EC_secp384r1")
CERTIFICATE_ARN_PATTERN = r"arn:aws(-[a-z]+)*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}"


@dataclass(frozen=True, kw_only=True)
class CertificateProps:
    """Options for DnsValidatedCertificate.

    Attributes:
        domain_name (str): The name the certificate covers, e.g. app.example.com. Required.
        hosted_zone_id (str): Route 53 zone that receives the validation records. Required.
        key_algorithm (str): ACM key algorithm (RSA_2048, EC_prime256v1, EC_secp384r1). Default: RSA_2048.
    """

    domain_name: str
    """The name the certificate covers, e.g. app.example.com. Required."""
    hosted_zone_id: str
    """Route 53 zone that receives the validation records. Required."""
    key_algorithm: str = "RSA_2048"
    """ACM key algorithm (RSA_2048, EC_prime256v1, EC_secp384r1). Default: RSA_2048."""


def check_props(props: CertificateProps, checks: Checks) -> None:
    """Adds every problem with ``props`` to ``checks``."""
    checks.matches("domain_name", props.domain_name, DOMAIN_PATTERN, DOMAIN_RULE)
    checks.matches("hosted_zone_id", props.hosted_zone_id, HOSTED_ZONE_PATTERN, HOSTED_ZONE_RULE)
    checks.one_of("key_algorithm", props.key_algorithm, KEY_ALGORITHMS)


class DnsValidatedCertificate(Construct):
    """``aws_acm_certificate`` + one validation record per domain + ``aws_acm_certificate_validation``.

    ``certificate_arn`` resolves only once validation completes, so listeners that use it
    wait for a certificate that can actually serve.
    """

    def __init__(self, scope: Construct, construct_id: str, props: CertificateProps) -> None:
        validate_props(check_props, props, scope, construct_id)
        super().__init__(scope, construct_id)
        certificate = resource_module("acm_certificate").AcmCertificate(
            self, "certificate", domain_name=props.domain_name, validation_method="DNS",
            key_algorithm=props.key_algorithm, lifecycle={"create_before_destroy": True},
        )
        options = cdktf.TerraformIterator.from_complex_list(
            certificate.domain_validation_options, "domain_name"
        )
        records = resource_module("route53_record").Route53Record(
            self, "validation-record", for_each=options, allow_overwrite=True, zone_id=props.hosted_zone_id,
            name=options.get_string("resource_record_name"), type=options.get_string("resource_record_type"),
            records=[options.get_string("resource_record_value")], ttl=60,
        )
        validation = resource_module("acm_certificate_validation").AcmCertificateValidation(
            self, "validation", certificate_arn=certificate.arn,
            validation_record_fqdns=cdktf.Token.as_list(
                cdktf.TerraformIterator.from_resources(records).pluck_property("fqdn")
            ),
        )
        self.certificate_arn: str = validation.certificate_arn
