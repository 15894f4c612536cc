"""Lab notebook: one JSON line per training run event, with what is needed to reproduce it."""
from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

NOTEBOOK = Path(__file__).resolve().parents[1] / "models" / "LABNOTEBOOK.jsonl"


def git_state() -> str:
    """HEAD hash, suffixed '+dirty' when the working tree differs from it."""
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "inhouse"], cwd=root, capture_output=True, text=True).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (subprocess.CalledProcessError, FileNotFoundError):
        return "unknown"


def record(event: str, run_id: str, notebook: Path = NOTEBOOK, **fields) -> None:
    entry = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "run": run_id, "event": event,
             "git": git_state(), **fields}
    notebook.parent.mkdir(parents=True, exist_ok=True)
    with notebook.open("a") as f:
        f.write(json.dumps(entry, default=str) + "\n")
