"""The HTTP API, `/v1`, authenticated by `Authorization: Bearer TOKEN` with scopes (accounts.tokens).

A 401 says how to authenticate (`WWW-Authenticate: Bearer realm="ocrgate"`, with
`error="invalid_token"` when a token was sent); a valid token without the scope an endpoint needs
gets a 403 with `error="insufficient_scope"` (RFC 6750)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict
from functools import wraps
from typing import cast

from flask import Blueprint, Response, current_app, g, jsonify, request

from accounts.tokens import verify_token
from engines.options import Mode, RecognizeOptions
from kernel.errors import AuthError, OcrInputError
from kernel.settings import whole_number
from rollout.gate_store import DEFAULT_GATE, describe
from rollout.keyset import after_cursor, page_of, parse_cursor
from rollout.pairs import filter_pairs, paired_runs, served_and_shadow
from rollout.store.models import EngineRun, Pair
from rollout.traffic import traffic_summary
from service.retention import search_document

api = Blueprint("api", __name__, url_prefix="/v1")
log = logging.getLogger(__name__)
MAX_PAIRS = 500


def ocr_service():
    return current_app.extensions["ocrgate"]


def _refused(status: int, message: str, challenge: str) -> Response:
    response = jsonify({"error": message, "type": "AuthError" if status == 401 else "Forbidden"})
    response.status_code = status
    response.headers["WWW-Authenticate"] = f'Bearer realm="ocrgate"{challenge}'
    return response


def form_options() -> RecognizeOptions:
    """The engine options a multipart request names (fields `mode` and `lang`)."""
    mode = cast(Mode, request.form.get("mode", "page"))  # RecognizeOptions refuses any other mode
    return RecognizeOptions(mode=mode, languages=request.form.get("lang", "eng"))


def require_token(*scopes: str) -> Callable[[Callable], Callable]:
    """View decorator: a valid bearer token holding every one of `scopes`; its grant goes to `g.grant`."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return _refused(
                    401, "send Authorization: Bearer TOKEN (create one with `ocrgate tokens create NAME`)", ""
                )
            try:
                g.grant = verify_token(ocr_service().store, token.strip())
            except AuthError as exc:
                return _refused(401, str(exc), ', error="invalid_token"')
            missing = [scope for scope in scopes if scope not in g.grant.scopes]
            if missing:
                return _refused(
                    403,
                    f"this needs a token with the {' and '.join(missing)} scope "
                    f"(this one has: {', '.join(sorted(g.grant.scopes))})",
                    f', error="insufficient_scope", scope="{" ".join(scopes)}"',
                )
            return view(*args, **kwargs)

        return wrapper

    return decorator


@api.post("/ocr")
@require_token("ocr")
def ocr():
    upload = request.files.get("image")
    if upload is None:
        raise OcrInputError("send the image as multipart field 'image'")
    options = form_options()
    served = ocr_service().router.serve(
        upload.read(),
        unit=request.form.get("unit", g.grant.name),
        category=request.form.get("category", "unknown"),
        gate=request.form.get("gate", DEFAULT_GATE),
        options=options,
        client=g.grant.name,
    )
    try:
        ocr_service().search.add(search_document(served.request_id), served.result)
    except Exception:  # the index is a convenience: it never costs a user the answer
        log.exception("could not index request %s for search", served.request_id)
    return jsonify(
        {
            "request_id": served.request_id,
            "engine": served.engine,
            "fell_back": served.fell_back,
            "decision": served.decision.reason,
            "text": served.result.text,
            "result": served.result.to_dict(),
        }
    )


@api.get("/gates")
@require_token("read")
def gates():
    service = ocr_service()
    public = [
        {k: v for k, v in describe(config).items() if k != "salt"}  # the salt would reveal every assignment
        for config in service.snapshot.gates().values()
    ]
    return jsonify({"gates": public})


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    """Query parameter `name` as a whole number (ASCII digits) in low..high; 400 otherwise."""
    return whole_number(request.args.get(name, str(default)), name, low, high)


@api.get("/pairs")
@require_token("read")
def pairs():
    """Recent pairs, newest first: of the token's own client's requests, or of every client's with the
    admin scope. `next_cursor` (null on the last page) passed back as `cursor` gives the next page."""
    limit = _int_arg("limit", 50, 1, MAX_PAIRS)
    cursor = parse_cursor(request.args.get("cursor"))
    client = None if "admin" in g.grant.scopes else g.grant.name
    query = filter_pairs(
        paired_runs(),
        category=request.args.get("category"),
        gate=request.args.get("gate"),
        kind=request.args.get("kind"),
        client=client,
    )
    rows = []
    with ocr_service().store.session() as session:
        found, next_cursor = page_of(
            session.execute(after_cursor(query, Pair.id, cursor, limit)).all(), limit, lambda row: row[0].id
        )
        for pair, control_run, candidate_run, req in found:
            served_run, shadow_run = served_and_shadow(pair, control_run, candidate_run)
            rows.append(
                {
                    "pair_id": pair.id,
                    "request_id": pair.request_id,
                    "gate": pair.gate,
                    "category": pair.category,
                    "unit": req.unit,
                    "kind": pair.kind,
                    "created_at": pair.created_at.isoformat(),
                    "control_engine": pair.control_engine,
                    "candidate_engine": pair.candidate_engine,
                    "agreement": pair.agreement(),
                    "served_side": pair.served_side.value,
                    "options": req.options,
                    "served": _run_json(served_run),
                    "shadow": _run_json(shadow_run),
                    "control": _run_json(control_run),
                    "candidate": _run_json(candidate_run),
                }
            )
    return jsonify({"pairs": rows, "next_cursor": next_cursor})


def _run_json(run: EngineRun) -> dict:
    return {
        "engine": run.engine,
        "version": run.engine_version,
        "role": run.role.value,
        "side": run.side.value if run.side else None,
        "text": run.text,
        "mean_confidence": run.mean_confidence,
        "latency_ms": run.latency_ms,
        "error": run.error,
    }


@api.get("/search")
@require_token("read", "admin")
def search():
    """Documents, pages and word boxes whose OCR text matches every word of `q` (every client's
    documents: the index does not know clients, so this needs the admin scope)."""
    query = request.args.get("q", "")
    if not query.strip():
        raise OcrInputError("give a query: /v1/search?q=WORDS")
    hits = ocr_service().search.search(query, _int_arg("limit", 20, 1, 1000))
    return jsonify({"query": query, "hits": [asdict(hit) for hit in hits]})


@api.get("/traffic")
@require_token("read")
def traffic():
    gate = request.args.get("gate", DEFAULT_GATE)
    hours = _int_arg("hours", 24, 1, 24 * 90)
    with ocr_service().store.session() as session:
        return jsonify({"gate": gate, "hours": hours, "categories": traffic_summary(session, gate, hours)})
