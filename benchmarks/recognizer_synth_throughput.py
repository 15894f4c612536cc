"""Synthetic word generator throughput (images/s), one process and a pool of all cores.

    python benchmarks/recognizer_synth_throughput.py [--count 2000]

Writes benchmarks/results/recognizer_synth_throughput.json. Includes preprocessing to the
network's input, as the training stream does.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inhouse.recognizer.preprocess import preprocess  # noqa: E402
from training.synth.generator import SynthConfig, SynthGenerator  # noqa: E402

_GEN: SynthGenerator | None = None


def _init() -> None:
    global _GEN
    _GEN = SynthGenerator(SynthConfig(seed=0))


def _make(i: int) -> int:
    assert _GEN is not None
    return preprocess(_GEN.sample(i)[0]).shape[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--count", type=int, default=2000)
    args = ap.parse_args()
    _init()
    _make(0)  # font cache warm-up
    t0 = time.perf_counter()
    for i in range(args.count):
        _make(i)
    single = args.count / (time.perf_counter() - t0)
    workers = os.cpu_count() or 1
    with mp.get_context("fork").Pool(workers, initializer=_init) as pool:
        pool.map(_make, range(workers * 4))
        t0 = time.perf_counter()
        pool.map(_make, range(args.count), chunksize=64)
        multi = args.count / (time.perf_counter() - t0)
    report = {"count": args.count, "images_per_s_1_process": round(single, 1),
              f"images_per_s_{workers}_processes": round(multi, 1), "cpu_count": workers,
              "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "note": "measured while other work may share the cores; see docs/inhouse-recognizer.md"}
    out = ROOT / "benchmarks" / "results" / "recognizer_synth_throughput.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
