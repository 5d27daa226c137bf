#!/usr/bin/env python
"""Host QPS accuracy and the nginx exporter's CPU cost, on a Debian 12 VM booted like the VM suite.

    pipenv run python benchmarks/qps_accuracy.py                       # 20, 60 and 200 requests/s, 10 s each
    pipenv run python benchmarks/qps_accuracy.py --rates 20 200 --seconds 20

Boots the VM with tests/vm's harness and MonitoredHost's synthesized user data (needs
``.ci/vm-setup.sh``; the image is cached), then for each rate sends a paced HTTPS load
of known size to nginx and reads ``nginx_http_requests_total`` from the exporter before,
during and after it (tests/vm/qps_probe.py, the same code test_qps_accuracy.py asserts
on). Prints one row per rate: target and achieved client rate, requests completed,
the counter's increase, the exporter reads in it (overhead), the net requests, the
window from the first read to the last, true QPS (completed / window), measured QPS
(net / window) and the error. Then the exporter's CPU time from /proc/<pid>/stat,
idle and per scrape, and its share of a core at the CloudWatch agent's scrape
interval. Under qemu TCG every guest instruction is emulated, so CPU times are upper
bounds of what the same work costs on EC2. The VM is shut down at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "constructs"), str(ROOT / "tests" / "vm")]
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from harness import VM_HOST_PROPS, booted_vm, synthesized_user_data  # noqa: E402
from load import DEFAULT_CONNECTIONS  # noqa: E402
from qps_probe import accuracy_table, cpu_cost_lines, exporter_cpu_cost, intervals_line, measure_rate  # noqa: E402

DEFAULT_RATES = (20, 60, 200)
DEFAULT_SECONDS = 10


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", type=float, nargs="+", default=DEFAULT_RATES, help="requests/s, one run each")
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS, help="length of each run")
    parser.add_argument("--reads-during", type=int, default=3, help="counter reads during each run")
    parser.add_argument("--connections", type=int, default=DEFAULT_CONNECTIONS, help="keep-alive TLS connections")
    parser.add_argument("--scrapes", type=int, default=300, help="back-to-back scrapes for the CPU cost")
    arguments = parser.parse_args()

    timings: dict[str, float] = {}
    with booted_vm(synthesized_user_data(**VM_HOST_PROPS), timings) as vm:
        measurements = []
        for rate in arguments.rates:
            measurement = measure_rate(vm, rate=rate, duration=arguments.seconds,
                                       reads_during=arguments.reads_during, connections=arguments.connections)
            measurements.append(measurement)
            print(f"{rate:g}/s: gross QPS between counter reads {intervals_line(measurement)}", flush=True)
        started = time.monotonic()
        cost = exporter_cpu_cost(vm, scrapes=arguments.scrapes)
        timings["exporter CPU cost"] = time.monotonic() - started
    print("\nHost QPS accuracy (nginx_http_requests_total through the exporter):")
    print(accuracy_table(measurements))
    print(f"\n{cpu_cost_lines(cost)}")
    print("\n" + "\n".join(f"  {phase:<22} {seconds:7.1f} s" for phase, seconds in timings.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
