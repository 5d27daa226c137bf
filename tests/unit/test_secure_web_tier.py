"""SecureWebTier in the reference stack: HTTPS front door, TLS to the hosts, and the firewall chain."""

from __future__ import annotations

import base64
import gzip
import json
import re
import warnings

import cdktf
import pytest

from secure_web import (ALLOWED_SSL_POLICIES, Application, Network, SecureDefaultWeakened, SecureWebTier, SecureWebTierProps,
                        plan_subnets)
from secure_web.aws import resource_module
from tests.conftest import synth_stack

WORLD = {"0.0.0.0/0", "::/0"}


def ref(stack, resource_type: str, path_suffix: str, attribute: str) -> str:
    return "${" + f"{stack.address_of(resource_type, path_suffix)}.{attribute}" + "}"


def test_https_listener_uses_a_tls13_policy_and_the_validated_certificate(reference_stack):
    listener = reference_stack.by_path("aws_lb_listener", "web/https-listener")
    assert (listener["port"], listener["protocol"]) == (443, "HTTPS")
    assert listener["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-Res-2021-06" == ALLOWED_SSL_POLICIES[0]
    assert listener["certificate_arn"] == ref(reference_stack, "aws_acm_certificate_validation",
                                              "web/certificate/validation", "certificate_arn")
    assert listener["default_action"] == [
        {"type": "forward", "target_group_arn": ref(reference_stack, "aws_lb_target_group", "web/web-targets", "arn")}
    ]


def test_port_80_only_redirects_to_https_with_301(reference_stack):
    listener = reference_stack.by_path("aws_lb_listener", "web/http-redirect-listener")
    assert (listener["port"], listener["protocol"]) == (80, "HTTP")
    assert listener["default_action"] == [
        {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}}
    ]


def test_certificate_is_validated_by_dns_records_in_the_zone(reference_stack):
    certificate = reference_stack.by_path("aws_acm_certificate", "web/certificate/certificate")
    assert (certificate["domain_name"], certificate["validation_method"]) == ("www.example.com", "DNS")
    record = reference_stack.by_path("aws_route53_record", "web/certificate/validation-record")
    assert record["zone_id"] == "Z00000000000EXAMPLE"
    assert "domain_validation_options" in record["for_each"]
    validation = reference_stack.by_path("aws_acm_certificate_validation", "web/certificate/validation")
    assert "fqdn" in validation["validation_record_fqdns"]


def test_target_group_and_its_health_checks_speak_https_to_the_hosts(reference_stack):
    group = reference_stack.by_path("aws_lb_target_group", "web/web-targets")
    assert (group["protocol"], group["port"]) == ("HTTPS", 443)
    assert group["health_check"]["protocol"] == "HTTPS"
    assert group["health_check"]["path"] == "/healthz"
    assert len(group["name"]) <= 32


def test_load_balancer_is_hardened(reference_stack):
    alb = reference_stack.by_path("aws_lb", "web/alb")
    assert alb["internal"] is False and alb["load_balancer_type"] == "application"
    assert alb["drop_invalid_header_fields"] is True
    assert alb["desync_mitigation_mode"] == "strictest"
    assert alb["enable_deletion_protection"] is True
    assert alb["access_logs"]["enabled"] is True
    assert alb["access_logs"]["bucket"] == ref(reference_stack, "aws_s3_bucket", "web/access-logs/bucket", "id")
    assert len(alb["name"]) <= 32
    assert "public" in json.dumps(alb["subnets"])


