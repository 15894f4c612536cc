"""Word crops of labelled-truth tasks: the one image a labeller sees, and the exported word set.

`crop_png` cuts one task's word (with a small margin) from its request's stored page and is all a
labeller is ever shown. `export_word_set` writes every task with a truth as a word-level benchmark
set (`docs/benchmark-format.md`) that `ocrgate eval --set DIR` loads: a growing benchmark of real
traffic and material for fine-tuning. Each export is versioned: `set.json` carries a version one
above the folder's previous export and the content hash; a folder that holds anything else is
refused, and the new export replaces the old one whole (written beside it, then renamed).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from imaging import load_pages, page_png
from imaging.intake import PageImage
from kernel.errors import OcrInputError
from rollout.store.models import ImageBlob, Request, TruthTask, utcnow
from rollout.truth import UNREADABLE

#: pixels added around a word's box so that its ascenders, descenders and first/last strokes show
MARGIN = 4
SET_FILE = "set.json"
SET_NAME = "traffic-labels"


def _page_of(session: Session, task: TruthTask) -> PageImage:
    request = session.get(Request, task.request_id)
    blob = session.get(ImageBlob, request.image_sha256) if request else None
    if blob is None:
        raise OcrInputError(f"the page of labelling task {task.id} is no longer stored")
    pages = load_pages(blob.data)
    return pages[min(task.page, len(pages) - 1)]


def crop(page: PageImage, bbox: list[int]) -> PageImage:
    x0, y0, x1, y1 = bbox
    x0, y0 = max(0, x0 - MARGIN), max(0, y0 - MARGIN)
    x1, y1 = min(page.width, x1 + MARGIN), min(page.height, y1 + MARGIN)
    if x1 <= x0 or y1 <= y0:
        raise OcrInputError(f"box {bbox} lies outside its {page.width}×{page.height} page")
    return PageImage(np.ascontiguousarray(page.pixels[y0:y1, x0:x1]), source=page.source)


def crop_png(session: Session, task_id: int) -> bytes:
    """The PNG of one task's word crop (never more of the page)."""
    task = session.get(TruthTask, task_id)
    if task is None:
        raise OcrInputError(f"no labelling task {task_id}")
    return page_png(crop(_page_of(session, task), task.bbox))


def _previous_version(out: Path) -> int:
    if not out.exists():
        return 0
    if not out.is_dir():
        raise OcrInputError(f"{out} is not a folder")
    marker = out / SET_FILE
    if marker.is_file():
        try:
            return int(json.loads(marker.read_text(encoding="utf-8"))["version"])
        except (ValueError, KeyError, TypeError):
            raise OcrInputError(f"{marker} is not an ocrgate label export") from None
    if any(out.iterdir()):
        raise OcrInputError(f"{out} is not empty and holds no earlier label export; choose another folder")
    return 0


def export_word_set(session: Session, out: Path, gate: str | None = None) -> dict[str, Any]:
    """Write the tasks with a truth (of `gate`, or all) as a word set in `out`; returns its `set.json`."""
    version = _previous_version(out) + 1
    query = select(TruthTask).where(TruthTask.truth.is_not(None), TruthTask.truth != UNREADABLE).order_by(TruthTask.id)
    if gate:
        query = query.where(TruthTask.gate == gate)
    staging = out.with_name(f".{out.name}.export-{version}")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "images").mkdir(parents=True)
    lines, digest = [], hashlib.sha256()
    for task in session.scalars(query):
        image = page_png(crop(_page_of(session, task), task.bbox))
        name = f"images/task_{task.id}.png"
        (staging / name).write_bytes(image)
        record = {
            "id": f"task_{task.id}",
            "image": name,
            "category": task.category,
            "text": task.truth,
            "level": "word",
            "source": f"traffic:{task.gate}:{task.request_id}",
            "weight": task.weight,
            "stratum": task.stratum.value,
        }
        line = json.dumps(record, ensure_ascii=False)
        lines.append(line)
        digest.update(line.encode())
        digest.update(hashlib.sha256(image).digest())
    if not lines:
        shutil.rmtree(staging)
        raise OcrInputError("no labelled words yet: two labellers must agree on a crop before it is exported")
    (staging / "manifest.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    info = {
        "name": SET_NAME,
        "version": version,
        "words": len(lines),
        "gate": gate,
        "sha256": digest.hexdigest(),
        "exported_at": datetime.isoformat(utcnow()),
        "source": "labelled truth from traffic (rollout.truth)",
    }
    (staging / SET_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    return info
