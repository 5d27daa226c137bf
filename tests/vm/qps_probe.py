"""Measure host QPS on the VM the way docs/qps.md defines it, next to a load of known size.

Shared by ``tests/vm/test_qps_accuracy.py`` (which asserts on the numbers) and
``benchmarks/qps_accuracy.py`` (which prints them).

The counter is ``nginx_http_requests_total`` read from the nginx exporter inside the
guest (``curl`` over ``vm.ssh``), as the CloudWatch agent would scrape it. Every read
of the exporter makes it read nginx's ``stub_status`` once, and nginx counts that read
as a request, already included in the value the read returns: ``n`` reads add ``n - 1``
requests to the increase between the first and the last. Nothing else reaches nginx on
the VM: there is no load balancer, so no ALB health checks, and the CloudWatch agent is
not installed, so no agent scrapes. ``test_qps_accuracy`` checks both on the VM.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from secure_web.agent_config import EXPORTER_ADDRESS, SCRAPE_INTERVAL_SECONDS, STUB_STATUS_URL
from secure_web.qps import HOST_QPS, QpsPoint, average_qps, counter_increase, net_requests, qps_from_counter_samples

from harness import VirtualMachine
from load import DEFAULT_CONNECTIONS, LoadResult, run_paced_load

EXPORTER_METRICS_URL = f"http://{EXPORTER_ADDRESS}/metrics"
_CURL = "curl -sS --fail --max-time 10"
"""How every read inside the guest is made: quiet, failing on HTTP errors, bounded."""
EXPORTER_UNIT = "prometheus-nginx-exporter.service"
_COUNTER_LINE = re.compile(rf"^{HOST_QPS.metric_name} (\S+)$", re.MULTILINE)
# nginx's stub_status page: "Active connections: N", the header line, then
# "accepts handled requests" as three numbers.
_STUB_STATUS_REQUESTS = "awk 'NR == 3 {print $3}'"


@dataclass(frozen=True, kw_only=True)
class CounterRead:
    """One read of ``nginx_http_requests_total`` through the exporter; times are ``time.monotonic()``."""

    sent: float
    """When the read was started on this side (before SSH)."""
    received: float
    """When its answer was back on this side."""
    value: float
    """The counter's value."""

    @property
    def timestamp(self) -> float:
        """Best estimate of the moment the counter was read: the middle of the round trip."""
        return (self.sent + self.received) / 2


def read_requests_total(vm: VirtualMachine) -> CounterRead:
    """Scrape the exporter once inside the guest: one more request on nginx's counter."""
    sent = time.monotonic()
    body = vm.ssh(f"{_CURL} {EXPORTER_METRICS_URL}", timeout=60).stdout
    received = time.monotonic()
    match = _COUNTER_LINE.search(body)
    if match is None:
        raise AssertionError(f"no {HOST_QPS.metric_name} in the exporter's metrics:\n{body[-2000:]}")
    return CounterRead(sent=sent, received=received, value=float(match.group(1)))


@dataclass(frozen=True, kw_only=True)
class RateMeasurement:
    """A paced load and the counter reads around and during it."""

    load: LoadResult
    """What the client sent and got back."""
    reads: tuple[CounterRead, ...]
    """First read before the load started, last read after it ended, the others during it."""

    @property
    def samples(self) -> list[tuple[float, float]]:
        """``(timestamp, value)`` of each read, as ``secure_web.qps`` takes counter samples."""
        return [(read.timestamp, read.value) for read in self.reads]

    @property
    def load_inside_window(self) -> bool:
        """The first read was back before the load started, the last one sent after it ended."""
        return self.reads[0].received <= self.load.started and self.load.finished <= self.reads[-1].sent

    @property
    def window_seconds(self) -> float:
        """From the first counter read to the last."""
        return self.reads[-1].timestamp - self.reads[0].timestamp

    @property
    def increase(self) -> float:
        """What nginx counted between the first and the last read."""
        return counter_increase(self.samples)

    @property
    def overhead_requests(self) -> int:
        """The exporter's stub_status reads inside the window: one per counter read after the first."""
        return len(self.reads) - 1

    @property
    def net_requests(self) -> float:
        """The increase less the overhead: what the counter says the load was."""
        return net_requests(increase=self.increase, overhead_requests=self.overhead_requests)

    @property
    def true_qps(self) -> float:
        """Requests the client completed (2xx), over the counter window."""
        return self.load.completed_2xx / self.window_seconds

    @property
    def measured_qps(self) -> float:
        """Host QPS from the counter, overhead removed, over the same window."""
        return average_qps(self.samples, overhead_requests=self.overhead_requests)

    @property
    def error(self) -> float:
        """``(measured - true) / true``."""
        return (self.measured_qps - self.true_qps) / self.true_qps

    @property
    def intervals(self) -> list[QpsPoint]:
        """Gross QPS between consecutive reads (each interval holds one exporter read)."""
        return qps_from_counter_samples(self.samples)