def test_access_log_bucket_is_private_encrypted_tls_only_and_expiring(reference_stack):
    block = reference_stack.by_path("aws_s3_bucket_public_access_block", "web/access-logs/public-access-block")
    assert all(block[key] is True for key in
               ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"))
    encryption = reference_stack.by_path("aws_s3_bucket_server_side_encryption_configuration",
                                         "web/access-logs/encryption")
    assert encryption["rule"][0]["apply_server_side_encryption_by_default"]["sse_algorithm"] == "AES256"
    policy = json.loads(reference_stack.by_path("aws_s3_bucket_policy", "web/access-logs/policy")["policy"])
    deny = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert deny and deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    lifecycle = reference_stack.by_path("aws_s3_bucket_lifecycle_configuration", "web/access-logs/lifecycle")
    assert lifecycle["rule"][0]["expiration"][0]["days"] == 365


@pytest.mark.parametrize(("balancer", "listener"), [("web/alb", "web/https-listener"),
                                                  ("web/app-alb", "web/app-https-listener")])
def test_both_load_balancers_log_connections_and_set_security_headers(reference_stack, balancer, listener):
    alb = reference_stack.by_path("aws_lb", balancer)
    bucket = ref(reference_stack, "aws_s3_bucket", "web/access-logs/bucket", "id")
    assert alb["connection_logs"] == {"bucket": bucket, "prefix": "alb-connections", "enabled": True}
    https = reference_stack.by_path("aws_lb_listener", listener)
    assert https["routing_http_response_strict_transport_security_header_value"] == \
        "max-age=63072000; includeSubDomains"
    assert (https["routing_http_response_x_content_type_options_header_value"],
            https["routing_http_response_x_frame_options_header_value"],
            https["routing_http_response_server_enabled"]) == ("nosniff", "DENY", False)


def test_log_bucket_admits_load_balancer_delivery_of_access_and_connection_logs_only(reference_stack):
    policy = json.loads(reference_stack.by_path("aws_s3_bucket_policy", "web/access-logs/policy")["policy"])
    (delivery,) = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert delivery["Action"] == "s3:PutObject"
    bucket_arn = ref(reference_stack, "aws_s3_bucket", "web/access-logs/bucket", "arn")
    shapes = [re.fullmatch(re.escape(bucket_arn) + r"/([a-z-]+)/AWSLogs/\$\{data\.aws_caller_identity\.[^}]+\}/\*",
                           resource) for resource in delivery["Resource"]]
    assert [shape.group(1) if shape else resource for shape, resource in zip(shapes, delivery["Resource"])] == [
        "alb", "alb-connections"]


def test_waf_managed_rule_groups_guard_the_load_balancer(reference_stack):
    acl = reference_stack.by_path("aws_wafv2_web_acl", "web/waf/web-acl")
    groups = {rule["statement"]["managed_rule_group_statement"]["name"] for rule in acl["rule"]
              if "managed_rule_group_statement" in rule["statement"]}
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
            "AWSManagedRulesLinuxRuleSet"} <= groups
    rate = [rule for rule in acl["rule"] if "rate_based_statement" in rule["statement"]]
    assert len(rate) == 1 and rate[0]["action"] == {"block": {}}
    assert rate[0]["statement"]["rate_based_statement"] == {"limit": 2000, "aggregate_key_type": "IP"}
    priorities = [rule["priority"] for rule in acl["rule"]]
    assert len(set(priorities)) == len(priorities) and rate[0]["priority"] == min(priorities)
    association = reference_stack.by_path("aws_wafv2_web_acl_association", "web/waf/association")
    assert association["resource_arn"] == ref(reference_stack, "aws_lb", "web/alb", "arn")
    logging = reference_stack.by_path("aws_wafv2_web_acl_logging_configuration", "web/waf/logging")
    assert [field["single_header"]["name"] for field in logging["redacted_fields"]] == ["authorization", "cookie"]


def test_site_name_allows_only_amazon_certificate_authorities(reference_stack):
    caa = reference_stack.by_path("aws_route53_record", "web/caa")
    alias = reference_stack.by_path("aws_route53_record", "web/alias")
    assert (caa["type"], caa["name"], caa["zone_id"]) == ("CAA", alias["name"], alias["zone_id"])
    assert '0 issuewild ";"' in caa["records"]
    assert {record.split('"')[1] for record in caa["records"] if " issue " in record} == {
        "amazon.com", "amazontrust.com", "awstrust.com", "amazonaws.com"}


def _group_refs(stack) -> dict[str, str]:
    return {
        "alb": ref(stack, "aws_security_group", "web/alb-security-group", "id"),
        "web": ref(stack, "aws_security_group", "web/web-hosts/security-group", "id"),
        "app-alb": ref(stack, "aws_security_group", "web/app-alb-security-group", "id"),
        "app": ref(stack, "aws_security_group", "web/app-hosts/security-group", "id"),
        "db": ref(stack, "aws_security_group", "database/security-group", "id"),
        "endpoints": ref(stack, "aws_security_group", "network/endpoints/security-group", "id"),
    }


