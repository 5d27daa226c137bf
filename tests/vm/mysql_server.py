"""A throw-away MariaDB server on the CI machine (not in a VM), standing in for the app tier's MySQL database.

``running_mysql`` runs ``mariadbd`` from the Debian package mariadb-server (installed,
and kept from running as a service, by ``.ci/vm-setup.sh``) with ``--no-defaults``:
its own data directory, socket, pid file and error log under the caller's work
directory, TCP on 127.0.0.1 only at a free port. A guest VM reaches it through a qemu
``guestfwd`` (``harness.GuestForward``).

With a certificate, the server offers TLS 1.2 and 1.3 and its ``app`` user must connect
over TLS (``REQUIRE SSL``); ``require_secure_transport`` makes the server itself refuse
every plain TCP connection. Without one it is started with ``--skip-ssl``: a server that
offers no TLS at all, the broken twin that a verifying client must refuse to talk to.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from harness import free_port
from tls_material import Leaf

STARTUP_TIMEOUT_SECONDS = 60
SHUTDOWN_TIMEOUT_SECONDS = 30
DATABASE = "app"
USERNAME = "app"
_SOCKET_PATH_LIMIT = 107
"""sockaddr_un.sun_path holds 108 bytes with the terminating NUL."""


@dataclass(frozen=True)
class MySqlServer:
    """A running server and the one application account on it."""

    host: str
    """Always 127.0.0.1: the server listens on loopback only."""
    port: int
    username: str
    password: str
    database: str
    tls: Leaf | None
    """The server's certificate; None when the server offers no TLS."""
    require_secure_transport: bool
    error_log: Path
    """The server's error log (kept in the work directory after the server stopped)."""
    socket_path: Path
    """The Unix socket root administers the server through (root authenticates as the socket's peer)."""

    def global_status(self, name: str) -> int:
        """A server counter (``SHOW GLOBAL STATUS``, e.g. ``Ssl_accepts``), read as root over the Unix socket.

        Measured on the server, so independent of what any client under test reports.
        """
        if not re.fullmatch(r"[A-Za-z_]+", name):
            raise ValueError(f"name must be a status variable name. Got: {name!r}")
        result = _admin(self.socket_path, "--batch", "--skip-column-names",
                        f"--execute=SHOW GLOBAL STATUS LIKE '{name}'")
        if result.returncode != 0 or not result.stdout.strip():
            raise RuntimeError(f"reading status {name} failed ({result.returncode}): {result.stderr}")
        return int(result.stdout.split()[1])


