"""One weakening per CKV_SWEB policy: the reference stack with the one change a user might make that the policy guards.

Each function takes the synthesized reference document and returns a weakened copy. Resources
are found through what our constructs record about themselves (``"//".secure_web.resources``:
the construct kind and the path inside it) and through the references between resources,
never through the hashed names cdktf gives them, so a renamed construct id changes nothing here.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Callable

from secure_web.compliance.skips import provenance_index

POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"
POLICY_ID = re.compile(r"""\bid\s*=\s*["'](CKV_SWEB_\d{3})["']""")
INTERPOLATION = re.compile(r"\$\{[^}]*\}")
RESOURCE_REFERENCE = re.compile(r"(?<![\w.])(aws_[a-z0-9_]+)\.([A-Za-z0-9_\-]+)")
WORLD_IPV4 = "0.0.0.0/0"

Weakening = Callable[[dict], dict]
WEAKENINGS: dict[str, Weakening] = {}
"""Policy id -> function(reference document) -> weakened copy that fails only that policy."""

COMBINED = "weakened"
"""Stack directory of the combined weakening (``weaken``); the others are named after their policy."""
UNWEAKENED = "reference"
"""Stack directory of the reference stack as synthesized."""


def policy_ids(directory: Path = POLICIES_DIR) -> set[str]:
    """The ids the policy files declare (``id="CKV_SWEB_NNN"``), read from their source."""
    return {match for source in sorted(directory.glob("*.py")) for match in POLICY_ID.findall(source.read_text())}


def weakens(check_id: str) -> Callable[[Callable[[dict], None]], Weakening]:
    """Register a function that edits a document in place as the weakening for ``check_id``."""
    def register(edit: Callable[[dict], None]) -> Weakening:
        if check_id in WEAKENINGS:
            raise ValueError(f"{check_id} already has a weakening: {WEAKENINGS[check_id].__name__}")

        def weakened(document: dict) -> dict:
            copied = copy.deepcopy(document)
            edit(copied)
            return copied

        weakened.__name__ = weakened.__qualname__ = edit.__name__
        weakened.__doc__ = edit.__doc__
        WEAKENINGS[check_id] = weakened
        return weakened

    return register


def made_by(document: dict, construct: str, path: str) -> list[tuple[str, str, dict]]:
    """``(type, name, arguments)`` of each resource our ``construct`` recorded at ``path`` inside itself."""
    index = provenance_index(document)
    found = []
    for kind, by_name in document["resource"].items():
        for name, body in by_name.items():
            provenance = index.get(f"{kind}.{name}")
            if provenance is not None and (provenance.construct, provenance.relative) == (construct, path):
                found.append((kind, name, body))
    if not found:
        raise LookupError(f"the reference stack has no resource {path!r} made by {construct}")
    return found


def the(document: dict, construct: str, path: str) -> tuple[str, str, dict]:
    """The one resource ``construct`` recorded at ``path``."""
    (found, *others) = made_by(document, construct, path)
    if others:
        raise LookupError(f"{construct} recorded {len(others) + 1} resources at {path!r}; expected one")
    return found


def reference(kind: str, name: str, attribute: str) -> str:
    return f"${{{kind}.{name}.{attribute}}}"


def referenced(value: object) -> set[tuple[str, str]]:
    """``(type, name)`` of every managed resource ``value`` refers to in a ``${...}`` interpolation."""
    return {found for interpolation in INTERPOLATION.findall(str(value))
            for found in RESOURCE_REFERENCE.findall(interpolation)}


def dangling_references(document: dict) -> set[str]:
    """``type.name`` of each resource referred to (in an argument or depends_on) that the document lacks."""
    present = {(kind, name) for kind, by_name in document.get("resource", {}).items() for name in by_name}
    mentioned: set[tuple[str, str]] = set()
    bodies = [body for block in ("resource", "data") for by_name in document.get(block, {}).values()
              for body in by_name.values()]
    for body in [*bodies, *document.get("output", {}).values()]:
        arguments = {key: value for key, value in body.items() if key != "//"}
        mentioned |= referenced(arguments)
        mentioned |= {found for entry in arguments.get("depends_on", []) for found in RESOURCE_REFERENCE.findall(entry)}
    return {f"{kind}.{name}" for kind, name in mentioned if (kind, name) not in present}


def vpc_cidr(document: dict) -> str:
    return the(document, "Network", "vpc")[2]["cidr_block"]


def load_balanced_host_groups(document: dict) -> list[str]:
    """Names of the security groups of the hosts the load balancer's target group sends traffic to."""
    _, target_group, _ = the(document, "SecureWebTier", "web-targets")
    templates = {name for _, _, hosts in made_by(document, "MonitoredHost", "hosts")
                 if ("aws_lb_target_group", target_group) in referenced(hosts.get("target_group_arns"))
                 for kind, name in referenced(hosts["launch_template"]) if kind == "aws_launch_template"}
    groups = sorted({name for template in templates
                     for interface in document["resource"]["aws_launch_template"][template]["network_interfaces"]
                     for kind, name in referenced(interface["security_groups"]) if kind == "aws_security_group"})
    if not groups:
        raise LookupError("no host group behind the load balancer's target group")
    return groups


def add_ingress_rule(document: dict, name: str, rule: dict) -> None:
    document["resource"].setdefault("aws_vpc_security_group_ingress_rule", {})[name] = rule


@weakens("CKV_SWEB_001")
def http_listener_serves_the_site(document: dict) -> None:
    """The HTTP listener forwards to the targets instead of redirecting to HTTPS."""
    _, target_group, _ = the(document, "SecureWebTier", "web-targets")
    _, _, listener = the(document, "SecureWebTier", "http-redirect-listener")
    listener["default_action"] = [
        {"type": "forward", "target_group_arn": reference("aws_lb_target_group", target_group, "arn")},
    ]


@weakens("CKV_SWEB_002")
def https_listener_on_the_2016_tls_policy(document: dict) -> None:
    """The HTTPS listener negotiates with ELBSecurityPolicy-2016-08 (TLS 1.0, no TLS 1.3)."""
    the(document, "SecureWebTier", "https-listener")[2]["ssl_policy"] = "ELBSecurityPolicy-2016-08"


@weakens("CKV_SWEB_003")
def targets_reached_over_http(document: dict) -> None:
    """SSL terminated at the load balancer: traffic and health checks to the hosts on HTTP port 80 (flaw 1)."""
    _, _, group = the(document, "SecureWebTier", "web-targets")
    group["protocol"] = "HTTP"
    group["port"] = 80
    group["health_check"]["protocol"] = "HTTP"


@weakens("CKV_SWEB_004")
def hosts_behind_the_load_balancer_open_to_the_internet(document: dict) -> None:
    """The hosts' HTTPS rule admits 0.0.0.0/0 instead of the load balancer's security group."""
    _, alb_group, _ = the(document, "SecureWebTier", "alb-security-group")
    rules = [rule for rule in document["resource"]["aws_vpc_security_group_ingress_rule"].values()
             if rule.get("referenced_security_group_id") == reference("aws_security_group", alb_group, "id")]
    if not rules:
        raise LookupError("no ingress rule admits the load balancer's security group")
    for rule in rules:
        del rule["referenced_security_group_id"]
        rule["cidr_ipv4"] = WORLD_IPV4
        rule["description"] = "HTTPS from anywhere"


@weakens("CKV_SWEB_005")
def ssh_from_inside_the_vpc(document: dict) -> None:
    """The web hosts admit SSH from the VPC's range (a bastion), though hosts are reached through SSM.

    (On the app hosts it would also bypass their internal load balancer, CKV_SWEB_017's concern.)
    """
    for index, group in enumerate(load_balanced_host_groups(document)):
        add_ingress_rule(document, f"weakened_ssh_{index}", {
            "security_group_id": reference("aws_security_group", group, "id"), "ip_protocol": "tcp",
            "from_port": 22, "to_port": 22, "cidr_ipv4": vpc_cidr(document), "description": "SSH from the bastion",
        })


@weakens("CKV_SWEB_006")
def mysql_from_the_vpc_range(document: dict) -> None:
    """The database admits MySQL from the whole VPC range instead of the app hosts' security group."""
    _, database_group, _ = the(document, "ReplicatedMySQL", "security-group")
    rules = [rule for rule in document["resource"]["aws_vpc_security_group_ingress_rule"].values()
             if ("aws_security_group", database_group) in referenced(rule.get("security_group_id"))
             and rule.get("referenced_security_group_id")]
    if not rules:
        raise LookupError("no ingress rule of the database's security group admits a security group")
    for rule in rules:
        del rule["referenced_security_group_id"]
        rule["cidr_ipv4"] = vpc_cidr(document)
        rule["description"] = "MySQL from the VPC"


@weakens("CKV_SWEB_007")
def aurora_with_a_single_writer(document: dict) -> None:
    """The Multi-AZ DB cluster becomes an Aurora cluster with one instance: one writer, no standby (flaw 2)."""
    _, cluster_name, cluster = the(document, "ReplicatedMySQL", "cluster")
    cluster["engine"] = "aurora-mysql"
    cluster["engine_version"] = "8.0.mysql_aurora.3.08.0"
    for argument in ("db_cluster_instance_class", "allocated_storage", "storage_type", "iops"):
        cluster.pop(argument, None)
    the(document, "ReplicatedMySQL", "parameters")[2]["family"] = "aurora-mysql8.0"
    document["resource"]["aws_rds_cluster_instance"] = {"weakened_single_writer": {
        "cluster_identifier": reference("aws_rds_cluster", cluster_name, "id"), "instance_class": "db.r6g.large",
        "engine": "aurora-mysql",
    }}


@weakens("CKV_SWEB_008")
def mysql_accepts_clear_text(document: dict) -> None:
    """The parameter group turns require_secure_transport off for a client that cannot do TLS."""
    _, _, group = the(document, "ReplicatedMySQL", "parameters")
    for parameter in group["parameter"]:
        if parameter["name"] == "require_secure_transport":
            parameter["value"] = "0"


@weakens("CKV_SWEB_009")
def literal_master_password(document: dict) -> None:
    """The master password is written in the configuration instead of managed in Secrets Manager."""
    _, _, cluster = the(document, "ReplicatedMySQL", "cluster")
    cluster.pop("manage_master_user_password")
    cluster.pop("master_user_secret_kms_key_id", None)
    cluster["master_password"] = "change-me-before-launch"


@weakens("CKV_SWEB_010")
def database_in_the_hosts_subnets(document: dict) -> None:
    """The database's subnet group is the hosts' private subnets: one network tier for both (flaw 3)."""
    host_subnets = sorted({subnet for _, _, hosts in made_by(document, "MonitoredHost", "hosts")
                           for subnet in hosts["vpc_zone_identifier"]})
    the(document, "ReplicatedMySQL", "subnets")[2]["subnet_ids"] = host_subnets
    # The isolated ACL follows the database, so only the tier split (not the ACL, CKV_SWEB_026) is what fails.
    the(document, "Network", "private-network-acl")[2]["subnet_ids"] = []
    isolated_acl = the(document, "Network", "isolated-network-acl")[2]
    isolated_acl["subnet_ids"] = [*isolated_acl["subnet_ids"], *host_subnets]


@weakens("CKV_SWEB_011")
def agent_policy_detached(document: dict) -> None:
    """The host roles lose their agent policy (IAM trimmed to nothing): the agent cannot report."""
    policies = document["resource"]["aws_iam_role_policy"]
    for _, name, _ in made_by(document, "MonitoredHost", "agent-policy"):
        del policies[name]


@weakens("CKV_SWEB_012")
def qps_alarms_on_requests_per_minute(document: dict) -> None:
    """The QPS alarms watch RequestCount per minute directly, with no division by PERIOD: not queries per second."""
    for path in ("qps-high-alarm", "qps-low-alarm"):
        _, _, alarm = the(document, "SecureWebTier", path)
        (metric,) = [query["metric"] for query in alarm.pop("metric_query") if "metric" in query]
        alarm.update(metric_name=metric["metric_name"], namespace=metric["namespace"], period=metric["period"],
                     statistic=metric["stat"], dimensions=metric["dimensions"])


@weakens("CKV_SWEB_013")
def imdsv1_allowed(document: dict) -> None:
    """The hosts' launch templates accept IMDSv1 (http_tokens optional) for an old SDK."""
    for _, _, template in made_by(document, "MonitoredHost", "launch-template"):
        template["metadata_options"]["http_tokens"] = "optional"


@weakens("CKV_SWEB_014")
def hosts_get_public_ips(document: dict) -> None:
    """The hosts' network interfaces get a public IP address."""
    for _, _, template in made_by(document, "MonitoredHost", "launch-template"):
        for interface in template["network_interfaces"]:
            interface["associate_public_ip_address"] = "true"


@weakens("CKV_SWEB_015")
def host_alarms_notify_nobody(document: dict) -> None:
    """The hosts' CPU, memory and status alarms lose their actions: they change state and page no one."""
    for path in ("cpu-alarm", "memory-alarm", "status-check-alarm"):
        for _, _, alarm in made_by(document, "MonitoredHost", path):
            alarm.pop("alarm_actions")
            alarm.pop("ok_actions", None)


@weakens("CKV_SWEB_016")
def internal_load_balancer_redirects_http(document: dict) -> None:
    """The internal load balancer also listens on HTTP, redirecting to HTTPS: clear text on the private side."""
    _, app_alb, _ = the(document, "SecureWebTier", "app-alb")
    _, _, https = the(document, "SecureWebTier", "app-https-listener")
    document["resource"]["aws_lb_listener"]["weakened_app_http_redirect"] = {
        "load_balancer_arn": reference("aws_lb", app_alb, "arn"), "port": 80, "protocol": "HTTP",
        "default_action": [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": str(https["port"]),
                                                             "status_code": "HTTP_301"}}],
    }


