"""Typed SQLAlchemy 2 models of everything the rollout keeps.

Requests and their images, each engine run (served, shadow, A/A), shadow jobs (recorded as
pending before they run, so none is lost), the pairs of outputs with their agreement, gate
states, the append-only audit log, API tokens (hashed, with their scopes), admin users, their
sessions (hashed) and the sign-in limiter's counters.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from rollout.gates import DEFAULT_AA_BP, DEFAULT_SHADOW_BP, ShadowRole


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored time with its zone: SQLite hands datetimes back naive, and every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


def column_length(attribute: Any) -> int:
    """The declared length of a string column (`column_length(Request.unit)`): the one number that
    a label's check and its column share."""
    length = getattr(attribute.expression.type, "length", None)
    if not isinstance(length, int):
        raise TypeError(f"{attribute} is not a string column with a length")
    return length


class Side(enum.StrEnum):
    """Which engine of a gate a run belongs to."""

    CONTROL = "control"
    CANDIDATE = "candidate"


class RunRole(enum.StrEnum):
    """Why an engine ran on a request."""

    SERVED = "served"  # its answer went to the caller
    FAILED_OVER = "served-failed"  # it was to serve, failed, and the control served instead
    SHADOW = "shadow"  # it ran beside the served engine, its answer unseen
    AA = "aa"  # the control run a second time (the A/A lane)


class ScheduleStatus(enum.StrEnum):
    RUNNING = "running"  # dwelling at a step, or about to take the first
    WAITING = "waiting"  # the next step's evidence is short: see the note
    DONE = "done"  # the last step was reached and held for its dwell
    STOPPED = "stopped"  # an operator stopped it, or the gate was killed
    ROLLED_BACK = "rolled-back"  # a guardrail failed on a step's traffic: the gate was killed


class TruthStratum(enum.StrEnum):
    DISAGREE = "disagree"  # the engines read the word differently
    AGREE = "agree"  # they read it the same (sampled too, so accuracy estimates stay unbiased)


class ConsentKind(enum.StrEnum):
    UNIT = "unit"
    CATEGORY = "category"


class PairKind(enum.StrEnum):
    CANDIDATE = "candidate"  # control vs candidate
    AA = "aa"  # control vs itself: the noise floor


def _closed_set(values: type[enum.Enum]) -> Enum:
    """A string column that takes only the enum's values (checked by the database too)."""
    return Enum(
        values,
        native_enum=False,
        create_constraint=False,
        validate_strings=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
    )


def check_in(column: str, values: type[enum.Enum]) -> CheckConstraint:
    allowed = ", ".join(f"'{member.value}'" for member in values)  # enum values are our own constants
    return CheckConstraint(f"{column} IN ({allowed})", name=f"ck_{column}_closed_set")


class ImageBlob(Base):
    """The page each request read, as a PNG of its decoded pixels and DPI (nothing else of the
    upload: `imaging.page_png`), stored once per content hash: shadow runs re-read exactly it."""

    __tablename__ = "images"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    byte_size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Request(Base):
    __tablename__ = "requests"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    gate: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64), index=True)
    #: the API token's name (the client) that sent it; None when it did not come through the API
    client: Mapped[str | None] = mapped_column(String(100), index=True)
    image_sha256: Mapped[str] = mapped_column(ForeignKey("images.sha256"))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    byte_size: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(200))
    #: the request's RecognizeOptions (mode, languages, engine arguments): shadow and A/A runs reuse them
    options: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="received")  # received|served|failed|abandoned
    served_engine: Mapped[str | None] = mapped_column(String(64))
    fell_back: Mapped[bool] = mapped_column(Boolean, default=False)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)


class EngineRun(Base):
    __tablename__ = "engine_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), index=True)
    engine: Mapped[str] = mapped_column(String(64))
    engine_version: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[RunRole] = mapped_column(_closed_set(RunRole))
    side: Mapped[Side | None] = mapped_column(_closed_set(Side))  # None: the gate had no such engine
    text: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the OcrResult as JSON
    mean_confidence: Mapped[float | None] = mapped_column(Float)
    latency_ms: Mapped[float] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    __table_args__ = (check_in("role", RunRole), check_in("side", Side))


class ShadowJob(Base):
    __tablename__ = "shadow_jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), index=True)
    engine: Mapped[str] = mapped_column(String(64))
    role: Mapped[ShadowRole] = mapped_column(_closed_set(ShadowRole))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|running|done|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_shadow_jobs_status", "status", "lease_until"), check_in("role", ShadowRole))


