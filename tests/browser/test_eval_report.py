"""The evaluation report opens in a real browser with its tables and plots rendered."""

from __future__ import annotations

import pytest

from evaluation.evaluate import evaluate


@pytest.fixture(autouse=True)
def private_notebook(tmp_path, monkeypatch):
    monkeypatch.setenv("OCRGATE_LAB_NOTEBOOK", str(tmp_path / "lab.jsonl"))


def test_report_renders_tables_plots_and_diffs(tiny_set, corrupting_engines, tmp_path, page):
    evaluate(["perfect", "sloppy"], [str(tiny_set)], tmp_path / "out", progress=False)
    page.goto((tmp_path / "out" / "report.html").as_uri())
    widths = page.eval_on_selector_all("img.plot", "imgs => imgs.map(i => i.naturalWidth)")
    assert len(widths) == 3 and all(w > 200 for w in widths)
    summary_rows = page.locator("h2:has-text('Summary') + p + table tr")
    assert summary_rows.count() == 1 + 2 * 3  # header + 2 engines × (all + 2 categories)
    # sloppy is worse on every page, but 4 pages are too few for any test to say so: the verdict
    # table shows it with its p-values rather than a colour it has not earned
    verdicts = page.locator("tr:has-text('sloppy vs perfect')")
    assert verdicts.count() == 3 and "not distinguishable" in verdicts.first.inner_text()
    assert page.locator("th:has-text('p (Holm)')").count() == 1
    assert page.locator("table.diff .sub").count() > 0
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 20_000
