"""Plots of live traffic for the analyst pages (PNG data URIs, rendered server-side)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from evaluation.plots import figure_data_uri, plt


def agreement_over_time(points: list[tuple[datetime, str, float]]) -> str:
    """Hourly mean CER between engines: the candidate lane against the A/A noise lane."""
    hourly: dict[str, dict[datetime, list[float]]] = defaultdict(lambda: defaultdict(list))
    for moment, kind, value in points:
        hourly[kind][moment.replace(minute=0, second=0, microsecond=0)].append(value)
    figure, axis = plt.subplots(figsize=(7, 3))
    for kind, label, color in (("candidate", "candidate vs control", "C1"), ("aa", "A/A noise (control twice)", "C0")):
        series = sorted(hourly.get(kind, {}).items())
        if series:
            axis.plot([t for t, _ in series], [sum(v) / len(v) for _, v in series], marker="o", label=label,
                      color=color)
    axis.set_ylabel("mean CER between outputs")
    axis.set_ylim(bottom=0)
    axis.legend()
    axis.set_title("agreement over time (hourly)")
    figure.autofmt_xdate()
    return figure_data_uri(figure)


def confidence_deltas(deltas: list[float]) -> str:
    figure, axis = plt.subplots(figsize=(5, 3))
    axis.hist(deltas or [0.0], bins=30, color="C2", alpha=0.8)
    axis.axvline(0, color="k", linewidth=0.8)
    axis.set_xlabel("candidate − control mean word confidence")
    axis.set_ylabel("pairs")
    axis.set_title("confidence distribution shift")
    return figure_data_uri(figure)