@weakens("CKV_SWEB_017")
def app_hosts_open_to_the_web_hosts(document: dict) -> None:
    """The app hosts admit the app port straight from the web hosts' group, around the internal load balancer."""
    _, app_alb_group, _ = the(document, "SecureWebTier", "app-alb-security-group")
    (web_group,) = load_balanced_host_groups(document)
    rules = [rule for rule in document["resource"]["aws_vpc_security_group_ingress_rule"].values()
             if rule.get("referenced_security_group_id") == reference("aws_security_group", app_alb_group, "id")]
    if not rules:
        raise LookupError("no ingress rule admits the internal load balancer's security group")
    for rule in rules:
        rule["referenced_security_group_id"] = reference("aws_security_group", web_group, "id")
        rule["description"] = "App traffic straight from the web tier"


@weakens("CKV_SWEB_018")
def web_acl_without_rate_limit(document: dict) -> None:
    """The web ACL loses its rate-based rule: one client may send without limit."""
    _, _, acl = the(document, "SecureWebTier", "waf/web-acl")
    acl["rule"] = [rule for rule in acl["rule"] if "rate_based_statement" not in rule["statement"]]


@weakens("CKV_SWEB_019")
def waf_logs_keep_credentials(document: dict) -> None:
    """WAF logging keeps every header, Authorization and Cookie included."""
    _, _, logging = the(document, "SecureWebTier", "waf/logging")
    logging.pop("redacted_fields")


