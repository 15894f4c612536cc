"""Hostile input to the HTTP API over a real socket (issue 16): crafted numbers and filters, languages
that are not installed, labels that do not fit their columns or carry control characters, and token
auth (WWW-Authenticate, scopes, reusing a revoked client's name, a private database file)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from accounts.tokens import create_token, list_tokens, revoke_token, verify_token
from kernel.errors import AuthError, OcrInputError
from rollout.gate_store import GateChange, change_gate, create_gate
from rollout.store import Store
from rollout.store.models import EngineRun, ImageBlob, Request, ShadowJob
from service.client import ApiClient, ApiError
from tests.raw_http import call
from tests.rollout_fixtures import png_bytes


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def stored_rows(app) -> dict[str, int]:
    with app.extensions["ocrgate"].store.session() as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in (Request, EngineRun, ShadowJob, ImageBlob)}


# --- 7: numbers and filters from the request -----------------------------------------------------

@pytest.mark.parametrize("path, name", [
    ("/v1/pairs?limit=%C2%B2", "limit"),        # '²'.isdigit() is True, int('²') raises
    ("/v1/pairs?limit=%E2%91%A0", "limit"),     # '①'
    ("/v1/traffic?hours=%E2%91%A0", "hours"),
    ("/v1/traffic?hours=%D9%A3", "hours"),      # an Arabic-Indic three: int() reads it as 3
    ("/v1/search?q=total&limit=%C2%B2", "limit"),
])
def test_crafted_whole_numbers_are_a_400(served_app, path, name):
    _, base, token = served_app
    reply = call(base, "GET", path, headers=bearer(token))
    assert reply.status == 400, reply.text
    assert f"{name} must be a whole number" in json.loads(reply.text)["error"]


def test_an_unknown_pair_kind_is_a_400_not_a_500(served_app):
    _, base, token = served_app
    reply = call(base, "GET", "/v1/pairs?kind=bogus", headers=bearer(token))
    assert reply.status == 400, reply.text
    assert "kind" in json.loads(reply.text)["error"]


# --- 9: client errors are not engine failures; labels are checked in one place ----------------------

@pytest.fixture
def tesseract_gate(served_app):
    """A gate whose control is the real Tesseract (installed languages: whatever tessdata holds)."""
    app, _, _ = served_app
    service = app.extensions["ocrgate"]
    create_gate(service.store, "tess", "tesseract", "tesseract-block", actor="test")
    change_gate(service.store, "tess", GateChange(stage="shadow", aa_percent=0), actor="test")
    service.snapshot.refresh()
    return "tess"


def test_a_language_that_is_not_installed_is_a_400_and_nothing_is_stored(served_app, client, tesseract_gate):
    app, _, _ = served_app
    before = stored_rows(app)
    with pytest.raises(ApiError) as info:
        client.ocr(png_bytes(), unit="u", category="c", gate=tesseract_gate, lang="xx")
    assert info.value.status == 400
    assert "xx" in info.value.body["error"] and "eng" in info.value.body["error"]  # it names what is installed
    assert stored_rows(app) == before
    answer = client.ocr(png_bytes(), unit="u", category="c", gate=tesseract_gate, lang="eng")
    assert answer["engine"] == "tesseract"
    assert stored_rows(app)["requests"] == before["requests"] + 1


@pytest.mark.parametrize("fields, message", [
    ({"gate": "g" * 5000}, "gate"),
    ({"gate": "ocr engine"}, "gate"),
    ({"unit": "u" * 201}, "unit"),
    ({"unit": "evil\u202eexe.txt"}, "unit"),    # right-to-left override
    ({"unit": "a\x7fb"}, "unit"),               # DEL
    ({"unit": "a\u200bb"}, "unit"),             # zero-width space
    ({"category": "c" * 65}, "category"),
    ({"category": "receipts\u2028"}, "category"),  # line separator
    ({"category": "   "}, "category"),
])
def test_bad_labels_are_a_400_and_nothing_is_stored(served_app, client, fields, message):
    app, _, _ = served_app
    before = stored_rows(app)
    labels = {"unit": "u", "category": "c", **fields}
    with pytest.raises(ApiError) as info:
        client.ocr(png_bytes(), **labels)
    assert info.value.status == 400 and message in info.value.body["error"]
    assert "\n" not in info.value.body["error"] and len(info.value.body["error"]) < 200
    assert stored_rows(app) == before


def ocrgate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ocrgate", *args], capture_output=True, text=True, timeout=300)


def test_the_cli_checks_gate_labels_with_the_same_rule(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    done = ocrgate("gate", "set", "g" * 65, "--control", "tesseract", "--candidate", "tesseract-block", "--db", db)
    assert done.returncode == 2 and "gate name" in done.stderr and "Traceback" not in done.stderr
    assert ocrgate("gate", "set", "ocr-engine", "--control", "tesseract", "--candidate", "tesseract-block",
                   "--db", db).returncode == 0
    version = json.loads(ocrgate("gate", "list", "--json", "--db", db).stdout)[0]["version"]
    for option, value in (("--allow", "shop\u202e1"), ("--category", "c" * 65), ("--deny", "a\x7fb")):
        done = ocrgate("gate", "set", "ocr-engine", option, value, "--db", db)
        assert done.returncode == 2, done.stderr
        assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
    assert json.loads(ocrgate("gate", "list", "--json", "--db", db).stdout)[0]["version"] == version


# --- 11: token auth ----------------------------------------------------------------------------------

def test_401s_say_how_to_authenticate(served_app):
    _, base, _ = served_app
    anonymous = call(base, "GET", "/v1/pairs")
    assert anonymous.status == 401
    assert anonymous.headers["WWW-Authenticate"] == 'Bearer realm="ocrgate"'
    wrong = call(base, "GET", "/v1/pairs", headers=bearer("ocg_not-a-token"))
    assert wrong.status == 401
    assert wrong.headers["WWW-Authenticate"] == 'Bearer realm="ocrgate", error="invalid_token"'


def test_a_new_token_can_only_ocr(served_app):
    app, base, _ = served_app
    token = create_token(app.extensions["ocrgate"].store, "scanner")
    assert ApiClient(base, token).ocr(png_bytes(), unit="u", category="c")["engine"] == "alpha"
    for path in ("/v1/pairs", "/v1/traffic", "/v1/gates", "/v1/search?q=hello"):
        reply = call(base, "GET", path, headers=bearer(token))
        assert reply.status == 403, (path, reply.status)
        assert 'error="insufficient_scope"' in reply.headers["WWW-Authenticate"]
        assert "scope" in json.loads(reply.text)["error"]


def test_a_read_token_sees_only_its_own_clients_pairs_unless_it_is_admin(served_app):
    app, base, _ = served_app
    store = app.extensions["ocrgate"].store
    tokens = {"client-a": create_token(store, "client-a", ["ocr", "read"]),
              "client-b": create_token(store, "client-b", ["ocr", "read"]),
              "auditor": create_token(store, "auditor", ["read", "admin"])}
    sent = {"client-a": ApiClient(base, tokens["client-a"]).ocr(png_bytes(shade=10), unit="u", category="c"),
            # client-b names client-a's unit: the unit is the caller's label, not who asked
            "client-b": ApiClient(base, tokens["client-b"]).ocr(png_bytes(shade=20), unit="client-a", category="c")}
    assert app.extensions["ocrgate"].shadows.drain(10)

    def seen(name: str) -> set[str]:
        return {pair["request_id"] for pair in ApiClient(base, tokens[name]).pairs(limit=100)["pairs"]}

    assert seen("client-a") == {sent["client-a"]["request_id"]}
    assert seen("client-b") == {sent["client-b"]["request_id"]}
    assert seen("auditor") == {answer["request_id"] for answer in sent.values()}
    reply = call(base, "GET", "/v1/search?q=hello", headers=bearer(tokens["client-a"]))
    assert reply.status == 403  # search spans every client's text: read and admin
    assert call(base, "GET", "/v1/search?q=hello", headers=bearer(tokens["auditor"])).status == 200


def test_unknown_scopes_are_refused(sqlite_store):
    with pytest.raises(OcrInputError, match="scope"):
        create_token(sqlite_store, "x", ["ocr", "write"])
    with pytest.raises(OcrInputError, match="scope"):
        create_token(sqlite_store, "x", [])
    assert list_tokens(sqlite_store) == []


def test_a_revoked_tokens_name_can_be_reused(sqlite_store):
    old = create_token(sqlite_store, "billing")
    with pytest.raises(OcrInputError, match="exists"):
        create_token(sqlite_store, "billing")
    revoke_token(sqlite_store, "billing")
    new = create_token(sqlite_store, "billing", ["ocr", "read"])
    assert verify_token(sqlite_store, new).name == "billing"
    with pytest.raises(AuthError):
        verify_token(sqlite_store, old)
    states = [(row["name"], row["revoked"], row["scopes"]) for row in list_tokens(sqlite_store)]
    assert states == [("billing", True, ["ocr"]), ("billing", False, ["ocr", "read"])]


def test_tokens_get_scopes_on_the_command_line(tmp_path):
    db = f"sqlite:///{tmp_path / 'tok.db'}"
    done = ocrgate("tokens", "create", "dash", "--scope", "read", "--scope", "ocr", "--db", db)
    assert done.returncode == 0, done.stderr
    store = Store(db)
    try:
        assert verify_token(store, done.stdout.strip()).scopes == frozenset({"ocr", "read"})
        assert verify_token(store, ocrgate("tokens", "create", "plain", "--db", db).stdout.strip()).scopes \
            == frozenset({"ocr"})
    finally:
        store.dispose()
    bad = ocrgate("tokens", "create", "x", "--scope", "everything", "--db", db)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "dash" in ocrgate("tokens", "list", "--db", db).stdout


def test_a_new_sqlite_database_is_private(tmp_path):
    path = tmp_path / "fresh.db"
    old_umask = os.umask(0o022)  # the usual umask: without care the file would be world-readable
    try:
        store = Store(f"sqlite:///{path}")
        create_token(store, "x")
        store.dispose()
    finally:
        os.umask(old_umask)
    for file in tmp_path.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file.name


def test_crafted_search_queries_do_not_break_the_api(served_app):
    _, base, token = served_app
    for query in ("\u202e", "\x00", "a" * 5000, '"'):
        reply = call(base, "GET", f"/v1/search?q={quote(query)}", headers=bearer(token))
        assert reply.status in (200, 400), (query, reply.status)