def _ingress(stack) -> set[tuple[str, str, int]]:
    names = {value: key for key, value in _group_refs(stack).items()}
    rules = set()
    for rule in stack.resources("aws_vpc_security_group_ingress_rule").values():
        assert rule["from_port"] == rule["to_port"] and rule["ip_protocol"] == "tcp"
        source = rule.get("cidr_ipv4") or rule.get("cidr_ipv6") or names[rule["referenced_security_group_id"]]
        rules.add((names[rule["security_group_id"]], source, rule["from_port"]))
    return rules


def test_security_groups_chain_by_reference_exactly(reference_stack):
    assert _ingress(reference_stack) == {
        ("alb", "0.0.0.0/0", 443),
        ("alb", "0.0.0.0/0", 80),
        ("web", "alb", 443),
        ("app-alb", "web", 8443),
        ("app", "app-alb", 8443),
        ("db", "app", 3306),
        ("endpoints", "10.0.0.0/19", 443), ("endpoints", "10.0.32.0/19", 443), ("endpoints", "10.0.64.0/19", 443),
    }


def test_only_the_load_balancer_takes_traffic_from_the_world_and_ssh_is_never_open(reference_stack):
    for source_group, source, port in _ingress(reference_stack):
        if source in WORLD:
            assert source_group == "alb" and port in (80, 443)
        assert port != 22


def test_egress_is_limited_to_what_each_tier_needs(reference_stack):
    names = {value: key for key, value in _group_refs(reference_stack).items()}
    egress = set()
    for rule in reference_stack.resources("aws_vpc_security_group_egress_rule").values():
        target = rule.get("cidr_ipv4") or names[rule["referenced_security_group_id"]]
        egress.add((names[rule["security_group_id"]], target, rule["from_port"]))
    assert egress == {
        ("alb", "web", 443),
        ("web", "app-alb", 8443),
        ("app-alb", "app", 8443),
        ("app", "db", 3306),
        ("web", "0.0.0.0/0", 443), ("web", "0.0.0.0/0", 80),
        ("app", "0.0.0.0/0", 443), ("app", "0.0.0.0/0", 80),
    }


@pytest.mark.parametrize("resource_type", [
    "aws_security_group", "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule",
])
def test_every_group_and_rule_has_a_description(reference_stack, resource_type):
    bodies = reference_stack.resources(resource_type)
    assert bodies
    assert all(len(body.get("description", "")) >= 10 for body in bodies.values())


def test_web_and_app_tiers_are_separate_host_groups_and_the_database_is_elsewhere(reference_stack):
    groups = reference_stack.resources("aws_autoscaling_group")
    assert len(groups) == 2
    web = reference_stack.by_path("aws_autoscaling_group", "web/web-hosts/hosts")
    app = reference_stack.by_path("aws_autoscaling_group", "web/app-hosts/hosts")
    assert web["desired_capacity"] == 3 and app["desired_capacity"] == 2
    assert web["target_group_arns"] == [ref(reference_stack, "aws_lb_target_group", "web/web-targets", "arn")]
    assert app["target_group_arns"] == [ref(reference_stack, "aws_lb_target_group", "web/app-targets", "arn")]
    assert len(web["vpc_zone_identifier"]) == 3
    assert all("private" in subnet for subnet in web["vpc_zone_identifier"])
    cluster = reference_stack.by_path("aws_rds_cluster", "database/cluster")
    assert all("isolated" in subnet for subnet in
               reference_stack.by_path("aws_db_subnet_group", "database/subnets")["subnet_ids"])
    assert cluster["vpc_security_group_ids"] == [_group_refs(reference_stack)["db"]]


def test_fleet_qps_alarms_use_request_count_sum_over_period_and_notify_sns(reference_stack):
    topic = ref(reference_stack, "aws_sns_topic", "alarms/topic", "arn")
    for suffix, operator, missing in (("qps-high-alarm", "GreaterThanThreshold", "notBreaching"),
                                      ("qps-low-alarm", "LessThanThreshold", "breaching")):
        alarm = reference_stack.by_path("aws_cloudwatch_metric_alarm", f"web/{suffix}")
        queries = {query["id"]: query for query in alarm["metric_query"]}
        metric = queries["m1"]["metric"]
        assert (metric["namespace"], metric["metric_name"], metric["stat"]) == (
            "AWS/ApplicationELB", "RequestCount", "Sum")
        assert metric["dimensions"] == {"LoadBalancer": ref(reference_stack, "aws_lb", "web/alb", "arn_suffix")}
        assert queries["qps"]["expression"] == "m1 / PERIOD(m1)" and queries["qps"]["return_data"] is True
        assert (alarm["comparison_operator"], alarm["treat_missing_data"]) == (operator, missing)
        assert alarm["alarm_actions"] == [topic]


