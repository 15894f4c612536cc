"""Analyst pages: engines on the benchmark sets (lab notebook), live traffic, paired outputs."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, render_template, request
from sqlalchemy import select

from dashboards.boxes import boxes_png
from dashboards.paging import page_args, pager
from dashboards.plots import agreement_over_time, confidence_deltas
from dashboards.security import requires
from evaluation import labnotebook
from evaluation.diff import aligned_html
from evaluation.plots import metric_bars
from kernel.csv_export import csv_text
from kernel.settings import finite_number, whole_number
from rollout.gate_store import DEFAULT_GATE, load_gates
from rollout.keyset import after_cursor, page_of
from rollout.pairs import CandidateRun, ControlRun, filter_pairs, paired_runs, served_and_shadow
from rollout.store.models import EngineRun, ImageBlob, Pair, Request, utcnow
from rollout.traffic import traffic_summary

analysis = Blueprint("analysis", __name__, url_prefix="/admin/analysis", template_folder="templates")
RECENT_EXPERIMENTS = 10
PAGE = 100
#: the CER between two readings can pass 100% (insertions); a filter above this is a typo
MAX_CER_PERCENT = 100_000


def store():
    return current_app.extensions["ocrgate"].store


@analysis.get("/benchmarks")
@requires("viewer")
def benchmarks():
    entries = [e for e in reversed(labnotebook.entries()) if e.get("kind") == "eval"][:RECENT_EXPERIMENTS]
    for entry in entries:
        metric = (
            "swa"
            if any("swa" in row for cats in entry["headline"].values() for row in cats.values())
            else "aligned_cer"
        )
        entry["metric"] = metric
        has_ci = all(f"{metric}_ci95" in row for cats in entry["headline"].values() for row in cats.values())
        entry["plot"] = metric_bars(entry["headline"], metric) if has_ci else None
    return render_template("benchmarks.html", entries=entries)


@analysis.get("/traffic")
@requires("viewer")
def traffic():
    gate = request.args.get("gate", DEFAULT_GATE)
    hours = whole_number(request.args.get("hours", "24"), "hours", 1, 24 * 90)
    with store().session() as session:
        summary = traffic_summary(session, gate, hours)
        since = utcnow().timestamp() - hours * 3600
        pairs = [
            p
            for p in session.scalars(select(Pair).where(Pair.gate == gate).order_by(Pair.id))
            if p.created_at.timestamp() >= since
        ]
        gates = sorted(load_gates(session))
    points = [(p.created_at, p.kind, p.cer_between) for p in pairs if p.cer_between is not None]
    deltas = [p.confidence_delta for p in pairs if p.kind == "candidate" and p.confidence_delta is not None]
    return render_template(
        "traffic.html",
        gate=gate,
        gates=gates,
        hours=hours,
        summary=summary,
        plots=[agreement_over_time(points), confidence_deltas(deltas)] if pairs else [],
    )


def _pair_query():
    args = request.args
    query = filter_pairs(paired_runs(), category=args.get("category"), gate=args.get("gate"), kind=args.get("kind"))
    if args.get("min_cer_percent"):  # percent, as the table shows it
        minimum = finite_number(args["min_cer_percent"], "CER between (%)", 0, MAX_CER_PERCENT)
        query = query.where(Pair.cer_between >= minimum / 100)
    if args.get("errors") == "1":
        query = query.where((ControlRun.error.is_not(None)) | (CandidateRun.error.is_not(None)))
    return query


def _pair_row(pair: Pair, control: EngineRun, candidate: EngineRun, req: Request) -> dict:
    served, shadow = served_and_shadow(pair, control, candidate)
    return {
        "pair_id": pair.id,
        "request_id": pair.request_id,
        "created_at": pair.created_at.isoformat(),
        "gate": pair.gate,
        "category": pair.category,
        "unit": req.unit,
        "kind": pair.kind,
        "control_engine": pair.control_engine,
        "candidate_engine": pair.candidate_engine,
        **pair.agreement(),
        "served_engine": served.engine,
        "served_error": served.error,
        "shadow_engine": shadow.engine,
        "shadow_error": shadow.error,
        "served_text": served.text,
        "shadow_text": shadow.text,
    }


@analysis.get("/pairs")
@requires("viewer")
def pairs():
    """Pairs newest first, a page at a time (`cursor`); the CSV and JSON exports hold every match."""
    export = request.args.get("format")
    cursor, limit = page_args(PAGE)
    next_cursor = None
    with store().session() as session:
        if export:
            found = session.execute(_pair_query()).all()
        else:
            found, next_cursor = page_of(
                session.execute(after_cursor(_pair_query(), Pair.id, cursor, limit)).all(), limit, lambda row: row[0].id
            )
        rows = [_pair_row(*row) for row in found]
        categories = sorted(session.scalars(select(Pair.category).distinct()))
    if export == "json":
        return Response(
            json.dumps(rows, indent=1),
            mimetype="application/json",
            headers={"Content-Disposition": "attachment; filename=pairs.json"},
        )
    if export == "csv":
        return Response(
            csv_text(rows, list(rows[0]) if rows else ["pair_id"]),
            mimetype="text/csv",
            headers={"Content-Disposition": "attachment; filename=pairs.csv"},
        )
    filters = {key: value for key, value in request.args.items() if key not in ("cursor", "format")}
    return render_template("pairs.html", rows=rows, categories=categories, filters=filters, pages=pager(next_cursor))


def _load_pair(pair_id: int):
    with store().session() as session:
        pair = session.get(Pair, pair_id)
        if pair is None:
            abort(404, description=f"no pair {pair_id}")
        control, candidate = session.get(EngineRun, pair.control_run_id), session.get(EngineRun, pair.candidate_run_id)
        req = session.get(Request, pair.request_id)
        return pair, req, control, candidate


@analysis.get("/pairs/<int:pair_id>")
@requires("viewer")
def pair(pair_id: int):
    pair, req, control, candidate = _load_pair(pair_id)
    left, right = aligned_html(control.text or "", candidate.text or "")
    return render_template(
        "pair.html", pair=pair, req=req, control=control, candidate=candidate, diff_control=left, diff_candidate=right
    )


@analysis.get("/pairs/<int:pair_id>/<side>.png")
@requires("viewer")
def pair_image(pair_id: int, side: str):
    if side not in ("control", "candidate"):
        abort(404)
    pair, req, control, candidate = _load_pair(pair_id)
    run = control if side == "control" else candidate
    with store().session() as session:
        image = session.get(ImageBlob, req.image_sha256).data
    return Response(
        boxes_png(image, run.result, side), mimetype="image/png", headers={"Cache-Control": "private, max-age=3600"}
    )
