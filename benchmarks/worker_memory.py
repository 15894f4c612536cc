"""Memory of one in-house worker: peak RSS after 100 dev pages, and whether RSS grows over 1,000.

    .venv/bin/python benchmarks/worker_memory.py [--pages 1000] [--every 50] [--set ../shared/benchmarks/dev]
                                                 [--max-minutes M]

Starts a clean child process (this script with `--child`) that loads the in-house engine the way a
worker does (`engines.registry.get_engine("inhouse")`, models loaded once) and reads pages one at a
time through `engine.recognize`, cycling the set's pages (round robin over its categories, so every
stretch of pages mixes receipts, forms and screenshots). Every `--every` pages it reports its
resident set (`VmRSS`) and peak (`VmHWM`) from /proc/self/status. The parent reports:

- peak RSS after the first 100 pages (`VmHWM`), and RSS once the engine is loaded;
- RSS growth: the least-squares slope of RSS against pages over the last 500 pages (the last half
  of the run when it is shorter), in MB per 100 pages, with the verdict "no growth" when it is under
  TOLERANCE_MB_PER_100 (stated in the results), else "grows".

`--max-minutes` stops the worker early (the pages read are recorded) when the machine is too slow
for the full count. The environment is inherited (e.g. MALLOC_ARENA_MAX, recorded).
Writes benchmarks/results/worker_memory.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SET = ROOT.parent / "shared" / "benchmarks" / "dev"
RESULTS = ROOT / "benchmarks" / "results" / "worker_memory.json"
#: a slope under this is "no growth": 2 MB per 100 pages is 10 MB over the 500 pages fitted, about 1.5%
#: of the worker's resident set, and within what the allocator's page-to-page variation moves it
TOLERANCE_MB_PER_100 = 2.0
PEAK_AFTER = 100
GROWTH_WINDOW = 500


def proc_status() -> dict[str, float]:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            out[key] = round(int(value.split()[0]) / 1024, 1)  # MB
    return out


def pick_pages(bench: Path) -> list[Path]:
    """Every record of the set, round robin over its categories."""
    by_category: dict[str, list[Path]] = {}
    for line in (bench / "manifest.jsonl").read_text().splitlines():
        record = json.loads(line)
        by_category.setdefault(record["category"], []).append(bench / record["image"])
    queues = [list(v) for _, v in sorted(by_category.items())]
    picked: list[Path] = []
    while any(queues):
        for queue in queues:
            if queue:
                picked.append(queue.pop(0))
    return picked


def child(args: argparse.Namespace) -> None:
    """The worker: load the engine, read `args.pages` pages, print one JSON line per sample."""
    sys.path.insert(0, str(ROOT))
    from engines.registry import get_engine

    def emit(pages: int, started: float, **extra) -> None:
        print(
            json.dumps({"pages": pages, "seconds": round(time.perf_counter() - started, 1), **proc_status(), **extra}),
            flush=True,
        )

    started = time.perf_counter()
    emit(0, started, event="start")
    engine = get_engine("inhouse")
    emit(0, started, event="loaded", version=engine.version)
    pages = pick_pages(args.set)
    deadline = started + args.max_minutes * 60 if args.max_minutes else None
    for n in range(1, args.pages + 1):
        engine.recognize(pages[(n - 1) % len(pages)])
        if n % args.every == 0 or n == PEAK_AFTER:
            emit(n, started)
            if deadline is not None and time.perf_counter() > deadline and n % args.every == 0:
                emit(n, started, event="stopped", reason=f"--max-minutes {args.max_minutes} reached")
                return
    emit(args.pages, started, event="done")


def slope(points: list[tuple[int, float]]) -> float:
    """Least-squares MB per page."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    var = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / var if var else 0.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--every", type=int, default=50, help="sample RSS every N pages")
    parser.add_argument("--set", type=Path, default=DEFAULT_SET)
    parser.add_argument("--max-minutes", type=float, default=0, help="stop the worker after this long (0: never)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return
    load_before = [round(x, 2) for x in os.getloadavg()]
    command = [
        sys.executable,
        __file__,
        "--child",
        "--pages",
        str(args.pages),
        "--every",
        str(args.every),
        "--set",
        str(args.set),
        "--max-minutes",
        str(args.max_minutes),
    ]
    samples = []
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as worker:
        for line in worker.stdout:
            sample = json.loads(line)
            samples.append(sample)
            print(line.rstrip(), flush=True)
    if worker.returncode:
        raise SystemExit(f"the worker exited with {worker.returncode}")
    loaded = next(s for s in samples if s.get("event") == "loaded")
    read = [s for s in samples if s["pages"] > 0 and "event" not in s]
    pages_read = max(s["pages"] for s in read)
    at_peak = next((s for s in read if s["pages"] == PEAK_AFTER), None)
    window = GROWTH_WINDOW if pages_read >= 2 * GROWTH_WINDOW else pages_read // 2
    fitted = [
        (s["pages"], s["VmRSS"]) for s in read if s["pages"] % args.every == 0 and s["pages"] >= pages_read - window
    ]
    growth = slope(fitted) * 100 if len(fitted) >= 2 else None
    stopped = next((s for s in samples if s.get("event") == "stopped"), None)
    result = {
        "command": " ".join(["benchmarks/worker_memory.py", *(argv if argv is not None else sys.argv[1:])]),
        "set": str(args.set),
        "pages_requested": args.pages,
        "pages_read": pages_read,
        "stopped_early": stopped["reason"] if stopped else None,
        "seconds": round(read[-1]["seconds"] - loaded["seconds"], 1),
        "version": loaded.get("version"),
        "rss_loaded_mb": loaded["VmRSS"],
        f"peak_rss_after_{PEAK_AFTER}_pages_mb": at_peak["VmHWM"] if at_peak else None,
        "peak_rss_end_mb": read[-1]["VmHWM"],
        "rss_end_mb": read[-1]["VmRSS"],
        "growth_window_pages": [pages_read - window, pages_read],
        "growth_mb_per_100_pages": None if growth is None else round(growth, 2),
        "tolerance_mb_per_100_pages": TOLERANCE_MB_PER_100,
        "verdict": None if growth is None else "no growth" if growth < TOLERANCE_MB_PER_100 else "grows",
        "pages_in_flight": 1,
        "malloc_arena_max": os.environ.get("MALLOC_ARENA_MAX"),
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "load_average_before": load_before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "samples": [{k: s[k] for k in ("pages", "seconds", "VmRSS", "VmHWM")} for s in samples if "VmRSS" in s],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "samples"}))


if __name__ == "__main__":
    main()