@weakens("CKV_SWEB_020")
def slow_query_log_off(document: dict) -> None:
    """The slow query log is exported, but the parameter group no longer turns it on."""
    _, _, group = the(document, "ReplicatedMySQL", "parameters")
    group["parameter"] = [parameter for parameter in group["parameter"] if parameter["name"] != "slow_query_log"]


@weakens("CKV_SWEB_021")
def master_user_admin(document: dict) -> None:
    """The database's master user is called admin again."""
    _, _, cluster = the(document, "ReplicatedMySQL", "cluster")
    cluster["master_username"] = "admin"


@weakens("CKV_SWEB_022")
def no_caa_record(document: dict) -> None:
    """The site's CAA record is gone: any certificate authority may issue for the site and the app tier's name."""
    kind, name, _ = the(document, "SecureWebTier", "caa")
    del document["resource"][kind][name]


@weakens("CKV_SWEB_023")
def internal_load_balancer_without_connection_logs(document: dict) -> None:
    """The internal load balancer stops writing connection logs: failed TLS handshakes on the app hop go unseen."""
    _, _, alb = the(document, "SecureWebTier", "app-alb")
    alb.pop("connection_logs")


@weakens("CKV_SWEB_024")
def listener_hsts_for_the_host_only(document: dict) -> None:
    """The public HTTPS listener's HSTS drops includeSubDomains."""
    _, _, listener = the(document, "SecureWebTier", "https-listener")
    listener["routing_http_response_strict_transport_security_header_value"] = "max-age=63072000"


