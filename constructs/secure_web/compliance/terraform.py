"""Terraform's own offline check of each synthesized stack, as gate results (see secure_web.terraform_check)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

from secure_web.terraform_check import Checked, check_document, terraform_binary

from .scan import FAILED, PASSED, Result

TERRAFORM_CHECK_ID = "TF_OFFLINE_VALIDATE"
TERRAFORM_CHECK_NAME = ("Ensure Terraform accepts the block offline: template syntax, references, "
                        "count/for_each keys, depends_on")


def terraform_results(documents: Mapping[str, Mapping], *, terraform: str | None = None) -> list[Result]:
    """One result per block of each synthesized document (file -> JSON): failed with Terraform's messages, or passed."""
    terraform = terraform or terraform_binary()
    return [result for file, document in documents.items()
            for result in _results(check_document(document, file=file, terraform=terraform))]


def _results(checked: Checked) -> list[Result]:
    messages: dict[str, list[str]] = defaultdict(list)
    for diagnostic in checked.errors:
        messages[diagnostic.address].append(str(diagnostic))
    file = str(Path(checked.file).resolve())
    addresses = list(checked.addresses) + sorted(set(messages) - set(checked.addresses))
    return [
        Result(check_id=TERRAFORM_CHECK_ID, check_name=TERRAFORM_CHECK_NAME, address=address, file=file,
               status=FAILED if address in messages else PASSED, reason="\n".join(messages.get(address, [])))
        for address in addresses
    ]
