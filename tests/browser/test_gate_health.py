"""Is it safe to ramp? A gate's page in a real Chromium: the evidence per category, the guard's verdict
for the next step (the default steps, then a schedule's), charts over time, and a kill that asks why."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kernel.errors import RampRefusedError
from rollout.gate_store import GateChange, change_gate, get_gate
from rollout.guard import RampGuard
from rollout.schedule import get_schedule
from rollout.store.models import AuditEntry
from rollout.traffic import traffic_summary
from tests.browser.signin import sign_in


def _store(app):
    return app.extensions["ocrgate"].store


def test_the_gate_page_answers_whether_it_is_safe_to_ramp(live_admin, page, shots):
    app, base = live_admin
    sign_in(page, base, "ops")
    page.goto(base + "/admin/gates/ocr-engine")
    # the default steps: the gate shadows, so the next share is 1%; the notebook and the traffic clear it
    assert page.inner_text("#ramp-verdict h2") == "Safe to ramp to 1%: yes"
    findings = page.inner_text("#verdict-findings")
    assert "benchmark · accuracy" in findings and "traffic · error_rate" in findings
    with _store(app).session() as session:
        traffic = traffic_summary(session, "ocr-engine")["register_tapes"]
    row = page.locator("#evidence tr[data-category=register_tapes]")
    cells = row.locator("td")
    assert "+0.00 pt" in cells.nth(1).inner_text() and "pass" in cells.nth(1).inner_text()
    assert cells.nth(2).inner_text() == str(traffic["pairs"])
    assert cells.nth(3).inner_text().startswith(f"{100 * traffic['aligned_disagreement']['value']:.2f}%")
    assert cells.nth(8).inner_text() == "0.00% / 0.00%"
    for chart in (page.locator("img.plot").nth(0), page.locator("img.plot").nth(1)):
        expect(chart).to_have_js_property("complete", True)
        assert chart.evaluate("img => img.naturalWidth") > 300

    # a schedule: its first step is judged on its own minimum of pairs, which one pair does not meet
    page.fill("#steps", "5 50 100")
    page.fill("#dwell_minutes", "30")
    page.fill("#min_pairs", "5")
    page.fill("#schedule_reason", "ramp on evidence")
    page.click("#set-schedule")
    assert "has a schedule" in page.inner_text(".flash")
    assert get_schedule(_store(app), "ocr-engine").steps_bp == (500, 5000, 10000)
    assert "running" in page.inner_text("#schedule") and "5% → 50% → 100%" in page.inner_text("#schedule")
    assert page.inner_text("#ramp-verdict h2") == "Safe to ramp to 5%: no"
    assert "fewer than the 5 the guard needs" in page.inner_text("#verdict-because")
    first = page.locator("table.audit tr").nth(1).inner_text()
    assert "schedule 5% → 50% → 100%" in first and "ramp on evidence" in first
    page.screenshot(path=str(shots / "gate-health.png"), full_page=True)

    page.fill("#stop-schedule-form input[name=reason]", "enough for today")
    page.click("#stop-schedule")
    assert get_schedule(_store(app), "ocr-engine").status.value == "stopped"
    assert page.inner_text("#ramp-verdict h2") == "Safe to ramp to 1%: yes"  # back to the default steps


def test_a_refused_ramp_shows_its_findings_in_the_audit_log(live_admin, page, tmp_path, monkeypatch):
    app, base = live_admin
    monkeypatch.setenv("OCRGATE_LAB_NOTEBOOK", str(tmp_path / "empty.jsonl"))  # no benchmark evidence
    sign_in(page, base, "ops")
    page.goto(base + "/admin/gates/ocr-engine")
    assert page.inner_text("#ramp-verdict h2") == "Safe to ramp to 1%: no"
    assert "no lab-notebook evaluation" in page.inner_text("#verdict-because")
    store = _store(app)
    with pytest.raises(RampRefusedError):  # as `ocrgate gate set` would try it
        change_gate(store, "ocr-engine", GateChange(stage="rollout", percent=1), "ops", guard=RampGuard(store))
    page.goto(base + "/admin/audit?action=ramp-refused")
    entry = page.locator("tr.action-ramp-refused")
    assert entry.count() == 1 and "ramp refused by the guard" in entry.inner_text()
    table = entry.locator("details.guard-findings table.findings")
    expect(table).to_be_hidden()  # folded until asked for
    entry.locator("summary").click()
    expect(table).to_be_visible()
    assert "insufficient evidence" in table.inner_text() and "benchmark · accuracy" in table.inner_text()


def test_the_kill_switch_asks_for_a_reason(live_admin, page):
    app, base = live_admin
    sign_in(page, base, "ops")
    page.goto(base + "/admin/analysis/traffic")
    page.click("a[data-kill=ocr-engine]")
    page.wait_for_url(base + "/admin/gates/ocr-engine/kill")
    page.click("#confirm-kill")  # no reason: the browser does not even send it
    assert page.url == base + "/admin/gates/ocr-engine/kill" and not get_gate(_store(app), "ocr-engine").killed
    page.evaluate("document.querySelector('#reason').removeAttribute('minlength')")
    page.fill("#reason", "bad")  # a client that skips the form's own check meets the server's
    page.click("#confirm-kill")
    assert "at least 10 characters" in page.inner_text(".flash.error")
    assert not get_gate(_store(app), "ocr-engine").killed
    page.fill("#reason", "totals misread on register tapes")
    page.click("#confirm-kill")
    assert "killed" in page.inner_text(".flash.ok") and get_gate(_store(app), "ocr-engine").killed
    with _store(app).session() as session:
        kill = session.scalars(select(AuditEntry).where(AuditEntry.action == "kill")).one()
        assert (kill.actor, kill.reason) == ("ops", "totals misread on register tapes")
