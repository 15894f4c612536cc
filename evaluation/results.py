"""Turn engine runs into `results.json`: per-page records, a per-category summary with 95%
bootstrap intervals, and paired verdicts of each candidate against the control.

`summary[engine][category]` (categories plus `all`) holds, for page sets: `n`, `failures`,
`aligned_cer`, `cer`, `wer`, `bow_recall`, `det_precision`, `det_recall`, `det_f1`,
`char_class_error`, `seconds_per_page`; for word sets: `n`, `failures`, `swa`, `cer`, `wer`,
`seconds_per_page` (per crop). Each rate `X` has `X_ci95: [low, high]` beside it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from evaluation.dataset import BenchmarkSet
from evaluation.metrics import CHAR_CLASSES, DETECTION_IOU, f1_score
from evaluation.normalize import uppercase_categories
from evaluation.runner import EngineRun
from evaluation.scoring import PageScore, WordScore, score_page, score_word
from evaluation.stats import bootstrap_mean, bootstrap_ratio, holm_adjusted, paired_comparison, verdict_of

ALL = "all"


@dataclass
class Scored:
    run: EngineRun
    fold_case: bool
    score: PageScore | WordScore


def score_runs(sets: list[BenchmarkSet], runs: list[EngineRun]) -> list[Scored]:
    folded = {s.name: uppercase_categories((r.category, r.text) for r in s.records) for s in sets}
    scored = []
    for run in runs:
        fold = run.record.category in folded[run.set_name]
        score = (score_page if run.record.level == "page" else score_word)(run.record, run.result, fold)
        scored.append(Scored(run, fold, score))
    return scored


def _rate(out: dict, key: str, num, den) -> None:
    value, low, high = bootstrap_ratio(num, den)
    out[key] = value
    out[f"{key}_ci95"] = [low, high]


def _summarise(items: list[Scored]) -> dict[str, Any]:
    out: dict[str, Any] = {"n": len(items), "failures": sum(1 for s in items if s.run.error)}
    seconds = [s.run.seconds for s in items]
    if isinstance(items[0].score, WordScore):
        words: list[WordScore] = [s.score for s in items]  # type: ignore[misc]
        exact = np.array([w.exact for w in words], float)
        _rate(out, "swa", exact, np.ones_like(exact))
        _rate(out, "cer", [w.cer.errors for w in words], [w.cer.reference_length for w in words])
        _rate(out, "wer", 1 - exact, np.ones_like(exact))
    else:
        pages: list[PageScore] = [s.score for s in items]  # type: ignore[misc]
        for key, attr in (("aligned_cer", "aligned"), ("cer", "cer"), ("wer", "wer")):
            _rate(
                out, key, [getattr(p, attr).errors for p in pages], [getattr(p, attr).reference_length for p in pages]
            )
        _rate(out, "bow_recall", [p.bow_hits for p in pages], [p.bow_total for p in pages])
        _rate(out, "det_precision", [p.detection.matched for p in pages], [p.detection.detected for p in pages])
        _rate(out, "det_recall", [p.detection.matched for p in pages], [p.detection.truth for p in pages])
        out["det_f1"] = f1_score(out["det_precision"], out["det_recall"])
        out["det_iou"] = DETECTION_IOU
        classes = {}
        for cls in CHAR_CLASSES:
            hits = sum(p.char_classes.get(cls, (0, 0))[0] for p in pages)
            total = sum(p.char_classes.get(cls, (0, 0))[1] for p in pages)
            if total:
                classes[cls] = {"error": 1 - hits / total, "n_chars": total}
        out["char_class_error"] = classes
    mean, low, high = bootstrap_mean(seconds)
    out["seconds_per_page"] = mean
    out["seconds_per_page_ci95"] = [low, high]
    return out


def _by_category(items: list[Scored]) -> dict[str, list[Scored]]:
    groups: dict[str, list[Scored]] = defaultdict(list)
    for item in items:
        groups[item.run.record.category].append(item)
    groups[ALL] = list(items)
    return dict(sorted(groups.items()))


def summarise(scored: list[Scored], engine_names: list[str]) -> dict[str, dict[str, Any]]:
    return {
        engine: {
            cat: _summarise(items) for cat, items in _by_category([s for s in scored if s.run.engine == engine]).items()
        }
        for engine in engine_names
    }


def _error_parts(item: Scored) -> tuple[float, float]:
    if isinstance(item.score, WordScore):
        return (0.0 if item.score.exact else 1.0), 1.0
    return float(item.score.aligned.errors), float(item.score.aligned.reference_length)


def compare_categories(
    parts: dict[str, tuple[np.ndarray, np.ndarray]], control: str, candidate: str, metric: str
) -> list[dict[str, Any]]:
    """Verdict rows of `candidate` against `control` from per-page (errors, reference length) arrays
    per category (`ALL` included). Categories are one family: their p-values are Holm-adjusted
    (`p_adjusted`) and the verdict uses the adjusted value; the pooled `all` row is its own test."""
    rows: list[dict[str, Any]] = []
    for category, (a_parts, b_parts) in sorted(parts.items()):
        comparison = paired_comparison(a_parts[:, 0], a_parts[:, 1], b_parts[:, 0], b_parts[:, 1])
        rows.append(
            {"control": control, "candidate": candidate, "category": category, "metric": metric, **comparison.as_dict()}
        )
    family = [row for row in rows if row["category"] != ALL]
    for row, adjusted in zip(family, holm_adjusted([row["p_value"] for row in family]), strict=True):
        row["p_adjusted"] = adjusted
        low, high = row["delta_ci95"]
        row["verdict"] = verdict_of(low, high, adjusted)
    for row in rows:
        row.setdefault("p_adjusted", row["p_value"])
    return rows


def paired_verdicts(scored: list[Scored], control: str, candidates: list[str]) -> list[dict[str, Any]]:
    """For each candidate and category: the candidate's error minus the control's on the same pages."""
    by_key = {(s.run.engine, s.run.set_name, s.run.record.id): s for s in scored}
    verdicts = []
    for candidate in candidates:
        pairs = [
            (s, by_key[(candidate, s.run.set_name, s.run.record.id)])
            for s in scored
            if s.run.engine == control and (candidate, s.run.set_name, s.run.record.id) in by_key
        ]
        if not pairs:
            continue
        groups: dict[str, list] = defaultdict(list)
        for a, b in pairs:
            groups[a.run.record.category].append((a, b))
            groups[ALL].append((a, b))
        metric = "word_error" if isinstance(pairs[0][0].score, WordScore) else "aligned_cer"
        parts = {
            category: (np.array([_error_parts(a) for a, _ in group]), np.array([_error_parts(b) for _, b in group]))
            for category, group in groups.items()
        }
        verdicts += compare_categories(parts, control, candidate, metric)
    return verdicts


def page_records(scored: list[Scored]) -> list[dict[str, Any]]:
    records: dict[tuple[str, str], dict[str, Any]] = {}
    for item in scored:
        run, record = item.run, item.run.record
        entry = records.setdefault(
            (run.set_name, record.id),
            {
                "id": record.id,
                "set": run.set_name,
                "category": record.category,
                "level": record.level,
                "image": str(record.image),
                "fold_case": item.fold_case,
                "truth": record.text,
                "engines": {},
            },
        )
        engine_entry: dict[str, Any] = {
            "text": run.result.text if run.result else "",
            "error": run.error,
            "seconds": run.seconds,
            "cached": run.cached,
            # the clockwise turn the engine applied to read each page (its orientation step)
            "rotation": [page.rotation for page in run.result.pages] if run.result else [],
            "words": [
                {"text": w.text, "bbox": w.bbox.as_list(), "confidence": round(w.confidence, 4)}
                for w in (run.result.words if run.result else [])
            ],
        }
        if isinstance(item.score, WordScore):
            engine_entry["metrics"] = {
                "exact": item.score.exact,
                "cer": item.score.cer.rate,
                "read": item.score.read,
                "truth": item.score.truth,
            }
        else:
            score = item.score
            engine_entry["metrics"] = {
                "aligned_cer": score.aligned.rate,
                "aligned_errors": score.aligned.errors,
                "reference_chars": score.aligned.reference_length,
                "cer": score.cer.rate,
                "wer": score.wer.rate,
                "bow_recall": score.bow_hits / score.bow_total if score.bow_total else 1.0,
                "det_precision": score.detection.precision,
                "det_recall": score.detection.recall,
            }
            engine_entry["line_pairs"] = score.line_pairs
        entry["engines"][run.engine] = engine_entry
    return list(records.values())
