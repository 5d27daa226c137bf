"""Requests per second (QPS): the project's one definition, at two levels.

* ``FLEET_QPS``: what the load balancer forwarded to the targets, from the ALB's
  ``RequestCount``. ALB health checks are not counted.
* ``HOST_QPS`` / ``TIER_QPS``: what nginx counted, per host and per tier, from the
  nginx exporter's ``nginx_http_requests_total`` counter as the CloudWatch agent
  publishes it (one delta per scrape). Health checks and the exporter's own
  ``stub_status`` reads are counted.

Every level is a ``Sum`` over a period divided by that period. This module builds the
CloudWatch queries for that definition and computes QPS from what comes back, or from
raw counter samples; it is stdlib-only and does no I/O. See ``docs/qps.md``.

Times in results are seconds as floats: POSIX seconds for CloudWatch data, and whatever
clock the caller sampled with for counter samples.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

RAW_QUERY_ID = "m1"
"""Id of the raw metric query in the queries built by ``metric_data_queries``."""

SUM_PER_PERIOD_EXPRESSION = f"{RAW_QUERY_ID} / PERIOD({RAW_QUERY_ID})"
"""Metric math turning a per-period ``Sum`` of requests into requests per second."""

_QUERY_ID_PATTERN = re.compile(r"[a-z][A-Za-z0-9_]*")
# CloudWatch timestamps are whole seconds; this only absorbs datetime.timestamp() float noise.
_ALIGNMENT_TOLERANCE_SECONDS = 1e-6


def _require_positive_period(period_seconds: int) -> None:
    if isinstance(period_seconds, bool) or not isinstance(period_seconds, int):
        raise ValueError(f"period_seconds must be an int; got {period_seconds!r}")
    if period_seconds <= 0:
        raise ValueError(f"period_seconds must be positive; got {period_seconds!r}")


@dataclass(frozen=True, kw_only=True)
class QpsMetric:
    """A CloudWatch metric and the metric math that turns it into requests per second."""

    namespace: str
    """CloudWatch namespace, e.g. ``AWS/ApplicationELB``. Required."""
    metric_name: str
    """CloudWatch metric name, e.g. ``RequestCount``. Required."""
    dimension_names: tuple[str, ...]
    """Exact dimension set to query; CloudWatch matches dimension sets exactly. Required."""
    statistic: str
    """Statistic over each period; ``Sum`` for every QPS metric. Required."""
    period_seconds: int
    """Period of the statistic in seconds. Required."""
    expression: str
    """Metric math over the raw query (id ``m1``) giving requests per second. Required."""

    def __post_init__(self) -> None:
        """Reject a period CloudWatch cannot divide by."""
        _require_positive_period(self.period_seconds)


FLEET_QPS = QpsMetric(
    namespace="AWS/ApplicationELB",
    metric_name="RequestCount",
    dimension_names=("LoadBalancer",),
    statistic="Sum",
    period_seconds=60,
    expression=SUM_PER_PERIOD_EXPRESSION,
)
"""Fleet QPS: requests the ALB processed per second; excludes ALB health checks.

The ALB publishes nothing for a minute without requests, so a gap here usually means
no traffic, not lost data.
"""

HOST_QPS = QpsMetric(
    namespace="SecureWeb/Nginx",
    metric_name="nginx_http_requests_total",
    dimension_names=("InstanceId", "Tier"),
    statistic="Sum",
    period_seconds=60,
    expression=SUM_PER_PERIOD_EXPRESSION,
)
"""Per-host QPS: requests nginx counted per second on one instance.

