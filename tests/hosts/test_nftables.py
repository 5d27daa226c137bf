"""The nftables firewall drops inbound by default and admits HTTPS (and SSH, if asked) from the given CIDRs only.

The ruleset is judged as nft reports it (``nft -j list ruleset``), not as the file reads: every
accept on the input hook must be narrowed (no unconditional accept), name single ports (no
range) and name its sources (never anywhere); only root, the CloudWatch agent and the app
may reach the instance metadata service.
"""

import base64
import ipaddress

import pytest

SSH_PORT = 22
ANYWHERE = frozenset({ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")})
METADATA_ADDRESSES = {"169.254.169.254", "fd00:ec2::254"}
METADATA_USERS = ("cwagent", "secure-web-app")
"""Besides root, the users that may reach the metadata service, where they exist on the host."""
WEB_SERVER_USER = "www-data"


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


def input_accepts(ruleset) -> list[list[dict]]:
    """The expressions of every rule on an input hook chain whose verdict is accept."""
    return [expressions for chain in hook_chains(ruleset, "input") for expressions in chain_rules(ruleset, chain)
            if any("accept" in e for e in expressions)]


def matches(expressions: list[dict], field: str | None = None) -> list[dict]:
    found = [e["match"] for e in expressions if "match" in e]
    return found if field is None else [m for m in found if m["left"].get("payload", {}).get("field") == field]


def narrowed_to_non_tcp_traffic(expressions: list[dict]) -> bool:
    """Loopback, established/related replies or ICMP types: not an admission of new TCP connections."""
    for match in matches(expressions):
        left = match["left"]
        if left.get("meta", {}).get("key") in ("iif", "iifname") or "ct" in left:
            return True
        if left.get("payload", {}).get("protocol") in ("icmp", "icmpv6") or \
                left.get("meta", {}).get("key") == "l4proto" and match["right"] in ("icmp", "ipv6-icmp"):
            return True
        if left.get("payload", {}).get("field") == "nexthdr" and match["right"] == "ipv6-icmp":
            return True
    return False


def is_range(value) -> bool:
    return isinstance(value, dict) and "range" in value


def admits_port(expressions: list[dict], port: int) -> bool:
    """Whether an accept admits new TCP connections to ``port`` (a rule without a port match admits every port)."""
    if narrowed_to_non_tcp_traffic(expressions):
        return False
    dports = matches(expressions, "dport")
    if not dports:
        return True
    return all(any(value == port or is_range(value) and value["range"][0] <= port <= value["range"][1]
                   for value in match_values(m["right"]))
               for m in dports)


def sources(expressions: list[dict]) -> set:
    saddrs = matches(expressions, "saddr")
    if not saddrs:
        return set(ANYWHERE)
    return {as_network(value) for match in saddrs for value in match_values(match["right"])}


def accepted_sources(ruleset, port: int) -> set:
    """Source networks the input hook accepts on TCP ``port``; a rule without a source match admits anywhere."""
    found: set = set()
    for expressions in input_accepts(ruleset):
        if admits_port(expressions, port):
            found |= sources(expressions)
    return found


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


def test_no_input_accept_is_unconditional(nft_ruleset):
    assert not [expressions for expressions in input_accepts(nft_ruleset) if not matches(expressions)]


def test_no_input_accept_opens_a_port_range(nft_ruleset):
    ranges = [expressions for expressions in input_accepts(nft_ruleset) for match in matches(expressions, "dport")
              if any(is_range(value) for value in match_values(match["right"]))]
    assert not ranges


def test_every_input_port_accept_names_its_sources(nft_ruleset):
    # An accept for a port must say where from, and never "anywhere".
    unsourced = [expressions for expressions in input_accepts(nft_ruleset)
                 if matches(expressions, "dport") and sources(expressions) & ANYWHERE]
    assert not unsourced


def destinations(expressions: list[dict]) -> set[str]:
    return {str(value) for match in matches(expressions, "daddr") for value in match_values(match["right"])}


def metadata_drop_rules(ruleset) -> list[list[dict]]:
    return [expressions for chain in hook_chains(ruleset, "output") for expressions in chain_rules(ruleset, chain)
            if any("drop" in e for e in expressions) and destinations(expressions) & METADATA_ADDRESSES]


def uid(host, value) -> int:
    """A uid as nft reports it: a number, or a user name it resolved."""
    return int(value) if str(value).isdigit() else host.user(str(value)).uid


def test_metadata_service_only_for_root_the_agent_and_the_app(host, nft_ruleset):
    expected = {0} | {host.user(name).uid for name in METADATA_USERS if host.user(name).exists}
    rules = metadata_drop_rules(nft_ruleset)
    assert set().union(*map(destinations, rules)) == METADATA_ADDRESSES
    for expressions in rules:
        (owner,) = [m for m in matches(expressions) if m["left"].get("meta", {}).get("key") == "skuid"]
        assert owner["op"] == "!=" and {uid(host, value) for value in match_values(owner["right"])} == expected


# Prints EPERM when the host's own firewall drops the datagram (sendto() fails at once), "sent" when it leaves.
# UDP, because a TCP connect() whose SYN the output hook drops just retries until it times out, as it would for a
# packet lost on the wire; the rule matches the address whatever the protocol.
METADATA_PROBE = """
import errno, socket
probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    probe.sendto(b"probe", ("169.254.169.254", 80))
    print("sent")
except OSError as error:
    print(errno.errorcode.get(error.errno, "error"))
"""


@pytest.fixture
def metadata_route(host):
    """A route to the metadata address, as EC2 hosts have; a host without one (a test VM) gets an on-link route
    for the test: without it sending fails in routing (ENETUNREACH), before the firewall sees a packet."""
    if host.run("ip route get 169.254.169.254").rc == 0:
        yield
        return
    device = host.check_output("ip -o -4 addr show scope global | awk 'NR == 1 {print $2}'")
    host.check_output(f"ip route add 169.254.169.254/32 dev {device}")
    try:
        yield
    finally:
        host.run(f"ip route del 169.254.169.254/32 dev {device}")


def test_the_web_server_user_cannot_reach_the_metadata_service(host, metadata_route):
    # Root's datagram leaves the host (where there is no metadata service, nothing answers it).
    script = base64.b64encode(METADATA_PROBE.encode()).decode()
    as_web_server = host.run(f"echo {script} | base64 -d | runuser -u {WEB_SERVER_USER} -- python3 -")
    as_root = host.run(f"echo {script} | base64 -d | python3 -")
    assert (as_web_server.stdout.strip(), as_root.stdout.strip()) == ("EPERM", "sent"), \
        (as_web_server.stdout, as_web_server.stderr, as_root.stdout, as_root.stderr)
