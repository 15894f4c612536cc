"""Cursor pages in the admin: how many rows a page shows, and the links to the newest and next pages."""

from __future__ import annotations

from flask import request, url_for

from kernel.settings import whole_number
from rollout.keyset import parse_cursor


def page_args(page: int) -> tuple[int | None, int]:
    """The request's `cursor` (None: the first page) and `limit` (1..page, default page)."""
    return parse_cursor(request.args.get("cursor")), whole_number(
        request.args.get("limit", str(page)), "limit", 1, page
    )


def _here(**changes: int | None) -> str:
    """This page's address, its filters kept, with `changes` (None drops a parameter)."""
    args = {**(request.view_args or {}), **request.args.to_dict(), **changes}
    return url_for(request.endpoint or "", **{key: value for key, value in args.items() if value is not None})


def pager(next_cursor: int | None) -> dict[str, str | None]:
    """Links for pager.html: `newest` when this is not the first page, `older` unless it is the last."""
    return {
        "newest": _here(cursor=None) if request.args.get("cursor") else None,
        "older": _here(cursor=next_cursor) if next_cursor is not None else None,
    }