Includes ALB health checks and the nginx exporter's ``stub_status`` reads (one per
exporter scrape). The CloudWatch agent publishes the counter as per-scrape deltas, so
``Sum / PERIOD`` is the rate; ``RATE()`` would differentiate the deltas a second time.
"""

TIER_QPS = replace(HOST_QPS, dimension_names=("Tier",))
"""Tier QPS: ``HOST_QPS`` summed over every host of a tier (the agent's ``Tier`` rollup)."""


@dataclass(frozen=True, kw_only=True)
class QpsPoint:
    """Requests per second over one interval ``[start_seconds, end_seconds)``."""

    start_seconds: float
    """Start of the interval, in seconds. Required."""
    end_seconds: float
    """End of the interval, in seconds; always after ``start_seconds``. Required."""
    requests: float
    """Requests counted in the interval. Required."""
    qps: float
    """``requests / (end_seconds - start_seconds)``. Required."""


@dataclass(frozen=True, kw_only=True)
class Gap:
    """One or more consecutive periods with no datapoint, ``[start_seconds, end_seconds)``."""

    start_seconds: float
    """Start of the first missing period, in POSIX seconds. Required."""
    end_seconds: float
    """End of the last missing period, in POSIX seconds. Required."""


@dataclass(frozen=True, kw_only=True)
class QpsSeries:
    """QPS per CloudWatch period, with the periods that had no datapoint named apart.

    A missing period is never filled with zero or interpolated: it is absent from
    ``points`` and covered by exactly one entry of ``gaps``. Whether a gap means "no
    traffic" (the ALB publishes nothing in an idle minute) or "no data" (an agent was
    down) is the caller's call. Only periods between the first and the last datapoint
    can be known to be missing.
    """

    points: tuple[QpsPoint, ...]
    """One point per period that had a datapoint, oldest first. Required."""
    gaps: tuple[Gap, ...]
    """Runs of missing periods between the first and last datapoint, oldest first. Required."""


class MetricDataValues(enum.Enum):
    """What the ``Values`` of a ``get_metric_data`` result hold."""

    SUMS = "sums"
    """Per-period sums of requests: the raw metric query returned with ``ReturnData``."""
    QPS = "qps"
    """Requests per second: the expression query built by ``metric_data_queries``."""


def metric_data_queries(
    metric: QpsMetric, dimensions: Mapping[str, str], query_id: str = "qps"
) -> list[dict[str, object]]:
    """Build ``MetricDataQueries`` for boto3 ``get_metric_data`` (or the AWS CLI).

    The first query fetches the raw metric (id ``m1``, ``ReturnData`` false); the second
    applies ``metric.expression`` and is the only one returned, under ``query_id``.
    ``dimensions`` must name exactly ``metric.dimension_names``: CloudWatch matches
    dimension sets exactly, so a missing or extra dimension would return no data rather
    than an error. Raises ``ValueError`` naming the field and value otherwise.
    """
    if set(dimensions) != set(metric.dimension_names):
        raise ValueError(
            f"dimensions must name exactly {list(metric.dimension_names)} for "
            f"{metric.namespace}/{metric.metric_name}; got {sorted(dimensions)}"
        )
    for name in metric.dimension_names:
        if not dimensions[name]:
            raise ValueError(f"dimensions[{name!r}] must not be empty; got {dimensions[name]!r}")
    if not _QUERY_ID_PATTERN.fullmatch(query_id) or query_id == RAW_QUERY_ID:
        raise ValueError(
            "query_id must start with a lowercase letter, contain only letters, digits and "
            f"underscores, and differ from {RAW_QUERY_ID!r}; got {query_id!r}"
        )
    return [
        {
            "Id": RAW_QUERY_ID,
            "MetricStat": {
                "Metric": {
                    "Namespace": metric.namespace,
                    "MetricName": metric.metric_name,
                    "Dimensions": [
                        {"Name": name, "Value": dimensions[name]}
                        for name in metric.dimension_names
                    ],
                },
                "Period": metric.period_seconds,
                "Stat": metric.statistic,
            },
            "ReturnData": False,
        },
        {"Id": query_id, "Expression": metric.expression, "ReturnData": True},
    ]


def qps_from_datapoints(
    datapoints: Iterable[Mapping[str, object]], period_seconds: int
) -> QpsSeries:
    """QPS per period from ``get_metric_statistics`` ``Datapoints`` (``Timestamp``, ``Sum``).

    Datapoints may come in any order; QPS is ``Sum / period_seconds``. Raises
    ``ValueError`` naming the field and value for a non-positive period, a missing,
    negative or non-finite ``Sum``, a naive or duplicate ``Timestamp``, or timestamps
    not a whole number of periods apart.
    """
    _require_positive_period(period_seconds)
    sums = [
        (
            _timestamp_seconds(point.get("Timestamp"), f"datapoints[{index}].Timestamp"),
            _non_negative(point.get("Sum"), f"datapoints[{index}].Sum"),
        )
        for index, point in enumerate(datapoints)
    ]
    return _series(sums, period_seconds)


def qps_from_metric_data(
    result: Mapping[str, object], period_seconds: int, *, values: MetricDataValues
) -> QpsSeries:
    """QPS per period from one ``get_metric_data`` ``MetricDataResults`` entry.

    ``values`` says whether ``Values`` are per-period sums or already QPS (the expression
    query from ``metric_data_queries``); there is no way to tell from the data. Results
    may be in either ``ScanBy`` order. A ``StatusCode`` other than ``Complete`` is
    rejected, because later pages (``NextToken``) would show up as gaps; merge the pages'
    ``Timestamps`` and ``Values`` into one mapping without ``StatusCode`` instead. Raises
    ``ValueError`` like ``qps_from_datapoints``, naming ``Values[i]`` or ``Timestamps[i]``.
    """
    _require_positive_period(period_seconds)
    status = result.get("StatusCode", "Complete")
    if status != "Complete":
        raise ValueError(f"StatusCode must be 'Complete'; got {status!r}")
    timestamps = result.get("Timestamps")
    raw_values = result.get("Values")
    if not isinstance(timestamps, Sequence) or not isinstance(raw_values, Sequence):
        raise ValueError(
            "result must hold Timestamps and Values lists; "
            f"got Timestamps={timestamps!r}, Values={raw_values!r}"
        )
    if len(timestamps) != len(raw_values):
        raise ValueError(
            "Timestamps and Values must have the same length; "
            f"got {len(timestamps)} and {len(raw_values)}"
        )
    requests_per_value = period_seconds if values is MetricDataValues.QPS else 1
    sums = [
        (
            _timestamp_seconds(timestamp, f"Timestamps[{index}]"),
            _non_negative(value, f"Values[{index}]") * requests_per_value,
        )
        for index, (timestamp, value) in enumerate(zip(timestamps, raw_values))
    ]
    return _series(sums, period_seconds)


def qps_from_counter_samples(samples: Iterable[tuple[float, float]]) -> list[QpsPoint]:
    """QPS between consecutive samples of a request counter, oldest first.

    ``samples`` are ``(timestamp_seconds, counter_value)`` pairs in any order, e.g.
    successive reads of ``nginx_http_requests_total``. The increase over an interval is
    the difference of the values, or, if the value went down (nginx restarted and the
    counter began again from zero), the new value, as Prometheus ``rate()`` does. Fewer
    than two samples give an empty list. Raises ``ValueError`` naming the field and value
    for a non-finite timestamp, a negative or non-finite value, or a duplicate timestamp.
    """
    ordered = _ordered_samples(samples)
    points: list[QpsPoint] = []
    for (start, before), (end, after) in zip(ordered, ordered[1:]):
        requests = _increase(before, after)
        points.append(
            QpsPoint(
                start_seconds=start,
                end_seconds=end,
                requests=requests,
                qps=requests / (end - start),
            )
        )
    return points


def counter_increase(samples: Iterable[tuple[float, float]]) -> float:
    """Total increase of a request counter over its samples, counting across resets.

    Validates like ``qps_from_counter_samples``; fewer than two samples increase by 0.
    """
    return _total_increase(_ordered_samples(samples))


def average_qps(samples: Iterable[tuple[float, float]], *, overhead_requests: float = 0.0) -> float:
    """Average QPS over the whole sampled window: net increase over total elapsed time.

    The increase counts across resets like ``counter_increase``; ``overhead_requests``
    (default 0) are removed first with ``net_requests``. Raises ``ValueError`` for fewer
    than two samples, as no window is defined, and validates like
    ``qps_from_counter_samples``.
    """
    ordered = _ordered_samples(samples)
    if len(ordered) < 2:
        raise ValueError(f"samples must hold at least 2 samples; got {len(ordered)}")
    net = net_requests(increase=_total_increase(ordered), overhead_requests=overhead_requests)
    return net / (ordered[-1][0] - ordered[0][0])


def net_requests(*, increase: float, overhead_requests: float) -> float:
    """Requests that were load: a counter increase less known non-load requests.

    nginx counts requests that are not load: ALB health checks (each ALB node checks
    each target every health-check interval) and the nginx exporter's ``stub_status``
    read, one per exporter scrape, whoever scrapes (the CloudWatch agent, or a test
    sampling the counter). A read's own request is already in the value it returns, so
    ``n`` samples taken through the exporter add ``n - 1`` requests to their increase.
    Raises ``ValueError`` naming the field and value for a negative or non-finite
    argument, or an overhead larger than the increase.
    """
    _non_negative(increase, "increase")
    _non_negative(overhead_requests, "overhead_requests")
    if overhead_requests > increase:
        raise ValueError(
            f"overhead_requests must not exceed increase ({increase!r}); got {overhead_requests!r}"
        )
    return increase - overhead_requests


def _non_negative(value: object, field: str) -> float:
    number = _finite(value, field)
    if number < 0:
        raise ValueError(f"{field} must not be negative; got {value!r}")
    return number


def _finite(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{field} must be a number; got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{field} must be finite; got {value!r}")
    return float(value)


def _timestamp_seconds(value: object, field: str) -> float:
    if not isinstance(value, datetime):
        raise ValueError(f"{field} must be a datetime; got {value!r}")
    if value.utcoffset() is None:
        # A naive datetime would be read as local time: a silent shift by the UTC offset.
        raise ValueError(f"{field} must be timezone-aware; got {value!r}")
    return value.timestamp()


def _series(sums: list[tuple[float, float]], period_seconds: int) -> QpsSeries:
    points: list[QpsPoint] = []
    gaps: list[Gap] = []
    for start, requests in sorted(sums):
        if points:
            previous_end = points[-1].end_seconds
            periods_since_previous = _whole_periods(
                start - points[-1].start_seconds, period_seconds, start
            )
            if periods_since_previous == 0:
                raise ValueError(
                    f"datapoint timestamps must be unique; got {start!r} (POSIX seconds) twice"
                )
            if periods_since_previous > 1:
                gaps.append(Gap(start_seconds=previous_end, end_seconds=start))
        points.append(
            QpsPoint(
                start_seconds=start,
                end_seconds=start + period_seconds,
                requests=requests,
                qps=requests / period_seconds,
            )
        )
    return QpsSeries(points=tuple(points), gaps=tuple(gaps))


def _whole_periods(seconds: float, period_seconds: int, timestamp: float) -> int:
    periods = round(seconds / period_seconds)
    if abs(periods * period_seconds - seconds) > _ALIGNMENT_TOLERANCE_SECONDS:
        raise ValueError(
            f"datapoint timestamps must be whole periods ({period_seconds} s) apart; got "
            f"{timestamp!r} (POSIX seconds), {seconds!r} s after the previous datapoint"
        )
    return periods


def _ordered_samples(samples: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    checked = [
        (
            _finite(timestamp, f"samples[{index}].timestamp_seconds"),
            _non_negative(value, f"samples[{index}].counter_value"),
        )
        for index, (timestamp, value) in enumerate(samples)
    ]
    ordered = sorted(checked)
    for (earlier, _), (later, _) in zip(ordered, ordered[1:]):
        if earlier == later:
            raise ValueError(f"samples timestamp_seconds must be unique; got {later!r} twice")
    return ordered


def _total_increase(ordered: list[tuple[float, float]]) -> float:
    return sum(_increase(before, after) for (_, before), (_, after) in zip(ordered, ordered[1:]))


def _increase(before: float, after: float) -> float:
    return after - before if after >= before else after
