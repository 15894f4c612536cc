"""Lab notebook of training runs: one JSON line per run event, with what is needed to reproduce it.

(Evaluation runs have their own numbered notebook, `evaluation/labnotebook.py`: different
records, one shared notion of provenance.)
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from kernel.provenance import git_commit

NOTEBOOK = Path(__file__).resolve().parents[1] / "models" / "LABNOTEBOOK.jsonl"


def record(event: str, run_id: str, notebook: Path = NOTEBOOK, **fields) -> None:
    entry = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "run": run_id, "event": event,
             "git": git_commit(), **fields}
    notebook.parent.mkdir(parents=True, exist_ok=True)
    with notebook.open("a") as f:
        f.write(json.dumps(entry, default=str) + "\n")
