"""VFY_SWEB_005 on web ACLs shaped like GetWebACLForResource's ``WebACL``: named pass and fail cases.

Each case is the web ACL the synthesized reference stack declares (its ``aws_wafv2_web_acl``
in the API's shape, as the emulation sends it to moto) with one thing changed. These are
modelled answers, not an account: the moto runs (test_emulated_deployment.py) cover an
unassociated ACL, an ACL without rules and a group set to count against moto's API.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from moto_deployment import waf_shape
from secure_web.verify.checks import COMMON_RULE_SET, web_acl_findings
from secure_web.web_acl import DEFAULT_MANAGED_RULE_GROUPS

ARN = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/sweb-waf/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
ACL = f"web ACL sweb-waf ({ARN})"
VISIBILITY = "VisibilityConfig with ['SampledRequestsEnabled', 'CloudWatchMetricsEnabled'] true"


@pytest.fixture(scope="module")
def declared_acl(reference_stack) -> dict[str, Any]:
    """The reference stack's web ACL as GetWebACLForResource returns it."""
    (body,) = reference_stack.resources("aws_wafv2_web_acl").values()
    return {"Name": "sweb-waf", "Id": ARN.rsplit("/", 1)[1], "ARN": ARN, "Capacity": 1300,
            "DefaultAction": waf_shape(body["default_action"]), "Rules": waf_shape(body["rule"]),
            "VisibilityConfig": waf_shape(body["visibility_config"])}


def rule(acl: dict[str, Any], group: str) -> dict[str, Any]:
    return next(item for item in acl["Rules"]
                if item["Statement"].get("ManagedRuleGroupStatement", {}).get("Name") == group)


def set_in(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(acl: dict[str, Any]) -> None:
        target = acl
        for key in path[:-1]:
            target = rule(acl, key) if key.startswith("AWSManagedRules") else target[key]
        target[path[-1]] = value
    return edit


def without_common_rule_set(acl: dict[str, Any]) -> None:
    acl["Rules"].remove(rule(acl, COMMON_RULE_SET[1]))


def rate_rule(acl: dict[str, Any]) -> dict[str, Any]:
    return next(item for item in acl["Rules"] if "RateBasedStatement" in item["Statement"])


def with_geo_rule(acl: dict[str, Any]) -> None:
    acl["Rules"].append({"Name": "geo", "Priority": 9, "Action": {"Allow": {}},
                         "Statement": {"GeoMatchStatement": {"CountryCodes": ["NL"]}},
                         "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
                                              "MetricName": "geo"}})


def without_rate_limit(acl: dict[str, Any]) -> None:
    acl["Rules"].remove(rate_rule(acl))


def rate_rule_counts(acl: dict[str, Any]) -> None:
    rate_rule(acl)["Action"] = {"Count": {}}


def rate_limit_per_header(acl: dict[str, Any]) -> None:
    rate_rule(acl)["Statement"]["RateBasedStatement"]["AggregateKeyType"] = "FORWARDED_IP"


def rate_limit_scoped_down(acl: dict[str, Any]) -> None:
    rate_rule(acl)["Statement"]["RateBasedStatement"]["ScopeDownStatement"] = {
        "ByteMatchStatement": {"SearchString": "/login", "FieldToMatch": {"UriPath": {}},
                               "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
                               "PositionalConstraint": "STARTS_WITH"}}


def with_count_override(acl: dict[str, Any]) -> None:
    rule(acl, COMMON_RULE_SET[1])["Statement"]["ManagedRuleGroupStatement"]["RuleActionOverrides"] = [
        {"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}]


CASES: dict[str, tuple[Callable[[dict[str, Any]], None] | None, list[str]]] = {
    "as-declared": (None, []),
    "default-block": (set_in(("DefaultAction",), {"Block": {}}), [
        f"{ACL}: expected DefaultAction Allow (its managed rule groups do the blocking); found Block"]),
    "acl-metrics-off": (set_in(("VisibilityConfig", "CloudWatchMetricsEnabled"), False), [
        f"{ACL}: expected {VISIBILITY}; found ['CloudWatchMetricsEnabled'] not true"]),
    "no-rules": (set_in(("Rules",), []), [
        f"{ACL}: expected rules of AWS managed rule groups, AWS/AWSManagedRulesCommonRuleSet among them; "
        "found no rules"]),
    "group-counts": (set_in(("AWSManagedRulesSQLiRuleSet", "OverrideAction"), {"Count": {}}), [
        f"{ACL} rule 'AWSManagedRulesSQLiRuleSet': expected OverrideAction None (the group's own block actions "
        "apply); found Count"]),
    "rule-overridden-to-count": (with_count_override, [
        f"{ACL} rule 'AWSManagedRulesCommonRuleSet': expected the whole group in force (no RuleActionOverrides, "
        "ExcludedRules, ScopeDownStatement); found ['RuleActionOverrides']"]),
    "rule-sampling-off": (set_in(("AWSManagedRulesAmazonIpReputationList", "VisibilityConfig",
                                  "SampledRequestsEnabled"), False), [
        f"{ACL} rule 'AWSManagedRulesAmazonIpReputationList': expected {VISIBILITY}; "
        "found ['SampledRequestsEnabled'] not true"]),
    "not-a-managed-group": (with_geo_rule, [
        f"{ACL} rule 'geo': expected a ManagedRuleGroupStatement or a RateBasedStatement; "
        "found a GeoMatchStatement statement"]),
    "without-rate-limit": (without_rate_limit, [
        f"{ACL}: expected a rate-based rule blocking clients over the rate limit (waf_rate_limit); "
        "found no rate-based rule"]),
    "rate-rule-counts": (rate_rule_counts, [
        f"{ACL} rule 'rate-limit-per-ip': expected Action Block (clients over the limit are stopped, not counted); "
        "found Count"]),
    "rate-limit-per-forwarded-header": (rate_limit_per_header, [
        f"{ACL} rule 'rate-limit-per-ip': expected AggregateKeyType IP (a limit per client address); "
        "found FORWARDED_IP"]),
    "rate-limit-scoped-down": (rate_limit_scoped_down, [
        f"{ACL} rule 'rate-limit-per-ip': expected the limit on every request (no ScopeDownStatement); "
        "found a ScopeDownStatement"]),
    "without-common-rule-set": (without_common_rule_set, [
        f"{ACL}: expected the managed rule group AWS/AWSManagedRulesCommonRuleSet among its rules; found groups "
        "['AWS/AWSManagedRulesKnownBadInputsRuleSet', 'AWS/AWSManagedRulesAmazonIpReputationList', "
        "'AWS/AWSManagedRulesSQLiRuleSet', 'AWS/AWSManagedRulesLinuxRuleSet']"]),
}


@pytest.mark.parametrize("case", CASES)
def test_web_acl_findings(declared_acl, case):
    edit, expected = CASES[case]
    acl = copy.deepcopy(declared_acl)
    if edit:
        edit(acl)
    assert [str(finding) for finding in web_acl_findings("VFY_SWEB_005", acl)] == expected


def test_the_required_group_is_one_the_tier_uses_by_default():
    # The verifier keeps its own copy (it must not import the constructs); this ties the two.
    assert COMMON_RULE_SET == ("AWS", "AWSManagedRulesCommonRuleSet")
    assert COMMON_RULE_SET[1] in DEFAULT_MANAGED_RULE_GROUPS
