"""The HTTP API, `/v1`, authenticated by `Authorization: Bearer TOKEN`."""

from __future__ import annotations

import logging
from dataclasses import asdict
from functools import wraps
from typing import Callable

from flask import Blueprint, current_app, g, jsonify, request

from engines.options import RecognizeOptions
from kernel.errors import AuthError, OcrInputError
from kernel.settings import whole_number
from rollout.gate_store import DEFAULT_GATE, describe
from rollout.pairs import paired_runs, served_and_shadow
from rollout.store.models import EngineRun, Pair
from rollout.traffic import traffic_summary
from accounts.tokens import verify_token

api = Blueprint("api", __name__, url_prefix="/v1")
log = logging.getLogger(__name__)
MAX_PAIRS = 500


def ocr_service():
    return current_app.extensions["ocrgate"]


def require_token(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("send Authorization: Bearer TOKEN (create one with `ocrgate tokens create NAME`)")
        g.client = verify_token(ocr_service().store, token.strip())
        return view(*args, **kwargs)
    return wrapper


@api.post("/ocr")
@require_token
def ocr():
    upload = request.files.get("image")
    if upload is None:
        raise OcrInputError("send the image as multipart field 'image'")
    options = RecognizeOptions(mode=request.form.get("mode", "page"), languages=request.form.get("lang", "eng"))
    served = ocr_service().router.serve(upload.read(), unit=request.form.get("unit", g.client),
                                        category=request.form.get("category", "unknown"),
                                        gate=request.form.get("gate", DEFAULT_GATE), options=options)
    try:
        ocr_service().search.add(f"request:{served.request_id}", served.result)
    except Exception:  # the index is a convenience: it never costs a user the answer
        log.exception("could not index request %s for search", served.request_id)
    return jsonify({"request_id": served.request_id, "engine": served.engine, "fell_back": served.fell_back,
                    "decision": served.decision.reason, "text": served.result.text,
                    "result": served.result.to_dict()})


@api.get("/gates")
@require_token
def gates():
    service = ocr_service()
    public = [{k: v for k, v in describe(config).items() if k != "salt"}  # the salt would reveal every assignment
              for config in service.snapshot.gates().values()]
    return jsonify({"gates": public})


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    """Query parameter `name` as a whole number (ASCII digits) in low..high; 400 otherwise."""
    return whole_number(request.args.get(name, str(default)), name, low, high)


@api.get("/pairs")
@require_token
def pairs():
    limit = _int_arg("limit", 50, 1, MAX_PAIRS)
    query = paired_runs().limit(limit)
    if request.args.get("category"):
        query = query.where(Pair.category == request.args["category"])
    if request.args.get("gate"):
        query = query.where(Pair.gate == request.args["gate"])
    if request.args.get("kind"):
        query = query.where(Pair.kind == request.args["kind"])
    rows = []
    with ocr_service().store.session() as session:
        for pair, control_run, candidate_run, req in session.execute(query):
            served_run, shadow_run = served_and_shadow(pair, control_run, candidate_run)
            rows.append({
                "pair_id": pair.id, "request_id": pair.request_id, "gate": pair.gate, "category": pair.category,
                "unit": req.unit, "kind": pair.kind, "created_at": pair.created_at.isoformat(),
                "control_engine": pair.control_engine, "candidate_engine": pair.candidate_engine,
                "agreement": {"cer_between": pair.cer_between, "exact_match": pair.exact_match,
                              "confidence_delta": pair.confidence_delta},
                "served_side": pair.served_side.value, "options": req.options,
                "served": _run_json(served_run), "shadow": _run_json(shadow_run),
                "control": _run_json(control_run), "candidate": _run_json(candidate_run)})
    return jsonify({"pairs": rows})


def _run_json(run: EngineRun) -> dict:
    return {"engine": run.engine, "version": run.engine_version, "role": run.role.value,
            "side": run.side.value if run.side else None, "text": run.text,
            "mean_confidence": run.mean_confidence, "latency_ms": run.latency_ms, "error": run.error}


@api.get("/search")
@require_token
def search():
    """Documents, pages and word boxes whose OCR text matches every word of `q`."""
    query = request.args.get("q", "")
    if not query.strip():
        raise OcrInputError("give a query: /v1/search?q=WORDS")
    hits = ocr_service().search.search(query, _int_arg("limit", 20, 1, 1000))
    return jsonify({"query": query, "hits": [asdict(hit) for hit in hits]})


@api.get("/traffic")
@require_token
def traffic():
    gate = request.args.get("gate", DEFAULT_GATE)
    hours = _int_arg("hours", 24, 1, 24 * 90)
    with ocr_service().store.session() as session:
        return jsonify({"gate": gate, "hours": hours, "categories": traffic_summary(session, gate, hours)})
