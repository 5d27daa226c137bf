"""Functions of bootstrap/host_bootstrap.sh run on their own in bash: the agent package's signature check and the
instance id. Each is fed real inputs (keys made here with gpg, files, signatures) and, for the instance id, a
broken twin (the earlier silent fallback) that the same check must reject."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import secure_web
from secure_web.contract import CLOUDWATCH_AGENT_KEY_FINGERPRINT

SCRIPT = (Path(secure_web.__file__).parent / "bootstrap" / "host_bootstrap.sh").read_text()
needs_gpg = pytest.mark.skipif(shutil.which("gpg") is None or shutil.which("gpgv") is None,
                               reason="gpg and gpgv not installed (apt-get install gnupg)")


def function(name: str, script: str = SCRIPT) -> str:
    """One function's definition, as written in the script: one line, or ``name() {`` to the ``}`` closing it."""
    match = re.search(rf"^{name}\(\) \{{ .*\}}\n|^{name}\(\) \{{\n.*?^\}}\n", script, re.MULTILINE | re.DOTALL)
    assert match, f"{name}() is not defined in the script"
    return match.group(0)


def run(program: str, *names: str, env: dict[str, str] | None = None, script: str = SCRIPT) -> subprocess.CompletedProcess:
    """``program`` in bash with the script's strict mode and the named functions (plus log) defined."""
    definitions = "".join(function(name, script) for name in ("log", *names))
    return subprocess.run(["bash", "-c", "set -Eeuo pipefail\n" + definitions + program], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=60)


def readonly(name: str) -> str:
    match = re.search(rf"^readonly {name}=(\S+)$", SCRIPT, re.MULTILINE)
    assert match, name
    return match.group(1)


class Keys:
    """Two signing keys in a throwaway GnuPG home: the vendor's, and an attacker's."""

    def __init__(self, home: Path) -> None:
        self.home = home
        home.mkdir(mode=0o700)
        self.vendor = self._generate("Vendor <vendor@example.com>")
        self.attacker = self._generate("Attacker <attacker@example.com>")

    def _gpg(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(["gpg", "--homedir", str(self.home), "--batch", "--quiet", *args], check=True,
                              capture_output=True, timeout=120, **kwargs)

    def _generate(self, user: str) -> str:
        self._gpg("--passphrase", "", "--quick-gen-key", user, "rsa2048", "sign", "never")
        listing = self._gpg("--with-colons", "--list-keys", user).stdout.decode()
        return next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))

    def export(self, fingerprint: str, path: Path, armor: bool) -> Path:
        self._gpg(*(["--armor"] if armor else []), "--output", str(path), "--export", fingerprint)
        return path

    def sign(self, fingerprint: str, file: Path) -> Path:
        signature = file.with_name(file.name + f".{fingerprint[-8:]}.sig")
        self._gpg("--local-user", fingerprint, "--output", str(signature), "--detach-sign", str(file))
        return signature


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> Keys:
    return Keys(tmp_path_factory.mktemp("gpg") / "home")


@pytest.fixture
def package(tmp_path) -> Path:
    deb = tmp_path / "amazon-cloudwatch-agent.deb"
    deb.write_bytes(b"!<arch>\n" + os.urandom(4096))
    return deb


def verify(file: Path, signature: Path, key: Path, fingerprint: str) -> subprocess.CompletedProcess:
    return run(f'verify_signature "{file}" "{signature}" "{key}" "{fingerprint}"', "dearmor", "verify_signature")


def test_pinned_fingerprint_is_the_contracts():
    assert readonly("CLOUDWATCH_AGENT_KEY_FINGERPRINT") == CLOUDWATCH_AGENT_KEY_FINGERPRINT
    assert re.fullmatch(r"[0-9A-F]{40}", CLOUDWATCH_AGENT_KEY_FINGERPRINT)


def test_agent_is_installed_with_a_key_and_from_https():
    bucket = readonly("CLOUDWATCH_AGENT_BUCKET")
    assert bucket.startswith("https://")
    call = re.search(r"install_deb amazon-cloudwatch-agent (.*?)\n(.*?)\n", SCRIPT).group(0)
    assert "/assets/amazon-cloudwatch-agent.gpg" in call and "$CLOUDWATCH_AGENT_KEY_FINGERPRINT" in call


@needs_gpg
@pytest.mark.parametrize("armor", [True, False], ids=["armored key", "binary key"])
def test_a_good_signature_by_the_pinned_key_verifies(keys, package, tmp_path, armor):
    key = keys.export(keys.vendor, tmp_path / "key", armor)
    result = verify(package, keys.sign(keys.vendor, package), key, keys.vendor)
    assert result.returncode == 0, result.stderr


@needs_gpg
def test_a_changed_package_is_refused(keys, package, tmp_path):
    signature = keys.sign(keys.vendor, package)
    package.write_bytes(package.read_bytes() + b"\0")
    result = verify(package, signature, keys.export(keys.vendor, tmp_path / "key", True), keys.vendor)
    assert result.returncode == 1 and "BAD signature" in result.stdout + result.stderr


@needs_gpg
def test_a_signature_by_another_key_is_refused_even_with_that_key_supplied(keys, package, tmp_path):
    """The threat: whoever can replace the package can replace the key file next to it. Only the pin stops that."""
    key = keys.export(keys.attacker, tmp_path / "key", True)
    result = verify(package, keys.sign(keys.attacker, package), key, keys.vendor)
    assert result.returncode == 1 and f"not by key {keys.vendor}" in result.stderr


