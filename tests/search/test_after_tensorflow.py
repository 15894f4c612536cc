"""Issue 13: with TensorFlow imported before sqlite3, `ocrgate pdf --index` died with "no such
module: fts5". TensorFlow loads `libtensorflow_cc.so.2` RTLD_GLOBAL, and that library exports its
own SQLite (built without FTS5); `_sqlite3`, loaded afterwards, binds its `sqlite3_*` symbols to
that copy instead of the system's libsqlite3. The index then uses its portable inverted index."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, sys
import tensorflow  # first, before anything imports sqlite3
import sqlite3
from engines import register_engine
from ocrgate.cli import main
from search import SearchIndex
from tests.pdf.conftest import KnownTextEngine, known_page

workdir = sys.argv[1]
page = known_page(["Invoice from Café Müller", "The quick brown fox 12.50"])
page.image.save(f"{workdir}/in.png")
register_engine("known-text", lambda: KnownTextEngine(page))
fts5 = bool(sqlite3.connect(":memory:").execute("SELECT sqlite_compileoption_used('ENABLE_FTS5')").fetchone()[0])
code = main(["pdf", f"{workdir}/in.png", "-o", f"{workdir}/out.pdf", "--engine", "known-text",
             "--index", f"{workdir}/index.sqlite"])
assert code == 0, code
assert main(["search", "cafe QUICK", "--index", f"{workdir}/index.sqlite", "--json"]) == 0
backend = SearchIndex(f"{workdir}/index.sqlite").backend
sys.stderr.write(json.dumps({"sqlite": sqlite3.sqlite_version, "fts5": fts5, "backend": backend}) + "\n")
"""


@pytest.mark.slow
def test_index_and_search_after_importing_tensorflow_first(tmp_path):
    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("tensorflow is not installed (the `training` extra)")
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
                   "TF_CPP_MIN_LOG_LEVEL": "3", "OCRGATE_SEARCH_INDEX": str(tmp_path / "unused.sqlite")}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], cwd=REPO, env=environment,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    facts = json.loads(done.stderr.strip().splitlines()[-1])
    (hit,) = json.loads(done.stdout)
    assert (hit["document"], hit["page"]) == (str((tmp_path / "out.pdf").resolve()), 1)
    assert [w["text"] for w in hit["words"]] == ["Café", "quick"]
    # where TensorFlow's SQLite lacks FTS5 (2.21 does), the portable inverted index answered
    assert facts["backend"] == ("sqlite-fts5" if facts["fts5"] else "sqlite-terms"), facts
    # and a process with FTS5 reads the same index and builds its FTS5 table from it
    from search import SearchIndex
    index = SearchIndex(tmp_path / "index.sqlite")
    assert [(h.document, [w.text for w in h.words]) for h in index.search("cafe QUICK")] == [
        (hit["document"], ["Café", "quick"])]