class Pair(Base):
    """The control's and the candidate's runs on one request (for an A/A pair: the control's
    served run and its twin); `served_side` says which of the two the caller got."""

    __tablename__ = "pairs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), index=True)
    gate: Mapped[str] = mapped_column(String(64), index=True)
    category: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[PairKind] = mapped_column(_closed_set(PairKind))
    control_run_id: Mapped[int] = mapped_column(ForeignKey("engine_runs.id"))
    candidate_run_id: Mapped[int] = mapped_column(ForeignKey("engine_runs.id"))
    served_side: Mapped[Side] = mapped_column(_closed_set(Side))
    control_engine: Mapped[str] = mapped_column(String(64))
    candidate_engine: Mapped[str] = mapped_column(String(64))
    cer_between: Mapped[float | None] = mapped_column(Float)  # text order; None when either run failed
    # position-aligned disagreement (rollout.agreement): edits / control characters; None when either failed
    aligned_errors: Mapped[int | None] = mapped_column(Integer)
    aligned_length: Mapped[int | None] = mapped_column(Integer)
    exact_match: Mapped[bool] = mapped_column(Boolean, default=False)
    confidence_delta: Mapped[float | None] = mapped_column(Float)  # candidate − control
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    __table_args__ = (check_in("served_side", Side), check_in("kind", PairKind))

    def agreement(self) -> dict[str, Any]:
        """How the two runs agree, as the API and the exports show it."""
        aligned = None
        if self.aligned_errors is not None and self.aligned_length is not None:
            aligned = (
                self.aligned_errors / self.aligned_length if self.aligned_length else float(self.aligned_errors > 0)
            )
        return {
            "aligned_disagreement": aligned,
            "aligned_errors": self.aligned_errors,
            "aligned_length": self.aligned_length,
            "cer_between": self.cer_between,
            "exact_match": self.exact_match,
            "confidence_delta": self.confidence_delta,
        }

    def run_ids(self) -> tuple[int, int]:
        """(served run, shadow run): the ids in the order the caller saw them."""
        if self.served_side is Side.CANDIDATE:
            return self.candidate_run_id, self.control_run_id
        return self.control_run_id, self.candidate_run_id


class GateState(Base):
    __tablename__ = "gates"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    control: Mapped[str] = mapped_column(String(64))
    candidate: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(16), default="off")
    percent_bp: Mapped[int] = mapped_column(Integer, default=0)  # rollout share in basis points (0.01%)
    #: share of control-served requests shadowed
    shadow_bp: Mapped[int] = mapped_column(Integer, default=DEFAULT_SHADOW_BP)
    aa_bp: Mapped[int] = mapped_column(Integer, default=DEFAULT_AA_BP)  # share run twice on the control (A/A lane)
    killed: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_units: Mapped[list[str]] = mapped_column(JSON, default=list)
    deny_units: Mapped[list[str]] = mapped_column(JSON, default=list)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: every category
    salt: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100))


class GateSchedule(Base):
    """A gate's progressive rollout: its steps and where it stands (rollout.schedule)."""

    __tablename__ = "gate_schedules"
    gate: Mapped[str] = mapped_column(ForeignKey("gates.name"), primary_key=True)
    steps_bp: Mapped[list[int]] = mapped_column(JSON)  # rollout shares in basis points, increasing
    dwell_minutes: Mapped[int] = mapped_column(Integer)  # least time at a step before the next
    min_pairs: Mapped[int] = mapped_column(Integer)  # least pairs per category on a step's traffic
    step: Mapped[int] = mapped_column(Integer, default=-1)  # index into steps_bp; -1: not started
    step_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[ScheduleStatus] = mapped_column(_closed_set(ScheduleStatus))
    note: Mapped[str | None] = mapped_column(Text)  # why it waits or stopped, with the numbers
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (check_in("status", ScheduleStatus),)


