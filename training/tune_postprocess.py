"""Choose the confidence-bucket thresholds on data: the `train` split, never the sets we report.

    .venv/bin/python -m training.tune_postprocess [--set ../shared/benchmarks/train] [--set DIR] [--limit 10]

Several `--set`s are tuned on together (e.g. train and its simulated photos, `ocrgate sets photos`),
`--limit` pages per category of each. Reads each page once, keeping the words exactly as
post-processing receives them (character boxes included, so splits are judged on the same ink),
then replays the buckets over a grid of (low, high, lone character, lone character in running
text) thresholds, scoring
position-aligned CER over all pages; writes the best to inhouse/models/postprocess.json with the
numbers behind it, each set's CER under the best and under the thresholds it replaces.
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections import defaultdict
from pathlib import Path

from engines.registry import get_engine
from engines.result import Word
from evaluation.dataset import sample
from evaluation.metrics import Counts
from evaluation.scoring import aligned_counts
from inhouse.engine import InhouseEngine
from inhouse.postprocess.buckets import THRESHOLDS_FILE, Thresholds, postprocess
from inhouse.postprocess.lexicon import Lexicon

LOWS = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3)
HIGHS = (0.5, 0.7, 0.9, 1.01)
LONE_CHAR_LOWS = (0.0, 0.5, 0.8, 0.9, 0.95, 1.01)
INLINE_LOWS = (None, 0.0, 0.3, 0.5)  # None: running text gets no exception


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--set",
        type=Path,
        action="append",
        help="a page set to tune on (repeatable; default ../shared/benchmarks/train)",
    )
    parser.add_argument("--limit", type=int, default=10, help="pages per category of each set")
    args = parser.parse_args()
    sets = args.set or [Path(__file__).resolve().parents[2] / "shared/benchmarks/train"]
    engine, lexicon = get_engine("inhouse"), Lexicon.english()
    if not isinstance(engine, InhouseEngine):
        raise TypeError(f"the registry's inhouse engine is a {type(engine).__name__}, not inhouse.engine.InhouseEngine")
    pages = []
    for name, record, fold in sample(sets, args.limit):
        words, text_height = engine.read_unprocessed(record.image)
        pages.append((name, record, words, text_height, fold))

    def rates(thresholds: Thresholds) -> dict[str, float]:
        """Aligned CER under `thresholds`: over all pages ("all") and per set."""
        totals: dict[str, Counts] = defaultdict(Counts)
        for name, record, words, text_height, fold in pages:
            kept = postprocess(words, lexicon, thresholds, text_height)
            counts, _ = aligned_counts(
                record.lines, [Word(w.text, w.bbox, min(1.0, max(0.0, w.confidence))) for w in kept], fold
            )
            totals["all"] += counts
            totals[name] += counts
        return {name: total.rate for name, total in totals.items()}

    scores = {
        combo: rates(Thresholds(combo[0], combo[1], lone_char_low=combo[2], lone_char_inline_low=combo[3]))
        for combo in itertools.product(LOWS, HIGHS, LONE_CHAR_LOWS, INLINE_LOWS)
    }
    (low, high, lone, inline), best = min(scores.items(), key=lambda item: item[1]["all"])
    baseline = scores[(0.0, 1.01, 0.0, None)]  # nothing dropped, every word checked against the lexicon
    replaced = rates(Thresholds.load())
    defaults = Thresholds()
    per_set = ", ".join(f"{name} {best[name]:.4f} (was {replaced[name]:.4f})" for name in best if name != "all")
    report = {
        "low": low,
        "high": high,
        "lone_char_low": lone,
        "lone_char_inline_low": inline,
        "lone_char_context_gap": defaults.lone_char_context_gap,
        "max_join_gap": defaults.max_join_gap,
        "max_fragment_gap": defaults.max_fragment_gap,
        "source": f"tuned on {len(pages)} pages of {' + '.join(p.name for p in sets)}: aligned CER "
        f"{best['all']:.4f} (no dropping: {baseline['all']:.4f}; the thresholds replaced: "
        f"{replaced['all']:.4f}); per set: {per_set}",
        "grid": {f"{lo}/{hi}/{lc}/{il}": round(rate["all"], 5) for (lo, hi, lc, il), rate in scores.items()},
    }
    THRESHOLDS_FILE.write_text(json.dumps(report, indent=1))
    print(report["source"], f"→ low={low} high={high} lone_char_low={lone} lone_char_inline_low={inline}")


if __name__ == "__main__":
    main()
