"""Build a photo set from a page set: every page through the capture simulator, boxes mapped.

The set keeps each page's id (so photos pair with their clean pages), names its category
`photos_<source category>`, and records in each record how it was made (`capture`: the simulator's
version, the seed, the page's parameters). It is written beside `out_dir` and renamed into place,
and rebuilds byte for byte from the same source and seed.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import shutil
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from capture.geometry import Chain, capture_geometry, map_outlines
from capture.params import SIMULATOR_VERSION, CaptureParams, draw_params
from capture.photometric import jpeg_bytes
from capture.simulate import render
from evaluation import labnotebook
from evaluation.dataset import BenchmarkRecord, load_set
from kernel.errors import OcrInputError

#: the file that marks a folder as a photo set (an earlier build may be replaced, nothing else)
MARKER = "photoset.json"
MARKER_KIND = "ocrgate photo set"
#: pages are simulated in at most this many processes
MAX_WORKERS = 2
#: the fields of a record that hold boxes
BOX_FIELDS = ("lines", "segments")


@dataclass(frozen=True)
class PageJob:
    """What a worker needs to photograph one page."""

    page_id: str
    image: str
    seed: int
    boxes: dict[str, list[list[float]]]  # "lines", "segments", "ignore_regions": (N, 4) boxes


@dataclass(frozen=True)
class PageResult:
    jpeg: bytes
    width: int
    height: int
    boxes: dict[str, list[list[int]]]
    line_polygons: list[list[list[float]]]  # each line's outline on the photo (`geometry.map_outlines`)
    params: dict[str, Any]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _init_worker() -> None:
    cv2.setNumThreads(1)  # one page per core: the workers share the machine's cores


def photograph(job: PageJob) -> PageResult:
    """One page through the simulator (runs in a worker process)."""
    image = cv2.imread(job.image, cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    if image is None:
        raise OcrInputError(f"{job.image}: the image cannot be decoded")
    params = draw_params(job.page_id, job.seed)
    kinds = list(job.boxes)
    counts = [len(job.boxes[kind]) for kind in kinds]
    everything = [box for kind in kinds for box in job.boxes[kind]]
    photo = render(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), params)
    mapped = photo.map_boxes(np.array(everything, dtype=np.float64).reshape(-1, 4))
    bounds = np.cumsum([0, *counts])
    return PageResult(
        jpeg=jpeg_bytes(photo.pixels, params.jpeg_quality),
        width=int(photo.pixels.shape[1]),
        height=int(photo.pixels.shape[0]),
        boxes={kind: mapped[bounds[i] : bounds[i + 1]].tolist() for i, kind in enumerate(kinds)},
        line_polygons=map_outlines(np.array(job.boxes.get("lines", []), dtype=np.float64), photo.geometry),
        params=asdict(params),
    )


def _is_photo_set(folder: Path) -> bool:
    try:
        return json.loads((folder / MARKER).read_text(encoding="utf-8")).get("kind") == MARKER_KIND
    except (OSError, ValueError, AttributeError):
        return False


@dataclass(frozen=True)
class Capture:
    """How a photo was taken: its clean source page and the geometry that took the page onto it."""

    source: BenchmarkRecord
    geometry: Chain


def captures(photo_dir: Path, source_dir: Path | None = None) -> dict[str, Capture]:
    """Each photo's capture by page id, its geometry rebuilt from the parameters its record keeps;
    the source pages come from `source_dir` (default: the set the photos were built from, as
    recorded). {} for a folder that is not a photo set."""
    if not _is_photo_set(photo_dir):
        return {}
    if source_dir is None:
        source_dir = Path(json.loads((photo_dir / MARKER).read_text(encoding="utf-8"))["source"])
    sources = {record.id: record for record in load_set(source_dir).records}
    taken = {}
    for raw in _raw_records(photo_dir):
        source = sources[raw["id"]]
        params = CaptureParams.from_dict(raw["capture"]["params"])
        taken[raw["id"]] = Capture(source, capture_geometry((source.width or 0, source.height or 0), params))
    return taken


def check_out_dir(out_dir: Path, source_dir: Path) -> None:
    """Refuse an `out_dir` that is the source, not a folder, or a non-empty folder other than an
    earlier photo set."""
    if out_dir.resolve() == source_dir.resolve():
        raise OcrInputError(f"{out_dir} is the source set itself; choose another folder for the photos")
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise OcrInputError(f"{out_dir} exists and is not a folder")
    if any(out_dir.iterdir()) and not _is_photo_set(out_dir):
        raise OcrInputError(f"{out_dir} is not empty and holds no earlier photo set; choose another folder")


def _file_name(page_id: str, taken: set[str]) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", page_id).lstrip(".") or "page"
    name, n = f"{stem}.jpg", 1
    while name in taken:
        n += 1
        name = f"{stem}-{n}.jpg"
    taken.add(name)
    return name


def _raw_records(source_dir: Path) -> list[dict[str, Any]]:
    lines = (source_dir / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _jobs(source_dir: Path, raws: list[dict[str, Any]], seed: int) -> list[PageJob]:
    jobs = []
    for raw in raws:
        boxes = {kind: [item["bbox"] for item in raw.get(kind) or []] for kind in BOX_FIELDS}
        boxes["ignore_regions"] = list(raw.get("ignore_regions") or [])
        jobs.append(PageJob(raw["id"], str((source_dir / raw["image"]).resolve()), seed, boxes))
    return jobs


def _record(raw: dict[str, Any], result: PageResult, image: str, source_set: str, seed: int) -> dict[str, Any]:
    record = dict(raw)
    for kind in BOX_FIELDS:
        if raw.get(kind) is not None:
            record[kind] = [{**item, "bbox": box} for item, box in zip(raw[kind], result.boxes[kind], strict=True)]
    if raw.get("lines") is not None:
        record["lines"] = [
            {**item, "polygon": polygon} for item, polygon in zip(record["lines"], result.line_polygons, strict=True)
        ]
    if raw.get("ignore_regions") is not None:
        record["ignore_regions"] = result.boxes["ignore_regions"]
    record.update(
        image=image,
        width=result.width,
        height=result.height,
        category=f"photos_{raw['category']}",
        source_category=raw["category"],
        source_set=source_set,
        capture={"version": SIMULATOR_VERSION, "seed": seed, "params": result.params},
    )
    return record


def _replace(staging: Path, out_dir: Path) -> None:
    """Put `staging` where `out_dir` is (an earlier photo set, checked before) in two renames."""
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
        out_dir.rename(old)
        staging.rename(out_dir)
        shutil.rmtree(old)
    else:
        staging.rename(out_dir)


def build_photo_set(
    source_dir: Path, out_dir: Path, seed: int = 0, workers: int = MAX_WORKERS, notebook: Path | None = None
) -> dict[str, Any]:
    """Photograph every page of the page set at `source_dir` into a new set at `out_dir`; record it
    in the lab notebook; returns its summary (pages, categories, sha256, seconds)."""
    started = time.monotonic()
    source_dir, out_dir = Path(source_dir), Path(out_dir)
    source = load_set(source_dir)
    if source.level != "page":
        raise OcrInputError(f"{source_dir} is a word set; photos are taken of page sets")
    check_out_dir(out_dir, source_dir)
    raws = _raw_records(source_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.building-"))
    try:
        os.chmod(staging, 0o777 & ~_umask())  # what a plain mkdir would have made
        (staging / "images").mkdir()
        lines: list[str] = []
        taken: set[str] = set()
        context = multiprocessing.get_context("spawn")  # no fork of a process that may hold threads
        count = max(1, min(workers, MAX_WORKERS, len(raws)))
        with ProcessPoolExecutor(count, mp_context=context, initializer=_init_worker) as pool:
            for raw, result in zip(raws, pool.map(photograph, _jobs(source_dir, raws, seed)), strict=True):
                image = f"images/{_file_name(raw['id'], taken)}"
                (staging / image).write_bytes(result.jpeg)
                record = _record(raw, result, image, source.content_hash, seed)
                lines.append(json.dumps(record, ensure_ascii=False, sort_keys=True))
        (staging / "manifest.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        photos = load_set(staging)
        categories = dict(sorted(Counter(r.category for r in photos.records).items()))
        marker = {
            "kind": MARKER_KIND,
            "simulator_version": SIMULATOR_VERSION,
            "seed": seed,
            "source": str(source_dir.resolve()),
            "source_set": source.content_hash,
            "pages": len(photos.records),
            "categories": categories,
            "sha256": photos.content_hash,
        }
        (staging / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        _replace(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    entry = {**marker, "kind": "photoset", "at": at, "out": str(out_dir.resolve())}
    number = labnotebook.append(entry, notebook)
    return {**entry, "notebook_id": number, "seconds": round(time.monotonic() - started, 1)}