class TruthTask(Base):
    """A word crop from a paired request, to be read by people (rollout.truth): where the engines
    disagree, or a sample of where they agree, each with the weight that undoes its sampling."""

    __tablename__ = "truth_tasks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id"), index=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), index=True)
    gate: Mapped[str] = mapped_column(String(64), index=True)
    category: Mapped[str] = mapped_column(String(64), index=True)
    page: Mapped[int] = mapped_column(Integer, default=0)
    bbox: Mapped[list[int]] = mapped_column(JSON)  # the word's box on the stored page, [x0, y0, x1, y1]
    control_text: Mapped[str] = mapped_column(String(200))
    candidate_text: Mapped[str] = mapped_column(String(200))
    stratum: Mapped[TruthStratum] = mapped_column(_closed_set(TruthStratum))
    weight: Mapped[float] = mapped_column(Float)  # 1 / the probability this word was sampled
    truth: Mapped[str | None] = mapped_column(String(200))  # set once two labellers agree
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    __table_args__ = (check_in("stratum", TruthStratum),)


class TruthLabel(Base):
    """One labeller's reading of a task's crop; a task's truth is a reading two labellers share."""

    __tablename__ = "truth_labels"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("truth_tasks.id"), index=True)
    labeller: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (UniqueConstraint("task_id", "labeller", name="uq_truth_labels_task_labeller"),)


class LabellingConsent(Base):
    """A unit or a category whose traffic may be shown to labellers, word crop by word crop."""

    __tablename__ = "labelling_consent"
    kind: Mapped[ConsentKind] = mapped_column(_closed_set(ConsentKind), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), primary_key=True)
    granted_by: Mapped[str] = mapped_column(String(100))
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (check_in("kind", ConsentKind),)


class AuditEntry(Base):
    """Append-only (database triggers refuse UPDATE and DELETE): every gate change, ever."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    gate: Mapped[str | None] = mapped_column(String(64), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)


class ApiToken(Base):
    """A client's API token. The name is unique among active tokens only, so a revoked client's
    name can be given a new token."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(64), default="ocr")  # space-separated, e.g. "ocr read"
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index(
            "uq_api_tokens_active_name",
            "name",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )


class User(Base):
    """Admin users: passwords hashed with Argon2id; role labeller < viewer < operator < admin."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AdminSession(Base):
    """A signed-in admin session. The cookie carries a random secret and this table only its
    SHA-256, so the server can end a session (sign-out, a disabled user, a new password or role)."""

    __tablename__ = "admin_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # the absolute lifetime
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginAttempts(Base):
    """The sign-in limiter's counter per key (a client address or a username): attempts since the
    window started. Shared by every process and kept across restarts."""

    __tablename__ = "login_attempts"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer)


class JobStatus(enum.StrEnum):
    QUEUED = "queued"  # pages wait for a worker
    RUNNING = "running"  # at least one page has started
    DONE = "done"  # every page finished (each page says whether it was read)


class PageStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"  # claimed by a worker until `lease_until`
    DONE = "done"
    FAILED = "failed"  # `reason` says why: input, timeout, memory, cpu, signal, engine, unavailable


class Job(Base):
    """An asynchronous OCR job (`POST /v1/jobs`): a document split into pages, read by the job back end."""

    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    client: Mapped[str | None] = mapped_column(String(100), index=True)
    gate: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64))
    options: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    kind: Mapped[str] = mapped_column(String(8))  # image|pdf
    #: the uploaded PDF (its pages are rendered by the worker that reads them); None for images
    document: Mapped[bytes | None] = mapped_column(LargeBinary)
    pages: Mapped[int] = mapped_column(Integer)
    status: Mapped[JobStatus] = mapped_column(_closed_set(JobStatus), default=JobStatus.QUEUED)
    callback_url: Mapped[str | None] = mapped_column(Text)
    callback_status: Mapped[str | None] = mapped_column(String(200))  # what the callback got, once sent
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: the id of the HTTP request that created the job (X-Request-Id): its pages' log lines carry it
    http_request_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (check_in("status", JobStatus),)


class JobPage(Base):
    """One page of a job, keyed by job and page number: its result is written once, whoever reads it."""

    __tablename__ = "job_pages"
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), primary_key=True)
    page: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1-based
    status: Mapped[PageStatus] = mapped_column(_closed_set(PageStatus), default=PageStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: the page as a PNG of its pixels (image input); None for a PDF page until its worker renders it
    image: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: the rollout request of the attempt in progress or done (no foreign key: retention purges requests)
    request_id: Mapped[str | None] = mapped_column(String(32))
    engine: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the OcrResult as JSON
    error: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(String(16))
    latency_ms: Mapped[float | None] = mapped_column(Float)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: when the page was last handed to the job back end (a page unread long after is sent again)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_job_pages_status", "status", "lease_until"), check_in("status", PageStatus))
