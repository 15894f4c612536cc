"""The lab notebook: every evaluation run appends what is needed to reproduce and compare it, and
so does every training run of the in-house recognizer (`record_training`).

One JSON object per line in `OCRGATE_LAB_NOTEBOOK` (default: the user data directory),
numbered in order; `ocrgate lab list` shows the newest first, `ocrgate lab diff A B` compares two.
Entries carry a `kind`: "eval" (`evaluation.evaluate`) or "training" (`training.train`: a run's
`start`, `eval` and `end` events). The history of the shipped recognizer weights,
`inhouse/models/LABNOTEBOOK.jsonl`, predates the numbering; `training_runs(path)` reads it too.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path
from typing import Any

from kernel.errors import OcrInputError
from kernel.provenance import git_commit, machine
from kernel.settings import load_settings

#: the metrics copied into the notebook's headline, per engine and category
HEADLINE_METRICS = (
    "n",
    "failures",
    "aligned_cer",
    "cer",
    "wer",
    "swa",
    "det_precision",
    "det_recall",
    "seconds_per_page",
)


def notebook_path() -> Path:
    return load_settings().lab_notebook_path


def headline(summary: dict[str, dict[str, dict[str, Any]]]) -> dict[str, dict[str, dict[str, Any]]]:
    """The headline metrics with their 95% intervals, per engine and category."""
    keys = [*HEADLINE_METRICS, *(f"{m}_ci95" for m in HEADLINE_METRICS)]
    return {
        engine: {category: {k: row[k] for k in keys if k in row} for category, row in categories.items()}
        for engine, categories in summary.items()
    }


def append(entry: dict[str, Any], path: Path | None = None) -> int:
    """Append `entry` under the next experiment number (file-locked); returns the number."""
    path = path or notebook_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        last = 0
        for line in handle:
            try:
                last = max(last, int(json.loads(line).get("id", 0)))
            except (ValueError, AttributeError):
                continue
        number = last + 1
        handle.seek(0, os.SEEK_END)
        handle.write(json.dumps({"id": number, **entry}, ensure_ascii=False) + "\n")
    return number


def entries(path: Path | None = None) -> list[dict[str, Any]]:
    path = path or notebook_path()
    if not path.exists():
        return []
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            found.append(json.loads(line))
        except ValueError:
            continue
    return found


def get(number: int, path: Path | None = None) -> dict[str, Any]:
    for entry in entries(path):
        if entry.get("id") == number:
            return entry
    raise OcrInputError(f"no experiment #{number} in the lab notebook {path or notebook_path()}")


def diff(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of (engine, category, metric, value in A, value in B, B − A) for shared numbers."""
    rows = []
    for engine in sorted(set(a["headline"]) | set(b["headline"])):
        cats_a, cats_b = a["headline"].get(engine, {}), b["headline"].get(engine, {})
        for category in sorted(set(cats_a) | set(cats_b)):
            row_a, row_b = cats_a.get(category, {}), cats_b.get(category, {})
            for metric in HEADLINE_METRICS:
                if metric in row_a or metric in row_b:
                    va, vb = row_a.get(metric), row_b.get(metric)
                    delta = vb - va if isinstance(va, (int, float)) and isinstance(vb, (int, float)) else None
                    rows.append(
                        {"engine": engine, "category": category, "metric": metric, "a": va, "b": vb, "delta": delta}
                    )
    return rows


def record_training(event: str, run_id: str, path: Path | None = None, **fields: Any) -> int:
    """Append one event (`start`, `eval`, `end`) of training run `run_id`, with what is needed to
    reproduce it (git commit, training and data config, validation results); returns its number."""
    entry = {
        "kind": "training",
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "run": run_id,
        "event": event,
        "git_commit": git_commit(),
        "machine": machine(),
        **fields,
    }
    return append(json.loads(json.dumps(entry, default=str)), path)


def training_runs(path: Path | None = None) -> list[dict[str, Any]]:
    """The training events of a notebook, oldest first, each with `kind`, `at`, `run`, `event` and
    `git_commit`; records written before the notebooks were one (`time`, `git`, no `kind`) are read
    under these names."""
    runs = []
    for entry in entries(path):
        if entry.get("kind") == "training":
            runs.append(entry)
        elif "kind" not in entry and "event" in entry and "run" in entry:
            legacy = {k: v for k, v in entry.items() if k not in ("time", "git")}
            runs.append({"kind": "training", "at": entry.get("time", ""), "git_commit": entry.get("git", ""), **legacy})
    return runs