def measure_rate(vm: VirtualMachine, *, rate: float, duration: float, reads_during: int = 3,
                 connections: int = DEFAULT_CONNECTIONS) -> RateMeasurement:
    """Read the counter, run a paced load at ``rate`` for ``duration`` s while reading it
    ``reads_during`` times, then read it once more after the load has ended."""
    reads = [read_requests_total(vm)]
    with ThreadPoolExecutor(max_workers=1) as pool:
        started = time.monotonic()
        running = pool.submit(run_paced_load, vm.https_port, rate=rate, duration=duration,
                              connections=connections)
        for index in range(1, reads_during + 1):
            time.sleep(max(0.0, started + index * duration / (reads_during + 1) - time.monotonic()))
            if running.done():
                break
            reads.append(read_requests_total(vm))
        load = running.result()
    reads.append(read_requests_total(vm))
    return RateMeasurement(load=load, reads=tuple(reads))


def idle_reads(vm: VirtualMachine, *, count: int, interval: float) -> list[CounterRead]:
    """``count`` counter reads ``interval`` s apart with no load."""
    reads = []
    for index in range(count):
        if index:
            time.sleep(interval)
        reads.append(read_requests_total(vm))
    return reads


def _scrape_loop(scrapes: int) -> str:
    """Shell: scrape the exporter ``scrapes`` times, back to back, discarding the output."""
    scrape = f"{_CURL} -o /dev/null {EXPORTER_METRICS_URL}"
    return f"for scrape in $(seq {int(scrapes)}); do {scrape}; done"


def stub_status_increase_around_scrapes(vm: VirtualMachine, scrapes: int) -> int:
    """nginx's request count read straight from stub_status, before and after ``scrapes``
    exporter scrapes, all inside the guest; returns after - before.

    The second stub_status read counts itself, so with nothing else reaching nginx
    this is ``scrapes + 1`` exactly when each exporter scrape is one nginx request.
    """
    script = (
        f"requests() {{ {_CURL} {STUB_STATUS_URL} | {_STUB_STATUS_REQUESTS}; }}; "
        "before=$(requests); "
        f"{_scrape_loop(scrapes)}; "
        "after=$(requests); echo $((after - before))"
    )
    return int(vm.ssh(script, timeout=60 + 10 * scrapes).stdout.strip())


@dataclass(frozen=True, kw_only=True)
class ExporterCpuCost:
    """The exporter process's CPU time (utime + stime) idle, and over back-to-back scrapes."""

    idle_seconds: float
    """Length of the idle spell, by the guest's clock."""
    idle_cpu_seconds: float
    """Exporter CPU time during the idle spell."""
    scrapes: int
    """Back-to-back scrapes after the idle spell."""
    scrape_cpu_seconds: float
    """Exporter CPU time during the scrapes."""
    clock_ticks_per_second: int
    """Resolution of /proc/<pid>/stat's CPU times (``getconf CLK_TCK``)."""

    @property
    def per_scrape_seconds(self) -> float:
        """Exporter CPU time per scrape."""
        return self.scrape_cpu_seconds / self.scrapes

    @property
    def idle_core_share(self) -> float:
        """Fraction of one core the exporter uses with nobody scraping it."""
        return self.idle_cpu_seconds / self.idle_seconds

    def core_share_at(self, scrape_interval_seconds: float) -> float:
        """Fraction of one core: idle use plus one scrape every ``scrape_interval_seconds``."""
        return self.idle_core_share + self.per_scrape_seconds / scrape_interval_seconds


