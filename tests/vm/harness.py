"""Boot Debian 12 qemu VMs with MonitoredHost's synthesized user data, for the host test suites.

The image is built once with mmdebstrap (``build_image.sh``) and cached under
``$SECURE_WEB_VM_CACHE`` (default ``~/.cache/secure-web/vm``), keyed by a hash
of the build script. Each VM boots a throw-away qcow2 overlay of it, with a
NoCloud seed whose user-data is exactly what MonitoredHost puts in its launch
template (text, or gzip-compressed bytes, written as is); the ephemeral SSH key
goes in through the seed's meta-data ``public-keys`` (for the default user
"admin"), so the user data stays untouched. The meta-data's ``local-hostname``
is the VM's name. ``booted_vms`` boots several VMs at once (web and app hosts);
``booted_vm`` boots the single VM of the host suite.

Networking is qemu user-net with ``restrict=on``, one network per VM: the CI
machine reaches a guest only through its forwarded ports on 127.0.0.1 (SSH, and
the ``guest_ports``, such as HTTPS for load tests), and a guest reaches nothing
but its ``guest_forwards``: an address and port inside 10.0.2.0/24 whose
connections qemu hands to socat, which carries each to a port on the CI
machine's 127.0.0.1 (another VM's forwarded port, or a database server). Guests
never reach each other directly.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import ipaddress
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUILD_SCRIPT = HERE / "build_image.sh"
QEMU_NETWORK = "10.0.2.0/24"
"""qemu user-net's guest network; SSH reaches the guest from 10.0.2.2 inside it."""
QEMU_RESERVED_ADDRESSES = frozenset({"10.0.2.0", "10.0.2.2", "10.0.2.3", "10.0.2.15", "10.0.2.255"})
"""The network and broadcast addresses, qemu's gateway and DNS, and the address its DHCP gives the guest."""
GUEST_SSH_PORT = 22
GZIP_MAGIC = b"\x1f\x8b"
GUEST_HTTPS_PORT = 443
BOOT_TIMEOUT_SECONDS = 300
CLOUD_INIT_TIMEOUT_SECONDS = 600
SHUTDOWN_TIMEOUT_SECONDS = 60
SSH_USER = "admin"

