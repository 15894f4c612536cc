"""Pages per second of the in-house engine vs Tesseract on the same pages, same run, same cores.

    .venv/bin/python benchmarks/page_throughput.py [--split dev] [--limit 8] [--rounds 2]

Each engine reads the same pages (the first `--limit` of each category) through the `OcrEngine`
interface, once with one page at a time and once with one page per core; its best setting
counts (Tesseract: one single-threaded process per core; the in-house engine: TensorFlow already
spreads one page over the cores). Engines alternate round by round so that drift in the
machine's load hits both alike. A warm-up page before timing keeps model loading and graph
tracing out of the numbers. Writes benchmarks/results/page_throughput_<split>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engines.registry import get_engine  # noqa: E402
from evaluation.dataset import load_set  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"
ENGINES = ("tesseract", "inhouse")


def timed_pass(engine, images: list[Path], workers: int) -> float:
    """Wall seconds to read every image with `workers` pages in flight."""
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(engine.recognize, images))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", default="dev")
    parser.add_argument("--limit", type=int, default=8, help="pages per category")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    os.environ["OMP_THREAD_LIMIT"] = "1"  # Tesseract: parallelism comes from pages in flight
    cores = os.cpu_count() or 1
    bench = load_set(SHARED / args.split)
    by_category: dict[str, list[Path]] = defaultdict(list)
    for record in bench.records:
        if len(by_category[record.category]) < args.limit:
            by_category[record.category].append(record.image)
    engines = {name: get_engine(name) for name in ENGINES}
    for engine in engines.values():
        engine.recognize(next(iter(by_category.values()))[0])  # warm-up
    seconds: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    for _ in range(args.rounds):
        for name, engine in engines.items():
            for category, images in by_category.items():
                for workers in sorted({1, cores}):
                    seconds[(name, category, workers)].append(timed_pass(engine, images, workers))
    summary: dict[str, dict] = {}
    for name in ENGINES:
        rows = {}
        for category, images in list(by_category.items()) + [("all", [p for ps in by_category.values() for p in ps])]:
            cats = list(by_category) if category == "all" else [category]
            per_workers = {w: sum(min(seconds[(name, c, w)]) for c in cats) for w in sorted({1, cores})}
            best = min(per_workers, key=per_workers.get)
            rows[category] = {"pages": len(images), "best_workers": best,
                              "pages_per_s": round(len(images) / per_workers[best], 3),
                              "seconds_per_page": round(per_workers[best] / len(images), 3),
                              "by_workers_s": {str(w): round(s, 2) for w, s in per_workers.items()}}
        summary[name] = rows
    ratio = {c: round(summary["inhouse"][c]["pages_per_s"] / summary["tesseract"][c]["pages_per_s"], 2)
             for c in summary["inhouse"]}
    for category in summary["inhouse"]:
        print(f"{category:<16} tesseract {summary['tesseract'][category]['pages_per_s']:.3f} p/s   "
              f"inhouse {summary['inhouse'][category]['pages_per_s']:.3f} p/s   ratio {ratio[category]:.2f}x")
    out = Path(__file__).resolve().parent / "results" / f"page_throughput_{args.split}.json"
    out.write_text(json.dumps({
        "split": args.split, "pages_per_category": args.limit, "rounds": args.rounds, "cpu_count": cores,
        "machine": platform.machine(), "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "versions": {name: engine.version for name, engine in engines.items()},
        "engines": summary, "inhouse_speedup": ratio}, indent=1))


if __name__ == "__main__":
    main()
