"""The part of an `ocrgate eval` run worth committing: run, summary, paired verdicts, and word spacing.

    .venv/bin/python benchmarks/eval_excerpt.py /tmp/eval3/results.json eval_dev_three_engines \
        --command "ocrgate eval --engine tesseract --engine inhouse --engine rapidocr --set … --out DIR"

`spacing` shows how an engine splits text into words, per category (normalised as the metrics are):
`words_per_truth_word` (below 1: spaces dropped, words joined) and `numeric_recall`, the share of
ground-truth words holding a digit that it read exactly, as separate words. Writes
benchmarks/results/NAME.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evaluation.normalize import words  # noqa: E402


def spacing(pages: list[dict]) -> dict:
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for page in pages:
        truth = words(page["truth"], page["fold_case"])
        numeric = Counter(w for w in truth if any(c.isdigit() for c in w))
        for engine, run in page["engines"].items():
            read = Counter(words(run["text"] or "", page["fold_case"]))
            for category in (page["category"], "all"):
                tally = counts[(engine, category)]
                tally["truth"] += len(truth)
                tally["read"] += sum(read.values())
                tally["numeric"] += sum(numeric.values())
                tally["numeric_found"] += sum(min(n, read[w]) for w, n in numeric.items())
    result: dict[str, dict] = defaultdict(dict)
    for (engine, category), tally in sorted(counts.items()):
        result[engine][category] = {
            "words_per_truth_word": round(tally["read"] / max(1, tally["truth"]), 3),
            "numeric_words": tally["numeric"],
            "numeric_recall": round(tally["numeric_found"] / max(1, tally["numeric"]), 3),
        }
    return dict(result)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("results", type=Path)
    parser.add_argument("name")
    parser.add_argument("--command", required=True)
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    results = json.loads(args.results.read_text())
    run = results["run"]
    excerpt = {
        "command": args.command,
        "note": args.note,
        "run": {key: run[key] for key in ("started", "git_commit", "machine", "sets", "engines") if key in run},
        "summary": results["summary"],
        "paired": results["paired"],
        "spacing": spacing(results["pages"]),
    }
    out = Path(__file__).resolve().parent / "results" / f"{args.name}.json"
    out.write_text(json.dumps(excerpt, indent=1))
    for engine, rows in excerpt["spacing"].items():
        for category, row in rows.items():
            print(f"{engine:<10} {category:<16} {row}")


if __name__ == "__main__":
    main()