SITE_NAME = "www.vm.test"
"""The site's name on the test VMs: what clients send as Host, and what nginx serves."""
VM_HOST_PROPS: dict[str, object] = {
    "name": "vm-web",
    "role": "web",
    "https_port": GUEST_HTTPS_PORT,
    # Stands in for the VPC range; it also holds qemu's 10.0.2.2, so the
    # forwarded HTTPS port on 127.0.0.1 reaches nginx for load tests.
    "allowed_https_cidrs": ("10.0.0.0/16",),
    "ssh_allowed_cidrs": (QEMU_NETWORK,),
    "cloudwatch_agent_install": False,
    "server_names": (SITE_NAME,),
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

    user_data: bytes
    """The launch template's user data, base64-decoded: what cloud-init receives (MonitoredHost gzip-compresses it)."""
    script: str
    """The bootstrap script the user data carries (inflated when gzip-compressed)."""
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
    user_data = base64.b64decode(template["user_data"])
    script = gzip.decompress(user_data) if user_data[:2] == GZIP_MAGIC else user_data
    return SynthesizedHost(user_data=user_data, script=script.decode(),
                           agent_config=render_strings({"agent": parameter["value"]})["agent"])


def _single(synthesized: dict, resource_type: str) -> list[dict]:
    bodies = list(synthesized["resource"][resource_type].values())
    if len(bodies) != 1:
        raise AssertionError(f"expected one {resource_type}, got {len(bodies)}")
    return bodies


def synthesized_user_data(**props: object) -> bytes:
    """The user data of the launch template a one-MonitoredHost stack synthesizes, base64-decoded (gzip-compressed)."""
    return synthesized_host(**props).user_data


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class GuestForward:
    """A guest's TCP connections to ``guest_address:guest_port`` carried by qemu to ``127.0.0.1:host_port`` here.

    ``guest_address`` is inside qemu's 10.0.2.0/24 and none of ``QEMU_RESERVED_ADDRESSES``
    (qemu refuses those). Each guest connection gets its own connection to ``host_port``, made
    when the guest connects, so the server there may start after the VM.
    """

    guest_address: str
    guest_port: int
    host_port: int

    def __post_init__(self) -> None:
        address = ipaddress.ip_address(self.guest_address)
        if address not in ipaddress.ip_network(QEMU_NETWORK) or self.guest_address in QEMU_RESERVED_ADDRESSES:
            raise ValueError(f"guest_address must be in {QEMU_NETWORK} and none of {sorted(QEMU_RESERVED_ADDRESSES)}."
                             f" Got: {self.guest_address}")
        for field, port in (("guest_port", self.guest_port), ("host_port", self.host_port)):
            if not 1 <= port <= 65535:
                raise ValueError(f"{field} must be between 1 and 65535. Got: {port}")

    def netdev_option(self, log: Path) -> str:
        """The ``-netdev user`` option; socat's own errors go to ``log``, not into the guest's stream.

        Under restrict=on libslirp (4.7, qemu 7.2) answers every guest-initiated connection
        with a reset unless it matches a guestfwd, so these are a restricted guest's only ways
        out. Checked by hand on a booted guest: a guestfwd'ed MariaDB answered over verified TLS,
        three connections in a row and three at once; 10.0.2.2 (the CI machine, even a port
        that listens on its 127.0.0.1), 10.0.2.3:53 and another port of the guestfwd address
        were refused, and addresses outside 10.0.2.0/24 unreachable.

        The target is ``cmd:socat``, one socat per guest connection, and not the chardev form
        ``tcp:127.0.0.1:PORT``: that one connects once, when qemu starts (qemu exits if nothing
        listens yet), and carries a single stream for the VM's life. MariaDB greets that
        connection at qemu's start and drops it after connect_timeout (10 s), so every guest
        connection hung without a greeting.
        """
        return (f"guestfwd=tcp:{self.guest_address}:{self.guest_port}"
                f"-cmd:socat -lf {log} STDIO TCP:127.0.0.1:{self.host_port}")


@dataclass(frozen=True)
class VmSpec:
    """What ``booted_vms`` boots: one VM's name, user data and network (see ``VirtualMachine``)."""

    name: str
    user_data: str | bytes
    memory_mb: int = 2048
    guest_ports: tuple[int, ...] = (GUEST_HTTPS_PORT,)
    host_ports: Mapping[int, int] = field(default_factory=dict)
    guest_forwards: tuple[GuestForward, ...] = ()


class VirtualMachine:
    """One booted guest; use as a context manager, which always shuts it down and cleans up.

    ``user_data``: the NoCloud user-data, text or bytes (gzip-compressed user data is written as is).
    ``name``: the guest's host name (meta-data ``local-hostname``) and the name in logs and timings.
    ``guest_ports``: guest TCP ports each forwarded from a free 127.0.0.1 port (``forwarded_port``);
    SSH is always forwarded (``ssh_port``).
    ``host_ports``: the 127.0.0.1 port to use for some of the ``guest_ports``, when another VM's
    ``GuestForward`` must name it before this VM exists (from ``free_port``); the rest get free ports.
    ``guest_forwards``: where the guest may connect out to (``GuestForward``); nothing else is reachable.
    """

    def __init__(self, image: Image, user_data: str | bytes, *, memory_mb: int = 2048, name: str = "vm",
                 guest_ports: Sequence[int] = (GUEST_HTTPS_PORT,), host_ports: Mapping[int, int] | None = None,
                 guest_forwards: Sequence[GuestForward] = ()) -> None:
        if not re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", name):
            raise ValueError(f"name must be a host name label (lower-case letters, digits, '-'). Got: {name!r}")
        ports = list(guest_ports)
        if len(set(ports)) != len(ports) or GUEST_SSH_PORT in ports or not all(1 <= port <= 65535 for port in ports):
            raise ValueError(f"guest_ports must be distinct TCP ports other than SSH's {GUEST_SSH_PORT} (always "
                             f"forwarded). Got: {ports}")
        host_ports = dict(host_ports or {})
        if not set(host_ports) <= set(ports) or len(set(host_ports.values())) != len(host_ports):
            raise ValueError(f"host_ports must map some of guest_ports {ports} to distinct ports. Got: {host_ports}")
        guest_ends = [(forward.guest_address, forward.guest_port) for forward in guest_forwards]
        if len(set(guest_ends)) != len(guest_ends):
            raise ValueError(f"guest_forwards must not repeat a guest address and port. Got: {guest_ends}")
        if guest_forwards and shutil.which("socat") is None:
            raise RuntimeError("guest_forwards need socat on this machine: run .ci/vm-setup.sh")
        self.image = image
        self.user_data = user_data
        self.memory_mb = memory_mb
        self.name = name
        self.guest_forwards = tuple(guest_forwards)
        self.workdir = Path(tempfile.mkdtemp(prefix=f"secure-web-vm-{name}-"))
        self.serial_log = self.workdir / "serial.log"
        self.ssh_config = self.workdir / "ssh_config"
        self.ssh_port = free_port()
        self._forwarded_ports = {port: host_ports.get(port) or free_port() for port in ports}
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at: float | None = None
        """``time.monotonic()`` when qemu was started."""
        self.cloud_init_result: dict[str, object] = {}
        """cloud-init's ``result.json`` (v1: datasource, errors), once ``wait_for_cloud_init`` returned."""

    def forwarded_port(self, guest_port: int) -> int:
        """The 127.0.0.1 port forwarded to ``guest_port`` (one of ``guest_ports``, or SSH's 22)."""
        if guest_port == GUEST_SSH_PORT:
            return self.ssh_port
        try:
            return self._forwarded_ports[guest_port]
        except KeyError:
            raise ValueError(f"guest port {guest_port} of VM {self.name!r} is not forwarded; guest_ports: "
                             f"{sorted(self._forwarded_ports)}") from None

    @property
    def https_port(self) -> int:
        """The 127.0.0.1 port forwarded to the guest's HTTPS port 443 (for load tests)."""
        return self.forwarded_port(GUEST_HTTPS_PORT)

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
            f"instance-id: secure-web-vm-{self.name}-{os.getpid()}-{int(time.time())}\n"
            f"local-hostname: {self.name}\n"
            f"public-keys:\n  - {public_key}\n"
        )
        user_data = self.user_data if isinstance(self.user_data, bytes) else self.user_data.encode()
        (seed / "user-data").write_bytes(user_data)
        subprocess.run(["genisoimage", "-quiet", "-output", str(self.workdir / "seed.iso"), "-volid", "cidata",
                        "-joliet", "-rock", str(seed / "user-data"), str(seed / "meta-data")], check=True)
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", str(self.image.root),
                        str(self.workdir / "root.qcow2")], check=True)

    def _start(self) -> None:
        forwards = ",".join(
            [f"hostfwd=tcp:127.0.0.1:{host_port}-:{guest_port}"
             for guest_port, host_port in {GUEST_SSH_PORT: self.ssh_port, **self._forwarded_ports}.items()]
            + [forward.netdev_option(self.workdir / f"guestfwd-{forward.guest_address}-{forward.guest_port}.log")
               for forward in self.guest_forwards]
        )
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
        with open(self.workdir / "qemu.stderr", "wb") as stderr:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr)
        self.started_at = time.monotonic()

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
                raise AssertionError(f"qemu of VM {self.name!r} exited with {self.process.returncode}\n"
                                     f"{self.qemu_stderr()}{self.serial_tail()}")
            try:
                if self.ssh("true", timeout=30, check=False).returncode == 0:
                    return
            except subprocess.TimeoutExpired:
                pass
            time.sleep(3)
        raise AssertionError(f"VM {self.name!r}: no SSH on 127.0.0.1:{self.ssh_port} within {timeout} s\n"
                             f"{self.serial_tail()}")

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
            return f"(no serial log of VM {self.name!r})"
        text = self.serial_log.read_text(errors="replace").splitlines()
        return f"---- serial log tail of VM {self.name!r} ----\n" + "\n".join(text[-lines:])

    def qemu_stderr(self) -> str:
        """qemu's stderr and the guest forwards' socat logs, when not empty."""
        parts = []
        for path in [self.workdir / "qemu.stderr", *sorted(self.workdir.glob("guestfwd-*.log"))]:
            text = path.read_text(errors="replace").strip() if path.exists() else ""
            if text:
                parts.append(f"---- {path.name} ----\n{text}\n")
        return "".join(parts)

    def close(self) -> None:
        """Powers the guest off (killing qemu if it hangs) and removes every file of this VM; safe to repeat.

        The serial log survives as ``last-serial-<name>.log`` in the cache directory.
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
            shutil.copyfile(self.serial_log, cache_dir() / f"last-serial-{self.name}.log")
        shutil.rmtree(self.workdir, ignore_errors=True)


@contextlib.contextmanager
def booted_vms(specs: Sequence[VmSpec], timings: dict[str, float]) -> Iterator[dict[str, VirtualMachine]]:
    """VMs booted in parallel from the cached image (built first if missing), cloud-init done on each.

    Starts every qemu first, then waits for each VM's SSH and cloud-init concurrently; yields
    the VMs by name. Records the image phase and, per VM, ``"<name> boot to SSH"`` (from its
    qemu start) and ``"<name> cloud-init"`` in ``timings``. Every VM is shut down on exit,
    and all of them as soon as one fails to boot.
    """
    names = [spec.name for spec in specs]
    if not names or len(set(names)) != len(names):
        raise ValueError(f"specs must name at least one VM, each name once. Got: {names}")
    started = time.monotonic()
    image, built = ensure_image()
    timings["image build" if built else "image (cached)"] = time.monotonic() - started
    machines: list[VirtualMachine] = []
    try:
        for spec in specs:
            machines.append(VirtualMachine(image, spec.user_data, memory_mb=spec.memory_mb, name=spec.name,
                                           guest_ports=spec.guest_ports, host_ports=spec.host_ports,
                                           guest_forwards=spec.guest_forwards))
        for machine in machines:
            machine.__enter__()
        phases: dict[str, dict[str, float]] = {machine.name: {} for machine in machines}
        try:
            _settle_in_parallel(machines, phases)
        finally:
            for name in names:
                timings.update(phases[name])
        yield {machine.name: machine for machine in machines}
    finally:
        _shut_down(machines)


def _settle_in_parallel(machines: list[VirtualMachine], phases: dict[str, dict[str, float]]) -> None:
    pool = ThreadPoolExecutor(max_workers=len(machines), thread_name_prefix="vm-boot")
    try:
        for future in as_completed([pool.submit(_settle, machine, phases[machine.name]) for machine in machines]):
            future.result()
    except BaseException:
        # The other VMs' waits end as soon as their qemu is gone, instead of at their timeouts.
        _shut_down(machines)
        raise
    finally:
        pool.shutdown(wait=True)


def _settle(machine: VirtualMachine, phases: dict[str, float]) -> None:
    machine.wait_for_ssh()
    ssh_ready = time.monotonic()
    phases[f"{machine.name} boot to SSH"] = ssh_ready - (machine.started_at or ssh_ready)
    machine.wait_for_cloud_init()
    phases[f"{machine.name} cloud-init"] = time.monotonic() - ssh_ready


def _shut_down(machines: list[VirtualMachine]) -> None:
    if machines:
        with ThreadPoolExecutor(max_workers=len(machines), thread_name_prefix="vm-shutdown") as pool:
            for future in [pool.submit(machine.close) for machine in machines]:
                future.result()


@contextlib.contextmanager
def booted_vm(user_data: str | bytes, timings: dict[str, float], *, name: str = "vm") -> Iterator[VirtualMachine]:
    """One VM (``booted_vms`` with a single ``VmSpec``: HTTPS forwarded, no guest forwards), cloud-init done."""
    with booted_vms([VmSpec(name=name, user_data=user_data)], timings) as machines:
        yield machines[name]