def test_dashboard_shows_fleet_and_per_host_qps_with_the_documented_names(reference_stack):
    body = json.loads(reference_stack.by_path("aws_cloudwatch_dashboard", "web/dashboard")["dashboard_body"])
    text = json.dumps(body)
    assert "RequestCount" in text and "m1 / PERIOD(m1)" in text
    assert "SecureWeb/Nginx" in text and "nginx_http_requests_total" in text


def test_reference_stack_emits_the_documented_outputs(reference_stack):
    outputs = reference_stack.document["output"]
    assert {"alb_dns_name", "url", "db_writer_endpoint", "db_reader_endpoint", "dashboard_name",
            "alarm_topic_arn"} <= set(outputs)
    assert outputs["url"]["value"] == "https://www.example.com"


@pytest.fixture(scope="module")
def defaults_only(tmp_path_factory):
    """A stack built from defaults alone: a Network and a tier given only its network and domain."""
    app = cdktf.App(outdir=str(tmp_path_factory.mktemp("defaults")))
    stack = cdktf.TerraformStack(app, "defaults")
    resource_module("provider").AwsProvider(stack, "aws", region="eu-west-1")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        network = Network(stack, "network")
        tier = SecureWebTier(stack, "web", SecureWebTierProps(
            network=network.ref, domain_name="www.example.com", hosted_zone_id="Z00000000000EXAMPLE"))
    cdktf.TerraformOutput(stack, "alarm_topic_arn", value=tier.alarm_topic_arn)
    weakened = [str(w.message) for w in caught if issubclass(w.category, SecureDefaultWeakened)]
    return synth_stack(app, "defaults"), weakened


def test_a_tier_without_a_topic_alarms_to_its_own_kms_encrypted_topic(defaults_only):
    stack, _ = defaults_only
    topic = ref(stack, "aws_sns_topic", "web/alarm-topic/topic", "arn")
    assert stack.document["output"]["alarm_topic_arn"]["value"] == topic
    assert stack.by_path("aws_sns_topic", "web/alarm-topic/topic")["kms_master_key_id"] == ref(
        stack, "aws_kms_key", "web/alarm-topic/key", "arn")
    alarms = stack.resources("aws_cloudwatch_metric_alarm")
    # QPS high and low, 5xx, p99 latency and healthy hosts per load balancer (2), three per host group (2)
    assert len(alarms) == 2 * (2 + 3) + 2 * 3
    assert {name: (alarm.get("alarm_actions"), alarm.get("ok_actions")) for name, alarm in alarms.items()} == {
        name: ([topic], [topic]) for name in alarms}


def test_a_stack_from_defaults_alone_weakens_nothing(defaults_only):
    stack, weakened = defaults_only
    assert weakened == []
    assert "weakened_defaults" not in stack.document["//"].get("secure_web", {})


def test_a_tier_given_a_topic_makes_none_of_its_own(reference_stack):
    given = ref(reference_stack, "aws_sns_topic", "alarms/topic", "arn")
    assert len(reference_stack.resources("aws_sns_topic")) == 1
    assert all(alarm["alarm_actions"] == [given]
               for alarm in reference_stack.resources("aws_cloudwatch_metric_alarm").values())


