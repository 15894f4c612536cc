"""Rollout benchmark: gate decision time, and the served path's latency with shadowing on vs off.

    .venv/bin/python benchmarks/rollout_bench.py [--requests 60] [--concurrency 2]

Writes benchmarks/results/rollout.json. Both latency arms run in one process on the same pages,
interleaved in blocks (off, on, off, on, …) so machine noise hits both alike. The served engine
is real Tesseract; the shadow is `tesseract-block` on every request (100% shadow share).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rollout.gate_store import GateChange, change_gate, create_gate  # noqa: E402
from rollout.gates import GateConfig, Stage, decide  # noqa: E402
from rollout.router import Router  # noqa: E402
from rollout.shadow import ShadowRunner  # noqa: E402
from rollout.snapshot import GateSnapshot  # noqa: E402
from rollout.store import Store  # noqa: E402
from tests.conftest import render_text  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "rollout.json"


def decision_time(n: int = 200_000) -> dict[str, float]:
    """Nanoseconds per decision for each kind of gate, best of 3 runs."""
    units = [f"team-{i}" for i in range(n)]
    gates = {
        "shadow": GateConfig("g", "a", "b", Stage.SHADOW, salt="s"),
        "rollout_10pct": GateConfig("g", "a", "b", Stage.ROLLOUT, percent_bp=1000, salt="s"),
        "killed": GateConfig("g", "a", "b", Stage.ROLLOUT, percent_bp=1000, killed=True, salt="s"),
    }
    out = {}
    for name, gate in gates.items():
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter_ns()
            for unit in units:
                decide(gate, unit, "receipts", unit)
            best = min(best, (time.perf_counter_ns() - started) / n)
        out[name] = best / 1000  # µs
    return out


def pages() -> list[bytes]:
    import io
    rendered = []
    for n in range(6):
        image = render_text([f"Invoice {4711 + n} dated 2026-11-{10 + n}", "Total due 12.90 EUR", "Thank you"],
                            size=32)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        rendered.append(buffer.getvalue())
    return rendered


def latency_arms(requests: int, concurrency: int, block: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/bench.db")
        create_gate(store, "ocr-engine", "tesseract", "tesseract-block", actor="bench")
        shadows = ShadowRunner(store, workers=2, timeout=120).start()
        snapshot = GateSnapshot(store)
        router = Router(store, snapshot, shadows, serve_timeout=120)
        images = pages()
        latencies: dict[str, list[float]] = {"off": [], "on": []}
        router.serve(images[0], unit="warmup", category="c")  # load engines once
        arm_cycle = ["off", "on"]
        done = 0
        while done < requests * 2:
            arm = arm_cycle[(done // block) % 2]
            change_gate(store, "ocr-engine", GateChange(stage="shadow" if arm == "on" else "off",
                                                       shadow_percent=100, aa_percent=0), actor="bench")
            snapshot.refresh()

            def one(i: int) -> float:
                started = time.perf_counter()
                router.serve(images[i % len(images)], unit=f"u{i}", category="c")
                return (time.perf_counter() - started) * 1000

            with ThreadPoolExecutor(concurrency) as pool:
                latencies[arm] += list(pool.map(one, range(done, done + block)))
            done += block
        shadows.drain(600)
        shadows.stop()
        store.dispose()
    summary = {}
    for arm, values in latencies.items():
        ordered = sorted(values)
        summary[arm] = {"n": len(values), "p50_ms": statistics.median(values),
                        "p95_ms": ordered[int(0.95 * (len(ordered) - 1))], "mean_ms": statistics.mean(values)}
    summary["added_p50_percent"] = 100 * (summary["on"]["p50_ms"] / summary["off"]["p50_ms"] - 1)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=60, help="per arm")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--block", type=int, default=10)
    args = parser.parse_args()
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_avg_before": os.getloadavg()},
        "decision_us": decision_time(),
        "served_latency": latency_arms(args.requests, args.concurrency, args.block),
        "settings": vars(args),
        "targets": {"decision_us": 5, "added_p50_percent": 5},
    }
    result["machine"]["load_avg_after"] = os.getloadavg()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
