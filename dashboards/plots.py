"""Plots of live traffic for the analyst pages (PNG data URIs, rendered server-side).

Charts over time share one time axis: it spans the data's own range (padded by half a bin, so one
point gets an axis of about an hour, not years), bins by hour for spans up to two days and by day
beyond, and marks each bin with a point while there are few of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TypeVar

import matplotlib.dates as mdates

from evaluation.plots import figure_data_uri, plt
from rollout.traffic import RunSample, percentile

T = TypeVar("T")
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
#: spans up to this long are binned by hour, longer ones by day
HOURLY_SPAN = timedelta(days=2)
#: up to this many bins, each is drawn as a point
FEW_BINS = 40
SIDES = (("control", "C0"), ("candidate", "C1"))


def bin_size(moments: Iterable[datetime]) -> timedelta:
    ordered = sorted(moments)
    return HOUR if not ordered or ordered[-1] - ordered[0] <= HOURLY_SPAN else DAY


def binned(points: Iterable[tuple[datetime, T]], size: timedelta) -> list[tuple[datetime, list[T]]]:
    """Values grouped by the bin (of `size`, from midnight) they fall in; bins in time order."""
    bins: dict[datetime, list[T]] = defaultdict(list)
    for moment, value in points:
        start = moment.replace(minute=0, second=0, microsecond=0)
        if size >= DAY:
            start = start.replace(hour=0)
        bins[start].append(value)
    return sorted(bins.items())


def time_limits(starts: list[datetime], size: timedelta) -> tuple[datetime, datetime]:
    """From the first bin's middle to the last's, padded by half a bin or 5% of the span."""
    first, last = starts[0] + size / 2, starts[-1] + size / 2
    pad = max(size / 2, (last - first) * 0.05)
    return first - pad, last + pad


def _time_axis(axis, starts: list[datetime], size: timedelta) -> None:
    axis.set_xlim(*time_limits(starts, size))
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    axis.xaxis.set_major_locator(locator)
    axis.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    axis.set_xlabel("time (UTC), " + ("hourly" if size == HOUR else "daily"))


def _series(
    axis,
    series: dict[str, list[tuple[datetime, float]]],
    labels: dict[str, str],
    colours: dict[str, str],
    size: timedelta,
) -> None:
    starts = sorted({start for points in series.values() for start, _ in points})
    marker = "o" if len(starts) <= FEW_BINS else None
    for key, points in series.items():
        if points:
            axis.plot(
                [start + size / 2 for start, _ in points],
                [value for _, value in points],
                marker=marker,
                label=labels[key],
                color=colours[key],
                clip_on=False,
            )
    if starts:
        _time_axis(axis, starts, size)
        axis.legend(loc="best", fontsize="small")


def _from_zero(axis, series: dict[str, list[tuple[datetime, float]]], least_top: float) -> None:
    """Y from 0 to a little above the highest point (at least `least_top`), so no point sits on the frame."""
    axis.set_ylim(bottom=0, top=max([least_top] + [1.15 * v for points in series.values() for _, v in points]))


def _per_side(
    samples: list[RunSample], summary: Callable[[list[RunSample]], float | None], size: timedelta
) -> dict[str, list[tuple[datetime, float]]]:
    series: dict[str, list[tuple[datetime, float]]] = {}
    for side, _ in SIDES:
        points = [(s.at, s) for s in samples if s.side == side]
        series[side] = [
            (start, value) for start, group in binned(points, size) if (value := summary(group)) is not None
        ]
    return series


def _side_labels(engines: dict[str, str]) -> dict[str, str]:
    return {side: f"{side} ({engines.get(side, '?')})" for side, _ in SIDES}


def error_rate_over_time(samples: list[RunSample], engines: dict[str, str]) -> str:
    """Each engine's failure rate per bin on the same paired requests."""
    size = bin_size(s.at for s in samples)
    figure, axis = plt.subplots(figsize=(6.5, 3))
    series = _per_side(samples, lambda group: 100 * sum(s.failed for s in group) / len(group), size)
    _series(axis, series, _side_labels(engines), dict(SIDES), size)
    axis.set_ylabel("failed runs (%)")
    _from_zero(axis, series, 5.0)
    axis.set_title("error rate over time")
    return figure_data_uri(figure)


def latency_over_time(samples: list[RunSample], engines: dict[str, str]) -> str:
    """Each engine's p95 latency per bin (the quantile the guard compares)."""
    size = bin_size(s.at for s in samples)
    figure, axis = plt.subplots(figsize=(6.5, 3))
    series = _per_side(samples, lambda group: percentile([s.latency_ms for s in group], 0.95), size)
    _series(axis, series, _side_labels(engines), dict(SIDES), size)
    axis.set_ylabel("p95 latency (ms)")
    _from_zero(axis, series, 10.0)
    axis.set_title("p95 latency over time")
    return figure_data_uri(figure)


def agreement_over_time(points: list[tuple[datetime, str, float]]) -> str:
    """Mean CER between engines per bin: the candidate lane against the A/A noise lane."""
    size = bin_size(moment for moment, _, _ in points)
    figure, axis = plt.subplots(figsize=(7, 3))
    series = {
        kind: [
            (start, sum(values) / len(values))
            for start, values in binned(((m, v) for m, k, v in points if k == kind), size)
        ]
        for kind in ("candidate", "aa")
    }
    _series(
        axis,
        series,
        {"candidate": "candidate vs control", "aa": "A/A noise (control twice)"},
        {"candidate": "C1", "aa": "C0"},
        size,
    )
    axis.set_ylabel("mean CER between outputs")
    _from_zero(axis, series, 0.01)
    axis.set_title("agreement over time")
    return figure_data_uri(figure)


def confidence_deltas(deltas: list[float]) -> str:
    figure, axis = plt.subplots(figsize=(5, 3))
    axis.hist(deltas or [0.0], bins=30, color="C2", alpha=0.8)
    axis.axvline(0, color="k", linewidth=0.8)
    axis.set_xlabel("candidate − control mean word confidence")
    axis.set_ylabel("pairs")
    axis.set_title("confidence distribution shift")
    return figure_data_uri(figure)