@weakens("CKV_SWEB_025")
def default_network_acl_unmanaged(document: dict) -> None:
    """The VPC's default network ACL is left to AWS: allow-all both ways for any subnet placed in it."""
    kind, name, _ = the(document, "Network", "default-network-acl")
    del document["resource"][kind][name]


@weakens("CKV_SWEB_026")
def isolated_network_acl_admits_the_world(document: dict) -> None:
    """The isolated subnets' ACL gains an allow-all ingress rule from the internet."""
    _, _, acl = the(document, "Network", "isolated-network-acl")
    acl["ingress"].append({**acl["ingress"][0], "rule_no": 90, "protocol": "-1", "cidr_block": WORLD_IPV4,
                           "from_port": 0, "to_port": 0})


@weakens("CKV_SWEB_027")
def agent_guide_policies_attached(document: dict) -> None:
    """The host roles get the agent guide's CloudWatchAgentServerPolicy back, next to their own policy."""
    attachments = document["resource"].setdefault("aws_iam_role_policy_attachment", {})
    for _, name, policy in made_by(document, "MonitoredHost", "agent-policy"):
        attachments[f"{name}_guide"] = {"role": policy["role"],
                                        "policy_arn": "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"}


@weakens("CKV_SWEB_028")
def log_keys_for_any_log_group(document: dict) -> None:
    """The hosts' log keys let CloudWatch Logs use them for the account, any log group (no encryption context)."""
    for _, _, key in made_by(document, "MonitoredHost", "log-key"):
        policy = json.loads(key["policy"])
        for statement in policy["Statement"]:
            if "Service" in statement["Principal"]:
                statement["Condition"] = {"StringEquals": {"aws:SourceAccount": "111122223333"}}
        key["policy"] = json.dumps(policy)


