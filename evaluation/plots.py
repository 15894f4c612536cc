"""Matplotlib figures for the evaluation report, returned as base64 PNG data URIs."""

from __future__ import annotations

import base64
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (backend must be chosen first)


def figure_data_uri(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def error_distribution(per_category: dict[str, dict[str, list[float]]], metric: str) -> str:
    """Box plots of per-page errors: one group per category, one box per engine."""
    categories = sorted(per_category)
    engines = sorted({e for c in per_category.values() for e in c})
    figure, axis = plt.subplots(figsize=(max(6, 2.2 * len(categories)), 3.6))
    width = 0.8 / max(1, len(engines))
    for i, engine in enumerate(engines):
        data = [per_category[c].get(engine, []) or [0.0] for c in categories]
        positions = [k + (i - (len(engines) - 1) / 2) * width for k in range(len(categories))]
        boxes = axis.boxplot(data, positions=positions, widths=width * 0.9, patch_artist=True, showfliers=True)
        for patch in boxes["boxes"]:
            patch.set_facecolor(f"C{i}")
            patch.set_alpha(0.6)
        axis.plot([], [], color=f"C{i}", linewidth=6, alpha=0.6, label=engine)
    axis.set_xticks(range(len(categories)), categories)
    axis.set_ylabel(f"per-page {metric}")
    axis.set_ylim(bottom=0)
    axis.legend(loc="upper right")
    axis.set_title(f"{metric} per page, by category")
    return figure_data_uri(figure)


def metric_bars(summary: dict[str, dict[str, Any]], metric: str) -> str:
    """The metric per category and engine, with 95% CI error bars."""
    engines = sorted(summary)
    categories = sorted({c for e in summary.values() for c in e})
    figure, axis = plt.subplots(figsize=(max(6, 1.8 * len(categories)), 3.4))
    width = 0.8 / max(1, len(engines))
    for i, engine in enumerate(engines):
        xs, ys, lows, highs = [], [], [], []
        for k, category in enumerate(categories):
            row = summary[engine].get(category)
            if not row or metric not in row:
                continue
            xs.append(k + (i - (len(engines) - 1) / 2) * width)
            ys.append(row[metric])
            low, high = row[f"{metric}_ci95"]
            lows.append(max(0.0, row[metric] - low))
            highs.append(max(0.0, high - row[metric]))
        axis.bar(xs, ys, width * 0.9, yerr=[lows, highs], capsize=3, label=engine, color=f"C{i}", alpha=0.8)
    axis.set_xticks(range(len(categories)), categories)
    axis.set_ylabel(metric)
    axis.legend()
    axis.set_title(f"{metric} with 95% bootstrap intervals")
    return figure_data_uri(figure)


def speed_vs_accuracy(summary: dict[str, dict[str, Any]], metric: str) -> str:
    """Seconds per page against the error metric: one point per engine and category."""
    figure, axis = plt.subplots(figsize=(6, 3.8))
    for i, engine in enumerate(sorted(summary)):
        for category, row in summary[engine].items():
            if metric not in row:
                continue
            value = 1 - row[metric] if metric == "swa" else row[metric]
            marker = "*" if category == "all" else "o"
            axis.scatter(
                row["seconds_per_page"],
                value,
                color=f"C{i}",
                marker=marker,
                s=90 if marker == "*" else 40,
                label=engine if category == "all" else None,
            )
            axis.annotate(
                category, (row["seconds_per_page"], value), fontsize=7, xytext=(4, 2), textcoords="offset points"
            )
    axis.set_xlabel("seconds per page (mean)")
    axis.set_ylabel("word error (1 − SWA)" if metric == "swa" else metric)
    axis.set_xscale("log")
    axis.legend()
    axis.set_title("speed vs accuracy (lower-left is better)")
    return figure_data_uri(figure)
