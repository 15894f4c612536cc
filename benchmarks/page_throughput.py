"""Pages per second of the in-house engine, Tesseract and RapidOCR on the same pages, same run, same cores.

    .venv/bin/python benchmarks/page_throughput.py [--split dev] [--limit 8] [--rounds 2] [--runs 3]
                                                   [--engine tesseract --engine inhouse --engine rapidocr]

Each engine reads the same pages (the first `--limit` of each category) through the `OcrEngine`
interface, once with one page at a time and once with one page per core; its best setting
counts (Tesseract: one single-threaded process per page, OMP_THREAD_LIMIT=1; the in-house engine
and RapidOCR: ONNX Runtime as they configure it). Within each round the engines alternate pass by
pass (category × pages in flight × engine, the engine order rotated every round) so that drift in
the machine's load hits all alike; an engine's time for a pass is its fastest round. A warm-up
page per engine before timing keeps model loading out of the numbers.

`--runs N` repeats the whole measurement N times (same process, engines already loaded) and
reports each run's pages/s per engine and category, the in-house ÷ Tesseract ratio per category per
run, and the medians. RapidOCR is skipped, with the reason recorded, when its package is missing.
`--engine inhouse-first-look` adds the in-house engine without its recognizer's second look, and
`--engine inhouse-no-faint-pass` without its detector's faint pass, and `--engine
inhouse-one-detection` without the second, sharpened detection of soft pages (what each costs the
shipped engine, same run). The load average before and after and the
machine (cores, CPU model) are recorded too.
Writes benchmarks/results/page_throughput_<split>.json: the top-level `engines` and
`inhouse_speedup` are the medians over the runs (the shape of the single-run file before).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engines.registry import get_engine  # noqa: E402
from evaluation.dataset import load_set  # noqa: E402
from kernel.errors import OcrgateError  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"
ENGINES = ("tesseract", "inhouse", "rapidocr")
#: measured only when asked for: the in-house engine with one stage off or on, against the shipped
#: engine in the same run, what that stage costs
FIRST_LOOK = "inhouse-first-look"
NO_FAINT_PASS = "inhouse-no-faint-pass"
ONE_DETECTION = "inhouse-one-detection"


def timed_pass(engine, images: list[Path], workers: int) -> float:
    """Wall seconds to read every image with `workers` pages in flight."""
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(engine.recognize, images))
    return time.perf_counter() - started


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def first_look_engine():
    """The in-house engine reading each crop once (no second look at doubtful crops)."""
    from inhouse.engine import InhouseEngine
    from inhouse.recognizer.predictor import PredictorConfig

    return InhouseEngine(predictor=PredictorConfig(second_look=None))


def no_faint_pass_engine():
    """The in-house engine whose detector never makes its faint pass for soft print."""
    from inhouse.detector import DetectorConfig
    from inhouse.engine import InhouseEngine

    return InhouseEngine(detector=DetectorConfig(faint_pass=False))


def one_detection_engine():
    """The in-house engine that detects every page once (no second, sharpened detection of soft pages)."""
    from inhouse.detector import DetectorConfig
    from inhouse.engine import InhouseEngine

    return InhouseEngine(detector=DetectorConfig(sharpened_detection_max_contrast=0.0))


BASELINES = {FIRST_LOOK: first_look_engine, NO_FAINT_PASS: no_faint_pass_engine, ONE_DETECTION: one_detection_engine}


def one_run(engines: dict, by_category: dict[str, list[Path]], rounds: int, settings: list[int]) -> dict:
    """One complete measurement: per engine and category, the best setting's pages per second."""
    seconds: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    names = list(engines)
    for round_number in range(rounds):
        order = names[round_number % len(names) :] + names[: round_number % len(names)]
        for category, images in by_category.items():
            for workers in settings:
                for name in order:
                    seconds[(name, category, workers)].append(timed_pass(engines[name], images, workers))
    summary: dict[str, dict] = {}
    everything = [p for ps in by_category.values() for p in ps]
    for name in names:
        rows = {}
        for category, images in [*by_category.items(), ("all", everything)]:
            cats = list(by_category) if category == "all" else [category]
            per_workers = {w: sum(min(seconds[(name, c, w)]) for c in cats) for w in settings}
            best = min(per_workers, key=per_workers.get)
            rows[category] = {
                "pages": len(images),
                "best_workers": best,
                "pages_per_s": round(len(images) / per_workers[best], 3),
                "seconds_per_page": round(per_workers[best] / len(images), 3),
                "by_workers_s": {str(w): round(s, 2) for w, s in per_workers.items()},
            }
        summary[name] = rows
    return summary


def ratios(summary: dict, name: str, reference: str = "tesseract") -> dict[str, float]:
    return {c: round(summary[name][c]["pages_per_s"] / summary[reference][c]["pages_per_s"], 2) for c in summary[name]}


