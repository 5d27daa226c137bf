"""Which public controls each of our checks evidences, and how severe a failure of it is.

One table, ``CONTROLS``, maps every check the project runs to the controls a pass of it
is evidence for: checkov's built-in checks the gate runs on the reference stack (and on
its Aurora variant), our ``CKV_SWEB`` policies, Terraform's offline check, the verifier's
``VFY_SWEB`` checks of a deployed account, and the host suite's tests (by pytest node id,
``tests/hosts/<module>.py::<test function>``). The frameworks are in ``FRAMEWORKS``:

* ``FSBP``: AWS Foundational Security Best Practices (Security Hub control ids, ``ELB.1``);
* ``CIS``: CIS Amazon Web Services Foundations Benchmark v3.0.0 (recommendation numbers, ``5.2``);
* ``NIST-800-53r5``: NIST SP 800-53 rev. 5 (controls and enhancements, ``SC-8``, ``SC-7(5)``);
* ``seeds``: the design's own requirements and flaws (``compliance.requirements.REQUIREMENTS``).

The mapping is conservative: a check names a control only where a pass of it is direct
evidence for that control (for the resources it covers), mostly as Security Hub relates
its own controls to CIS and NIST. A check whose only honest home is the design's seed
requirements maps there alone. The gate's checks take their seeds from ``REQUIREMENTS``
(the report's requirements table), so that mapping stays in one place; ``CONTROLS`` gives
seeds only to checks ``REQUIREMENTS`` does not list.

Pure Python: no cdktf, jsii, boto3 or checkov, so the gate, the verifier and the reports
read it without starting anything. ``python -m secure_web.controls`` prints the table that
``docs/controls.md`` carries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .compliance.requirements import REQUIREMENTS

HELP_BASE = "https://secure-web.invalid/secure_web/blob/main/"
"""Where the repository's files are browsed: a placeholder until the project has a public home
(``.invalid`` never resolves, so no link points at someone else's site). SARIF ``helpUri`` values
are this plus ``docs/controls.md#<check>``."""

SEVERITIES = {"critical": "9.0", "high": "7.0", "medium": "5.0", "low": "3.0"}
"""Severity -> SARIF ``security-severity`` (GitHub: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, below low)."""

LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
"""Severity -> SARIF ``level``."""

UNMAPPED_SEVERITY = "medium"
"""The severity of a check with no entry in ``CONTROLS`` (a checkov check newer than this table)."""


@dataclass(frozen=True)
class Framework:
    """A public catalogue of controls, and what its control ids look like."""

    name: str
    title: str
    id_format: re.Pattern[str]
    reference: str
    """Where the catalogue is published."""


FRAMEWORKS: dict[str, Framework] = {framework.name: framework for framework in (
    Framework("FSBP", "AWS Foundational Security Best Practices",
              re.compile(r"[A-Z][A-Za-z0-9]*\.[1-9][0-9]{0,2}"),
              "https://docs.aws.amazon.com/securityhub/latest/userguide/fsbp-standard.html"),
    Framework("CIS", "CIS Amazon Web Services Foundations Benchmark v3.0.0",
              re.compile(r"[1-5]\.[1-9][0-9]?(\.[1-9][0-9]?)?"),
              "https://www.cisecurity.org/benchmark/amazon_web_services"),
    Framework("NIST-800-53r5", "NIST SP 800-53 Revision 5",
              re.compile(r"(AC|AT|AU|CA|CM|CP|IA|IR|MA|MP|PE|PL|PM|PS|PT|RA|SA|SC|SI|SR)"
                         r"-[1-9][0-9]?(\([1-9][0-9]?\))?"),
              "https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final"),
    Framework("seeds", "The design's requirements and flaws (secure_web.compliance.requirements)",
              re.compile("|".join(re.escape(requirement.title) for requirement in REQUIREMENTS)),
              "docs/controls.md#the-seeds-requirements"),
)}
"""Framework name -> its definition, in report order."""


@dataclass(frozen=True)
class Controls:
    """One check's severity and the controls it evidences, per framework."""

    severity: str
    """``critical``, ``high``, ``medium`` or ``low`` (``SEVERITIES``)."""
    fsbp: tuple[str, ...] = ()
    cis: tuple[str, ...] = ()
    nist: tuple[str, ...] = ()
    seeds: tuple[str, ...] = ()
    """Only for checks ``REQUIREMENTS`` does not list; theirs come from there."""

    def by_framework(self) -> dict[str, tuple[str, ...]]:
        own = {"FSBP": self.fsbp, "CIS": self.cis, "NIST-800-53r5": self.nist, "seeds": self.seeds}
        return {name: own[name] for name in FRAMEWORKS if own[name]}


def _host(module: str, test: str) -> str:
    return f"tests/hosts/{module}.py::{test}"


CONTROLS: dict[str, Controls] = {
    # --- checkov built-in checks the gate runs on the reference stack ------------------------------
    "CKV2_AWS_5": Controls("medium", fsbp=("EC2.22",), nist=("CM-8",)),
    "CKV2_AWS_6": Controls("high", fsbp=("S3.8",), cis=("2.1.4",), nist=("AC-3",)),
    "CKV2_AWS_8": Controls("medium", nist=("CP-9",)),
    "CKV2_AWS_11": Controls("medium", fsbp=("EC2.6",), cis=("3.7",), nist=("AU-12", "SI-4")),
    "CKV2_AWS_12": Controls("high", fsbp=("EC2.2",), cis=("5.4",), nist=("SC-7",)),
    "CKV2_AWS_19": Controls("low", nist=("CM-8",)),
    "CKV2_AWS_1": Controls("low", fsbp=("EC2.16",), nist=("CM-7",)),
    "CKV2_AWS_20": Controls("high", fsbp=("ELB.1",), nist=("SC-8",)),
    "CKV2_AWS_23": Controls("medium", nist=("CM-8",)),
    "CKV2_AWS_28": Controls("medium", nist=("SC-7",)),
    "CKV2_AWS_31": Controls("medium", nist=("AU-2", "AU-12")),
    "CKV2_AWS_34": Controls("medium", nist=("SC-28",)),
    "CKV2_AWS_35": Controls("medium", nist=("SC-7",)),
    "CKV2_AWS_40": Controls("high", nist=("AC-6",)),
    "CKV2_AWS_44": Controls("medium", cis=("5.5",), nist=("SC-7",)),
    "CKV2_AWS_56": Controls("high", nist=("AC-6",)),
    "CKV2_AWS_61": Controls("low", fsbp=("S3.13",)),
    "CKV2_AWS_62": Controls("low", fsbp=("S3.11",), nist=("SI-4",)),
    "CKV2_AWS_64": Controls("low", nist=("SC-12",)),
    "CKV2_AWS_65": Controls("medium", fsbp=("S3.12",), nist=("AC-3",)),
    "CKV2_AWS_71": Controls("low", nist=("SC-17",)),
    "CKV2_AWS_74": Controls("high", nist=("SC-8", "SC-13")),
    "CKV2_AWS_76": Controls("medium", nist=("SC-7",)),
    "CKV_AWS_2": Controls("high", nist=("SC-8",)),
    "CKV_AWS_7": Controls("medium", cis=("3.6",), nist=("SC-12",)),
    "CKV_AWS_18": Controls("medium", fsbp=("S3.9",), nist=("AU-2", "AU-12")),
    "CKV_AWS_19": Controls("medium", nist=("SC-28",)),
    "CKV_AWS_20": Controls("critical", fsbp=("S3.2",), nist=("AC-3",)),
    "CKV_AWS_21": Controls("low", nist=("CP-9",)),
    "CKV_AWS_23": Controls("low"),
    "CKV_AWS_24": Controls("critical", cis=("5.2",), nist=("SC-7",)),
    "CKV_AWS_25": Controls("critical", cis=("5.2",), nist=("SC-7",)),
    "CKV_AWS_26": Controls("medium", nist=("SC-28",)),
    "CKV_AWS_33": Controls("high", nist=("AC-3",)),
    "CKV_AWS_41": Controls("critical", nist=("IA-5(7)",)),
    "CKV_AWS_46": Controls("critical", nist=("IA-5(7)",)),
    "CKV_AWS_53": Controls("high", fsbp=("S3.8",), cis=("2.1.4",), nist=("AC-3",)),
    "CKV_AWS_54": Controls("high", fsbp=("S3.8",), cis=("2.1.4",), nist=("AC-3",)),
    "CKV_AWS_55": Controls("high", fsbp=("S3.8",), cis=("2.1.4",), nist=("AC-3",)),
    "CKV_AWS_56": Controls("high", fsbp=("S3.8",), cis=("2.1.4",), nist=("AC-3",)),
    "CKV_AWS_57": Controls("critical", fsbp=("S3.3",), nist=("AC-3",)),
    "CKV_AWS_60": Controls("high", nist=("AC-6",)),
    "CKV_AWS_61": Controls("high", nist=("AC-6",)),
    "CKV_AWS_62": Controls("high", fsbp=("IAM.1",), cis=("1.16",), nist=("AC-6",)),
    "CKV_AWS_63": Controls("high", nist=("AC-6",)),
    "CKV_AWS_66": Controls("medium", nist=("AU-11",)),
    "CKV_AWS_70": Controls("high", nist=("AC-3",)),
    "CKV_AWS_79": Controls("high", fsbp=("EC2.8",), cis=("5.6",)),
    "CKV_AWS_88": Controls("high", fsbp=("EC2.9", "EC2.25"), nist=("SC-7",)),
    "CKV_AWS_91": Controls("medium", fsbp=("ELB.5",), nist=("AU-2", "AU-12")),
    "CKV_AWS_93": Controls("low", nist=("AC-3",)),
    "CKV_AWS_96": Controls("medium", nist=("SC-28",)),
    "CKV_AWS_103": Controls("high", nist=("SC-8", "SC-13")),
    "CKV_AWS_130": Controls("medium", fsbp=("EC2.15",), nist=("SC-7",)),
    "CKV_AWS_229": Controls("medium", nist=("SC-7", "CM-7")),
    "CKV_AWS_230": Controls("medium", nist=("SC-7", "CM-7")),
    "CKV_AWS_231": Controls("high", fsbp=("EC2.21",), nist=("SC-7", "CM-7")),
    "CKV_AWS_232": Controls("high", fsbp=("EC2.21",), nist=("SC-7", "CM-7")),
    "CKV_AWS_131": Controls("medium", fsbp=("ELB.4",)),
    "CKV_AWS_133": Controls("medium", fsbp=("RDS.11",), nist=("CP-9",)),
    "CKV_AWS_139": Controls("low", fsbp=("RDS.7",)),
    "CKV_AWS_144": Controls("low", nist=("CP-6", "CP-9")),
    "CKV_AWS_145": Controls("medium", nist=("SC-28",)),
    "CKV_AWS_150": Controls("medium", fsbp=("ELB.6",)),
    "CKV_AWS_153": Controls("low", nist=("CM-8",)),
    "CKV_AWS_158": Controls("medium", nist=("AU-9", "SC-28")),
    "CKV_AWS_162": Controls("medium", fsbp=("RDS.12",), nist=("AC-3",)),
    "CKV_AWS_175": Controls("medium", fsbp=("WAF.10",), nist=("SC-7",)),
    "CKV_AWS_192": Controls("high", nist=("SC-7",)),
    "CKV_AWS_227": Controls("medium", nist=("SC-12",)),
    "CKV_AWS_233": Controls("low", seeds=("HTTPS",)),
    "CKV_AWS_234": Controls("low", nist=("SC-17",)),
    "CKV_AWS_260": Controls("medium", nist=("SC-7",)),
    "CKV_AWS_261": Controls("low"),
    "CKV_AWS_274": Controls("high", cis=("1.16",), nist=("AC-6",)),
    "CKV_AWS_277": Controls("critical", nist=("SC-7",)),
    "CKV_AWS_300": Controls("low", fsbp=("S3.13",)),
    "CKV_AWS_313": Controls("low", fsbp=("RDS.16",)),
    "CKV_AWS_315": Controls("medium", fsbp=("AutoScaling.9",), nist=("CM-2",)),
    "CKV_AWS_319": Controls("high", nist=("SI-4(12)",)),
    "CKV_AWS_324": Controls("medium", nist=("AU-2", "AU-12")),
    "CKV_AWS_325": Controls("medium", nist=("AU-2", "AU-12")),
    "CKV_AWS_327": Controls("medium", nist=("SC-12", "SC-28")),
    "CKV_AWS_328": Controls("medium", fsbp=("ELB.12",)),
    "CKV_AWS_337": Controls("medium", nist=("SC-12", "SC-28")),
    "CKV_AWS_338": Controls("medium", nist=("AU-11",)),
    "CKV_AWS_341": Controls("high"),
    "CKV_AWS_342": Controls("medium", nist=("SC-7",)),
    "CKV_AWS_378": Controls("high", nist=("SC-8",)),
    "CKV_AWS_382": Controls("medium", nist=("SC-7",)),
    "CKV_AWS_386": Controls("high", nist=("SR-11",)),
    "CKV_AWS_393": Controls("high", nist=("AC-3",)),
    "CKV_AWS_394": Controls("low", nist=("CM-3",)),
    # --- checkov built-in checks only the Aurora variant (db_engine="aurora-mysql") adds ------------
    "CKV_AWS_17": Controls("critical", fsbp=("RDS.2",), cis=("2.3.3",), nist=("SC-7",)),
    "CKV_AWS_118": Controls("low", fsbp=("RDS.6",)),
    "CKV_AWS_226": Controls("high", fsbp=("RDS.13",), cis=("2.3.2",), nist=("SI-2",)),
    "CKV_AWS_326": Controls("medium", fsbp=("RDS.14",)),
    "CKV_AWS_353": Controls("low", seeds=("Monitoring",)),
    "CKV_AWS_354": Controls("medium", nist=("SC-12", "SC-28")),
    # --- our policies (policies/README.md) and Terraform's offline check ---------------------------
    "CKV_SWEB_001": Controls("high", fsbp=("ELB.1",), nist=("SC-8",)),
    "CKV_SWEB_002": Controls("high", nist=("SC-8", "SC-13")),
    "CKV_SWEB_003": Controls("high", nist=("SC-8",)),
    "CKV_SWEB_004": Controls("critical", fsbp=("EC2.18", "EC2.19"), cis=("5.2", "5.3"), nist=("AC-4", "SC-7")),
    "CKV_SWEB_005": Controls("high", cis=("5.2", "5.3"), nist=("CM-7", "SC-7")),
    "CKV_SWEB_006": Controls("high", nist=("AC-4", "SC-7")),
    "CKV_SWEB_007": Controls("medium", fsbp=("RDS.5", "RDS.15"), nist=("CP-10",)),
    "CKV_SWEB_008": Controls("high", nist=("SC-8",)),
    "CKV_SWEB_009": Controls("high", nist=("IA-5", "IA-5(7)")),
    "CKV_SWEB_010": Controls("high", nist=("SC-7", "SC-32")),
    "CKV_SWEB_011": Controls("medium", nist=("SI-4",)),
    "CKV_SWEB_012": Controls("medium", nist=("SI-4", "SI-4(12)")),
    "CKV_SWEB_013": Controls("high", fsbp=("EC2.8",), cis=("5.6",)),
    "CKV_SWEB_014": Controls("high", fsbp=("EC2.9", "EC2.15", "EC2.25"), nist=("SC-7",)),
    "CKV_SWEB_015": Controls("medium", nist=("SI-4(12)",)),
    "CKV_SWEB_016": Controls("high", nist=("SC-8", "SC-13"), seeds=("Flaw 1: TLS to the servers",)),
    "CKV_SWEB_017": Controls("high", nist=("AC-4", "SC-7"), seeds=("Firewalls", "Flaw 3: separate tiers")),
    "CKV_SWEB_018": Controls("medium", nist=("SC-5", "SI-4")),
    "CKV_SWEB_019": Controls("medium", nist=("AU-9", "SI-12")),
    "CKV_SWEB_020": Controls("low", nist=("AU-2", "AU-12")),
    "CKV_SWEB_021": Controls("low", nist=("IA-5", "AC-2")),
    "CKV_SWEB_022": Controls("medium", nist=("SC-17",), seeds=("HTTPS",)),
    "CKV_SWEB_023": Controls("medium", nist=("AU-2", "AU-12")),
    "CKV_SWEB_024": Controls("medium", nist=("SC-8", "SC-23"), seeds=("HTTPS",)),
    "CKV_SWEB_025": Controls("medium", nist=("AC-4", "SC-7")),
    "CKV_SWEB_026": Controls("high", nist=("AC-4", "SC-7"), seeds=("Firewalls",)),
    "CKV_SWEB_027": Controls("high", nist=("AC-6", "AU-9")),
    "CKV_SWEB_028": Controls("medium", nist=("AC-6", "SC-12")),
    "CKV_SWEB_029": Controls("medium", nist=("AC-4", "SC-7")),
    "TF_OFFLINE_VALIDATE": Controls("high"),
    # --- the verifier on a deployed account (secure_web.verify.checks) -------------------------------
    "VFY_SWEB_001": Controls("medium", seeds=("Firewalls",)),
    "VFY_SWEB_002": Controls("high", nist=("SC-8", "SC-13"), seeds=("HTTPS",)),
    "VFY_SWEB_003": Controls("high", fsbp=("ELB.1",), nist=("SC-8",), seeds=("HTTPS",)),
    "VFY_SWEB_004": Controls("medium", fsbp=("ELB.4", "ELB.5", "ELB.6"), nist=("AU-2", "AU-12")),
    "VFY_SWEB_005": Controls("medium", fsbp=("WAF.10",), nist=("SC-7",), seeds=("Firewalls",)),
    "VFY_SWEB_006": Controls("high", nist=("SC-8",), seeds=("Flaw 1: TLS to the servers",)),
    "VFY_SWEB_007": Controls("medium", seeds=("Flaw 1: TLS to the servers",)),
    "VFY_SWEB_008": Controls("high", nist=("AC-4", "SC-7"), seeds=("Firewalls", "Flaw 3: separate tiers")),
    "VFY_SWEB_009": Controls("high", cis=("5.2",), nist=("CM-7", "SC-7"), seeds=("Firewalls",)),
    "VFY_SWEB_010": Controls("medium", seeds=("Flaw 3: separate tiers",)),
    "VFY_SWEB_011": Controls("high", fsbp=("EC2.8",), cis=("5.6",), seeds=("Host hardening",)),
    "VFY_SWEB_012": Controls("high", fsbp=("EC2.9",), nist=("SC-7",), seeds=("Host hardening",)),
    "VFY_SWEB_013": Controls("high", nist=("AC-6",)),
    "VFY_SWEB_014": Controls("medium", fsbp=("SSM.1",)),
    "VFY_SWEB_015": Controls("medium", nist=("SI-4",), seeds=("Monitoring",)),
    "VFY_SWEB_016": Controls("medium", nist=("SI-4",), seeds=("QPS",)),
    "VFY_SWEB_017": Controls("medium", nist=("SI-4",), seeds=("QPS", "Monitoring")),
    "VFY_SWEB_018": Controls("medium", nist=("SI-4(12)",), seeds=("QPS",)),
    "VFY_SWEB_019": Controls("medium", fsbp=("RDS.15",), nist=("CP-10",), seeds=("Flaw 2: database failover",)),
    "VFY_SWEB_020": Controls("medium", seeds=("Flaw 2: database failover",)),
    "VFY_SWEB_021": Controls("medium", nist=("SC-28",)),
    "VFY_SWEB_022": Controls("low", fsbp=("RDS.7",)),
    "VFY_SWEB_023": Controls("medium", nist=("CP-9",)),
    "VFY_SWEB_024": Controls("high", nist=("IA-5",)),
    "VFY_SWEB_025": Controls("medium", seeds=("Flaw 2: database failover",)),
    "VFY_SWEB_026": Controls("high", fsbp=("S3.8",), cis=("2.1.4",), nist=("AC-3",)),
    "VFY_SWEB_027": Controls("medium", fsbp=("ELB.4", "ELB.5", "ELB.6"), nist=("AU-2", "SC-7"),
                             seeds=("Flaw 3: separate tiers",)),
    "VFY_SWEB_028": Controls("high", nist=("SC-8", "SC-13"), seeds=("Flaw 1: TLS to the servers",)),
    "VFY_SWEB_029": Controls("high", nist=("SC-8",), seeds=("Flaw 1: TLS to the servers",)),
    "VFY_SWEB_030": Controls("high", nist=("IA-5(7)", "SC-28")),
    "VFY_SWEB_031": Controls("medium", nist=("SC-8", "SC-23"), seeds=("HTTPS",)),
    "VFY_SWEB_032": Controls("high", nist=("AC-4", "SC-7"), seeds=("Firewalls",)),
    # --- the host suite on a running host (tests/hosts) ----------------------------------------------
    _host("test_agent_config", "test_agent_publishes_per_instance_and_per_group"):
        Controls("medium", nist=("SI-4",), seeds=("Monitoring",)),
    _host("test_agent_config", "test_scrape_config_the_agent_names_targets_the_exporter"):
        Controls("medium", nist=("SI-4",), seeds=("QPS",)),
    _host("test_agent_config", "test_scrape_config_has_instance_id_filled_in"):
        Controls("medium", nist=("SI-4",), seeds=("QPS",)),
    _host("test_agent_config", "test_nginx_log_is_shipped"): Controls("medium", nist=("AU-12",), seeds=("Monitoring",)),
    _host("test_files", "test_owned_by_root_with_mode"): Controls("high", nist=("AC-3",)),
    _host("test_files", "test_config_is_root_owned_and_not_world_writable"): Controls("high", nist=("AC-3", "CM-5")),
    _host("test_files", "test_default_site_is_removed"): Controls("low", nist=("CM-7",)),
    _host("test_monitoring", "test_stub_status_answers_on_loopback"):
        Controls("medium", nist=("SI-4",), seeds=("QPS",)),
    _host("test_monitoring", "test_exporter_reports_nginx_up"):
        Controls("medium", nist=("SI-4",), seeds=("Monitoring",)),
    _host("test_monitoring", "test_exporter_reports_request_counter"):
        Controls("medium", nist=("SI-4",), seeds=("QPS",)),
    _host("test_monitoring", "test_access_log_lines_are_json"): Controls("low", nist=("AU-3",), seeds=("Monitoring",)),
    _host("test_nftables", "test_hook_policy_is_drop"): Controls("high", nist=("SC-7(5)",), seeds=("Firewalls",)),
    _host("test_nftables", "test_https_port_admitted_only_from_allowed_cidrs"):
        Controls("high", nist=("AC-4", "SC-7"), seeds=("Firewalls",)),
    _host("test_nftables", "test_ssh_admitted_only_from_ssh_cidrs"):
        Controls("high", nist=("CM-7", "SC-7"), seeds=("Firewalls",)),
    _host("test_nftables", "test_ruleset_is_loaded_at_boot"): Controls("high", nist=("SC-7",), seeds=("Firewalls",)),
    _host("test_nftables", "test_no_input_accept_is_unconditional"):
        Controls("high", nist=("SC-7(5)",), seeds=("Firewalls",)),
    _host("test_nftables", "test_no_input_accept_opens_a_port_range"):
        Controls("high", nist=("SC-7(5)", "CM-7"), seeds=("Firewalls",)),
    _host("test_nftables", "test_every_input_port_accept_names_its_sources"):
        Controls("high", nist=("SC-7(5)",), seeds=("Firewalls",)),
    _host("test_nftables", "test_metadata_service_only_for_root_the_agent_and_the_app"):
        Controls("high", nist=("AC-6", "SC-7")),
    _host("test_nftables", "test_the_web_server_user_cannot_reach_the_metadata_service"):
        Controls("high", nist=("AC-6", "SC-7")),
    _host("test_sysctl", "test_kernel_setting_is_hardened"): Controls("medium", nist=("CM-6", "SC-7")),
    _host("test_sysctl", "test_settings_are_applied_again_at_boot"): Controls("medium", nist=("CM-6",)),
    _host("test_packages", "test_package_is_installed"): Controls("medium", nist=("CM-2",)),
    _host("test_packages", "test_agent_package_is_installed"):
        Controls("medium", nist=("SI-4",), seeds=("Monitoring",)),
    _host("test_restart", "test_service_comes_back_after_kill"): Controls("medium", nist=("CP-10",)),
    _host("test_tiers", "test_application_runs_as_its_own_user_and_restarts_on_failure"):
        Controls("medium", nist=("AC-6", "CP-10")),
    _host("test_tiers", "test_application_listens_on_loopback_only"):
        Controls("high", nist=("SC-7",), seeds=("Flaw 1: TLS to the servers",)),
    _host("test_tiers", "test_application_settings_are_readable_by_its_user_only"):
        Controls("high", nist=("AC-3", "AC-6")),
    _host("test_tiers", "test_database_ca_is_a_certificate_bundle"):
        Controls("medium", nist=("SC-8",), seeds=("Flaw 1: TLS to the servers",)),
    _host("test_tiers", "test_every_proxy_location_verifies_the_app_tier"):
        Controls("high", nist=("SC-8", "SC-23"), seeds=("Flaw 1: TLS to the servers",)),
    _host("test_tiers", "test_upstream_trust_is_a_certificate_bundle"):
        Controls("medium", nist=("SC-8",), seeds=("Flaw 1: TLS to the servers",)),
    _host("test_services", "test_service_is_running"):
        Controls("medium", nist=("SC-7", "SI-4"), seeds=("Firewalls", "Monitoring")),
    _host("test_services", "test_service_is_enabled"):
        Controls("medium", nist=("SC-7", "SI-4"), seeds=("Firewalls", "Monitoring")),
    _host("test_services", "test_service_restarts_on_failure"): Controls("medium", nist=("CP-10",)),
    _host("test_services", "test_agent_service_is_running"): Controls("medium", nist=("SI-4",), seeds=("Monitoring",)),
    _host("test_services", "test_agent_service_is_enabled"): Controls("medium", nist=("SI-4",), seeds=("Monitoring",)),
    _host("test_services", "test_agent_service_restarts_on_failure"):
        Controls("medium", nist=("CP-10",), seeds=("Monitoring",)),
    _host("test_sockets", "test_https_port_listens_on_all_addresses"):
        Controls("medium", seeds=("Flaw 1: TLS to the servers",)),
    _host("test_sockets", "test_listens_on_loopback_only"): Controls("medium", nist=("CM-7", "SC-7")),
    _host("test_sockets", "test_no_plain_http_listener"):
        Controls("high", nist=("CM-7", "SC-8"), seeds=("Flaw 1: TLS to the servers",)),
    _host("test_tls", "test_legacy_protocol_is_refused"):
        Controls("high", nist=("SC-8", "SC-13"), seeds=("Flaw 1: TLS to the servers",)),
    _host("test_tls", "test_modern_protocol_is_accepted"):
        Controls("high", nist=("SC-8",), seeds=("Flaw 1: TLS to the servers",)),
    _host("test_tls", "test_healthz_returns_200_over_https"):
        Controls("medium", nist=("SC-8",), seeds=("Flaw 1: TLS to the servers",)),
    _host("test_tls", "test_server_header_has_no_version"): Controls("low", nist=("CM-6",)),
    _host("test_http_hardening", "test_every_security_header_is_sent_exactly_once"): Controls("low", nist=("SC-8",)),
    _host("test_http_hardening", "test_hsts_lasts_a_year_or_more_and_covers_subdomains"):
        Controls("medium", nist=("SC-8", "SC-23"), seeds=("HTTPS",)),
    _host("test_http_hardening", "test_a_client_that_stalls_its_headers_is_cut_off"): Controls("medium", nist=("SC-5",)),
    _host("test_http_hardening", "test_request_bodies_over_the_limit_are_refused"): Controls("low", nist=("SC-5",)),
    _host("test_http_hardening", "test_the_sites_pages_carry_the_strict_content_security_policy"):
        Controls("low", nist=("SC-18",)),
    _host("test_http_hardening", "test_an_unknown_host_name_is_misdirected"): Controls("low", nist=("CM-7", "SC-7")),
    _host("test_http_hardening", "test_the_sites_names_are_served_and_health_checks_answered_by_address"):
        Controls("low", nist=("CM-7",)),
}
"""Check id -> its severity and controls. Seeds of the gate's checks come from ``REQUIREMENTS``."""


def _requirement_seeds() -> dict[str, tuple[str, ...]]:
    seeds: dict[str, tuple[str, ...]] = {}
    for requirement in REQUIREMENTS:
        for check_id in requirement.checks:
            seeds[check_id] = (*seeds.get(check_id, ()), requirement.title)
    return seeds


_SEEDS = _requirement_seeds()
"""Check id -> the seed requirements ``REQUIREMENTS`` lists it under."""


def frameworks_for(check_id: str) -> dict[str, tuple[str, ...]]:
    """Framework name -> the controls of it that ``check_id`` evidences, in ``FRAMEWORKS`` order; {} if unmapped."""
    entry = CONTROLS.get(check_id)
    mapping = entry.by_framework() if entry else {}
    seeds = (*_SEEDS.get(check_id, ()), *mapping.get("seeds", ()))
    if seeds:
        mapping["seeds"] = seeds
    return {name: mapping[name] for name in FRAMEWORKS if name in mapping}


def severity(check_id: str) -> str:
    """``critical``, ``high``, ``medium`` or ``low``; ``UNMAPPED_SEVERITY`` for a check ``CONTROLS`` lacks."""
    entry = CONTROLS.get(check_id)
    return entry.severity if entry else UNMAPPED_SEVERITY


def anchor(check_id: str) -> str:
    """The check's anchor in docs/controls.md: lower case, runs of anything but letters, digits and _ as one '-'."""
    return re.sub(r"[^a-z0-9_]+", "-", check_id.lower()).strip("-")


def help_uri(check_id: str) -> str:
    return f"{HELP_BASE}docs/controls.md#{anchor(check_id)}"


def control_order(framework: str, control: str) -> tuple:
    """Sort key: seeds in ``REQUIREMENTS`` order; otherwise EC2.2 before EC2.10, SC-7 before SC-7(5) before SC-8."""
    if framework == "seeds":
        titles = [requirement.title for requirement in REQUIREMENTS]
        return (titles.index(control),) if control in titles else (len(titles), control)
    parts = re.findall(r"\d+|[^\d.()\-]+", control)
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in parts)


