"""Labelled truth in a real Chromium: an operator lets a category be labelled, two labellers read the
same word crops until their readings agree, a labeller cannot open anything else, and the labels
export as a word set that the evaluation loads."""

from __future__ import annotations

import difflib
import io
import subprocess
import sys

from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from evaluation.dataset import load_set
from rollout.store.models import AuditEntry, TruthTask
from tests.browser.signin import sign_in
from tests.dashboard_fixtures import PASSWORDS, page_png

LINES = ["TOTAL 12.90", "CASH 20.00", "CHANGE 7.10"]
WORDS = [word for line in LINES for word in line.split()]
PAGE = Image.open(io.BytesIO(page_png(LINES)))


def _tasks(app) -> list[TruthTask]:
    with app.extensions["ocrgate"].store.session() as session:
        return list(session.scalars(select(TruthTask).order_by(TruthTask.id)))


def _read_words(page, base: str, username: str, shots=None) -> int:
    """Sign in as `username` (a labeller lands on the labelling page) and read every word offered, as a
    person who sees the crop would: pick the reading that is the word, else type the word."""
    page.goto(base + "/admin/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORDS[username])
    page.click("button[type=submit]")
    page.wait_for_url(base + "/admin/label")
    read = 0
    while page.locator("#crop").count():
        crop = page.locator("#crop")
        expect(crop).to_have_js_property("complete", True)
        size = crop.evaluate("img => [img.naturalWidth, img.naturalHeight]")
        assert 0 < size[0] < PAGE.width and 0 < size[1] < PAGE.height / 3  # one word of one line: never the page
        assert page.locator("main img").count() == 1
        text = page.inner_text("main")
        assert "tesseract" not in text.lower()  # nor which engine read what
        if shots is not None and not read:
            page.screenshot(path=str(shots / "labelling.png"), full_page=True)
        choices = page.locator("#choices-form button.choice")
        readings = [choices.nth(i).inner_text() for i in range(choices.count())]
        with page.expect_navigation():
            if any(reading in WORDS for reading in readings):
                choices.nth(next(i for i, reading in enumerate(readings) if reading in WORDS)).click()
            else:
                page.fill("#text", difflib.get_close_matches(readings[0], WORDS, n=1, cutoff=0)[0])
                page.click("#submit-typed")
        read += 1
    assert "Nothing to read right now" in page.inner_text("#no-tasks")
    return read


def test_two_labellers_agree_in_the_browser_and_the_labels_export(live_admin, page, browser, shots, tmp_path):
    app, base = live_admin
    service = app.extensions["ocrgate"]
    sign_in(page, base, "ops", "/admin/labelling")
    page.select_option("#kind", "category")
    page.fill("#value", "register_tapes")
    page.click("#grant")
    assert "register_tapes" in page.inner_text("#consents")
    for unit in ("shop-1", "shop-2"):  # traffic after the consent is sampled for labelling
        service.router.serve(page_png(LINES), unit=unit, category="register_tapes")
    assert service.shadows.drain(60)
    tasks = _tasks(app)
    assert tasks and all(task.truth is None for task in tasks)

    for username in ("lena", "omar"):
        context = browser.new_context(viewport={"width": 1000, "height": 700})
        try:
            assert _read_words(context.new_page(), base, username, shots if username == "lena" else None) == len(tasks)
        finally:
            context.close()
    settled = _tasks(app)
    assert all(task.truth in WORDS for task in settled)
    with service.store.session() as session:
        labels = session.scalars(select(AuditEntry).where(AuditEntry.action == "label")).all()
        assert sorted({entry.actor for entry in labels}) == ["lena", "omar"] and len(labels) == 2 * len(tasks)

    page.reload()
    counts = page.inner_text("#tasks")
    assert f"register_tapes\t{len(tasks)}\t{len(tasks)}\t0\t{2 * len(tasks)}" in counts

    out = tmp_path / "labels"
    done = subprocess.run([sys.executable, "-m", "ocrgate", "sets", "export-labels", "--out", str(out), "--db",
                           service.settings.database_url], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    exported = load_set(out)
    assert exported.level == "word" and len(exported.records) == len(settled)
    assert sorted(record.text for record in exported.records) == sorted(task.truth for task in settled)


def test_a_labeller_only_labels(live_admin, page):
    app, base = live_admin
    sign_in(page, base, "lena", "/admin/label")
    assert page.locator("header a").all_inner_texts() == ["Label words"]
    assert page.locator("[data-kill]").count() == 0
    for path in ("/admin/", "/admin/gates/ocr-engine", "/admin/gates/ocr-engine/kill", "/admin/audit",
                 "/admin/analysis/pairs", "/admin/analysis/pairs/1", "/admin/analysis/pairs/1/control.png",
                 "/admin/analysis/traffic", "/admin/analysis/benchmarks", "/admin/labelling", "/admin/users/"):
        response = page.goto(base + path)
        assert response.status == 403, path
        assert "needs the" in page.inner_text("#error-message")
    response = page.goto(base + "/admin/label/1.png")  # a crop that is not offered to her: nothing to see
    assert response.status == 404
