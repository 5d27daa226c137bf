"""A small paced HTTPS load generator: a known number of requests at a fixed target rate.

Request ``i`` of ``total`` is due at ``start + i / rate`` on the monotonic clock. A few
worker threads, each holding one persistent keep-alive TLS connection, take the next
due request in turn, sleep until it is due and send it; a worker that falls behind
sends at once, so a server too slow for the rate shows up as an achieved rate below
the target rather than as skipped requests. Every request is accounted for: a 2xx
response, another status, or an error, never retried (a retry could be counted twice
by the server).

Certificates are not verified: the guest's certificate is self-signed, and the load
goes only to a 127.0.0.1 port forwarded to it.
"""

from __future__ import annotations

import http.client
import ssl
import threading
import time
from dataclasses import dataclass

DEFAULT_CONNECTIONS = 4
REQUEST_TIMEOUT_SECONDS = 10.0
# Any run ends at its schedule's length times this (plus the request timeout): a stuck
# server cannot hold a test for ever, and what did not complete is counted as such.
MAX_SLOWDOWN = 3.0


@dataclass(frozen=True, kw_only=True)
class LoadResult:
    """What one paced run sent and what came back; times are ``time.monotonic()`` seconds."""

    target_rate: float
    """Requests per second the schedule asked for."""
    scheduled: int
    """Requests in the schedule: ``round(target_rate * duration)``."""
    completed_2xx: int
    """Requests answered with a 2xx status."""
    other_status: int
    """Requests answered with any other status."""
    errors: int
    """Requests sent or due that got no response (connection error, timeout, deadline)."""
    started: float
    """When the first request was due: the start of the schedule."""
    finished: float
    """When the last response arrived (or the last error happened)."""

    @property
    def achieved_rate(self) -> float:
        """2xx responses per second from the start of the schedule to the last response.

        ``n`` requests on time span ``(n - 1) / target_rate`` plus one response time, so
        a server that keeps up shows slightly above the target (0.5 % at 200 requests).
        """
        return self.completed_2xx / (self.finished - self.started)


def unverified_tls_context() -> ssl.SSLContext:
    """TLS 1.2+ without certificate or host name checks, for a self-signed test host only."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class _Schedule:
    """Hands out the due times of ``total`` requests, one per call, until the deadline."""

    def __init__(self, *, total: int, rate: float, start: float, deadline: float) -> None:
        self.deadline = deadline
        """No request is handed out after this ``time.monotonic()``."""
        self._total = total
        self._rate = rate
        self._start = start
        self._next = 0
        self._lock = threading.Lock()
        self.missed = 0
        """Requests never sent because the deadline passed first."""

    def next_due(self) -> float | None:
        with self._lock:
            if self._next >= self._total:
                return None
            if time.monotonic() >= self.deadline:
                self.missed += self._total - self._next
                self._next = self._total
                return None
            due = self._start + self._next / self._rate
            self._next += 1
            return due


class _Tally:
    def __init__(self) -> None:
        self.ok = 0
        self.other = 0
        self.errors = 0
        self.last = 0.0
        self.lock = threading.Lock()

    def add(self, *, status: int | None) -> None:
        with self.lock:
            if status is None:
                self.errors += 1
            elif 200 <= status < 300:
                self.ok += 1
            else:
                self.other += 1
            self.last = max(self.last, time.monotonic())


def _worker(connection: http.client.HTTPSConnection, path: str, schedule: _Schedule, tally: _Tally) -> None:
    try:
        while (due := schedule.next_due()) is not None:
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                tally.add(status=response.status)
            except (OSError, http.client.HTTPException):
                tally.add(status=None)
                # The connection is in an unknown state: the next request opens a fresh one.
                connection.close()
    finally:
        connection.close()


def run_paced_load(
    port: int,
    *,
    rate: float,
    duration: float,
    path: str = "/healthz",
    connections: int = DEFAULT_CONNECTIONS,
) -> LoadResult:
    """Send ``round(rate * duration)`` GETs of ``path`` to ``https://127.0.0.1:port``, paced at ``rate``.

    The connections are opened (TLS handshake included) before the schedule starts, so
    the first requests are not late by a handshake. Returns when every request has been
    answered or failed, or at the deadline (``MAX_SLOWDOWN`` times the schedule's length
    plus the request timeout), whichever is first.
    """
    if rate <= 0 or duration <= 0 or connections < 1:
        raise ValueError(f"rate, duration and connections must be positive; got {rate!r}, {duration!r}, "
                         f"{connections!r}")
    total = round(rate * duration)
    context = unverified_tls_context()
    tally = _Tally()
    warm = [http.client.HTTPSConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_SECONDS, context=context)
            for _ in range(connections)]
    for connection in warm:
        connection.connect()
    start = time.monotonic()
    schedule = _Schedule(total=total, rate=rate, start=start,
                         deadline=start + MAX_SLOWDOWN * duration + REQUEST_TIMEOUT_SECONDS)
    workers = [
        threading.Thread(target=_worker, args=(connection, path, schedule, tally), daemon=True)
        for connection in warm
    ]
    for worker in workers:
        worker.start()
    # A worker past the schedule's deadline still finishes its request within the timeout.
    join_deadline = schedule.deadline + 2 * REQUEST_TIMEOUT_SECONDS
    for worker in workers:
        worker.join(timeout=max(0.0, join_deadline - time.monotonic()))
    with tally.lock:
        stuck = sum(worker.is_alive() for worker in workers)
        return LoadResult(
            target_rate=rate,
            scheduled=total,
            completed_2xx=tally.ok,
            other_status=tally.other,
            errors=tally.errors + schedule.missed + stuck,
            started=start,
            finished=max(tally.last, start),
        )

