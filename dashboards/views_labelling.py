"""Labelled truth in the admin (the reference design's DropTurk): labellers read word crops; operators
decide whose traffic may be read and see what the labels say.

A labeller is shown one crop at a time, the oldest task offered to them (`rollout.truth.next_task`),
with the engines' readings as unnamed buttons in the task's own order and a text box: never the
page, never which engine read what. The crop endpoint serves only the task offered to the user who
asks, so nobody can walk task ids to see other crops.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for

from dashboards.queries import labelling_counts
from dashboards.security import requires
from kernel.errors import OcrInputError
from kernel.settings import whole_number
from rollout.gate_store import load_gates
from rollout.keyset import MAX_ID
from rollout.truth import (
    UNREADABLE,
    choices,
    consents,
    grant_consent,
    labelled_accuracy,
    labelled_words,
    next_task,
    record_label,
    withdraw_consent,
)
from rollout.truth_export import crop_png

labelling = Blueprint("labelling", __name__, url_prefix="/admin", template_folder="templates")


def store():
    return current_app.extensions["ocrgate"].store


def _label_page(status: int = 200):
    with store().session() as session:
        task = next_task(session, g.user.username)
        offered = {"id": task.id, "choices": choices(task)} if task else None
    return render_template("label.html", task=offered, unreadable=UNREADABLE), status


@labelling.get("/label")
@requires("labeller")
def label():
    return _label_page()


@labelling.post("/label")
@requires("labeller")
def submit():
    """Store the reading of the offered crop (two labellers alike make it the truth), then the next crop."""
    task_id = whole_number(request.form.get("task", ""), "task", 1, MAX_ID)
    try:
        with store().session() as session:
            task = next_task(session, g.user.username)
            if task is None or task.id != task_id:
                flash("Others settled that word meanwhile; here is the next one.", "ok")
                return redirect(url_for("labelling.label"))
            record_label(session, task_id, g.user.username, request.form.get("text", ""))
    except OcrInputError as exc:
        flash(f"Not saved: {exc}", "error")
        return _label_page(400)
    flash("Saved. Next word:", "ok")
    return redirect(url_for("labelling.label"))


@labelling.get("/label/<int:task_id>.png")
@requires("labeller")
def crop(task_id: int):
    with store().session() as session:
        task = next_task(session, g.user.username)
        if task is None or task.id != task_id:
            abort(404, description="that word is not yours to read now")
        image = crop_png(session, task_id)
    return Response(image, mimetype="image/png", headers={"Cache-Control": "private, no-store"})


@labelling.get("/labelling")
@requires("viewer")
def consent():
    """Whose traffic labellers may read, the tasks per gate and category, and each engine's labelled accuracy."""
    with store().session() as session:
        gates = load_gates(session)
        accuracy = {
            name: {
                category: labelled_accuracy(words) for category, words in sorted(labelled_words(session, name).items())
            }
            for name in sorted(gates)
        }
        return render_template(
            "labelling.html",
            consents=consents(session),
            counts=labelling_counts(session),
            gates=gates,
            accuracy=accuracy,
        )


@labelling.post("/labelling/consent")
@requires("operator")
def change_consent():
    """Grant or withdraw consent for a unit or a category (audited by rollout.truth)."""
    action, kind, value = (request.form.get(key, "") for key in ("action", "kind", "value"))
    if action not in ("grant", "withdraw"):
        raise OcrInputError(f"action must be grant or withdraw, not {action!r}")
    with store().session() as session:
        (grant_consent if action == "grant" else withdraw_consent)(session, kind, value, g.user.username)
    flash(f"labelling consent {'granted' if action == 'grant' else 'withdrawn'}: {kind} {value.strip()!r}", "ok")
    return redirect(url_for("labelling.consent"))
