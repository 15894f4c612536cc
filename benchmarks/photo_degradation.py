"""How much each engine loses on phone photos of the same pages: aligned CER on the photo ÷ on
the clean page, per source category, with a paired bootstrap interval of each candidate's ratio
minus the control's (pages resampled together, clean and photo, both engines).

    .venv/bin/python benchmarks/photo_degradation.py CLEAN/results.json PHOTOS/results.json \
        --control tesseract --out benchmarks/results/photo_degradation_dev.json

CLEAN is an `ocrgate eval` of a page set, PHOTOS one of `ocrgate sets photos` built from it (its
pages keep their ids, and their categories are `photos_<source category>`). A ratio of 1 is no
loss; the engine with the smaller ratio degrades less.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evaluation.stats import BOOTSTRAP_SAMPLES, SEED  # noqa: E402
from kernel.provenance import same_machine  # noqa: E402

PREFIX = "photos_"


def page_errors(results: dict, engines: list[str]) -> dict[str, tuple[str, dict[str, tuple[int, int]]]]:
    """Per page id: its source category and, per engine, (aligned errors, reference characters)."""
    pages = {}
    for page in results["pages"]:
        category = page["category"].removeprefix(PREFIX)
        counts = {}
        for engine in engines:
            metrics = page["engines"][engine]["metrics"] or {}
            counts[engine] = (metrics.get("aligned_errors", 0), metrics.get("reference_chars", 0))
        pages[page["id"]] = (category, counts)
    return pages


def ratio_of(errors: np.ndarray, chars: np.ndarray, photo_errors: np.ndarray, photo_chars: np.ndarray) -> float:
    clean = errors.sum() / max(1, chars.sum())
    photo = photo_errors.sum() / max(1, photo_chars.sum())
    return float(photo / clean) if clean else float("inf")


def degradation(clean: dict, photos: dict, ids: list[str], engines: list[str], control: str) -> dict:
    arrays = {}
    for engine in engines:
        arrays[engine] = [
            np.array([source[i][1][engine][k] for i in ids], dtype=float) for source in (clean, photos) for k in (0, 1)
        ]
    row: dict = {"pages": len(ids)}
    for engine in engines:
        e, c, pe, pc = arrays[engine]
        row[engine] = {
            "clean_aligned_cer": round(float(e.sum() / max(1, c.sum())), 4),
            "photo_aligned_cer": round(float(pe.sum() / max(1, pc.sum())), 4),
            "ratio": round(ratio_of(e, c, pe, pc), 3),
        }
    rng = np.random.default_rng(SEED)
    draws = rng.integers(0, len(ids), size=(BOOTSTRAP_SAMPLES, len(ids)))
    for engine in engines:
        if engine == control:
            continue
        differences = np.array(
            [ratio_of(*(a[d] for a in arrays[engine])) - ratio_of(*(a[d] for a in arrays[control])) for d in draws]
        )
        low, high = np.percentile(differences[np.isfinite(differences)], (2.5, 97.5))
        verdict = "degrades less" if high < 0 else "degrades more" if low > 0 else "not distinguishable"
        row[engine]["ratio_minus_control_ci95"] = [round(float(low), 3), round(float(high), 3)]
        row[engine]["verdict"] = verdict
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clean", type=Path)
    parser.add_argument("photos", type=Path)
    parser.add_argument("--control", default="tesseract")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    clean_run, photo_run = (json.loads(p.read_text(encoding="utf-8")) for p in (args.clean, args.photos))
    engines = [e for e in photo_run["summary"] if e in clean_run["summary"]]
    machines_agree = same_machine(clean_run["run"].get("machine"), photo_run["run"].get("machine"))
    if machines_agree is False:
        print("note: the clean and photo runs ran on different machines; a ratio mixes their readings", file=sys.stderr)
    clean, photos = page_errors(clean_run, engines), page_errors(photo_run, engines)
    by_category: dict[str, list[str]] = defaultdict(list)
    for page_id in sorted(set(clean) & set(photos)):
        by_category[clean[page_id][0]].append(page_id)
        by_category["all"].append(page_id)
    table = {
        category: degradation(clean, photos, ids, engines, args.control)
        for category, ids in sorted(by_category.items())
    }
    for category, row in table.items():
        cells = "  ".join(
            f"{e} {row[e]['clean_aligned_cer']:.4f}→{row[e]['photo_aligned_cer']:.4f} "
            f"×{row[e]['ratio']:.2f}{' ' + row[e]['verdict'] if 'verdict' in row[e] else ''}"
            for e in engines
        )
        print(f"{category:<16} n={row['pages']:<4} {cells}")
    args.out.write_text(
        json.dumps(
            {
                "command": " ".join(["benchmarks/photo_degradation.py", *sys.argv[1:]]),
                "control": args.control,
                "same_machine": machines_agree,
                "clean_run": clean_run["run"],
                "photo_run": photo_run["run"],
                "categories": table,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