def exporter_cpu_cost(vm: VirtualMachine, *, idle_seconds: int = 30, scrapes: int = 300) -> ExporterCpuCost:
    """Read /proc/<exporter pid>/stat before and after an idle spell and ``scrapes`` scrapes.

    Only the exporter's own CPU is counted, not curl's or nginx's. The scrapes add
    ``scrapes`` requests to nginx's counter.
    """
    script = (
        f"pid=$(systemctl show -p MainPID --value {EXPORTER_UNIT}); "
        "cpu() { awk '{print $14 + $15}' /proc/$pid/stat; }; "
        "t0=$(date +%s.%N); c0=$(cpu); "
        f"sleep {int(idle_seconds)}; "
        "t1=$(date +%s.%N); c1=$(cpu); "
        f"{_scrape_loop(scrapes)}; "
        "c2=$(cpu); "
        "echo $(getconf CLK_TCK) $t0 $t1 $c0 $c1 $c2"
    )
    output = vm.ssh(script, timeout=idle_seconds + 60 + 10 * scrapes).stdout.split()
    ticks, (t0, t1), (c0, c1, c2) = int(output[0]), map(float, output[1:3]), map(int, output[3:6])
    return ExporterCpuCost(
        idle_seconds=t1 - t0,
        idle_cpu_seconds=(c1 - c0) / ticks,
        scrapes=scrapes,
        scrape_cpu_seconds=(c2 - c1) / ticks,
        clock_ticks_per_second=ticks,
    )


TABLE_HEADER = (
    f"{'target/s':>8} {'achieved/s':>10} {'true req':>8} {'increase':>8} {'overhead':>8} {'net req':>8} "
    f"{'window s':>8} {'true QPS':>8} {'measured':>8} {'error %':>8}"
)


def table_row(measurement: RateMeasurement) -> str:
    """One line of the accuracy table for ``measurement``."""
    m = measurement
    return (
        f"{m.load.target_rate:8.0f} {m.load.achieved_rate:10.1f} {m.load.completed_2xx:8d} {m.increase:8.0f} "
        f"{m.overhead_requests:8d} {m.net_requests:8.0f} {m.window_seconds:8.2f} {m.true_qps:8.2f} "
        f"{m.measured_qps:8.2f} {100 * m.error:8.3f}"
    )


def accuracy_table(measurements: list[RateMeasurement]) -> str:
    """The accuracy table, one row per rate, with its column legend."""
    return "\n".join([TABLE_HEADER, *map(table_row, measurements)])


def intervals_line(measurement: RateMeasurement) -> str:
    """Gross QPS between consecutive counter reads, e.g. ``12.3 | 60.2 | 59.8 | 20.1``."""
    return " | ".join(f"{point.qps:.1f}" for point in measurement.intervals)


def cpu_cost_lines(cost: ExporterCpuCost, scrape_interval_seconds: float = SCRAPE_INTERVAL_SECONDS) -> str:
    """The exporter's CPU cost, idle and per scrape, and its share of a core at the agent's interval."""
    return "\n".join([
        f"exporter idle:        {1000 * cost.idle_cpu_seconds:.0f} ms CPU in {cost.idle_seconds:.1f} s "
        f"({100 * cost.idle_core_share:.3f} % of a core)",
        f"exporter per scrape:  {1000 * cost.per_scrape_seconds:.2f} ms CPU "
        f"({cost.scrapes} scrapes, {1000 * cost.scrape_cpu_seconds:.0f} ms, clock tick "
        f"{1000 / cost.clock_ticks_per_second:.0f} ms)",
        f"at one scrape per {scrape_interval_seconds:.0f} s: "
        f"{100 * cost.core_share_at(scrape_interval_seconds):.3f} % of a core "
        f"(scrapes alone {100 * cost.per_scrape_seconds / scrape_interval_seconds:.4f} %)",
    ])
