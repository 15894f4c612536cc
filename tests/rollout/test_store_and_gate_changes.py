"""The store on SQLite and PostgreSQL: migrations, the append-only audit log, guarded and
versioned gate changes."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from kernel.errors import GateConflictError, OcrInputError, UnknownGateError
from rollout.gate_store import GateChange, change_gate, create_gate, get_gate, kill_gate
from rollout.store import Store
from rollout.store.models import AuditEntry, Base


def test_migrations_match_the_models(store):
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_migrating_twice_is_a_no_op(store_url):
    Store(store_url).dispose()
    Store(store_url).dispose()


def test_audit_log_is_append_only(store, test_engines):
    create_gate(store, "g", "alpha", "beta", actor="ops")
    with pytest.raises(DatabaseError, match="append-only"):
        with store.session() as session:
            session.execute(text("UPDATE audit_log SET actor = 'someone else'"))
    with pytest.raises(DatabaseError, match="append-only"):
        with store.session() as session:
            session.execute(text("DELETE FROM audit_log"))
    with store.session() as session:
        assert session.scalars(select(AuditEntry.actor)).all() == ["ops"]


def _audit(store):
    with store.session() as session:
        return session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()


def test_every_change_is_audited_with_before_after_and_reason(store, test_engines):
    create_gate(store, "g", "alpha", "beta", actor="alice", reason="new gate")
    change_gate(store, "g", GateChange(stage="shadow"), actor="alice", reason="start shadowing")
    kill_gate(store, "g", actor="bob", reason="pager went off")
    entries = _audit(store)
    assert [(e.actor, e.action, e.reason) for e in entries] == [
        ("alice", "create", "new gate"), ("alice", "change", "start shadowing"), ("bob", "kill", "pager went off")]
    assert entries[1].before["stage"] == "off" and entries[1].after["stage"] == "shadow"
    assert entries[2].after["killed"] is True
    assert get_gate(store, "g").killed and get_gate(store, "g").version == 3


def test_stale_edit_gets_a_conflict_and_changes_nothing(store, test_engines):
    create_gate(store, "g", "alpha", "beta", actor="ops")
    seen = get_gate(store, "g").version
    change_gate(store, "g", GateChange(stage="shadow"), actor="alice", expected_version=seen)
    with pytest.raises(GateConflictError, match="changed by alice"):
        change_gate(store, "g", GateChange(stage="off"), actor="bob", expected_version=seen)
    assert get_gate(store, "g").stage.value == "shadow"
    assert len(_audit(store)) == 2


@pytest.mark.parametrize("change, message", [
    (GateChange(percent=101), "percent"),
    (GateChange(percent=0.001), "percent"),
    (GateChange(percent=float("inf")), "percent"),
    (GateChange(percent=1e308), "percent"),
    (GateChange(shadow_percent=float("nan")), "shadow percent"),
    (GateChange(aa_percent=-float("inf")), "A/A percent"),
    (GateChange(stage="sideways"), "unknown stage"),
    (GateChange(candidate="nope"), "unknown candidate engine"),
    (GateChange(stage="rollout", percent=5, candidate="alpha"), "A/A gate"),
    (GateChange(allow_units=["x"], deny_units=["x"]), "both allowed and denied"),
])
def test_bad_changes_are_refused_and_leave_no_trace(store, test_engines, change, message):
    create_gate(store, "g", "alpha", "beta", actor="ops")
    with pytest.raises(OcrInputError, match=message):
        change_gate(store, "g", change, actor="ops")
    assert get_gate(store, "g").version == 1 and len(_audit(store)) == 1


def test_unknown_gate(store):
    with pytest.raises(UnknownGateError):
        change_gate(store, "missing", GateChange(stage="on"), actor="ops")
    with pytest.raises(UnknownGateError):
        kill_gate(store, "missing", actor="ops")