def test_app_tier_sits_behind_an_internal_https_load_balancer_with_its_own_verified_name(reference_stack):
    alb = reference_stack.by_path("aws_lb", "web/app-alb")
    assert alb["internal"] is True and alb["drop_invalid_header_fields"] is True
    assert alb["desync_mitigation_mode"] == "strictest" and alb["enable_deletion_protection"] is True
    assert alb["access_logs"]["enabled"] is True
    assert "private" in json.dumps(alb["subnets"]) and "public" not in json.dumps(alb["subnets"])
    listener = reference_stack.by_path("aws_lb_listener", "web/app-https-listener")
    assert (listener["port"], listener["protocol"], listener["ssl_policy"]) == (
        8443, "HTTPS", "ELBSecurityPolicy-TLS13-1-2-Res-2021-06")
    assert listener["certificate_arn"] == ref(reference_stack, "aws_acm_certificate_validation",
                                              "web/app-certificate/validation", "certificate_arn")
    certificate = reference_stack.by_path("aws_acm_certificate", "web/app-certificate/certificate")
    assert certificate["domain_name"] == "app-internal.www.example.com"
    record = reference_stack.by_path("aws_route53_record", "web/app-alias")
    assert (record["name"], record["zone_id"]) == ("app-internal.www.example.com", "Z00000000000EXAMPLE")
    assert record["alias"]["name"] == ref(reference_stack, "aws_lb", "web/app-alb", "dns_name")
    group = reference_stack.by_path("aws_lb_target_group", "web/app-targets")
    assert (group["protocol"], group["port"], group["health_check"]["protocol"]) == ("HTTPS", 8443, "HTTPS")


def test_app_tier_reads_only_its_database_parameter_secret_and_key(reference_stack):
    parameter = reference_stack.by_path("aws_ssm_parameter", "web/database-config")
    assert parameter["name"] == "/secure-web/sweb-app/database"
    for field in ("aws_rds_cluster.database_cluster", "endpoint", "master_user_secret", "port", "database"):
        assert field in parameter["value"]
    policy = json.loads(reference_stack.by_path("aws_iam_role_policy", "web/app-hosts/database-access")["policy"])
    assert {(statement["Action"], statement["Resource"]) for statement in policy["Statement"]} == {
        ("ssm:GetParameter", ref(reference_stack, "aws_ssm_parameter", "web/database-config", "arn")),
        ("secretsmanager:GetSecretValue",
         "${" + reference_stack.address_of("aws_rds_cluster", "database/cluster") + ".master_user_secret[0].secret_arn}"),
        ("kms:Decrypt", ref(reference_stack, "aws_kms_key", "database/key", "arn")),
    }
    web_role = ref(reference_stack, "aws_iam_role", "web/web-hosts/role", "name")
    web_policies = [policy for policy in reference_stack.resources("aws_iam_role_policy").values()
                    if policy["role"] == web_role]
    assert [policy["name"] for policy in web_policies] == ["host-agent"]  # web hosts get no database grant


def test_app_hosts_alarm_on_the_internal_load_balancer_like_the_web_tier(reference_stack):
    alarms = reference_stack.resources("aws_cloudwatch_metric_alarm").values()
    names = {alarm["alarm_name"] for alarm in alarms}
    for tier in ("web tier", "app tier"):
        assert {f"secure-web/web {tier} {title}" for title in ("target 5xx", "p99 latency", "no healthy host")} <= names
    app_qps = [alarm for alarm in alarms if alarm["alarm_name"].startswith("secure-web/web app tier fleet QPS")]
    assert len(app_qps) == 2
    app_suffix = ref(reference_stack, "aws_lb", "web/app-alb", "arn_suffix")
    assert all(alarm["metric_query"][0]["metric"]["dimensions"] == {"LoadBalancer": app_suffix} for alarm in app_qps)
    widgets = json.loads(reference_stack.by_path("aws_cloudwatch_dashboard", "web/dashboard")["dashboard_body"])
    assert [w["properties"]["title"].startswith("App tier: ") for w in widgets["widgets"]] == [False] * 3 + [True] * 3


def _rendered(stack, host_group: str, name: str) -> str:
    """The value the host group's user data assigns to the bootstrap parameter ``name``, as rendered."""
    template = stack.by_path("aws_launch_template", f"web/{host_group}/launch-template")
    script = gzip.decompress(base64.b64decode(template["user_data"])).decode()
    return re.search(rf"^{name}=(.*)$", script, re.MULTILINE).group(1)


def _firewall_ranges(stack, host_group: str) -> str:
    return _rendered(stack, host_group, "ALLOWED_HTTPS_CIDRS")


def test_host_firewalls_admit_only_the_subnets_their_load_balancer_sits_in(reference_stack):
    # Defence in depth under the security groups: the web hosts' nftables admit 443 from the public subnets
    # (the public ALB), the app hosts' admit 8443 from the private subnets (the internal ALB), not the whole VPC.
    plan = plan_subnets("10.0.0.0/16", 3)
    assert _firewall_ranges(reference_stack, "web-hosts") == repr(" ".join(plan.public))
    assert _firewall_ranges(reference_stack, "app-hosts") == repr(" ".join(plan.private))


