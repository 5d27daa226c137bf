"""Boot a Debian 12 qemu VM with MonitoredHost's synthesized user data, for the host test suite.

The image is built once with mmdebstrap (``build_image.sh``) and cached under
``$SECURE_WEB_VM_CACHE`` (default ``~/.cache/secure-web/vm``), keyed by a hash
of the build script. Each VM boots a throw-away qcow2 overlay of it, with a
NoCloud seed whose user-data is exactly the script MonitoredHost puts in its
launch template; the ephemeral SSH key goes in through the seed's meta-data
``public-keys`` (for the default user "admin"), so the user data stays untouched.

Networking is qemu user-net with ``restrict=on``: the guest reaches nothing
but its forwarded ports on 127.0.0.1 (SSH, and HTTPS for load tests).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUILD_SCRIPT = HERE / "build_image.sh"
QEMU_NETWORK = "10.0.2.0/24"
"""qemu user-net's guest network; SSH reaches the guest from 10.0.2.2 inside it."""
GUEST_HTTPS_PORT = 443
BOOT_TIMEOUT_SECONDS = 300
CLOUD_INIT_TIMEOUT_SECONDS = 600
SHUTDOWN_TIMEOUT_SECONDS = 60
SSH_USER = "admin"

VM_HOST_PROPS: dict[str, object] = {
    "name": "vm-web",
    "role": "web",
    "https_port": GUEST_HTTPS_PORT,
    # Stands in for the VPC range; it also holds qemu's 10.0.2.2, so the
    # forwarded HTTPS port on 127.0.0.1 reaches nginx for load tests.
    "allowed_https_cidrs": ("10.0.0.0/16",),
    "ssh_allowed_cidrs": (QEMU_NETWORK,),
    "cloudwatch_agent_install": False,
}
"""The MonitoredHostProps fields (on top of VPC and subnets) the VM suite and benchmarks boot with."""


def cache_dir() -> Path:
    """Where built images are kept between runs."""
    return Path(os.environ.get("SECURE_WEB_VM_CACHE", Path.home() / ".cache" / "secure-web" / "vm"))


@dataclass(frozen=True)
class Image:
    """A built image: an ext4 root file system and the kernel and initrd to boot it with."""

    root: Path
    kernel: Path
    initrd: Path


def image_key() -> str:
    """Changes whenever the build script (and so its package list) changes."""
    return hashlib.sha256(BUILD_SCRIPT.read_bytes()).hexdigest()[:16]


