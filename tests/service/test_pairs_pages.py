"""`GET /v1/pairs` a page at a time: `next_cursor` passed back as `cursor` walks every pair once,
newest first, and pairs stored meanwhile do not shift the pages."""

from __future__ import annotations

from tests.rollout_fixtures import png_bytes
from tests.service.test_api import get_json


def _serve(served_app, client, count: int) -> None:
    app, _, _ = served_app
    for i in range(count):
        client.ocr(png_bytes(), unit=f"team-{i}", category="receipts")
    assert app.extensions["ocrgate"].shadows.drain(30)


def test_cursor_pages_walk_every_pair_once(served_app, client):
    _serve(served_app, client, 5)
    first = client.pairs(limit=2)
    assert len(first["pairs"]) == 2 and first["next_cursor"] == first["pairs"][-1]["pair_id"]
    _serve(served_app, client, 1)  # newer than the first page: it does not push an old pair onto the next
    seen, cursor = [p["pair_id"] for p in first["pairs"]], first["next_cursor"]
    while cursor is not None:
        page = client.pairs(limit=2, cursor=str(cursor))
        seen += [p["pair_id"] for p in page["pairs"]]
        cursor = page["next_cursor"]
    assert len(seen) == 5 and seen == sorted(seen, reverse=True)
    newest = client.pairs(limit=500)
    assert newest["next_cursor"] is None and [p["pair_id"] for p in newest["pairs"]][1:] == seen
    assert client.pairs(limit=2, category="receipts", cursor=str(seen[1]))["pairs"][0]["pair_id"] == seen[2]


def test_a_bad_cursor_is_a_400(served_app, client):
    _, base, token = served_app
    for raw in ("abc", "-1", "0", "1.5", "%C2%B2", "99999999999999999999"):
        status, body = get_json(f"{base}/v1/pairs?cursor={raw}", token)
        assert status == 400 and "cursor must be a whole number" in body["error"], raw
    assert client.pairs(cursor="")["pairs"] == []  # an empty cursor is the first page
