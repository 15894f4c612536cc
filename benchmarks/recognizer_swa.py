"""Single Word Accuracy of the in-house recognizer vs Tesseract on the same word crops, same run.

    python benchmarks/recognizer_swa.py [--set /work/shared/benchmarks/dev-words] [--model DIR] [--tag NAME]

SWA = exact match after the evaluation's normalisation (`training.metrics`: NFKC, whitespace,
case folded for register_tapes, whose ground truth is upper case); CER = edit distance / reference length; words/s over all crops (both engines use both
cores: the recognizer batches through its runtime, ONNX Runtime on the int8 weights unless
--runtime says otherwise; Tesseract runs one single-threaded process per
core with --psm 7); peak RSS of this process (recognizer) and of the largest Tesseract child.
`--engines tesseract,inhouse,inhouse-second-look` adds the recognizer as the engine reads a page:
doubtful crops looked at again (`inhouse/recognizer/second_look.py`); `inhouse` is the network's
first look alone. Writes benchmarks/results/recognizer_swa_<tag>.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evaluation.normalize import uppercase_categories  # noqa: E402
from training.metrics import cer, word_correct  # noqa: E402

DEFAULT_SET = Path("/work/shared/benchmarks/dev-words")
RESULTS = ROOT / "benchmarks" / "results"


def load_crops(split: Path, limit: int | None) -> list[dict]:
    recs = [json.loads(line) for line in (split / "manifest.jsonl").read_text().splitlines()]
    if limit:
        recs = recs[:limit]
    for r in recs:
        r["pixels"] = np.asarray(Image.open(split / r["image"]).convert("L"))
    return recs


def score(records: list[dict], preds: list[str], folded: set[str]) -> dict:
    stats: dict[str, list[float]] = {}
    for r, p in zip(records, preds):
        fold = r["category"] in folded
        e, n = cer(p, r["text"], fold)
        for key in (r["category"], "all"):
            s = stats.setdefault(key, [0, 0, 0, 0])
            s[0] += word_correct(p, r["text"], fold)
            s[1] += 1
            s[2] += e
            s[3] += n
    return {k: {"swa": round(s[0] / s[1], 4), "cer": round(s[2] / s[3], 4), "n": int(s[1])} for k, s in sorted(stats.items())}


def run_inhouse(records: list[dict], model_dir: str | None, beam: int, runtime: str, second_look: bool) -> dict:
    from inhouse.recognizer.predictor import PredictorConfig, WordRecognizer

    config = PredictorConfig(beam_width=beam)
    if runtime == "onnx-int8":  # what serving runs, loaded as serving loads it (no TensorFlow)
        rec = WordRecognizer.load(model_dir, config)
    else:  # the Keras model on TensorFlow or its float ONNX graph: the training tools' loader
        from training.runtimes import load_recognizer

        rec = load_recognizer(model_dir, runtime, config)
    rec.recognize_batch([r["pixels"] for r in records[:64]])  # warm-up: graph tracing is not throughput
    t0 = time.perf_counter()
    out = rec.recognize_batch([r["pixels"] for r in records], second_look=second_look)
    elapsed = time.perf_counter() - t0
    return {"preds": [t for t, _ in out], "confidences": [c for _, c in out], "seconds": elapsed,
            "runtime": rec.runtime.name,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_tesseract(records: list[dict], workers: int) -> dict:
    import pytesseract

    os.environ["OMP_THREAD_LIMIT"] = "1"  # one core per process; parallelism comes from the pool

    def read(r: dict) -> str:
        return pytesseract.image_to_string(Image.fromarray(r["pixels"]), config="--psm 7").strip()

    t0 = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        preds = list(pool.map(read, records))
    elapsed = time.perf_counter() - t0
    return {"preds": preds, "seconds": elapsed, "version": str(pytesseract.get_tesseract_version()),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", type=Path, default=DEFAULT_SET)
    ap.add_argument("--model", default=None, help="model directory (default: shipped inhouse/models)")
    # Tesseract first: its children are forked before TensorFlow inflates this process, so their
    # peak RSS (which counts the parent's pages until exec) stays close to Tesseract's own
    ap.add_argument("--engines", default="tesseract,inhouse")
    ap.add_argument("--beam", type=int, default=0)
    ap.add_argument("--runtime", default="onnx-int8",
                    help="recognizer runtime: onnx-int8 (served), onnx, tensorflow, auto (int8 if current)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--tag", default="latest")
    args = ap.parse_args()

    records = load_crops(args.set, args.limit)
    report = {"set": str(args.set), "crops": len(records), "cpu_count": os.cpu_count(),
              "machine": platform.machine(), "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "command": " ".join(sys.argv), "engines": {}}
    folded = uppercase_categories((r["category"], r["text"]) for r in records)
    for engine in args.engines.split(","):
        if engine.startswith("inhouse"):
            run = run_inhouse(records, args.model, args.beam, args.runtime, engine == "inhouse-second-look")
        else:
            run = run_tesseract(records, args.workers)
        entry = {"scores": score(records, run["preds"], folded), "words_per_s": round(len(records) / run["seconds"], 1),
                 "seconds": round(run["seconds"], 2), "peak_rss_mb": round(run["peak_rss_mb"], 1)}
        for key in ("version", "runtime"):
            if key in run:
                entry[key] = run[key]
        entry["errors_sample"] = [
            {"id": r["id"], "truth": r["text"], "pred": p}
            for r, p in zip(records, run["preds"]) if not word_correct(p, r["text"], r["category"] in folded)
        ][:40]
        entry["predictions"] = dict(zip((r["id"] for r in records), run["preds"]))
        report["engines"][engine] = entry
        print(engine, json.dumps({k: v for k, v in entry.items() if k not in ("errors_sample", "predictions")}), flush=True)
    if {"inhouse", "tesseract"} <= set(report["engines"]):
        e = report["engines"]
        report["speedup_vs_tesseract"] = round(e["inhouse"]["words_per_s"] / e["tesseract"]["words_per_s"], 2)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"recognizer_swa_{args.tag}.json"
    out.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    print(out)


if __name__ == "__main__":
    main()