def test_a_consumer_application_reaches_the_app_hosts_with_the_tiers_database_parameter(tmp_path):
    stack = cdktf.TerraformStack(cdktf.App(outdir=str(tmp_path)), "own-app")
    resource_module("provider").AwsProvider(stack, "aws", region="eu-west-1")
    network = Network(stack, "net")
    application = Application(command="/usr/bin/node /srv/shop/server.js", port=3000, packages=("nodejs",),
                              environment={"NODE_ENV": "production"})
    SecureWebTier(stack, "shop", SecureWebTierProps(network=network.ref, name="shop", domain_name="shop.example.org",
                                                    hosted_zone_id="Z0123456789ABCDEFGHIJ",
                                                    application=application))
    document = json.loads(cdktf.Testing.synth(stack))
    scripts = {name: gzip.decompress(base64.b64decode(template["user_data"])).decode()
               for name, template in document["resource"]["aws_launch_template"].items()}
    (app_script,) = [script for name, script in scripts.items() if "app-hosts" in name]
    assert "APP_COMMAND='/usr/bin/node /srv/shop/server.js'" in app_script
    assert "APP_PORT=3000" in app_script and "APP_PACKAGES=nodejs" in app_script
    assert "DATABASE_CONFIG_PARAMETER=/secure-web/shop-app/database" in app_script
    assert "APP_SOURCE=''" in app_script  # the built-in application is not shipped when the consumer brings one


def test_both_host_tiers_serve_only_the_sites_name(reference_stack):
    # The web hosts forward the client's Host header to the app tier, so the app hosts answer the same name.
    assert _rendered(reference_stack, "web-hosts", "SERVER_NAMES") == "www.example.com"
    assert _rendered(reference_stack, "app-hosts", "SERVER_NAMES") == "www.example.com"


def test_names_given_with_an_existing_certificate_reach_both_tiers_and_weaken_nothing(tmp_path):
    stack = cdktf.TerraformStack(cdktf.App(outdir=str(tmp_path)), "named")
    resource_module("provider").AwsProvider(stack, "aws", region="eu-west-1")
    network = Network(stack, "net")
    with warnings.catch_warnings():
        warnings.simplefilter("error", SecureDefaultWeakened)
        SecureWebTier(stack, "web", SecureWebTierProps(
            network=network.ref, certificate_arn="arn:aws:acm:eu-west-1:123456789012:certificate/0123abcd-0123-4567-89ab-0123456789ab",
            hosted_zone_id="Z0123456789ABCDEFGHIJ", app_domain_name="app.internal.example.org",
            server_names=("shop.example.org", "*.shop.example.org")))
    document = json.loads(cdktf.Testing.synth(stack))
    scripts = [gzip.decompress(base64.b64decode(template["user_data"])).decode()
               for template in document["resource"]["aws_launch_template"].values()]
    assert len(scripts) == 2 and all("SERVER_NAMES='shop.example.org *.shop.example.org'" in s for s in scripts)


@pytest.mark.parametrize("name", ["Shop.example.org", "localhost", "shop.example.org:443", "*.*.example.org", ""])
def test_a_server_name_that_is_not_a_lower_case_dns_name_is_refused_naming_the_field(tmp_path, name):
    stack = cdktf.TerraformStack(cdktf.App(outdir=str(tmp_path)), "bad")
    network = Network(stack, "net")
    with pytest.raises(ValueError, match=r"server_names\[1\]"):
        SecureWebTier(stack, "web", SecureWebTierProps(network=network.ref, domain_name="shop.example.org",
                                                       hosted_zone_id="Z0123456789ABCDEFGHIJ",
                                                       server_names=("shop.example.org", name)))


def test_a_server_name_given_twice_is_refused(tmp_path):
    stack = cdktf.TerraformStack(cdktf.App(outdir=str(tmp_path)), "twice")
    network = Network(stack, "net")
    with pytest.raises(ValueError, match=r"'server_names' must not repeat an entry"):
        SecureWebTier(stack, "web", SecureWebTierProps(network=network.ref, domain_name="shop.example.org",
                                                       hosted_zone_id="Z0123456789ABCDEFGHIJ",
                                                       server_names=("shop.example.org", "shop.example.org")))