def checks_by_control(framework: str) -> dict[str, tuple[str, ...]]:
    """Control of ``framework`` -> every check mapped to it (gate, verifier and host suite), controls in order."""
    found: dict[str, list[str]] = {}
    for check_id in sorted({*CONTROLS, *_SEEDS}, key=_check_order):
        for control in frameworks_for(check_id).get(framework, ()):
            found.setdefault(control, []).append(check_id)
    return {control: tuple(found[control]) for control in sorted(found, key=lambda c: control_order(framework, c))}


def where_checked(check_id: str) -> str:
    """``gate`` (checkov, our policies, Terraform), ``verifier`` (a deployed account) or ``hosts`` (a running host)."""
    if check_id.startswith("VFY_"):
        return "verifier"
    return "hosts" if check_id.startswith("tests/hosts/") else "gate"


def mapping_problems(check_ids: Iterable[str] = ()) -> list[str]:
    """What is wrong with the mapping: each of ``check_ids`` without an entry, and every malformed entry.

    An entry is malformed when its severity is unknown, it maps to no framework at all, a
    control id does not match its framework's format, or it repeats a seed ``REQUIREMENTS``
    already gives.
    """
    problems = [f"{check_id}: no entry in secure_web.controls.CONTROLS (every check must map to a framework)"
                for check_id in sorted(set(check_ids)) if check_id not in CONTROLS]
    for check_id, entry in CONTROLS.items():
        if entry.severity not in SEVERITIES:
            problems.append(f"{check_id}: severity must be one of {list(SEVERITIES)}; got {entry.severity!r}")
        if not frameworks_for(check_id):
            problems.append(f"{check_id}: maps to no control of any framework")
        for name, controls in entry.by_framework().items():
            for control in controls:
                if not FRAMEWORKS[name].id_format.fullmatch(control):
                    problems.append(f"{check_id}: {control!r} is not a {name} control id")
            if len(set(controls)) != len(controls):
                problems.append(f"{check_id}: {name} lists a control twice: {controls}")
        for seed in set(entry.seeds) & set(_SEEDS.get(check_id, ())):
            problems.append(f"{check_id}: seed {seed!r} is already given by compliance.requirements.REQUIREMENTS")
    return problems


