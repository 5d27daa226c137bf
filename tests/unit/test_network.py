"""Network: three subnet layers across AZs, no public IPs on launch, flow logs, closed default group."""

from __future__ import annotations

import ipaddress


def test_three_layers_in_three_zones(reference_stack):
    subnets = [body for body in reference_stack.resources("aws_subnet").values()]
    layers = sorted(body["tags"]["Layer"] for body in subnets)
    assert layers == ["isolated"] * 3 + ["private"] * 3 + ["public"] * 3


def test_no_subnet_assigns_public_ips(reference_stack):
    assert all(body["map_public_ip_on_launch"] is False for body in reference_stack.resources("aws_subnet").values())


def test_subnet_blocks_lie_in_the_vpc_and_do_not_overlap(reference_stack):
    vpc = ipaddress.ip_network(reference_stack.by_path("aws_vpc", "network/vpc")["cidr_block"])
    blocks = [ipaddress.ip_network(body["cidr_block"]) for body in reference_stack.resources("aws_subnet").values()]
    assert all(block.subnet_of(vpc) for block in blocks)
    assert not [(a, b) for i, a in enumerate(blocks) for b in blocks[i + 1:] if a.overlaps(b)]


def test_only_public_subnets_route_to_the_internet_gateway_and_isolated_ones_nowhere(reference_stack):
    routes = list(reference_stack.resources("aws_route").values())
    public_table = reference_stack.address_of("aws_route_table", "network/public-routes")
    isolated_table = reference_stack.address_of("aws_route_table", "network/isolated-routes")
    via_gateway = [r for r in routes if "gateway_id" in r]
    assert len(via_gateway) == 1 and public_table in via_gateway[0]["route_table_id"]
    assert not [r for r in routes if isolated_table in r["route_table_id"]]
    assert len([r for r in routes if "nat_gateway_id" in r]) == 3


def test_flow_logs_go_to_an_encrypted_log_group_with_retention(reference_stack):
    flow_log = reference_stack.by_path("aws_flow_log", "network/flow-log")
    assert flow_log["traffic_type"] == "ALL" and flow_log["log_destination_type"] == "cloud-watch-logs"
    group = reference_stack.by_path("aws_cloudwatch_log_group", "network/flow-log-group")
    assert group["retention_in_days"] == 365 and "aws_kms_key" in group["kms_key_id"]


def test_default_security_group_is_closed(reference_stack):
    group = reference_stack.by_path("aws_default_security_group", "network/default-security-group")
    assert "ingress" not in group and "egress" not in group


def test_aws_apis_are_reached_through_private_endpoints_for_this_account_only(reference_stack):
    import json

    from secure_web.contract import ENDPOINT_POLICY_SERVICES, INTERFACE_ENDPOINT_SERVICES

    endpoints = {body["service_name"].rsplit(".", 1)[1]: body
                 for body in reference_stack.resources("aws_vpc_endpoint").values()}
    assert set(endpoints) == {*INTERFACE_ENDPOINT_SERVICES, "s3"}
    private_subnets = {reference_stack.address_of("aws_subnet", f"network/private-{index}") for index in range(3)}
    group = reference_stack.address_of("aws_security_group", "network/endpoints/security-group")
    for service in INTERFACE_ENDPOINT_SERVICES:
        body = endpoints[service]
        assert body["vpc_endpoint_type"] == "Interface" and body["private_dns_enabled"] is True
        assert {subnet.split(".")[1] for subnet in body["subnet_ids"]} == {a.split(".")[1] for a in private_subnets}
        assert [group in ref for ref in body["security_group_ids"]] == [True]
        assert ("policy" in body) == (service in ENDPOINT_POLICY_SERVICES), service
    gateway = endpoints["s3"]
    assert gateway["vpc_endpoint_type"] == "Gateway" and len(gateway["route_table_ids"]) == 3
    for body in endpoints.values():
        for statement in json.loads(body.get("policy", '{"Statement": []}'))["Statement"]:
            conditions = statement.get("Condition", {}).get("StringEquals", {})
            assert "aws:PrincipalAccount" in conditions or statement["Action"] == "s3:GetObject", statement


def test_endpoints_admit_https_from_the_private_subnets_only(reference_stack):
    group = reference_stack.address_of("aws_security_group", "network/endpoints/security-group")
    rules = [body for body in reference_stack.resources("aws_vpc_security_group_ingress_rule").values()
             if group in body["security_group_id"]]
    assert sorted(body["cidr_ipv4"] for body in rules) == ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"]
    assert all((body["from_port"], body["to_port"], body["ip_protocol"]) == (443, 443, "tcp") for body in rules)
    assert not [body for body in reference_stack.resources("aws_vpc_security_group_egress_rule").values()
                if group in body["security_group_id"]]
