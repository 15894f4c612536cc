"""The eval runner end to end: results.json's contract, the report, the cache, failures, the notebook."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engines import OcrEngine, register_engine
from engines.registry import unregister_engine
from evaluation.evaluate import evaluate
from kernel.errors import EngineFailedError, OcrInputError
from kernel.provenance import machine


@pytest.fixture(autouse=True)
def private_notebook(tmp_path, monkeypatch):
    monkeypatch.setenv("OCRGATE_LAB_NOTEBOOK", str(tmp_path / "lab.jsonl"))
    monkeypatch.setenv("OCRGATE_SETS_FILE", str(tmp_path / "sets.json"))


def test_known_engines_get_known_scores_and_verdicts(tiny_set, corrupting_engines, tmp_path):
    results = evaluate(["perfect", "sloppy"], [str(tiny_set)], tmp_path / "out", cache_dir=None, progress=False)
    perfect, sloppy = results["summary"]["perfect"], results["summary"]["sloppy"]
    assert set(perfect) == {"all", "docs", "receipts"}
    assert perfect["all"]["n"] == 4 and perfect["all"]["aligned_cer"] == 0 and perfect["all"]["cer"] == 0
    assert perfect["all"]["det_precision"] == 1 and perfect["all"]["det_recall"] == 1
    assert 0.15 < sloppy["all"]["aligned_cer"] < 0.45
    for key in ("aligned_cer", "cer", "wer", "seconds_per_page"):
        low, high = sloppy["all"][f"{key}_ci95"]
        assert low <= sloppy["all"][key] <= high
    verdict = next(v for v in results["paired"] if v["category"] == "all")
    # every one of the 4 pages is worse, but no test can tell at n = 4 (exact sign-flip p = 2/16)
    assert (verdict["control"], verdict["candidate"], verdict["verdict"]) == ("perfect", "sloppy", "not distinguishable")
    assert verdict["p_value"] == pytest.approx(0.125) and verdict["delta_ci95"][0] > 0
    categories = [v for v in results["paired"] if v["category"] != "all"]
    assert all(v["p_adjusted"] >= v["p_value"] for v in categories)
    assert len(results["pages"]) == 4 and set(results["pages"][0]["engines"]) == {"perfect", "sloppy"}
    saved = json.loads((tmp_path / "out" / "results.json").read_text())
    assert saved["summary"]["sloppy"]["all"]["aligned_cer"] == sloppy["all"]["aligned_cer"]
    html = (tmp_path / "out" / "report.html").read_text()
    assert "data:image/png;base64" in html and "Worst pages" in html and 'class="sub"' in html


class FlakyEngine(OcrEngine):
    name, version = "flaky", "1"

    def _read_page(self, page, options):
        raise EngineFailedError("boom")


def test_a_failing_engine_is_counted_not_dropped(tiny_set, corrupting_engines, tmp_path):
    register_engine("flaky", FlakyEngine)
    try:
        results = evaluate(["perfect", "flaky"], [str(tiny_set)], tmp_path / "out", progress=False)
    finally:
        unregister_engine("flaky")
    assert results["summary"]["flaky"]["all"]["failures"] == 4
    assert results["summary"]["flaky"]["all"]["n"] == 4
    assert results["summary"]["flaky"]["all"]["aligned_cer"] == 1.0  # scored as reading nothing
    assert all("boom" in p["engines"]["flaky"]["error"] for p in results["pages"])


def test_cache_reuses_outputs(tiny_set, corrupting_engines, tmp_path):
    first = evaluate(["sloppy"], [str(tiny_set)], tmp_path / "a", cache_dir=tmp_path / "cache", progress=False)
    second = evaluate(["sloppy"], [str(tiny_set)], tmp_path / "b", cache_dir=tmp_path / "cache", progress=False)
    assert not any(p["engines"]["sloppy"]["cached"] for p in first["pages"])
    assert all(p["engines"]["sloppy"]["cached"] for p in second["pages"])
    assert second["summary"]["sloppy"]["all"]["aligned_cer"] == first["summary"]["sloppy"]["all"]["aligned_cer"]


def test_bad_runs_are_refused(tiny_set, tmp_path):
    with pytest.raises(OcrInputError, match="unknown engine"):
        evaluate(["nope"], [str(tiny_set)], tmp_path / "out")
    with pytest.raises(OcrInputError, match="no benchmark set"):
        evaluate(["tesseract"], [str(tmp_path / "missing")], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def ocrgate(*args, env=None):
    return subprocess.run([sys.executable, "-m", "ocrgate", *args], capture_output=True, text=True, env=env,
                          timeout=600)


def test_cli_eval_with_tesseract_then_lab_notebook(tiny_set, tmp_path):
    import os
    env = {**os.environ}
    for n in (1, 2):
        done = ocrgate("eval", "--engine", "tesseract", "--set", str(tiny_set), "--out", str(tmp_path / f"x{n}"),
                       "--cache", str(tmp_path / "cache"), env=env)
        assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "x1" / "results.json").read_text())
    row = results["summary"]["tesseract"]["all"]
    assert row["n"] == 4 and row["aligned_cer"] < 0.1 and row["seconds_per_page"] > 0
    assert (tmp_path / "x1" / "report.html").stat().st_size > 10_000
    listing = ocrgate("lab", "list", env=env)
    assert listing.returncode == 0 and listing.stdout.splitlines()[0].startswith("#2")
    assert results["run"]["machine"] == machine()
    diff = ocrgate("lab", "diff", "1", "2", env=env)
    assert diff.returncode == 0 and "aligned_cer" in diff.stdout
    assert "different machines" not in diff.stdout
    assert ocrgate("lab", "diff", "1", "9", env=env).returncode == 2
    # run #2 as if measured on a processor without AVX-512: the diff says so
    notebook = Path(env["OCRGATE_LAB_NOTEBOOK"])
    entries = [json.loads(line) for line in notebook.read_text().splitlines()]
    entries[1]["machine"]["isa"] = [f for f in entries[1]["machine"]["isa"] if not f.startswith("avx512")] + ["x"]
    notebook.write_text("".join(json.dumps(e) + "\n" for e in entries))
    assert "different machines" in ocrgate("lab", "diff", "1", "2", env=env).stdout


def test_registered_sets_by_name(tiny_set, tmp_path):
    import os
    env = {**os.environ}
    done = ocrgate("sets", "add", "tiny", str(tiny_set), env=env)
    assert done.returncode == 0 and "4 records" in done.stdout
    assert "tiny" in ocrgate("sets", "list", env=env).stdout
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "manifest.jsonl").write_text("{oops\n")
    done = ocrgate("sets", "add", "bad", str(bad), env=env)
    assert done.returncode == 2 and "not valid JSON" in done.stderr


class TurningEngine(OcrEngine):
    """Reads nothing, but says it turned every page over first (as an orientation step would)."""

    name, version = "turning", "1"

    def _read_page(self, page, options):
        from engines.result import Page

        return Page(width=page.width, height=page.height, blocks=[], rotation=180)


def test_each_page_says_which_way_each_engine_turned_it(tiny_set, corrupting_engines, tmp_path):
    register_engine("turning", TurningEngine)
    try:
        results = evaluate(["perfect", "turning"], [str(tiny_set)], tmp_path / "out", cache_dir=None, progress=False)
    finally:
        unregister_engine("turning")
    assert all(p["engines"]["turning"]["rotation"] == [180] for p in results["pages"])
    assert all(p["engines"]["perfect"]["rotation"] == [0] for p in results["pages"])