def markdown_table() -> str:
    """The table docs/controls.md carries: one row per check, an anchor per row for SARIF ``helpUri``."""
    names = list(FRAMEWORKS)
    lines = ["| Check | Severity | " + " | ".join(names) + " |", "|---" * (len(names) + 2) + "|"]
    for check_id in sorted(CONTROLS, key=_check_order):
        mapping = frameworks_for(check_id)
        cells = [", ".join(mapping.get(name, ())) or "-" for name in names]
        lines.append(f'| <a id="{anchor(check_id)}"></a>`{check_id}` | {severity(check_id)} | '
                     + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


_CHECK_KINDS = ("CKV_AWS_", "CKV2_AWS_", "CKV_SWEB_", "TF_", "VFY_SWEB_", "tests/")


def _check_order(check_id: str) -> tuple:
    kinds = _CHECK_KINDS
    kind = next((index for index, prefix in enumerate(kinds) if check_id.startswith(prefix)), len(kinds))
    return (kind, control_order("", check_id))


if __name__ == "__main__":
    print(markdown_table(), end="")


def sentence(text: str) -> str:
    """``text`` ending in a full stop (SARIF texts are sentences)."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def tool_version() -> str:
    """The installed secure-web's version, for SARIF's tool driver."""
    from importlib import metadata

    try:
        return metadata.version("secure-web")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def control_tags(check_id: str) -> list[str]:
    """``<framework>/<control>`` for every control ``check_id`` evidences, in ``FRAMEWORKS`` order."""
    return [f"{framework}/{control}" for framework, controls in frameworks_for(check_id).items() for control in controls]


def sarif_rule(check_id: str, name: str, *, help_link: str, links_markdown: str) -> dict[str, object]:
    """A check as a SARIF rule (reportingDescriptor), the same for the gate and the verifier.

    Its severity gives ``security-severity`` and the default level; its controls give the
    description, the help and the tags. ``help_link`` is the rule's ``helpUri``;
    ``links_markdown`` ends the Markdown help.
    """
    mapping = frameworks_for(check_id)
    rank = severity(check_id)
    evidence = "; ".join(f"{framework} {', '.join(controls)}" for framework, controls in mapping.items())
    summary = f"{sentence(name)} " + (f"Evidences {evidence}." if evidence else "Not mapped to any control yet.")
    listing = "\n".join(f"- **{FRAMEWORKS[framework].title}**: {', '.join(controls)}"
                        for framework, controls in mapping.items()) or "- not mapped to any control yet"
    return {
        "id": check_id,
        "shortDescription": {"text": name},
        "fullDescription": {"text": summary},
        "helpUri": help_link,
        "help": {"text": f"{summary} Severity: {rank}. See {help_link}",
                 "markdown": f"{sentence(name)}\n\nSeverity: **{rank}**. Controls this check evidences:\n\n"
                             f"{listing}\n\n{links_markdown}"},
        "defaultConfiguration": {"level": LEVELS[rank]},
        "properties": {"security-severity": SEVERITIES[rank], "tags": ["security", *control_tags(check_id)]},
    }