def ensure_image() -> tuple[Image, bool]:
    """The cached image, built first if missing; the flag says whether it was built now."""
    final = cache_dir() / image_key()
    image = Image(root=final / "root.raw", kernel=final / "vmlinuz", initrd=final / "initrd.img")
    if image.root.exists():
        return image, False
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{final.name}.building-", dir=final.parent))
    try:
        subprocess.run(["bash", str(BUILD_SCRIPT), str(staging)], check=True, timeout=1800)
        staging.rename(final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    for stale in final.parent.iterdir():
        if stale != final and stale.is_dir() and re.fullmatch(r"[0-9a-f]{16}", stale.name):
            shutil.rmtree(stale, ignore_errors=True)
    return image, True


@dataclass(frozen=True)
class SynthesizedHost:
    """What a one-MonitoredHost stack hands to AWS, as Terraform would evaluate it."""

    user_data: str
    """The launch template's user data, base64-decoded."""
    agent_config: str
    """The agent-configuration SSM parameter's value after Terraform evaluated its template (what the agent fetches)."""


def synthesized_host(**props: object) -> SynthesizedHost:
    """Synthesize a one-MonitoredHost stack and read what its launch template and SSM parameter carry.

    ``props`` are MonitoredHostProps fields on top of throw-away VPC and subnet ids. The agent
    configuration is rendered through Terraform itself (offline), so the VM suite compares the
    host with the text the agent would really receive, not with the synthesized template.
    """
    import cdktf

    from secure_web.aws import resource_module
    from secure_web.monitored_host import MonitoredHost, MonitoredHostProps
    from secure_web.terraform_check import render_strings

    with tempfile.TemporaryDirectory(prefix="secure-web-synth-") as outdir:
        app = cdktf.App(outdir=outdir)
        stack = cdktf.TerraformStack(app, "vm-host")
        resource_module("provider").AwsProvider(stack, "aws", region="eu-west-1")
        host_props = MonitoredHostProps(vpc_id="vpc-00000000", subnet_ids=("subnet-00000000",), **props)
        MonitoredHost(stack, "host", host_props)
        synthesized = json.loads(cdktf.Testing.synth(stack))
    (template,) = _single(synthesized, "aws_launch_template")
    (parameter,) = _single(synthesized, "aws_ssm_parameter")
    return SynthesizedHost(user_data=base64.b64decode(template["user_data"]).decode(),
                           agent_config=render_strings({"agent": parameter["value"]})["agent"])


def _single(synthesized: dict, resource_type: str) -> list[dict]:
    bodies = list(synthesized["resource"][resource_type].values())
    if len(bodies) != 1:
        raise AssertionError(f"expected one {resource_type}, got {len(bodies)}")
    return bodies


def synthesized_user_data(**props: object) -> str:
    """The user data of the launch template a one-MonitoredHost stack synthesizes, base64-decoded."""
    return synthesized_host(**props).user_data


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class VirtualMachine:
    """One booted guest; use as a context manager, which always shuts it down and cleans up."""

    def __init__(self, image: Image, user_data: str, *, memory_mb: int = 2048) -> None:
        self.image = image
        self.user_data = user_data
        self.memory_mb = memory_mb
        self.workdir = Path(tempfile.mkdtemp(prefix="secure-web-vm-"))
        self.serial_log = self.workdir / "serial.log"
        self.ssh_config = self.workdir / "ssh_config"
        self.ssh_port = free_port()
        self.https_port = free_port()
        """127.0.0.1 port forwarded to the guest's HTTPS port (for load tests)."""
        self.process: subprocess.Popen[bytes] | None = None
        self.cloud_init_result: dict[str, object] = {}
        """cloud-init's ``result.json`` (v1: datasource, errors), once ``wait_for_cloud_init`` returned."""

    @property
    def testinfra_host(self) -> str:
        """The ``--hosts`` value that reaches this guest (with ``--ssh-config`` and ``--sudo``)."""
        return f"ssh://{SSH_USER}@127.0.0.1:{self.ssh_port}"

    def __enter__(self) -> "VirtualMachine":
        try:
            self._prepare()
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _prepare(self) -> None:
        key = self.workdir / "id_ed25519"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "secure-web-vm", "-f", str(key)],
                       check=True)
        self.ssh_config.write_text(
            "Host 127.0.0.1\n"
            f"  User {SSH_USER}\n"
            f"  IdentityFile {key}\n"
            "  IdentitiesOnly yes\n"
            "  StrictHostKeyChecking no\n"
            "  UserKnownHostsFile /dev/null\n"
            "  LogLevel ERROR\n"
            "  ConnectTimeout 10\n"
            "  ServerAliveInterval 10\n"
            "  ControlMaster auto\n"
            f"  ControlPath {self.workdir}/ssh-%C\n"
            "  ControlPersist 120\n"
        )
        seed = self.workdir / "seed"
        seed.mkdir()
        public_key = (key.with_suffix(".pub")).read_text().strip()
        (seed / "meta-data").write_text(
            f"instance-id: secure-web-vm-{os.getpid()}-{int(time.time())}\n"
            "local-hostname: secure-web-vm\n"
            f"public-keys:\n  - {public_key}\n"
        )
        (seed / "user-data").write_text(self.user_data)
        subprocess.run(["genisoimage", "-quiet", "-output", str(self.workdir / "seed.iso"), "-volid", "cidata",
                        "-joliet", "-rock", str(seed / "user-data"), str(seed / "meta-data")], check=True)
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", str(self.image.root),
                        str(self.workdir / "root.qcow2")], check=True)

    def _start(self) -> None:
        forwards = (f"hostfwd=tcp:127.0.0.1:{self.ssh_port}-:22,"
                    f"hostfwd=tcp:127.0.0.1:{self.https_port}-:{GUEST_HTTPS_PORT}")
        command = [
            "qemu-system-x86_64", "-accel", "tcg", "-smp", "2", "-m", str(self.memory_mb),
            "-display", "none", "-monitor", "none", "-serial", f"file:{self.serial_log}",
            "-kernel", str(self.image.kernel), "-initrd", str(self.image.initrd),
            "-append", "root=/dev/vda rw console=ttyS0 net.ifnames=0",
            "-drive", f"file={self.workdir / 'root.qcow2'},format=qcow2,if=virtio",
            "-drive", f"file={self.workdir / 'seed.iso'},format=raw,if=virtio,readonly=on",
            "-netdev", f"user,id=net0,restrict=on,{forwards}",
            "-device", "virtio-net-pci,netdev=net0",
            "-device", "virtio-rng-pci",
        ]
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=open(self.workdir / "qemu.stderr", "wb"))

    def ssh(self, command: str, *, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``command`` as root on the guest (through sudo)."""
        result = subprocess.run(
            ["ssh", "-F", str(self.ssh_config), "-p", str(self.ssh_port), "127.0.0.1",
             "sudo", "bash", "-c", shlex.quote(command)],
            capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"guest command failed ({result.returncode}): {command}\n{result.stdout}\n{result.stderr}"
            )
        return result

    def wait_for_ssh(self, timeout: float = BOOT_TIMEOUT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"qemu exited with {self.process.returncode}\n{self.serial_tail()}")
            try:
                if self.ssh("true", timeout=30, check=False).returncode == 0:
                    return
            except subprocess.TimeoutExpired:
                pass
            time.sleep(3)
        raise AssertionError(f"no SSH on 127.0.0.1:{self.ssh_port} within {timeout} s\n{self.serial_tail()}")

    def wait_for_cloud_init(self, timeout: float = CLOUD_INIT_TIMEOUT_SECONDS) -> dict[str, object]:
        """Waits for cloud-init and systemd to settle; returns cloud-init's ``result.json`` (v1).

        ``cloud-init status --wait`` returns at the first stage that reports an
        error, so systemd's own wait follows it.
        """
        bounded = f"timeout {int(timeout)}"
        self.ssh(f"{bounded} cloud-init status --wait >/dev/null || true", timeout=timeout + 30)
        self.ssh(f"{bounded} systemctl is-system-running --wait >/dev/null || true", timeout=timeout + 30)
        self.cloud_init_result = json.loads(self.ssh("cat /run/cloud-init/result.json").stdout)["v1"]
        return self.cloud_init_result

    def serial_tail(self, lines: int = 80) -> str:
        if not self.serial_log.exists():
            return "(no serial log)"
        text = self.serial_log.read_text(errors="replace").splitlines()
        return "---- serial log tail ----\n" + "\n".join(text[-lines:])

    def close(self) -> None:
        """Powers the guest off (killing qemu if it hangs) and removes every file of this VM.

        The serial log survives as ``last-serial.log`` in the cache directory.
        """
        if self.process is not None and self.process.poll() is None:
            try:
                self.ssh("systemctl poweroff", timeout=20, check=False)
            except subprocess.TimeoutExpired:
                pass
            try:
                self.process.wait(timeout=SHUTDOWN_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        if self.serial_log.exists():
            cache_dir().mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.serial_log, cache_dir() / "last-serial.log")
        shutil.rmtree(self.workdir, ignore_errors=True)


@contextlib.contextmanager
def booted_vm(user_data: str, timings: dict[str, float]) -> Iterator[VirtualMachine]:
    """A VM booted from the cached image (built first if missing) with ``user_data``, cloud-init done.

    Records the seconds of each phase in ``timings``; the VM is shut down on exit.
    """
    started = time.monotonic()
    image, built = ensure_image()
    timings["image build" if built else "image (cached)"] = time.monotonic() - started
    with VirtualMachine(image, user_data) as machine:
        started = time.monotonic()
        machine.wait_for_ssh()
        timings["boot to SSH"] = time.monotonic() - started
        started = time.monotonic()
        machine.wait_for_cloud_init()
        timings["cloud-init"] = time.monotonic() - started
        yield machine
