"""systemd brings a killed service back within a bounded wait (Restart=on-failure)."""

import time

import pytest

RESTART_WAIT_SECONDS = 30


def main_pid(host, service: str) -> int:
    return int(host.check_output(f"systemctl show --property=MainPID --value {service}.service"))


@pytest.mark.parametrize("service", ["nginx", "prometheus-nginx-exporter"])
def test_service_comes_back_after_kill(host, service):
    killed = main_pid(host, service)
    assert killed > 0, f"{service} has no main process"
    host.check_output(f"kill -9 {killed}")
    deadline = time.monotonic() + RESTART_WAIT_SECONDS
    while time.monotonic() < deadline:
        if host.service(service).is_running and main_pid(host, service) not in (0, killed):
            return
        time.sleep(1)
    pytest.fail(f"{service} not running again {RESTART_WAIT_SECONDS} s after kill -9 of PID {killed}")
