"""Unit tests for secure_web.qps: the QPS definition and its arithmetic."""

from __future__ import annotations

import json
import math
import random
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from secure_web.qps import (
    FLEET_QPS,
    HOST_QPS,
    TIER_QPS,
    Gap,
    MetricDataValues,
    QpsMetric,
    QpsPoint,
    average_qps,
    counter_increase,
    metric_data_queries,
    net_requests,
    qps_from_counter_samples,
    qps_from_datapoints,
    qps_from_metric_data,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "qps.md"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
T0_SECONDS = T0.timestamp()


def minute(index: int) -> datetime:
    """The start of the index-th minute after T0."""
    return T0 + timedelta(minutes=index)


def datapoint(index: int, total: float) -> dict[str, object]:
    """A get_metric_statistics datapoint for the index-th minute after T0."""
    return {"Timestamp": minute(index), "Sum": total, "Unit": "Count"}


def point(start_minute: int, requests: float) -> QpsPoint:
    """The QpsPoint expected for a 60 s period starting start_minute minutes after T0."""
    start = T0_SECONDS + 60 * start_minute
    return QpsPoint(
        start_seconds=start, end_seconds=start + 60, requests=requests, qps=requests / 60
    )


# The definition


def test_fleet_qps_is_alb_request_count_sum_per_period() -> None:
    assert FLEET_QPS == QpsMetric(
        namespace="AWS/ApplicationELB",
        metric_name="RequestCount",
        dimension_names=("LoadBalancer",),
        statistic="Sum",
        period_seconds=60,
        expression="m1 / PERIOD(m1)",
    )


def test_host_qps_is_nginx_counter_sum_per_period_not_rate() -> None:
    assert HOST_QPS == QpsMetric(
        namespace="SecureWeb/Nginx",
        metric_name="nginx_http_requests_total",
        dimension_names=("InstanceId", "Tier"),
        statistic="Sum",
        period_seconds=60,
        expression="m1 / PERIOD(m1)",
    )


def test_tier_qps_is_host_qps_rolled_up_by_tier() -> None:
    assert TIER_QPS.dimension_names == ("Tier",)
    assert (TIER_QPS.namespace, TIER_QPS.metric_name, TIER_QPS.expression) == (
        HOST_QPS.namespace,
        HOST_QPS.metric_name,
        HOST_QPS.expression,
    )


@pytest.mark.parametrize("period", [0, -60])
def test_metric_rejects_non_positive_period(period: int) -> None:
    with pytest.raises(ValueError, match=rf"period_seconds must be positive; got {period}"):
        QpsMetric(
            namespace="N",
            metric_name="M",
            dimension_names=(),
            statistic="Sum",
            period_seconds=period,
            expression="m1",
        )


# metric_data_queries


def test_metric_data_queries_returns_only_the_expression() -> None:
    # GIVEN the per-host metric and its two dimensions, given out of order
    dimensions = {"Tier": "web", "InstanceId": "i-0123456789abcdef0"}

    # WHEN the queries are built
    queries = metric_data_queries(HOST_QPS, dimensions)

    # THEN m1 fetches the Sum per minute in dimension_names order and is not returned
    assert queries == [
        {
            "Id": "m1",
            "MetricStat": {
                "Metric": {
                    "Namespace": "SecureWeb/Nginx",
                    "MetricName": "nginx_http_requests_total",
                    "Dimensions": [
                        {"Name": "InstanceId", "Value": "i-0123456789abcdef0"},
                        {"Name": "Tier", "Value": "web"},
                    ],
                },
                "Period": 60,
                "Stat": "Sum",
            },
            "ReturnData": False,
        },
        {"Id": "qps", "Expression": "m1 / PERIOD(m1)", "ReturnData": True},
    ]


def test_metric_data_queries_uses_the_given_query_id() -> None:
    queries = metric_data_queries(FLEET_QPS, {"LoadBalancer": "app/web/abc"}, query_id="fleet_qps")

    assert queries[1]["Id"] == "fleet_qps"


@pytest.mark.parametrize(
    "dimensions",
    [{}, {"Tier": "web"}, {"InstanceId": "i-1", "Tier": "web", "LoadBalancer": "app/web/abc"}],
    ids=["none", "missing", "extra"],
)
def test_metric_data_queries_requires_exactly_the_metric_dimensions(
    dimensions: dict[str, str],
) -> None:
    with pytest.raises(ValueError, match=r"dimensions must name exactly \['InstanceId', 'Tier'\]"):
        metric_data_queries(HOST_QPS, dimensions)


def test_metric_data_queries_rejects_empty_dimension_value() -> None:
    with pytest.raises(ValueError, match=r"dimensions\['LoadBalancer'\] must not be empty; got ''"):
        metric_data_queries(FLEET_QPS, {"LoadBalancer": ""})


@pytest.mark.parametrize("query_id", ["m1", "Qps", "1qps", "q-ps", ""])
def test_metric_data_queries_rejects_bad_query_id(query_id: str) -> None:
    with pytest.raises(ValueError, match=rf"query_id must .*; got '{re.escape(query_id)}'"):
        metric_data_queries(FLEET_QPS, {"LoadBalancer": "app/web/abc"}, query_id=query_id)


def test_docs_json_examples_are_what_metric_data_queries_builds() -> None:
    # GIVEN the JSON query files shown in docs/qps.md
    blocks = re.findall(r"```json\n(.*?)```", DOCS.read_text(), flags=re.DOTALL)

    # THEN they are exactly the queries built for fleet, host and tier with placeholders
    assert [json.loads(block) for block in blocks] == [
        metric_data_queries(FLEET_QPS, {"LoadBalancer": "<alb-arn-suffix>"}),
        metric_data_queries(HOST_QPS, {"InstanceId": "<instance-id>", "Tier": "<tier>"}),
        metric_data_queries(TIER_QPS, {"Tier": "<tier>"}),
    ]


# qps_from_datapoints (get_metric_statistics shape)


def test_steady_datapoints_give_sum_over_period() -> None:
    series = qps_from_datapoints([datapoint(i, 600.0) for i in range(3)], 60)

    assert series.points == (point(0, 600.0), point(1, 600.0), point(2, 600.0))
    assert [p.qps for p in series.points] == [10.0, 10.0, 10.0]
    assert series.gaps == ()


def test_unsorted_datapoints_are_returned_oldest_first() -> None:
    series = qps_from_datapoints([datapoint(2, 180.0), datapoint(0, 60.0), datapoint(1, 120.0)], 60)

    assert series.points == (point(0, 60.0), point(1, 120.0), point(2, 180.0))


def test_missing_periods_are_reported_as_gaps_not_zero() -> None:
    # GIVEN minutes 0, 1 and 5 with data, and minutes 2 to 4 without
    datapoints = [datapoint(0, 60.0), datapoint(1, 60.0), datapoint(5, 120.0)]

    # WHEN QPS is computed
    series = qps_from_datapoints(datapoints, 60)

    # THEN the missing minutes are one gap, and no point is invented for them
    assert series.points == (point(0, 60.0), point(1, 60.0), point(5, 120.0))
    assert series.gaps == (
        Gap(start_seconds=T0_SECONDS + 120, end_seconds=T0_SECONDS + 300),
    )


def test_separate_gaps_are_reported_separately() -> None:
    series = qps_from_datapoints([datapoint(0, 1.0), datapoint(2, 1.0), datapoint(4, 1.0)], 60)

    assert series.gaps == (
        Gap(start_seconds=T0_SECONDS + 60, end_seconds=T0_SECONDS + 120),
        Gap(start_seconds=T0_SECONDS + 180, end_seconds=T0_SECONDS + 240),
    )


def test_no_datapoints_give_an_empty_series() -> None:
    series = qps_from_datapoints([], 60)

    assert (series.points, series.gaps) == ((), ())


def test_single_datapoint_gives_one_point() -> None:
    assert qps_from_datapoints([datapoint(0, 30.0)], 60).points == (point(0, 30.0),)


def test_timestamps_in_other_time_zones_are_the_same_instant() -> None:
    plus_two = timezone(timedelta(hours=2))
    datapoints = [{"Timestamp": minute(0).astimezone(plus_two), "Sum": 6.0}]

    assert qps_from_datapoints(datapoints, 60).points == (point(0, 6.0),)


@pytest.mark.parametrize("period", [0, -60])
def test_datapoints_reject_non_positive_period(period: int) -> None:
    with pytest.raises(ValueError, match=rf"period_seconds must be positive; got {period}"):
        qps_from_datapoints([datapoint(0, 1.0)], period)


def test_datapoints_reject_non_integer_period() -> None:
    with pytest.raises(ValueError, match=r"period_seconds must be an int; got 60.0"):
        qps_from_datapoints([datapoint(0, 1.0)], 60.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("total", "message"),
    [
        (-1.0, r"datapoints\[1\].Sum must not be negative; got -1.0"),
        (math.nan, r"datapoints\[1\].Sum must be finite; got nan"),
        (math.inf, r"datapoints\[1\].Sum must be finite; got inf"),
        (None, r"datapoints\[1\].Sum must be a number; got None"),
        ("5", r"datapoints\[1\].Sum must be a number; got '5'"),
    ],
    ids=["negative", "nan", "inf", "missing", "string"],
)
def test_datapoints_reject_bad_sum_naming_field_and_value(total: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        qps_from_datapoints([datapoint(0, 1.0), {"Timestamp": minute(1), "Sum": total}], 60)


def test_datapoints_reject_naive_timestamp() -> None:
    naive = datetime(2024, 5, 1, 12, 0)

    with pytest.raises(ValueError, match=r"datapoints\[0\].Timestamp must be timezone-aware; got"):
        qps_from_datapoints([{"Timestamp": naive, "Sum": 1.0}], 60)


def test_datapoints_reject_missing_timestamp() -> None:
    with pytest.raises(ValueError, match=r"datapoints\[0\].Timestamp must be a datetime; got None"):
        qps_from_datapoints([{"Sum": 1.0}], 60)


def test_datapoints_reject_duplicate_timestamps() -> None:
    with pytest.raises(ValueError, match=rf"timestamps must be unique; got {T0_SECONDS!r}"):
        qps_from_datapoints([datapoint(0, 1.0), datapoint(0, 2.0)], 60)


def test_datapoints_reject_timestamps_not_whole_periods_apart() -> None:
    # GIVEN minute data read as if it were five-minute data
    datapoints = [datapoint(0, 1.0), datapoint(1, 1.0)]

    # THEN the mismatch is an error, not a silent misreading
    with pytest.raises(ValueError, match=r"whole periods \(300 s\) apart; got .*, 60.0 s after"):
        qps_from_datapoints(datapoints, 300)


# qps_from_metric_data (get_metric_data shape)


def test_metric_data_qps_values_match_statistics_sums() -> None:
    # GIVEN the same minutes as get_metric_data QPS values, newest first (the default ScanBy)
    result = {
        "Id": "qps",
        "Timestamps": [minute(3), minute(1), minute(0)],
        "Values": [3.0, 2.0, 1.0],
        "StatusCode": "Complete",
    }
    sums = [datapoint(0, 60.0), datapoint(1, 120.0), datapoint(3, 180.0)]

    # THEN both shapes give the same series, gap included
    assert qps_from_metric_data(result, 60, values=MetricDataValues.QPS) == qps_from_datapoints(
        sums, 60
    )


def test_metric_data_sum_values_are_divided_by_period() -> None:
    result = {"Timestamps": [minute(0), minute(1)], "Values": [60.0, 90.0]}

    series = qps_from_metric_data(result, 60, values=MetricDataValues.SUMS)

    assert series.points == (point(0, 60.0), point(1, 90.0))
    assert [p.qps for p in series.points] == [1.0, 1.5]


@pytest.mark.parametrize("status", ["PartialData", "InternalError", "Forbidden"])
def test_metric_data_rejects_incomplete_results(status: str) -> None:
    result = {"Timestamps": [], "Values": [], "StatusCode": status}

    with pytest.raises(ValueError, match=rf"StatusCode must be 'Complete'; got '{status}'"):
        qps_from_metric_data(result, 60, values=MetricDataValues.QPS)


def test_metric_data_rejects_mismatched_lengths() -> None:
    result = {"Timestamps": [minute(0), minute(1)], "Values": [1.0]}

    with pytest.raises(ValueError, match=r"same length; got 2 and 1"):
        qps_from_metric_data(result, 60, values=MetricDataValues.QPS)


def test_metric_data_rejects_missing_lists() -> None:
    with pytest.raises(ValueError, match=r"Timestamps and Values lists; got Timestamps=None"):
        qps_from_metric_data({"Values": [1.0]}, 60, values=MetricDataValues.QPS)


def test_metric_data_rejects_negative_value_naming_its_index() -> None:
    result = {"Timestamps": [minute(0), minute(1)], "Values": [1.0, -0.5]}

    with pytest.raises(ValueError, match=r"Values\[1\] must not be negative; got -0.5"):
        qps_from_metric_data(result, 60, values=MetricDataValues.QPS)


def test_metric_data_rejects_non_positive_period() -> None:
    with pytest.raises(ValueError, match=r"period_seconds must be positive; got 0"):
        qps_from_metric_data({"Timestamps": [], "Values": []}, 0, values=MetricDataValues.QPS)


# Counter samples


def test_steady_counter_gives_constant_rate() -> None:
    samples = [(0.0, 1000.0), (10.0, 1500.0), (20.0, 2000.0)]

    assert qps_from_counter_samples(samples) == [
        QpsPoint(start_seconds=0.0, end_seconds=10.0, requests=500.0, qps=50.0),
        QpsPoint(start_seconds=10.0, end_seconds=20.0, requests=500.0, qps=50.0),
    ]
    assert average_qps(samples) == 50.0


def test_unsorted_samples_are_sorted_by_time() -> None:
    samples = [(20.0, 2000.0), (0.0, 1000.0), (10.0, 1500.0)]

    assert qps_from_counter_samples(samples) == qps_from_counter_samples(sorted(samples))
    assert average_qps(samples) == 50.0


def test_counter_reset_counts_the_new_value_as_the_increase() -> None:
    # GIVEN nginx restarted between 10 s and 20 s and had served 200 requests by 20 s
    samples = [(0.0, 1000.0), (10.0, 1500.0), (20.0, 200.0), (30.0, 700.0)]

    # WHEN rates are computed
    points = qps_from_counter_samples(samples)

    # THEN the reset interval counts 200 requests, not -1300
    assert [p.requests for p in points] == [500.0, 200.0, 500.0]
    assert counter_increase(samples) == 1200.0
    assert average_qps(samples) == 40.0


def test_counter_reset_to_zero_counts_nothing_for_the_interval() -> None:
    assert counter_increase([(0.0, 5.0), (1.0, 0.0)]) == 0.0


def test_flat_counter_gives_zero_qps() -> None:
    assert [p.qps for p in qps_from_counter_samples([(0.0, 7.0), (5.0, 7.0)])] == [0.0]


@pytest.mark.parametrize("samples", [[], [(0.0, 1.0)]], ids=["none", "single"])
def test_fewer_than_two_samples_give_no_points(samples: list[tuple[float, float]]) -> None:
    assert qps_from_counter_samples(samples) == []
    assert counter_increase(samples) == 0.0


@pytest.mark.parametrize("samples", [[], [(0.0, 1.0)]], ids=["none", "single"])
def test_average_qps_needs_two_samples(samples: list[tuple[float, float]]) -> None:
    with pytest.raises(ValueError, match=rf"at least 2 samples; got {len(samples)}"):
        average_qps(samples)


def test_duplicate_timestamps_are_rejected_as_zero_elapsed() -> None:
    samples = [(0.0, 1.0), (10.0, 5.0), (10.0, 5.0)]

    with pytest.raises(ValueError, match=r"timestamp_seconds must be unique; got 10.0 twice"):
        qps_from_counter_samples(samples)
    with pytest.raises(ValueError, match=r"timestamp_seconds must be unique; got 10.0 twice"):
        average_qps(samples)


@pytest.mark.parametrize(
    ("sample", "message"),
    [
        ((math.nan, 1.0), r"samples\[1\].timestamp_seconds must be finite; got nan"),
        ((math.inf, 1.0), r"samples\[1\].timestamp_seconds must be finite; got inf"),
        ((1.0, math.nan), r"samples\[1\].counter_value must be finite; got nan"),
        ((1.0, -math.inf), r"samples\[1\].counter_value must be finite; got -inf"),
        ((1.0, -3.0), r"samples\[1\].counter_value must not be negative; got -3.0"),
        ((1.0, "3"), r"samples\[1\].counter_value must be a number; got '3'"),
    ],
    ids=["nan-time", "inf-time", "nan-value", "inf-value", "negative-value", "string-value"],
)
def test_bad_samples_are_rejected_naming_field_and_value(
    sample: tuple[float, float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        qps_from_counter_samples([(0.0, 0.0), sample])


# Overhead


def test_average_qps_removes_overhead_requests() -> None:
    # GIVEN 3 exporter reads over 20 s: 1000 load requests plus 2 stub_status reads
    samples = [(0.0, 0.0), (10.0, 501.0), (20.0, 1002.0)]

    assert average_qps(samples, overhead_requests=len(samples) - 1) == 50.0


def test_net_requests_subtracts_overhead() -> None:
    assert net_requests(increase=1002.0, overhead_requests=2.0) == 1000.0


@pytest.mark.parametrize(
    ("increase", "overhead", "message"),
    [
        (10.0, 11.0, r"overhead_requests must not exceed increase \(10.0\); got 11.0"),
        (10.0, -1.0, r"overhead_requests must not be negative; got -1.0"),
        (-1.0, 0.0, r"increase must not be negative; got -1.0"),
        (math.nan, 0.0, r"increase must be finite; got nan"),
    ],
    ids=["overhead-above-increase", "negative-overhead", "negative-increase", "nan-increase"],
)
def test_net_requests_rejects_impossible_overhead(
    increase: float, overhead: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        net_requests(increase=increase, overhead_requests=overhead)


# Properties

# Integer-valued floats: counters count requests, and exact sums keep the properties sharp.
timestamps = st.lists(
    st.integers(min_value=0, max_value=10**6), min_size=2, max_size=30, unique=True
)
increments = st.integers(min_value=0, max_value=10**6)


@st.composite
def monotonic_series(draw: st.DrawFn) -> list[tuple[float, float]]:
    """Samples of a counter that never resets, in time order."""
    value = draw(increments)
    series = []
    for time in sorted(draw(timestamps)):
        value += draw(increments)
        series.append((float(time), float(value)))
    return series


@given(monotonic_series())
def test_average_of_monotonic_counter_is_last_minus_first_over_elapsed(
    series: list[tuple[float, float]],
) -> None:
    (first_time, first_value), (last_time, last_value) = series[0], series[-1]

    assert math.isclose(
        average_qps(series), (last_value - first_value) / (last_time - first_time), rel_tol=1e-12
    )


@given(monotonic_series(), st.randoms(use_true_random=False))
def test_sample_order_does_not_matter(
    series: list[tuple[float, float]], rng: random.Random
) -> None:
    shuffled = series[:]
    rng.shuffle(shuffled)

    assert qps_from_counter_samples(shuffled) == qps_from_counter_samples(series)


@given(
    monotonic_series(),
    monotonic_series(),
    st.integers(min_value=1, max_value=10**6),
    st.integers(min_value=0, max_value=10**6),
)
def test_a_reset_keeps_every_request_on_both_sides(
    before: list[tuple[float, float]],
    after: list[tuple[float, float]],
    pause: int,
    restart_value: int,
) -> None:
    # GIVEN a counter that ran, restarted below its last value, and ran again
    assume(restart_value < before[-1][1])
    time_shift = before[-1][0] + pause - after[0][0]
    value_shift = restart_value - after[0][1]
    restarted = [(time + time_shift, value + value_shift) for time, value in after]

    # WHEN the increase is computed over the whole series
    total = counter_increase(before + restarted)

    # THEN it is the increase on each side plus what the restarted counter had reached
    assert total == counter_increase(before) + restart_value + counter_increase(restarted)


@given(monotonic_series())
def test_points_add_up_to_the_total_increase(series: list[tuple[float, float]]) -> None:
    points = qps_from_counter_samples(series)

    assert sum(p.requests for p in points) == counter_increase(series)
    assert all(p.end_seconds > p.start_seconds and p.qps >= 0 for p in points)


@given(
    st.dictionaries(
        st.integers(min_value=0, max_value=1000),
        st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False),
        min_size=1,
        max_size=50,
    )
)
def test_datapoints_and_gaps_cover_every_period_once(sums_by_minute: dict[int, float]) -> None:
    # GIVEN datapoints for an arbitrary set of minutes
    series = qps_from_datapoints(
        [datapoint(index, total) for index, total in sums_by_minute.items()], 60
    )

    # THEN points and gaps tile the span from first to last minute, and no request is lost
    covered = [(p.start_seconds, p.end_seconds) for p in series.points] + [
        (g.start_seconds, g.end_seconds) for g in series.gaps
    ]
    covered.sort()
    assert covered[0][0] == T0_SECONDS + 60 * min(sums_by_minute)
    assert covered[-1][1] == T0_SECONDS + 60 * (max(sums_by_minute) + 1)
    assert all(end == next_start for (_, end), (next_start, _) in zip(covered, covered[1:]))
    assert {
        round((p.start_seconds - T0_SECONDS) / 60): p.requests for p in series.points
    } == sums_by_minute
    assert all(p.qps == p.requests / 60 for p in series.points)