@contextlib.contextmanager
def running_mysql(workdir: Path, *, tls: Leaf | None, require_secure_transport: bool) -> Iterator[MySqlServer]:
    """A started ``mariadbd`` with database ``app`` and user ``app``@``%`` (random password, SELECT on ``app.*``).

    ``tls``: the server certificate and key; with it the user is created ``REQUIRE SSL``.
    None starts the server with ``--skip-ssl`` and a plain user.
    ``require_secure_transport``: ``--require-secure-transport=ON`` (needs ``tls``).
    The server is stopped (SIGTERM, then SIGKILL after ``SHUTDOWN_TIMEOUT_SECONDS``) and its
    data directory deleted on exit; startup that takes over ``STARTUP_TIMEOUT_SECONDS`` raises
    with the tail of the error log.
    """
    if require_secure_transport and tls is None:
        raise ValueError("require_secure_transport needs tls: a server that requires TLS and offers none "
                         "refuses every TCP connection")
    run_dir = Path(tempfile.mkdtemp(prefix="mariadb-", dir=workdir))
    socket_path = run_dir / "mariadbd.sock"
    if len(str(socket_path)) > _SOCKET_PATH_LIMIT:
        shutil.rmtree(run_dir)
        raise ValueError(f"workdir is too deep for a Unix socket ({len(str(socket_path))} > {_SOCKET_PATH_LIMIT} "
                         f"bytes). Got: {workdir}")
    data_dir = run_dir / "data"
    error_log = run_dir / "error.log"
    process: subprocess.Popen[bytes] | None = None
    try:
        _install_db(data_dir)
        port = free_port()
        command = [
            _server_binary(), "--no-defaults", "--user=root", f"--datadir={data_dir}",
            "--bind-address=127.0.0.1", f"--port={port}", f"--socket={socket_path}",
            f"--pid-file={run_dir / 'mariadbd.pid'}", f"--log-error={error_log}", "--skip-name-resolve",
            # Small enough to start fast on a 2-core CI machine.
            "--innodb-buffer-pool-size=32M", "--performance-schema=OFF",
        ]
        if tls is None:
            command.append("--skip-ssl")
        else:
            command += [f"--ssl-cert={tls.cert_path}", f"--ssl-key={tls.key_path}", "--tls-version=TLSv1.2,TLSv1.3"]
        if require_secure_transport:
            command.append("--require-secure-transport=ON")
        with open(run_dir / "mariadbd.stdout", "wb") as output:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT)
        _wait_until_ready(process, socket_path, error_log)
        password = secrets.token_urlsafe(24)
        requirement = " REQUIRE SSL" if tls is not None else ""
        _admin_sql(socket_path, error_log,
                   f"CREATE DATABASE {DATABASE}; "
                   f"CREATE USER '{USERNAME}'@'%' IDENTIFIED BY '{password}'{requirement}; "
                   f"GRANT SELECT ON {DATABASE}.* TO '{USERNAME}'@'%';")
        yield MySqlServer(host="127.0.0.1", port=port, username=USERNAME, password=password, database=DATABASE,
                          tls=tls, require_secure_transport=require_secure_transport, error_log=error_log,
                          socket_path=socket_path)
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(data_dir, ignore_errors=True)
        for path in run_dir.iterdir():
            if path != error_log:
                path.unlink()


def _server_binary() -> str:
    found = shutil.which("mariadbd") or shutil.which("mariadbd", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise RuntimeError("mariadbd not found: run .ci/vm-setup.sh (it installs mariadb-server)")
    return found


def _install_db(data_dir: Path) -> None:
    # root@localhost authenticates by Unix socket peer (we run as root), so no root password exists.
    result = subprocess.run(
        ["mariadb-install-db", "--no-defaults", "--user=root", f"--datadir={data_dir}",
         "--auth-root-authentication-method=socket", "--skip-test-db", "--skip-name-resolve"],
        capture_output=True, text=True, timeout=STARTUP_TIMEOUT_SECONDS,
    )
    if result.returncode != 0:
        raise RuntimeError(f"mariadb-install-db failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")


def _admin(socket_path: Path, *arguments: str, timeout: float = 10) -> subprocess.CompletedProcess[str]:
    # Without --skip-ssl the client negotiates TLS even over the socket, and Ssl_accepts would count root too.
    return subprocess.run(["mariadb", "--no-defaults", f"--socket={socket_path}", "--user=root", "--skip-ssl",
                           *arguments],
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def _wait_until_ready(process: subprocess.Popen[bytes], socket_path: Path, error_log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mariadbd exited with {process.returncode} while starting\n{_tail(error_log)}")
        if socket_path.exists():
            try:
                if _admin(socket_path, "--execute=SELECT 1", timeout=5).returncode == 0:
                    return
            except subprocess.TimeoutExpired:
                pass
        time.sleep(0.2)
    raise RuntimeError(f"mariadbd did not accept connections within {STARTUP_TIMEOUT_SECONDS} s\n{_tail(error_log)}")


def _admin_sql(socket_path: Path, error_log: Path, sql: str) -> None:
    result = _admin(socket_path, f"--execute={sql}")
    if result.returncode != 0:
        raise RuntimeError(f"setting up the app user failed ({result.returncode}): {result.stderr}\n{_tail(error_log)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=SHUTDOWN_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"(no error log at {path})"
    text = path.read_text(errors="replace").splitlines()
    return f"---- {path.name} tail ----\n" + "\n".join(text[-lines:])
