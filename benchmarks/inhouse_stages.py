"""Where the in-house engine's time goes: seconds per page for each stage of its pipeline, per category.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/inhouse_stages.py [--split dev] [--limit 10] [--repeats 1]

Runs the pipeline of `inhouse/engine.py` (`InhouseEngine._read_page` → `_detect_and_read`, page mode,
default options) stage by stage through the same public functions, in the same order, one page at
a time, timing each stage:

  decode         imaging.load_first_page (+ PageImage.gray)
  illumination   imaging.illumination.flatten_as_asked (flatten_if_uneven)
  scale_probe    inhouse.detector.regions.working_scale (MSER on a small copy: the text height)
  resize         the page resized to the working scale
  mser           inhouse.detector.regions.character_components (MSER + connected components)
  contrast       inhouse.detector.regions.page_contrast (how crisp the first pass's print is)
  grouping       text height + inhouse.detector.grouping.group_lines
  graphics       graphics_boxes / colour_pictures (drawings and pictures whose words are left out)
  word_split     split_words per line, rule and graphics filters, chopping, crop boxes
  faint_pass     inhouse.detector.regions.faint_components (a second MSER at a small delta) and its words
  orientation    inhouse.orientation.predict (its own upside-down reads included; the upright
                 reading it asks for is counted under crops/recognizer, as the engine reads it once)
  crops          InhouseEngine._crops: every detected word's crop, levelled on a sloping line
  recognizer     InhouseEngine._reader: the recognizer with its second look (ONNX Runtime, the engine's
                 thread count)
  wordinator     inhouse.wordinator.rejoin + split_words
  second_detection  on a soft page only: InhouseEngine._surer_of (the page detected again sharpened, read,
                 and the surer reading kept; inhouse/second_detection.py)
  postprocess    inhouse.postprocess.buckets.postprocess (lexicon, confidence buckets)
  page_build     the result's lines and blocks (InhouseEngine._page)

The detector stages are `inhouse.detector.detect.detect_words` itself, timed through its `stage`
hook; a page the orientation turns is detected again, and that second detection
is added to the same stages (`rotated_pages` counts them). Each page's staged words (text, box,
confidence) and rotation are asserted equal to `InhouseEngine().recognize(page)`'s, so the
breakdown cannot drift from the engine: a change to the engine's order fails here, loudly.

Single-threaded pages: OMP_NUM_THREADS=1 (set here before numpy and OpenCV load), one page at a
time; ONNX Runtime's intra-op threads are what the engine configures (inhouse/recognizer/runtime.py:
all cores unless PredictorConfig.threads says otherwise) and are recorded. `--repeats N` times each
page N times and keeps each stage's fastest. Writes benchmarks/results/inhouse_stages_<split>.json.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import functools  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402

import cv2  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engines.options import RecognizeOptions  # noqa: E402
from imaging import illumination  # noqa: E402
from imaging.intake import load_first_page  # noqa: E402
from inhouse import engine as engine_module  # noqa: E402
from inhouse import second_detection  # noqa: E402
from inhouse.detector.detect import detect_words  # noqa: E402
from inhouse.engine import InhouseEngine  # noqa: E402
from inhouse.orientation import predict as predict_orientation  # noqa: E402
from inhouse.orientation import rotate  # noqa: E402
from inhouse.postprocess.buckets import postprocess  # noqa: E402
from inhouse.wordinator import rejoin  # noqa: E402
from inhouse.wordinator import split_words as split_read_words  # noqa: E402

SHARED = ROOT.parent / "shared" / "benchmarks"
STAGES = (
    "decode",
    "illumination",
    "scale_probe",
    "resize",
    "mser",
    "contrast",
    "grouping",
    "graphics",
    "word_split",
    "faint_pass",
    "orientation",
    "crops",
    "recognizer",
    "wordinator",
    "second_detection",
    "postprocess",
    "page_build",
)
DETECTOR_STAGES = ("scale_probe", "resize", "mser", "contrast", "grouping", "graphics", "word_split", "faint_pass")


class Clock:
    """Seconds per stage for one page."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    @contextmanager
    def stage(self, name: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - started


def staged_page(engine: InhouseEngine, image: Path, clock: Clock):
    """`engine.recognize(image)`'s first page, stage by stage (page mode, default options)."""
    options = RecognizeOptions(mode="page")
    config, reader = engine.detector, engine._reader(options)
    with clock.stage("decode"):
        page = load_first_page(image, engine.limits)
        gray = page.gray()
    with clock.stage("illumination"):
        flat = illumination.flatten_as_asked(gray, options.engine_args, engine.name, engine_module.ILLUMINATION_DEFAULT)
        gray = gray if flat is None else flat
    colour = page.pixels if page.pixels.ndim == 3 else None
    detection = detect_words(gray, config, colour, clock.stage)
    inner = {"seconds": 0.0}  # time spent inside the upright reading, taken out of orientation

    def read_words(upright, found):
        started = time.perf_counter()
        with clock.stage("crops"):
            crops = engine._crops(upright, found)
        with clock.stage("recognizer"):
            readings = reader(crops)
        inner["seconds"] += time.perf_counter() - started
        return readings

    read = functools.cache(functools.partial(read_words, gray, detection))
    started = time.perf_counter()
    rotation = predict_orientation(gray, reader, config, detection, read).rotation
    clock.seconds["orientation"] += time.perf_counter() - started - inner["seconds"]
    upright = rotate(gray, rotation)
    if rotation:
        colour = None if colour is None else rotate(colour, rotation)
        detection = detect_words(upright, config, colour, clock.stage)
        read = functools.cache(functools.partial(read_words, upright, detection))
    read_words_out = read()
    with clock.stage("wordinator"):
        joined = rejoin(detection.words, read_words_out, config.faint_min_confidence, config.faint_min_chars)
        words = [piece for word in joined for piece in split_read_words(word)]
    if second_detection.wanted(detection, config):
        with clock.stage("second_detection"):
            detection, words = engine._surer_of(upright, colour, detection, words, reader, config, options)
    with clock.stage("postprocess"):
        words = postprocess(words, engine.lexicon, engine.thresholds, detection.text_height)
    with clock.stage("page_build"):
        height, width = upright.shape
        built = engine._page(words, width, height, rotation, page)
    return built


def page_words(page) -> tuple[int, list[tuple]]:
    return page.rotation, [
        (w.text, (w.bbox.x0, w.bbox.y0, w.bbox.x1, w.bbox.y1), round(w.confidence, 6))
        for block in page.blocks
        for line in block.lines
        for w in line.words
    ]


def git_state() -> dict:
    def run(*cmd):
        return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True).stdout.strip()

    return {
        "head": run("git", "rev-parse", "HEAD"),
        "inhouse_dirty": bool(run("git", "status", "--porcelain", "--", "inhouse", "imaging")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", default="dev")
    parser.add_argument("--limit", type=int, default=10, help="pages per category")
    parser.add_argument("--repeats", type=int, default=1, help="time each page N times, keep each stage's fastest")
    parser.add_argument("--out", type=Path, help="default: benchmarks/results/inhouse_stages_<split>.json")
    args = parser.parse_args()
    bench = SHARED / args.split
    by_category: dict[str, list[Path]] = defaultdict(list)
    for line in (bench / "manifest.jsonl").read_text().splitlines():
        record = json.loads(line)
        if len(by_category[record["category"]]) < args.limit:
            by_category[record["category"]].append(bench / record["image"])
    load_before = [round(x, 2) for x in os.getloadavg()]
    engine = InhouseEngine()
    session = getattr(engine.recognizer.runtime, "_session", None)
    ort_threads = session.get_session_options().intra_op_num_threads if session is not None else None
    first = next(iter(by_category.values()))[0]
    engine.recognize(first)  # warm-up: the ONNX session's first run
    staged_page(engine, first, Clock())
    totals: dict[str, dict[str, float]] = {}
    per_page: list[dict] = []
    rotated: dict[str, int] = defaultdict(int)
    started = time.perf_counter()
    for category, images in by_category.items():
        sums: dict[str, float] = defaultdict(float)
        for image in images:
            best: dict[str, float] = {}
            for _ in range(args.repeats):
                clock = Clock()
                staged = staged_page(engine, image, clock)
                for name in STAGES:
                    best[name] = min(best.get(name, float("inf")), clock.seconds.get(name, 0.0))
            expected = engine.recognize(image).pages[0]
            if page_words(staged) != page_words(expected):
                raise SystemExit(
                    f"{image.name}: the staged pipeline's words differ from engine.recognize's "
                    f"(rotation {staged.rotation} vs {expected.rotation}); update "
                    "benchmarks/inhouse_stages.py to follow inhouse/engine.py"
                )
            rotated[category] += bool(staged.rotation)
            for name, seconds in best.items():
                sums[name] += seconds
            per_page.append(
                {
                    "category": category,
                    "image": image.name,
                    "rotation": staged.rotation,
                    "words": len(page_words(staged)[1]),
                    "seconds": {k: round(v, 4) for k, v in best.items()},
                }
            )
            print(f"{category:<15} {image.name:<28} {sum(best.values()):6.3f} s", flush=True)
        totals[category] = {name: sums[name] / len(images) for name in STAGES}
    pages = {c: len(v) for c, v in by_category.items()}
    everything = sum(pages.values())
    totals["all"] = {name: sum(totals[c][name] * pages[c] for c in pages) / everything for name in STAGES}
    pages["all"] = everything
    summary = {}
    for category, stages in totals.items():
        total = sum(stages.values())
        detector = sum(stages[s] for s in DETECTOR_STAGES)
        summary[category] = {
            "pages": pages[category],
            "rotated_pages": sum(rotated.values()) if category == "all" else rotated[category],
            "seconds_per_page": round(total, 4),
            "stages_s_per_page": {k: round(v, 4) for k, v in stages.items()},
            "share": {k: round(v / total, 3) for k, v in stages.items()},
            "detector_s_per_page": round(detector, 4),
            "detector_share": round(detector / total, 3),
        }
    header = f"{'stage':<13}" + "".join(f"{c:>22}" for c in summary)
    print(header)
    for name in STAGES:
        print(
            f"{name:<13}"
            + "".join(
                f"{summary[c]['stages_s_per_page'][name]:>12.4f} s {summary[c]['share'][name]:>5.1%}" for c in summary
            )
        )
    print(f"{'total':<13}" + "".join(f"{summary[c]['seconds_per_page']:>12.4f} s {'':>6}" for c in summary))
    out = args.out or ROOT / "benchmarks" / "results" / f"inhouse_stages_{args.split}.json"
    out.write_text(
        json.dumps(
            {
                "split": args.split,
                "pages_per_category": args.limit,
                "repeats": args.repeats,
                "command": " ".join(["benchmarks/inhouse_stages.py", *sys.argv[1:]]),
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "wall_seconds": round(time.perf_counter() - started, 1),
                "load_average_before": load_before,
                "load_average_after": [round(x, 2) for x in os.getloadavg()],
                "cpu_count": os.cpu_count(),
                "machine": platform.machine(),
                "threads": {
                    "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
                    "onnxruntime_intra_op": ort_threads,
                    "opencv": cv2.getNumThreads(),
                    "pages_in_flight": 1,
                },
                "version": engine.version,
                "git": git_state(),
                "checked_equal_to_engine_recognize": True,
                "stages": list(STAGES),
                "categories": summary,
                "pages_detail": per_page,
            },
            indent=1,
        )
        + "\n"
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
