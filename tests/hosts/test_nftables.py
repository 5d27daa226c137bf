"""The nftables firewall drops inbound by default and admits HTTPS (and SSH, if asked) from the given CIDRs only."""

import ipaddress

import pytest

SSH_PORT = 22
ANYWHERE = frozenset({ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")})


def hook_chains(ruleset, hook: str) -> list[dict]:
    return [item["chain"] for item in ruleset if "chain" in item and item["chain"].get("hook") == hook]


def chain_rules(ruleset, chain: dict) -> list[list[dict]]:
    return [
        item["rule"]["expr"]
        for item in ruleset
        if "rule" in item
        and (item["rule"]["family"], item["rule"]["table"], item["rule"]["chain"])
        == (chain["family"], chain["table"], chain["name"])
    ]


def match_values(right) -> list:
    """The values an nft JSON match compares with: one value, or the members of a set."""
    return right["set"] if isinstance(right, dict) and "set" in right else [right]


def as_network(value) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    if isinstance(value, dict) and "prefix" in value:
        return ipaddress.ip_network(f"{value['prefix']['addr']}/{value['prefix']['len']}")
    return ipaddress.ip_network(value)


def accepted_sources(ruleset, port: int) -> set:
    """Source networks the input hook accepts on TCP ``port``; a rule without a source match admits anywhere."""
    sources: set = set()
    for chain in hook_chains(ruleset, "input"):
        for expressions in chain_rules(ruleset, chain):
            matches = [e["match"] for e in expressions if "match" in e]
            accepts = any("accept" in e for e in expressions)
            dports = [m for m in matches if m["left"].get("payload", {}).get("field") == "dport"]
            if not accepts or not any(port in match_values(m["right"]) for m in dports):
                continue
            saddrs = [m for m in matches if m["left"].get("payload", {}).get("field") == "saddr"]
            if not saddrs:
                sources |= ANYWHERE
            for match in saddrs:
                sources |= {as_network(value) for value in match_values(match["right"])}
    return sources


def expected_networks(bootstrap_env, name: str) -> set:
    return {ipaddress.ip_network(cidr) for cidr in bootstrap_env[name].split()}


@pytest.mark.parametrize("hook", ["input", "forward"])
def test_hook_policy_is_drop(nft_ruleset, hook):
    chains = hook_chains(nft_ruleset, hook)
    assert chains, f"no nftables chain on the {hook} hook"
    assert {chain["policy"] for chain in chains} == {"drop"}


def test_https_port_admitted_only_from_allowed_cidrs(nft_ruleset, bootstrap_env, https_port):
    assert accepted_sources(nft_ruleset, https_port) == expected_networks(bootstrap_env, "ALLOWED_HTTPS_CIDRS")


def test_ssh_admitted_only_from_ssh_cidrs(nft_ruleset, bootstrap_env):
    assert accepted_sources(nft_ruleset, SSH_PORT) == expected_networks(bootstrap_env, "SSH_ALLOWED_CIDRS")


def test_ruleset_is_loaded_at_boot(host):
    assert host.service("nftables").is_enabled
    assert "policy drop" in host.file("/etc/nftables.conf").content_string
