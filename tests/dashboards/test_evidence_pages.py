"""Issue 14's admin over the Flask test client: cursor pages, filters in the units the table shows, a
kill that needs a reason, schedules set from the form, and who may open what (the labeller role)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from dashboards.plots import DAY, HOUR, bin_size, binned, time_limits
from rollout.gate_store import GateChange, change_gate, create_gate, get_gate
from rollout.schedule import get_schedule
from rollout.store.models import AuditEntry, Pair, TruthLabel
from rollout.truth import grant_consent
from tests.dashboard_fixtures import csrf_from, login_client, page_png
from tests.rollout_fixtures import png_bytes

PAIR_LINK = r'href="/admin/analysis/pairs/(\d+)"'


def store_of(app):
    return app.extensions["ocrgate"].store


def _serve(app, count: int, gate: str = "ocr-engine", category: str = "register_tapes") -> None:
    service = app.extensions["ocrgate"]
    for i in range(count):
        service.router.serve(page_png([f"ITEM {i} 4.{i}0"]), unit=f"shop-{i}", category=category, gate=gate)
    assert service.shadows.drain(60)


def _ids(html: str, pattern: str) -> list[int]:
    return [int(x) for x in re.findall(pattern, html)]


def _walk(client, first: str, pattern: str) -> list[list[int]]:
    """Follow the `older` links from `first`: the ids on each page."""
    pages, url = [], first
    while url:
        html = client.get(url).text
        pages.append(_ids(html, pattern))
        found = re.search(r'id="next-page" href="([^"]+)"', html)
        url = found.group(1).replace("&amp;", "&") if found else None
    return pages


def test_pairs_page_by_cursor_with_the_filters_kept(live_admin):
    app, _ = live_admin
    _serve(app, 2)
    client = login_client(app, "viv")
    first = "/admin/analysis/pairs?category=register_tapes&limit=2"
    pages = _walk(client, first, PAIR_LINK)
    with store_of(app).session() as session:
        every = list(session.scalars(select(Pair.id).order_by(Pair.id.desc())))
    assert [len(page) for page in pages] == [2, 1] and sum(pages, []) == every
    older = re.search(r'id="next-page" href="([^"]+)"', client.get(first).text).group(1)
    assert "category=register_tapes" in older and "limit=2" in older
    assert client.get("/admin/analysis/pairs?cursor=x").status_code == 400
    assert client.get("/admin/analysis/pairs?limit=0").status_code == 400
    assert len(client.get("/admin/analysis/pairs?format=json&limit=1&cursor=2").get_json()) == 3  # exports: all


def test_audit_log_by_cursor(live_admin):
    app, _ = live_admin
    client = login_client(app, "ops")
    for share in ("50", "60", "70"):
        token = csrf_from(client.get("/admin/gates/ocr-engine").text)
        version = str(get_gate(store_of(app), "ocr-engine").version)
        assert client.post("/admin/gates/ocr-engine/apply", data={"csrf_token": token, "version": version,
                                                                   "shadow_percent": share}).status_code == 302
    pages = _walk(client, "/admin/audit?gate=ocr-engine&limit=2", r'<tr id="audit-(\d+)"')
    with store_of(app).session() as session:
        entries = list(session.scalars(select(AuditEntry.id).where(AuditEntry.gate == "ocr-engine")
                                       .order_by(AuditEntry.id.desc())))
    assert len(entries) == 5 and [len(page) for page in pages] == [2, 2, 1] and sum(pages, []) == entries


def test_the_pairs_filter_takes_percent_like_its_column(live_admin, test_engines):
    app, _ = live_admin
    store = store_of(app)
    create_gate(store, "words", "alpha", "beta", actor="setup")  # "hello" against "hallo": 20% apart
    change_gate(store, "words", GateChange(stage="shadow", aa_percent=0), actor="setup")
    app.extensions["ocrgate"].snapshot.refresh()
    app.extensions["ocrgate"].router.serve(png_bytes(), unit="u", category="greetings", gate="words")
    assert app.extensions["ocrgate"].shadows.drain(30)
    with store.session() as session:
        words = session.scalars(select(Pair.id).where(Pair.gate == "words")).one()
        every = set(session.scalars(select(Pair.id)))
    client = login_client(app, "viv")
    shown = client.get("/admin/analysis/pairs?min_cer_percent=15").text
    assert _ids(shown, PAIR_LINK) == [words] and "20.00%" in shown  # a fraction of 15 would show nothing
    assert _ids(client.get("/admin/analysis/pairs?min_cer_percent=20").text, PAIR_LINK) == [words]
    assert "No pairs match" in client.get("/admin/analysis/pairs?min_cer_percent=25").text
    assert set(_ids(client.get("/admin/analysis/pairs?min_cer_percent=0").text, PAIR_LINK)) == every


def test_a_kill_needs_a_written_reason(live_admin):
    app, _ = live_admin
    client = login_client(app, "ops")
    form = client.get("/admin/gates/ocr-engine/kill")
    assert form.status_code == 200 and 'minlength="10"' in form.text
    token = csrf_from(form.text)
    for reason in ("", "   ", "too short"):
        refused = client.post("/admin/gates/ocr-engine/kill", data={"csrf_token": token, "reason": reason})
        assert refused.status_code == 400 and "at least 10 characters" in refused.text
    assert not get_gate(store_of(app), "ocr-engine").killed
    done = client.post("/admin/gates/ocr-engine/kill", data={"csrf_token": token, "reason": "candidate  drops totals"})
    assert done.status_code == 302 and get_gate(store_of(app), "ocr-engine").killed
    with store_of(app).session() as session:
        assert session.scalars(select(AuditEntry.reason).where(AuditEntry.action == "kill")).one() == \
            "candidate drops totals"
    assert login_client(app, "viv").get("/admin/gates/ocr-engine/kill").status_code == 403


@pytest.mark.parametrize("fields, message", [
    ({"steps": "5 1"}, "increasing"),
    ({"steps": "abc"}, "schedule step must be a number"),
    ({"steps": "inf"}, "schedule step must be a number"),
    ({"steps": ""}, "increasing"),
    ({"dwell_minutes": "0"}, "dwell minutes must be a whole number"),
    ({"dwell_minutes": "\u00b2"}, "dwell minutes must be a whole number"),
    ({"min_pairs": "-3"}, "pairs per category per step must be a whole number"),
])
def test_bad_schedule_forms_are_refused(live_admin, fields, message):
    app, _ = live_admin
    client = login_client(app, "ops")
    token = csrf_from(client.get("/admin/gates/ocr-engine").text)
    data = {"csrf_token": token, "steps": "1 5 25", "dwell_minutes": "60", "min_pairs": "", **fields}
    response = client.post("/admin/gates/ocr-engine/schedule", data=data)
    assert response.status_code == 400 and message in response.text
    assert get_schedule(store_of(app), "ocr-engine") is None


def test_schedule_set_and_stopped_from_the_form(live_admin):
    app, _ = live_admin
    client = login_client(app, "ops")
    token = csrf_from(client.get("/admin/gates/ocr-engine").text)
    assert client.post("/admin/gates/ocr-engine/schedule/stop", data={"csrf_token": token}).status_code == 400
    done = client.post("/admin/gates/ocr-engine/schedule", data={"csrf_token": token, "steps": "2, 20, 100",
                                                                  "dwell_minutes": "15", "min_pairs": ""})
    assert done.status_code == 302
    schedule = get_schedule(store_of(app), "ocr-engine")
    assert (schedule.steps_bp, schedule.dwell_minutes, schedule.min_pairs) == ((200, 2000, 10000), 15, 1)
    page = client.get("/admin/gates/ocr-engine").text
    assert "Safe to ramp to 2%" in page
    assert client.post("/admin/gates/ocr-engine/schedule/stop", data={"csrf_token": token,
                                                                       "reason": "hold"}).status_code == 302
    assert get_schedule(store_of(app), "ocr-engine").status.value == "stopped"
    viewer = login_client(app, "viv")
    token = csrf_from(viewer.get("/admin/gates/ocr-engine").text)
    assert viewer.post("/admin/gates/ocr-engine/schedule", data={"csrf_token": token, "steps": "1",
                                                                  "dwell_minutes": "1"}).status_code == 403


def test_a_labeller_may_only_label_and_only_the_word_offered(live_admin):
    app, _ = live_admin
    with store_of(app).session() as session:
        grant_consent(session, "category", "register_tapes", actor="ops")
    _serve(app, 2)
    lena = login_client(app, "lena")
    page = lena.get("/admin/label").text
    offered = int(re.search(r'name="task" value="(\d+)"', page).group(1))
    token = csrf_from(page)
    assert lena.get(f"/admin/label/{offered}.png").headers["Content-Type"] == "image/png"
    assert lena.get(f"/admin/label/{offered + 1}.png").status_code == 404  # not offered to her now
    moved = lena.post("/admin/label", data={"csrf_token": token, "task": str(offered + 1), "text": "ITEM"})
    assert moved.status_code == 302  # not hers to read: nothing stored, back to the word offered
    bad = lena.post("/admin/label", data={"csrf_token": token, "task": str(offered), "text": "\u202e"})
    assert bad.status_code == 400 and "printable" in bad.text
    with store_of(app).session() as session:
        assert session.scalar(select(func.count()).select_from(TruthLabel)) == 0
    for path, form in (("/admin/labelling/consent", {"action": "grant", "kind": "unit", "value": "x"}),
                       ("/admin/gates/ocr-engine/schedule", {"steps": "1", "dwell_minutes": "1"}),
                       ("/admin/gates/ocr-engine/kill", {"reason": "a labeller pulls the switch"})):
        assert lena.post(path, data={"csrf_token": token, **form}).status_code == 403
    assert not get_gate(store_of(app), "ocr-engine").killed


def test_consent_is_granted_and_withdrawn_by_operators_only(live_admin):
    app, _ = live_admin
    viewer = login_client(app, "viv")
    page = viewer.get("/admin/labelling")
    assert page.status_code == 200 and 'id="grant-form"' not in page.text
    token = csrf_from(page.text)
    form = {"csrf_token": token, "action": "grant", "kind": "unit", "value": "shop-1"}
    assert viewer.post("/admin/labelling/consent", data=form).status_code == 403
    ops = login_client(app, "ops")
    token = csrf_from(ops.get("/admin/labelling").text)
    assert ops.post("/admin/labelling/consent", data={**form, "csrf_token": token}).status_code == 302
    assert ops.post("/admin/labelling/consent", data={**form, "csrf_token": token, "kind": "page"}).status_code == 400
    assert "shop-1" in ops.get("/admin/labelling").text
    withdraw = {**form, "csrf_token": token, "action": "withdraw"}
    assert ops.post("/admin/labelling/consent", data=withdraw).status_code == 302
    assert ops.post("/admin/labelling/consent", data=withdraw).status_code == 400  # nothing left to withdraw
    with store_of(app).session() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.actor == "ops")
                                  .order_by(AuditEntry.id)).all()
    assert actions == ["consent", "consent-withdraw"]
    log = ops.get("/admin/audit?actor=ops").text
    assert "labelling consent granted: unit &#39;shop-1&#39;" in log


def test_time_axes_span_the_data_not_years():
    moment = datetime(2026, 12, 1, 9, 41)
    assert bin_size([moment]) == HOUR
    low, high = time_limits([start for start, _ in binned([(moment, 1)], HOUR)], HOUR)
    assert high - low == HOUR and low <= moment <= high
    week = [moment + timedelta(days=d, hours=d) for d in range(6)]
    assert bin_size(week) == DAY
    starts = [start for start, _ in binned([(m, 1) for m in week], DAY)]
    assert starts[0] == datetime(2026, 12, 1) and len(starts) == 6
    low, high = time_limits(starts, DAY)
    assert timedelta(days=6) <= high - low <= timedelta(days=7)
