"""CKV_SWEB_022: a name the stack gets an ACM certificate for is covered by a CAA record of the stack naming Amazon.

CAA is checked the way certificate authorities do (RFC 8659): from the certificate's name
up, the first name with CAA records decides. A name with no CAA record of the stack above
it fails: any CA could then issue for it. A certificate whose name holds a reference is
not judged.
"""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from tf_json import as_list, first, stack_for

AMAZON_CAS = frozenset({"amazon.com", "amazontrust.com", "awstrust.com", "amazonaws.com"})


def issuers(records):
    """The CA domains the ``issue`` properties of ``records`` allow (``0 issue "amazon.com"`` -> amazon.com)."""
    allowed = set()
    for record in records:
        parts = str(record).split(None, 2)
        if len(parts) == 3 and parts[1].lower() == "issue":
            allowed.add(parts[2].strip('"').split(";")[0].strip().lower())
    return allowed


class CertificateNameHasCaaRecord(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure that a CAA record of the stack lets only Amazon issue certificates for the ACM certificate's name",
            id="CKV_SWEB_022", categories=[CheckCategories.NETWORKING],
            supported_resources=["aws_acm_certificate"],
        )

    def scan_resource_conf(self, conf):
        name = first(conf, "domain_name")
        if not isinstance(name, str) or "${" in name or first(conf, "validation_method") != "DNS":
            return CheckResult.UNKNOWN
        self.evaluated_keys = ["domain_name"]
        caa = {}
        for _, _, record in stack_for(self).of_type("aws_route53_record"):
            if first(record, "type") == "CAA" and isinstance(first(record, "name"), str):
                caa.setdefault(first(record, "name").rstrip(".").lower(), []).extend(as_list(record.get("records")))
        labels = name.lower().lstrip("*.").split(".")
        for start in range(len(labels)):
            records = caa.get(".".join(labels[start:]))
            if records is not None:
                allowed = issuers(records)
                return CheckResult.PASSED if allowed and allowed <= AMAZON_CAS else CheckResult.FAILED
        return CheckResult.FAILED


check = CertificateNameHasCaaRecord()