def median_summary(runs: list[dict], name: str) -> dict:
    """Per category: the median over runs of pages/s (and of each setting's seconds)."""
    rows = {}
    for category in runs[0][name]:
        cells = [run[name][category] for run in runs]
        pages_per_s = statistics.median(c["pages_per_s"] for c in cells)
        rows[category] = {
            "pages": cells[0]["pages"],
            "best_workers": Counter(c["best_workers"] for c in cells).most_common(1)[0][0],
            "pages_per_s": round(pages_per_s, 3),
            "seconds_per_page": round(1 / pages_per_s, 3),
            "by_workers_s": {
                w: round(statistics.median(c["by_workers_s"][w] for c in cells), 2) for w in cells[0]["by_workers_s"]
            },
            "pages_per_s_by_run": [c["pages_per_s"] for c in cells],
        }
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", default="dev")
    parser.add_argument("--limit", type=int, default=8, help="pages per category")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per run; a pass counts its fastest round")
    parser.add_argument("--runs", type=int, default=1, help="independent repetitions of the whole measurement")
    parser.add_argument(
        "--engine",
        action="append",
        choices=(*ENGINES, *BASELINES),
        help="engines to measure (repeatable; default: all three)",
    )
    parser.add_argument("--out", type=Path, help="default: results/page_throughput_<split>.json")
    args = parser.parse_args()
    os.environ["OMP_THREAD_LIMIT"] = "1"  # Tesseract: parallelism comes from pages in flight
    cores = os.cpu_count() or 1
    settings = sorted({1, cores})
    bench = load_set(SHARED / args.split)
    by_category: dict[str, list[Path]] = defaultdict(list)
    for record in bench.records:
        if len(by_category[record.category]) < args.limit:
            by_category[record.category].append(record.image)
    wanted = list(dict.fromkeys(args.engine or ENGINES))
    engines, skipped = {}, {}
    for name in wanted:
        try:
            engines[name] = BASELINES[name]() if name in BASELINES else get_engine(name)
        except OcrgateError as exc:
            if name in ("tesseract", "inhouse"):
                raise
            skipped[name] = str(exc)
            print(f"skipping {name}: {exc}", file=sys.stderr)
    load_before = load_average()
    started = time.perf_counter()
    for engine in engines.values():
        engine.recognize(next(iter(by_category.values()))[0])  # warm-up
    runs = []
    for run in range(args.runs):
        summary = one_run(engines, by_category, args.rounds, settings)
        entry = {"run": run + 1, "load_average_after": load_average(), "engines": summary}
        if "inhouse" in summary and "tesseract" in summary:
            entry["inhouse_speedup"] = ratios(summary, "inhouse")
        for name in ("rapidocr", *BASELINES):
            if name in summary and "tesseract" in summary:
                entry[f"{name}_speedup"] = ratios(summary, name)
        runs.append(entry)
        print(
            f"run {run + 1}: " + "  ".join(f"{name} {summary[name]['all']['pages_per_s']:.3f} p/s" for name in summary),
            flush=True,
        )
    load_after = load_average()
    medians = {name: median_summary([r["engines"] for r in runs], name) for name in engines}
    speedups = {}
    for name in ("inhouse", "rapidocr", *BASELINES):
        if name in engines and "tesseract" in engines:
            speedups[name] = {
                c: round(statistics.median(r[f"{name}_speedup"][c] for r in runs), 2) for c in medians[name]
            }
    for category in next(iter(medians.values())):
        cells = "   ".join(
            f"{name} {medians[name][category]['pages_per_s']:.3f} p/s {medians[name][category]['pages_per_s_by_run']}"
            for name in medians
        )
        ratio = speedups.get("inhouse", {}).get(category)
        print(
            f"{category:<16} {cells}"
            + (
                f"   inhouse/tesseract {ratio:.2f}x {[r['inhouse_speedup'][category] for r in runs]}"
                if ratio is not None
                else ""
            )
        )
    out = args.out or Path(__file__).resolve().parent / "results" / f"page_throughput_{args.split}.json"
    out.write_text(
        json.dumps(
            {
                "split": args.split,
                "pages_per_category": args.limit,
                "rounds": args.rounds,
                "runs_count": args.runs,
                "cpu_count": cores,
                "machine": platform.machine(),
                "cpu_model": cpu_model(),
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "wall_seconds": round(time.perf_counter() - started, 1),
                "load_average_before": load_before,
                "load_average_after": load_after,
                "command": " ".join(["benchmarks/page_throughput.py", *sys.argv[1:]]),
                "versions": {name: engine.version for name, engine in engines.items()},
                "skipped": skipped,
                "engines": medians,
                "inhouse_speedup": speedups.get("inhouse", {}),
                "rapidocr_speedup": speedups.get("rapidocr", {}),
                **{f"{name}_speedup": speedups[name] for name in BASELINES if name in speedups},
                "runs": runs,
            },
            indent=1,
        )
        + "\n"
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
