"""Host QPS, as docs/qps.md defines it, measures the true request rate on a real host.

GIVEN the session's VM (MonitoredHost's user data; no load balancer, so no ALB health
checks, and no CloudWatch agent, so no agent scrapes),
WHEN a known number of HTTPS requests goes to nginx at fixed rates spanning 10x, and
``nginx_http_requests_total`` is read from the exporter before, during and after each,
THEN every request succeeds at the target rate, the exporter adds exactly one request
to the counter per read, and the counter's increase, less those reads, divided by the
window from the first read to the last, is within 1 % of the completed requests over
the same window.

Each rate's row of the accuracy table is printed as it is measured; the columns are
described in docs/qps.md ("Proof on a real host"). ``benchmarks/qps_accuracy.py``
runs the same measurement on its own VM and adds the exporter's CPU cost.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from harness import VirtualMachine
from qps_probe import (
    TABLE_HEADER, RateMeasurement, idle_reads, intervals_line, measure_rate, stub_status_increase_around_scrapes,
    table_row,
)
from secure_web.qps import counter_increase, net_requests

pytestmark = pytest.mark.vm

RATES = (20, 60, 200)
"""Target requests per second, spanning 10x."""
LOAD_SECONDS = 10
READS_DURING_LOAD = 3
MAX_QPS_ERROR = 0.01
MAX_RATE_SHORTFALL = 0.10
IDLE_READS = 6
IDLE_READ_INTERVAL_SECONDS = 2.0
SCRAPES = 20


@pytest.fixture(scope="module")
def measurements(vm: VirtualMachine, report: Callable[[str], None],
                 timings: dict[str, float]) -> dict[int, RateMeasurement]:
    """Every rate measured once, lowest first, back to back on the one VM."""
    started = time.monotonic()
    measured = {}
    for rate in RATES:
        measured[rate] = measure_rate(vm, rate=rate, duration=LOAD_SECONDS, reads_during=READS_DURING_LOAD)
        report(f"\nQPS accuracy at {rate}/s:\n{TABLE_HEADER}\n{table_row(measured[rate])}\n"
               f"gross QPS between reads: {intervals_line(measured[rate])}")
    timings["qps accuracy"] = time.monotonic() - started
    return measured


def test_idle_host_counts_only_the_exporter_reads(vm):
    samples = [(read.timestamp, read.value) for read in idle_reads(vm, count=IDLE_READS,
                                                                    interval=IDLE_READ_INTERVAL_SECONDS)]
    # No ALB (so no health checks) and no CloudWatch agent: each read after the first is
    # the only request nginx sees.
    assert counter_increase(samples) == IDLE_READS - 1
    assert net_requests(increase=counter_increase(samples), overhead_requests=IDLE_READS - 1) == 0


def test_each_exporter_scrape_is_one_nginx_request(vm):
    # stub_status read directly, around the scrapes: the second read counts itself.
    assert stub_status_increase_around_scrapes(vm, SCRAPES) == SCRAPES + 1


@pytest.mark.parametrize("rate", RATES)
def test_load_runs_inside_the_counter_window(measurements, rate):
    measurement = measurements[rate]
    assert measurement.load_inside_window, measurement


@pytest.mark.parametrize("rate", RATES)
def test_every_request_succeeds(measurements, rate):
    load = measurements[rate].load
    assert (load.completed_2xx, load.other_status, load.errors) == (load.scheduled, 0, 0)


@pytest.mark.parametrize("rate", RATES)
def test_client_reaches_the_target_rate(measurements, rate):
    achieved = measurements[rate].load.achieved_rate
    assert achieved == pytest.approx(rate, rel=MAX_RATE_SHORTFALL)


@pytest.mark.parametrize("rate", RATES)
def test_measured_qps_matches_the_true_rate(measurements, rate):
    measurement = measurements[rate]
    assert measurement.measured_qps == pytest.approx(measurement.true_qps, rel=MAX_QPS_ERROR), \
        table_row(measurement)