@needs_gpg
def test_a_keyring_holding_the_pinned_key_does_not_admit_another_signer(keys, package, tmp_path):
    both = tmp_path / "both.gpg"
    both.write_bytes(keys.export(keys.vendor, tmp_path / "v.gpg", False).read_bytes()
                     + keys.export(keys.attacker, tmp_path / "a.gpg", False).read_bytes())
    assert verify(package, keys.sign(keys.attacker, package), both, keys.vendor).returncode == 1
    assert verify(package, keys.sign(keys.vendor, package), both, keys.vendor).returncode == 0


@needs_gpg
def test_garbage_instead_of_a_signature_is_refused(keys, package, tmp_path):
    garbage = tmp_path / "garbage.sig"
    garbage.write_bytes(os.urandom(300))
    assert verify(package, garbage, keys.export(keys.vendor, tmp_path / "key", True), keys.vendor).returncode == 1


INSTALL_WITH_STUBS = """
is_installed() {{ return 1; }}
curl() {{  # serves URLs from the directory {served}, named by their last path segment
    local out= url=
    while (($#)); do case $1 in -o) out=$2; shift 2 ;; -*) [[ $1 == --proto || $1 == --retry || $1 == --max-time ]] && shift; shift ;; *) url=$1; shift ;; esac; done
    cp "{served}/${{url##*/}}" "$out"
}}
dpkg() {{ echo "dpkg $*" >> "{served}/dpkg.calls"; }}
install_deb amazon-cloudwatch-agent https://example.invalid/x/amazon-cloudwatch-agent.deb \\
    https://example.invalid/assets/key.gpg {fingerprint}
"""


@needs_gpg
@pytest.mark.parametrize("signer", ["vendor", "attacker"])
def test_install_deb_runs_dpkg_only_after_the_signature_verifies(keys, package, tmp_path, signer):
    served = package.parent
    keys.sign(getattr(keys, signer), package).rename(served / "amazon-cloudwatch-agent.deb.sig")
    keys.export(getattr(keys, signer), served / "key.gpg", True)
    result = run(INSTALL_WITH_STUBS.format(served=served, fingerprint=keys.vendor),
                 "dearmor", "verify_signature", "install_deb")
    calls = (served / "dpkg.calls").read_text() if (served / "dpkg.calls").exists() else ""
    if signer == "vendor":
        assert result.returncode == 0 and calls.startswith("dpkg -i "), result.stderr
    else:
        assert result.returncode != 0 and calls == ""


# The instance id: on EC2 (agents on) from the metadata service or not at all.
ID_PROGRAM = """
imds_token() {{ {token}; }}
imds_get() {{ echo i-0123456789abcdef0; }}
uname() {{ echo the-host-name; }}
CLOUDWATCH_AGENT={agent}
instance_id
"""
BROKEN_INSTANCE_ID = """instance_id() {
    local token
    if token=$(imds_token); then
        imds_get "$token" instance-id
    else
        uname -n
    fi
}
"""


def instance_id(token: str, agent: int, script: str = SCRIPT) -> subprocess.CompletedProcess:
    return run(ID_PROGRAM.format(token=token, agent=agent), "instance_id", script=script)


def stops_without_metadata(script: str = SCRIPT) -> bool:
    result = instance_id("return 1", 1, script)
    return result.returncode != 0 and result.stdout == ""


def test_on_ec2_the_id_comes_from_the_metadata_service():
    assert instance_id("echo token", 1).stdout == "i-0123456789abcdef0\n"


def test_on_ec2_no_metadata_stops_instead_of_naming_the_host_otherwise():
    assert stops_without_metadata()


def test_a_token_that_fails_once_is_retried(tmp_path):
    flaky = f'if [[ -e "{tmp_path}/tried" ]]; then echo token; else touch "{tmp_path}/tried"; return 1; fi'
    assert instance_id(flaky, 1).stdout == "i-0123456789abcdef0\n"


def test_without_the_agents_the_host_name_stands_in():
    assert instance_id("return 1", 0).stdout == "the-host-name\n"


def test_the_silent_fallback_twin_is_caught():
    broken = SCRIPT.replace(function("instance_id"), BROKEN_INSTANCE_ID)
    assert broken != SCRIPT and not stops_without_metadata(broken)


@needs_gpg
def test_the_twin_that_trusts_any_good_signature_is_caught(keys, package, tmp_path):
    """verify_signature without its fingerprint line: gpgv alone accepts the attacker's key, and so does the twin."""
    pinned = function("verify_signature")
    pin_line = next(line for line in pinned.splitlines(keepends=True) if "VALIDSIG" in line)
    twin = pinned.replace(pin_line, "").replace(' \\\n', ' && return 0\n', 1)
    assert twin != pinned
    script = SCRIPT.replace(pinned, twin)
    key = keys.export(keys.attacker, tmp_path / "key", True)
    signature = keys.sign(keys.attacker, package)
    program = f'verify_signature "{package}" "{signature}" "{key}" "{keys.vendor}"'
    assert run(program, "dearmor", "verify_signature", script=script).returncode == 0
    assert run(program, "dearmor", "verify_signature").returncode == 1
