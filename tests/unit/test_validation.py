"""Bad props fail before any resource exists, with one error naming path, field, rule and value."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import warnings

import cdktf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secure_web import (
    AlarmTopic, AlbIngressRule, Application, CertificateProps, DnsValidatedCertificate, InvalidPropsError, MonitoredHost,
    MonitoredHostProps, Network, NetworkProps, NetworkRef, ReplicatedMySQL, ReplicatedMySQLProps, SecureWebTier,
    SecureDefaultWeakened, SecureWebTierProps, Upstream, plan_subnets,
)
from secure_web import certificate, monitored_host, replicated_mysql, secure_web_tier
from secure_web.naming import ALB_NAME_MAX, NAME_PREFIX_PATTERN, TARGET_GROUP_NAME_MAX, aws_name
from secure_web.monitored_host import instance_architecture
from secure_web.validation import Checks, Shown

PUBLIC = ("subnet-0a000000000000001", "subnet-0a000000000000002", "subnet-0a000000000000003")
PRIVATE = ("subnet-0b000000000000001", "subnet-0b000000000000002", "subnet-0b000000000000003")
ISOLATED = ("subnet-0c000000000000001", "subnet-0c000000000000002", "subnet-0c000000000000003")
REF = NetworkRef(vpc_id="vpc-0123456789abcdef0", vpc_cidr="10.0.0.0/16", public_subnet_ids=PUBLIC,
                 private_subnet_ids=PRIVATE, isolated_subnet_ids=ISOLATED)
CERTIFICATE_ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/0123abcd-0123-4567-89ab-0123456789ab"
TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:alarms"
TARGET_GROUP_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef"
ARM64_AMI = "ami-0a000000000000001"
# A Network in another app: its ref holds subnet ids that are tokens, but two of them per layer.
OTHER_STACK = cdktf.TerraformStack(cdktf.App(), "other")
TWO_AZ_NETWORK = Network(OTHER_STACK, "two-az", NetworkProps(az_count=2))
CIDR_TOKEN = cdktf.Fn.cidrsubnet("10.0.0.0/8", 8, 0)

VALID = {
    Network: NetworkProps(),
    MonitoredHost: MonitoredHostProps(name="web", vpc_id=REF.vpc_id, subnet_ids=PRIVATE,
                                      allowed_https_cidrs=("10.0.0.0/16",)),
    SecureWebTier: SecureWebTierProps(network=REF, domain_name="www.example.com",
                                      hosted_zone_id="Z00000000000EXAMPLE", alarm_topic_arn=TOPIC_ARN),
    ReplicatedMySQL: ReplicatedMySQLProps(network=REF),
    DnsValidatedCertificate: CertificateProps(domain_name="www.example.com", hosted_zone_id="Z00000000000EXAMPLE"),
}


def ingress(port: int, cidr: str, description: str = "extra") -> tuple[AlbIngressRule, ...]:
    return (AlbIngressRule(port=port, cidr=cidr, description=description),)


def ref(**changes: object) -> NetworkRef:
    return dataclasses.replace(REF, **changes)


# (id, construct, changed props, field named in the error, value echoed in the error)
BAD_INPUTS = [
    ("network-cidr-malformed", Network, {"cidr_block": "10.0.0.0/33"}, "cidr_block", "10.0.0.0/33"),
    ("network-cidr-host-bits", Network, {"cidr_block": "10.0.0.1/16"}, "cidr_block", "10.0.0.1/16"),
    ("network-cidr-too-small", Network, {"cidr_block": "10.0.0.0/24"}, "cidr_block", "10.0.0.0/24"),
    ("network-cidr-ipv6", Network, {"cidr_block": "fd00::/16"}, "cidr_block", "fd00::/16"),
    ("network-one-az", Network, {"az_count": 1}, "az_count", 1),
    ("network-seven-azs", Network, {"az_count": 7}, "az_count", 7),
    ("network-one-named-az", Network, {"availability_zones": ("eu-west-1a",)}, "availability_zones (count)", 1),
    ("network-repeated-az", Network, {"availability_zones": ("eu-west-1a", "eu-west-1a")}, "availability_zones",
     ("eu-west-1a", "eu-west-1a")),
    ("network-malformed-az", Network, {"availability_zones": ("eu-west-1a", "west")}, "availability_zones[1]",
     "west"),
    ("network-flow-log-retention", Network, {"flow_log_retention_days": 10}, "flow_log_retention_days", 10),
    ("network-tag-aws-prefix", Network, {"tags": {"aws:owner": "me"}}, "tags key", "aws:owner"),
    ("host-instance-count-zero", MonitoredHost, {"instance_count": 0}, "instance_count", 0),
    ("host-instance-count-too-many", MonitoredHost, {"instance_count": 101}, "instance_count", 101),
    ("host-instance-type-malformed", MonitoredHost, {"instance_type": "t3small"}, "instance_type", "t3small"),
    ("host-https-cidr-malformed", MonitoredHost, {"allowed_https_cidrs": ("10.0.0.0/8x",)},
     "allowed_https_cidrs[0]", "10.0.0.0/8x"),
    ("host-https-cidr-world", MonitoredHost, {"allowed_https_cidrs": ("0.0.0.0/0",)}, "allowed_https_cidrs[0]",
     "0.0.0.0/0"),
    ("host-ssh-world", MonitoredHost, {"ssh_allowed_cidrs": ("0.0.0.0/0",)}, "ssh_allowed_cidrs[0]", "0.0.0.0/0"),
    ("host-name-too-long", MonitoredHost, {"name": "a" * 27}, "name", "a" * 27),
    ("host-cpu-threshold-negative", MonitoredHost, {"cpu_alarm_threshold_percent": -1},
     "cpu_alarm_threshold_percent", -1),
    ("host-https-port-ssh", MonitoredHost, {"https_port": 22}, "https_port", 22),
    ("host-subnet-wrong-kind", MonitoredHost, {"subnet_ids": ("sg-0123",)}, "subnet_ids[0]", "sg-0123"),
    ("host-ami-malformed", MonitoredHost, {"ami_id": "debian-12"}, "ami_id", "debian-12"),
    ("host-alarm-topic-not-sns", MonitoredHost, {"alarm_topic_arn": "alarms"}, "alarm_topic_arn", "alarms"),
    ("host-tag-key-too-long", MonitoredHost, {"tags": {"k" * 129: "v"}}, "tags key", "k" * 129),
    ("host-tag-value-too-long", MonitoredHost, {"tags": {"owner": "v" * 257}}, "tags['owner']", "v" * 257),
    ("host-tag-key-bad-character", MonitoredHost, {"tags": {"owner!": "me"}}, "tags key", "owner!"),
    ("tier-instance-count-one", SecureWebTier, {"instance_count": 1}, "instance_count", 1),
    ("tier-app-instance-count-too-many", SecureWebTier, {"app_instance_count": 101}, "app_instance_count", 101),
    ("tier-instance-type-malformed", SecureWebTier, {"instance_type": "large"}, "instance_type", "large"),
    ("tier-domain-invalid", SecureWebTier, {"domain_name": "Example_Com"}, "domain_name", "Example_Com"),
    ("tier-domain-missing", SecureWebTier, {"domain_name": None}, "domain_name", None),
    ("tier-certificate-arn-invalid", SecureWebTier,
     {"domain_name": None, "hosted_zone_id": None, "certificate_arn": "arn:aws:iam::123456789012:cert/x"},
     "certificate_arn", "arn:aws:iam::123456789012:cert/x"),
    ("tier-certificate-and-domain", SecureWebTier, {"certificate_arn": CERTIFICATE_ARN}, "certificate_arn",
     CERTIFICATE_ARN),
    ("tier-certificate-without-app-name", SecureWebTier, {"domain_name": None, "certificate_arn": CERTIFICATE_ARN},
     "app_domain_name", None),
    ("tier-zone-missing", SecureWebTier, {"hosted_zone_id": None}, "hosted_zone_id", None),
    ("tier-waf-rate-limit-too-low", SecureWebTier, {"waf_rate_limit": 10}, "waf_rate_limit", 10),
    ("database-master-user-admin", ReplicatedMySQL, {"master_username": "Admin"}, "master_username", "Admin"),
    ("tier-ssl-policy-ext2", SecureWebTier, {"ssl_policy": "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06"}, "ssl_policy",
     "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06"),
    ("tier-app-domain-is-the-site", SecureWebTier, {"app_domain_name": "www.example.com"}, "app_domain_name",
     "www.example.com"),
    ("tier-app-domain-malformed", SecureWebTier, {"app_domain_name": "App_Internal"}, "app_domain_name",
     "App_Internal"),
    ("tier-app-certificate-not-acm", SecureWebTier, {"app_certificate_arn": "arn:aws:iam::123456789012:cert/x"},
     "app_certificate_arn", "arn:aws:iam::123456789012:cert/x"),
    ("tier-proxied-path-covers-health", SecureWebTier, {"app_proxied_paths": ("/healthz/",)}, "app_proxied_paths[0]",
     "/healthz/"),
    ("tier-proxied-path-relative", SecureWebTier, {"app_proxied_paths": ("api",)}, "app_proxied_paths[0]", "api"),
    ("tier-application-command-relative", SecureWebTier, {"application": Application(command="node server.js")},
     "application.command", "node server.js"),
    ("tier-application-port-is-app-port", SecureWebTier, {"application": Application(port=8443)},
     "application.port", 8443),
    ("tier-application-env-reserved", SecureWebTier, {"application": Application(environment={"AWS_REGION": "x"})},
     "application.environment key", "AWS_REGION"),
    ("tier-application-env-quote", SecureWebTier, {"application": Application(environment={"MODE": 'a"b'})},
     "application.environment['MODE']", 'a"b'),
    ("tier-application-ca-holds-a-key", SecureWebTier,
     {"application": Application(database_ca_pem="-----BEGIN PRIVATE KEY-----\nabc\n")},
     "application.database_ca_pem", "-----BEGIN PRIVATE KEY-----\nabc\n"),
    ("host-upstream-on-app-role", MonitoredHost,
     {"role": "app", "upstream": Upstream(address="app.example.com", port=8443, server_name="app.example.com")},
     "upstream", "app"),
    ("host-upstream-name-not-dns", MonitoredHost,
     {"upstream": Upstream(address="10.0.2.100", port=8443, server_name="app_internal.example.com")},
     "upstream.server_name", "app_internal.example.com"),
    ("host-upstream-tries-too-many", MonitoredHost,
     {"upstream": Upstream(address="app.example.com", port=8443, server_name="app.example.com", tries=9)},
     "upstream.tries", 9),
    ("host-application-on-web-role", MonitoredHost, {"application": Application()}, "application", "web"),
    ("tier-subnet-cidr-outside-vpc", SecureWebTier, {"network": ref(private_subnet_cidrs=("192.168.0.0/24",))},
     "network.private_subnet_cidrs[0]", "192.168.0.0/24"),
    ("tier-tls-policy-not-allowed", SecureWebTier, {"ssl_policy": "ELBSecurityPolicy-2016-08"}, "ssl_policy",
     "ELBSecurityPolicy-2016-08"),
    ("tier-ingress-ssh-world", SecureWebTier, {"extra_alb_ingress": ingress(22, "0.0.0.0/0")},
     "extra_alb_ingress[0].port", 22),
    ("tier-ingress-mysql-private", SecureWebTier, {"extra_alb_ingress": ingress(3306, "10.0.0.0/8")},
     "extra_alb_ingress[0].port", 3306),
    ("tier-ingress-8080-world", SecureWebTier, {"extra_alb_ingress": ingress(8080, "0.0.0.0/0")},
     "extra_alb_ingress[0].port", 8080),
    ("tier-ingress-ipv6-world", SecureWebTier, {"extra_alb_ingress": ingress(8444, "::/0")},
     "extra_alb_ingress[0].port", 8444),
    ("tier-ingress-app-port", SecureWebTier, {"extra_alb_ingress": ingress(8443, "0.0.0.0/0")},
     "extra_alb_ingress[0].port", 8443),
    ("tier-ingress-cidr-malformed", SecureWebTier, {"extra_alb_ingress": ingress(443, "192.0.2.0/33")},
     "extra_alb_ingress[0].cidr", "192.0.2.0/33"),
    ("tier-ingress-repeats-builtin", SecureWebTier, {"extra_alb_ingress": ingress(443, "0.0.0.0/0")},
     "extra_alb_ingress[0]", "443 from 0.0.0.0/0"),
    ("tier-ingress-description-bad", SecureWebTier, {"extra_alb_ingress": ingress(443, "192.0.2.0/24", "naïve")},
     "extra_alb_ingress[0].description", "naïve"),
    ("tier-qps-low-negative", SecureWebTier, {"qps_low_threshold": -1.0}, "qps_low_threshold", -1.0),
    ("tier-qps-low-above-high", SecureWebTier, {"qps_low_threshold": 50.0, "qps_high_threshold": 10.0},
     "qps_low_threshold", 50.0),
    ("tier-qps-not-a-number", SecureWebTier, {"qps_high_threshold": "1000"}, "qps_high_threshold", "1000"),
    ("tier-qps-band-zero", SecureWebTier, {"qps_anomaly_band_stddevs": 0.0}, "qps_anomaly_band_stddevs", 0.0),
    ("tier-qps-band-too-wide", SecureWebTier, {"qps_anomaly_band_stddevs": 11}, "qps_anomaly_band_stddevs", 11),
    ("tier-qps-band-not-a-number", SecureWebTier, {"qps_anomaly_band_stddevs": "2"}, "qps_anomaly_band_stddevs",
     "2"),
    ("tier-name-too-long-for-alb", SecureWebTier, {"name": "a" * 21}, "name", "a" * 21),
    ("tier-name-internal", SecureWebTier, {"name": "internal"}, "name", "internal"),
    ("tier-app-port-mysql", SecureWebTier, {"app_port": 3306}, "app_port", 3306),
    ("tier-vpc-cidr-malformed", SecureWebTier, {"network": ref(vpc_cidr="10.0.0/16")}, "network.vpc_cidr",
     "10.0.0/16"),
    ("tier-vpc-cidr-too-large", SecureWebTier, {"network": ref(vpc_cidr="10.0.0.0/8")}, "network.vpc_cidr",
     "10.0.0.0/8"),
    ("tier-private-equals-public", SecureWebTier, {"network": ref(private_subnet_ids=PUBLIC)},
     "network.private_subnet_ids", sorted(PUBLIC)),
    ("tier-one-public-subnet", SecureWebTier, {"network": ref(public_subnet_ids=PUBLIC[:1])},
     "network.public_subnet_ids", PUBLIC[:1]),
    ("tier-waf-rule-group-unknown", SecureWebTier, {"waf_managed_rule_groups": ("CommonRuleSet",)},
     "waf_managed_rule_groups[0]", "CommonRuleSet"),
    ("tier-deletion-protection-not-bool", SecureWebTier, {"enable_deletion_protection": "false"},
     "enable_deletion_protection", "false"),
    ("db-backup-retention-too-short", ReplicatedMySQL, {"backup_retention_days": 3}, "backup_retention_days", 3),
    ("db-backup-retention-too-long", ReplicatedMySQL, {"backup_retention_days": 36}, "backup_retention_days", 36),
    ("db-class-without-local-storage", ReplicatedMySQL, {"instance_class": "db.m6g.large"}, "instance_class",
     "db.m6g.large"),
    ("db-class-malformed", ReplicatedMySQL, {"instance_class": "m6gd.large"}, "instance_class", "m6gd.large"),
    ("db-aurora-class-malformed", ReplicatedMySQL, {"engine": "aurora-mysql", "instance_class": "db.m6gd.large"},
     "instance_class", "db.m6gd.large"),
    ("db-engine-unsupported", ReplicatedMySQL, {"engine": "postgres"}, "engine", "postgres"),
    ("db-engine-version-unsupported", ReplicatedMySQL, {"engine_version": "5.7.44"}, "engine_version", "5.7.44"),
    ("db-in-public-subnets", ReplicatedMySQL, {"network": ref(isolated_subnet_ids=PUBLIC)},
     "network.isolated_subnet_ids", sorted(PUBLIC)),
    ("db-in-private-subnets", ReplicatedMySQL, {"network": ref(isolated_subnet_ids=PRIVATE)},
     "network.isolated_subnet_ids", sorted(PRIVATE)),
    ("db-two-azs-for-multi-az-cluster", ReplicatedMySQL, {"network": ref(isolated_subnet_ids=ISOLATED[:2])},
     "network.isolated_subnet_ids", ISOLATED[:2]),
    ("db-name-too-long", ReplicatedMySQL, {"name": "d" * 27}, "name", "d" * 27),
    ("db-tag-reserved-prefix", ReplicatedMySQL, {"tags": {"secure-web:tier": "x"}}, "tags key", "secure-web:tier"),
    ("db-vpc-id-wrong-kind", ReplicatedMySQL, {"network": ref(vpc_id="subnet-0123")}, "network.vpc_id",
     "subnet-0123"),
    # A plain string or a single item where a tuple is expected: one problem echoing the value, not its characters.
    ("tier-waf-groups-bare-string", SecureWebTier, {"waf_managed_rule_groups": "AWSManagedRulesCommonRuleSet"},
     "waf_managed_rule_groups", "AWSManagedRulesCommonRuleSet"),
    ("tier-ingress-single-rule", SecureWebTier,
     {"extra_alb_ingress": AlbIngressRule(port=8444, cidr="192.0.2.0/24", description="office")}, "extra_alb_ingress",
     AlbIngressRule(port=8444, cidr="192.0.2.0/24", description="office")),
    ("host-https-cidrs-bare-string", MonitoredHost, {"allowed_https_cidrs": "10.0.0.0/16"}, "allowed_https_cidrs",
     "10.0.0.0/16"),
    ("host-ssh-cidrs-bare-string", MonitoredHost, {"ssh_allowed_cidrs": "192.0.2.0/24"}, "ssh_allowed_cidrs",
     "192.0.2.0/24"),
    ("host-subnet-ids-bare-string", MonitoredHost, {"subnet_ids": PRIVATE[0]}, "subnet_ids", PRIVATE[0]),
    ("host-target-groups-bare-string", MonitoredHost, {"target_group_arns": TARGET_GROUP_ARN}, "target_group_arns",
     TARGET_GROUP_ARN),
    ("network-zones-bare-string", Network, {"availability_zones": "eu-west-1a"}, "availability_zones", "eu-west-1a"),
    ("db-isolated-subnets-bare-string", ReplicatedMySQL, {"network": ref(isolated_subnet_ids=ISOLATED[0])},
     "network.isolated_subnet_ids", ISOLATED[0]),
    # Not a NetworkRef.
    ("tier-network-none", SecureWebTier, {"network": None}, "network", None),
    ("db-network-construct-not-ref", ReplicatedMySQL, {"network": TWO_AZ_NETWORK}, "network",
     Shown("<Network construct other/two-az>")),
    # A bare address where a CIDR block is expected (the host firewall used to refuse it after a child was built).
    ("host-https-cidr-bare-ip", MonitoredHost, {"allowed_https_cidrs": ("10.0.0.5",)}, "allowed_https_cidrs[0]",
     "10.0.0.5"),
    ("host-ssh-cidr-bare-ip", MonitoredHost, {"ssh_allowed_cidrs": ("192.0.2.10",)}, "ssh_allowed_cidrs[0]",
     "192.0.2.10"),
    ("tier-ingress-cidr-bare-ip", SecureWebTier, {"extra_alb_ingress": ingress(8444, "192.0.2.10")},
     "extra_alb_ingress[0].cidr", "192.0.2.10"),
    ("tier-vpc-cidr-bare-ip", SecureWebTier, {"network": ref(vpc_cidr="10.0.0.0")}, "network.vpc_cidr", "10.0.0.0"),
    ("network-cidr-bare-ip", Network, {"cidr_block": "10.0.0.0"}, "cidr_block", "10.0.0.0"),
    # A token where the value is written into the hosts' user data at synth.
    ("host-https-cidr-token", MonitoredHost, {"allowed_https_cidrs": (CIDR_TOKEN,)}, "allowed_https_cidrs[0]",
     CIDR_TOKEN),
    ("tier-vpc-cidr-token", SecureWebTier, {"network": ref(vpc_cidr=CIDR_TOKEN)}, "network.vpc_cidr", CIDR_TOKEN),
    # RDS identifiers.
    ("db-name-trailing-hyphen", ReplicatedMySQL, {"name": "orders-"}, "name", "orders-"),
    ("db-name-double-hyphen", ReplicatedMySQL, {"name": "orders--db"}, "name", "orders--db"),
    # Subnet counts are known even when the ids are tokens.
    ("db-two-az-network-for-multi-az-cluster", ReplicatedMySQL, {"network": TWO_AZ_NETWORK.ref},
     "network.isolated_subnet_ids", Shown("2 values known only at apply time")),
    ("tier-one-public-subnet-token", SecureWebTier,
     {"network": ref(public_subnet_ids=TWO_AZ_NETWORK.ref.public_subnet_ids[:1])}, "network.public_subnet_ids",
     Shown("1 value known only at apply time")),
    # Instance architecture against the AMI.
    ("host-graviton-with-default-ami", MonitoredHost, {"instance_type": "t4g.small"}, "instance_type", "t4g.small"),
    ("tier-graviton-with-default-ami", SecureWebTier, {"app_instance_type": "c6gn.large"}, "app_instance_type",
     "c6gn.large"),
    ("tier-mixed-architectures-one-ami", SecureWebTier, {"ami_id": ARM64_AMI, "instance_type": "m7g.large"},
     "app_instance_type", "t3.small"),
    ("certificate-key-algorithm", DnsValidatedCertificate, {"key_algorithm": "RSA_1024"}, "key_algorithm",
     "RSA_1024"),
    ("certificate-zone-malformed", DnsValidatedCertificate, {"hosted_zone_id": "example.com"}, "hosted_zone_id",
     "example.com"),
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """One stack for every case: validation fails before a construct joins its scope."""
    app = cdktf.App(outdir=str(tmp_path_factory.mktemp("validation")))
    return cdktf.TerraformStack(app, "s")


@pytest.mark.parametrize("construct, changes, field, value", [case[1:] for case in BAD_INPUTS],
                         ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_names_path_field_and_value_and_adds_nothing(stack, construct, changes, field, value):
    children_before, metadata_before = len(stack.node.children), len(stack.node.metadata)

    with warnings.catch_warnings(record=True) as caught, pytest.raises(InvalidPropsError) as raised:
        warnings.simplefilter("always")
        construct(stack, "bad", dataclasses.replace(VALID[construct], **changes))

    lines = str(raised.value).splitlines()
    assert any(line.startswith(f"s/bad: '{field}' ") and line.endswith(f"; got {value!r}") for line in lines), lines
    assert len(stack.node.children) == children_before
    assert len(stack.node.metadata) == metadata_before
    assert not [warning for warning in caught if issubclass(warning.category, SecureDefaultWeakened)]
    assert "secure_web" not in stack.to_terraform()["//"]


@pytest.mark.parametrize("changes, field", [
    ({"waf_managed_rule_groups": "AWSManagedRulesCommonRuleSet"}, "waf_managed_rule_groups"),
    ({"network": ref(public_subnet_ids="subnet-0a000000000000001")}, "network.public_subnet_ids"),
], ids=["waf-groups", "public-subnets"])
def test_a_string_for_a_tuple_is_one_problem_with_an_example_not_one_per_character(stack, changes, field):
    with pytest.raises(InvalidPropsError) as raised:
        SecureWebTier(stack, "bad", dataclasses.replace(VALID[SecureWebTier], **changes))

    assert [problem.field for problem in raised.value.problems] == [field]
    assert re.search(rf"'{re.escape(field)}' must be a tuple of .* like \('", str(raised.value))


def test_alarm_topic_rejects_bad_tags(stack):
    with pytest.raises(InvalidPropsError, match=r"s/alarms: 'tags key' must not start with 'aws:'.*got 'AWS:x'"):
        AlarmTopic(stack, "alarms", tags={"AWS:x": "y"})


def test_table_covers_at_least_thirty_bad_inputs_across_every_construct():
    assert len(BAD_INPUTS) >= 30
    assert {case[1] for case in BAD_INPUTS} == set(VALID)


def test_valid_props_pass_every_check():
    for check, props in ((secure_web_tier.check_props, VALID[SecureWebTier]),
                         (replicated_mysql.check_props, VALID[ReplicatedMySQL]),
                         (monitored_host.check_props, VALID[MonitoredHost]),
                         (certificate.check_props, VALID[DnsValidatedCertificate])):
        checks = Checks()
        check(props, checks)
        assert checks.problems == []


def test_every_problem_is_reported_in_one_error_and_nothing_is_added(stack):
    """GIVEN a tier with four unrelated problems WHEN built THEN one error lists all four."""
    children_before = len(stack.node.children)
    props = dataclasses.replace(
        VALID[SecureWebTier], instance_count=1, ssl_policy="ELBSecurityPolicy-2016-08", tags={"aws:x": "y"},
        extra_alb_ingress=ingress(22, "0.0.0.0/0"),
    )

    with pytest.raises(InvalidPropsError) as raised:
        SecureWebTier(stack, "tier", props)

    assert raised.value.path == "s/tier"
    assert {problem.field for problem in raised.value.problems} == {
        "instance_count", "ssl_policy", "tags key", "extra_alb_ingress[0].port"}
    assert len(str(raised.value).splitlines()) == 4
    assert len(stack.node.children) == children_before


@pytest.mark.parametrize("instance_type, architecture", [
    ("t3.small", "x86_64"), ("m7i-flex.large", "x86_64"), ("c7a.xlarge", "x86_64"), ("g4dn.xlarge", "x86_64"),
    ("t4g.small", "arm64"), ("m7g.large", "arm64"), ("c6gn.xlarge", "arm64"), ("r8gd.large", "arm64"),
    ("is4gen.large", "arm64"), ("g5g.xlarge", "arm64"), ("a1.medium", "arm64"),
])
def test_graviton_families_are_arm64(instance_type, architecture):
    assert instance_architecture(instance_type) == architecture


def test_graviton_types_pass_with_an_arm64_ami():
    checks = Checks()
    monitored_host.check_props(dataclasses.replace(VALID[MonitoredHost], instance_type="t4g.small",
                                                   ami_id=ARM64_AMI), checks)
    secure_web_tier.check_props(dataclasses.replace(VALID[SecureWebTier], instance_type="m7g.large",
                                                    app_instance_type="t4g.medium", ami_id=ARM64_AMI), checks)
    assert checks.problems == []


def test_lists_are_accepted_where_tuples_are_expected():
    checks = Checks()
    monitored_host.check_props(dataclasses.replace(VALID[MonitoredHost], subnet_ids=list(PRIVATE),
                                                   allowed_https_cidrs=["10.0.0.0/16"]), checks)
    replicated_mysql.check_props(dataclasses.replace(VALID[ReplicatedMySQL], network=ref(
        isolated_subnet_ids=list(ISOLATED))), checks)
    assert checks.problems == []


def test_a_list_token_is_not_counted(stack):
    """A cdktf list token is one string standing for a whole list: its length is known only at apply."""
    subnets = cdktf.TerraformVariable(stack, "isolated", type="list(string)").list_value
    checks = Checks()
    replicated_mysql.check_props(dataclasses.replace(VALID[ReplicatedMySQL], network=ref(
        isolated_subnet_ids=subnets)), checks)
    assert len(subnets) == 1
    assert checks.problems == []


def test_unresolved_tokens_are_not_judged(stack):
    token = cdktf.TerraformVariable(stack, "subnet", type="string").string_value
    network = NetworkRef(vpc_id=token, vpc_cidr="10.0.0.0/16", public_subnet_ids=(token, token),
                         private_subnet_ids=(token, token), isolated_subnet_ids=(token, token, token))
    checks = Checks()
    secure_web_tier.check_props(dataclasses.replace(VALID[SecureWebTier], network=network, alarm_topic_arn=token),
                                checks)
    replicated_mysql.check_props(dataclasses.replace(VALID[ReplicatedMySQL], network=network), checks)
    assert checks.problems == []


def _vpcs():
    return st.builds(
        lambda prefix, address: ipaddress.ip_network(f"{ipaddress.IPv4Address(address)}/{prefix}", strict=False),
        st.integers(16, 22), st.integers(0, 2**32 - 1),
    )


@settings(max_examples=200, deadline=None)
@given(vpc=_vpcs(), az_count=st.integers(2, 6))
def test_planned_subnets_fit_the_vpc_do_not_overlap_and_are_aws_sized(vpc, az_count):
    plan = plan_subnets(str(vpc), az_count)
    blocks = [ipaddress.ip_network(cidr) for cidr in plan.public + plan.private + plan.isolated]

    assert (len(plan.public), len(plan.private), len(plan.isolated)) == (az_count, az_count, az_count)
    assert all(block.subnet_of(vpc) for block in blocks)
    assert all(not a.overlaps(b) for index, a in enumerate(blocks) for b in blocks[index + 1:])
    assert all(16 <= block.prefixlen <= 28 for block in blocks)


ALB_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]")


@settings(max_examples=200, deadline=None)
@given(prefix=st.from_regex(NAME_PREFIX_PATTERN, fullmatch=True), path=st.text(min_size=1, max_size=200))
def test_generated_load_balancer_names_never_exceed_aws_limits(prefix, path):
    for kind, limit in (("alb", ALB_NAME_MAX), ("web", TARGET_GROUP_NAME_MAX)):
        name = aws_name(prefix, kind, path, limit)
        assert len(name) <= limit
        assert ALB_NAME.fullmatch(name)