@weakens("CKV_SWEB_029")
def kms_endpoint_for_any_account(document: dict) -> None:
    """The KMS endpoint's policy loses its account condition: keys of any account are reachable through it."""
    _, _, endpoint = the(document, "Network", "endpoints/kms")
    policy = json.loads(endpoint["policy"])
    for statement in policy["Statement"]:
        statement.pop("Condition", None)
    endpoint["policy"] = json.dumps(policy)


# Edits the gate tests (baseline, SARIF, controls) make to the reference stack, and a cdktf.out to scan.

WORLD_SSH_RULE = "secure-web/ops/world-ssh"
"""Where the consumer's own SSH rule of ``open_ssh_to_the_world`` is recorded, as a construct path."""


def open_ssh_to_the_world(document: dict, path: str = WORLD_SSH_RULE) -> None:
    """The consumer's own rule, recorded at ``path`` like any construct's, admits SSH from 0.0.0.0/0."""
    (_, group, _), *_ = made_by(document, "MonitoredHost", "security-group")
    add_ingress_rule(document, path.split("/", 1)[1].replace("/", "_") + "_0A1B2C3D", {
        "//": {"metadata": {"path": path}},
        "security_group_id": reference("aws_security_group", group, "id"), "ip_protocol": "tcp",
        "from_port": 22, "to_port": 22, "cidr_ipv4": "0.0.0.0/0", "description": "SSH from anywhere",
    })


def allow_public_bucket_policy(document: dict) -> None:
    """The access-log bucket's public access block lets a public bucket policy through."""
    the(document, "SecureWebTier", "access-logs/public-access-block")[2]["block_public_policy"] = False


def edited_reference_out(reference_stack: Path, directory: Path, *edits: Callable[[dict], None]) -> Path:
    """A cdktf.out under ``directory`` holding the reference stack with ``edits`` applied, for ``--synth-dir``."""
    document = json.loads(reference_stack.read_text())
    for edit in edits:
        edit(document)
    target = directory / "cdktf.out" / "stacks" / "secure-web" / "cdk.tf.json"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(document, indent=2))
    return target.parents[2]
