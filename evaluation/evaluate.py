"""One evaluation run end to end: load sets, run engines, score, write results.json and
report.html into the output folder, and record the run in the lab notebook."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engines.registry import get_engine
from evaluation import labnotebook
from evaluation.cache import ResultCache
from evaluation.dataset import BenchmarkSet, content_hash, load_set
from evaluation.report import render_report
from evaluation.results import page_records, paired_verdicts, score_runs, summarise
from evaluation.runner import options_for, run_engines
from evaluation.scoring import ALIGNMENT
from evaluation.sets import resolve_set
from kernel.atomic import write_text
from kernel.errors import OcrInputError
from kernel.provenance import git_commit, machine

NORMALIZATION = "NFKC, whitespace runs → one space, case folded for upper-case-annotated categories"


def evaluate(
    engine_names: list[str],
    set_refs: list[str],
    out_dir: Path,
    *,
    control: str | None = None,
    workers: int | None = None,
    cache_dir: Path | None = None,
    limit: int | None = None,
    categories: list[str] | None = None,
    languages: str = "eng",
    timeout: float = 120.0,
    progress: bool | None = None,
    notebook: bool = True,
) -> dict[str, Any]:
    if not engine_names:
        raise OcrInputError("name at least one --engine")
    if len(set(engine_names)) != len(engine_names):
        raise OcrInputError("each --engine may be named once")
    control = control or engine_names[0]
    if control not in engine_names:
        raise OcrInputError(f"--control {control!r} is not one of the engines being evaluated")
    for name in engine_names:
        get_engine(name)  # unknown or unavailable engines fail before any work
    sets = [_select(load_set(resolve_set(ref)), limit, categories) for ref in set_refs]
    levels = {s.level for s in sets}
    if len(levels) != 1:
        raise OcrInputError("a run scores sets of one level: run page sets and word sets separately")
    level = levels.pop()
    started = datetime.now(UTC)
    runs = run_engines(
        engine_names,
        sets,
        workers=workers,
        cache=ResultCache(cache_dir) if cache_dir else None,
        languages=languages,
        timeout=timeout,
        progress=progress,
    )
    scored = score_runs(sets, runs)
    summary = summarise(scored, engine_names)
    results: dict[str, Any] = {
        "run": {
            "id": uuid.uuid4().hex[:12],
            "started": started.isoformat(timespec="seconds"),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "git_commit": git_commit(),
            "machine": machine(),
            "level": level,
            "control": control,
            "normalization": NORMALIZATION,
            "alignment": ALIGNMENT,
            "sets": [
                {"name": s.name, "path": str(s.root), "content_hash": s.content_hash, "n": len(s.records)} for s in sets
            ],
            "engines": [
                {
                    "name": n,
                    "version": get_engine(n).version,
                    "options": json.loads(options_for(level, languages, timeout).cache_key()),
                }
                for n in engine_names
            ],
        },
        "summary": summary,
        "paired": paired_verdicts(scored, control, [e for e in engine_names if e != control]),
        "pages": page_records(scored),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text(out_dir / "results.json", json.dumps(results, ensure_ascii=False, indent=1))
    write_text(out_dir / "report.html", render_report(results))
    if notebook:
        results["run"]["experiment"] = labnotebook.append(
            {
                "kind": "eval",
                "at": results["run"]["started"],
                "run_id": results["run"]["id"],
                "git_commit": results["run"]["git_commit"],
                "machine": results["run"]["machine"],
                "sets": results["run"]["sets"],
                "engines": results["run"]["engines"],
                "headline": labnotebook.headline(summary),
                "verdicts": [
                    {
                        k: v[k]
                        for k in (
                            "candidate",
                            "control",
                            "category",
                            "metric",
                            "n",
                            "delta",
                            "delta_ci95",
                            "p_value",
                            "p_adjusted",
                            "verdict",
                        )
                    }
                    for v in results["paired"]
                ],
                "out": str(out_dir.resolve()),
            }
        )
    return results


def _select(bench: BenchmarkSet, limit: int | None, categories: list[str] | None) -> BenchmarkSet:
    """Keep the named categories, then the first `limit` records of each category."""
    records = [r for r in bench.records if not categories or r.category in categories]
    if categories and not records:
        raise OcrInputError(
            f"set {bench.name} has no records in {', '.join(categories)} (it has {', '.join(bench.categories)})"
        )
    if limit:
        kept: dict[str, int] = {}
        selected = []
        for record in records:
            if kept.get(record.category, 0) < limit:
                kept[record.category] = kept.get(record.category, 0) + 1
                selected.append(record)
        records = selected
    if len(records) == len(bench.records):
        return bench
    return BenchmarkSet(bench.name, bench.root, bench.level, records, content_hash(bench.root, records))
