"""The Scientist part: serve each request from the engine the gate picks, shadow the other.

The served answer never waits for, or depends on, the shadow: shadow jobs are written to the
store as pending in the same transaction as the request (before anything runs), then handed to
the `ShadowRunner`. If the served engine is the candidate and it fails or times out, the control
serves instead (recorded as a fallback): the user gets the control's answer, never the
candidate's error.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from typing import Protocol

from engines.options import RecognizeOptions
from engines.registry import get_engine
from engines.result import OcrResult
from imaging import ImageLimits, load_first_page, page_png
from kernel.errors import OcrInputError
from kernel.settings import DEFAULT_ENGINE
from rollout import labels
from rollout.gate_store import DEFAULT_GATE
from rollout.gates import Decision
from rollout.runs import EngineLookup, describe_error, observe_engine, run_row, store_pair
from rollout.snapshot import GateSnapshot
from rollout.store import Store
from rollout.store.models import ImageBlob, Request, RunRole, ShadowJob, ShadowRole, Side


class ShadowQueue(Protocol):
    """Where the router hands shadow jobs (the in-process `ShadowRunner`, or a job back end's queue)."""

    def submit(self, job_id: int) -> bool: ...


@dataclass
class Served:
    request_id: str
    engine: str
    result: OcrResult
    decision: Decision
    fell_back: bool


class Router:
    def __init__(
        self,
        store: Store,
        snapshot: GateSnapshot,
        shadows: ShadowQueue,
        *,
        default_engine: str = DEFAULT_ENGINE,
        serve_timeout: float = 60.0,
        engines: EngineLookup = get_engine,
        limits: ImageLimits | None = None,
    ):
        self.store = store
        self.snapshot = snapshot
        self.shadows = shadows
        self.default_engine = default_engine
        self.serve_timeout = serve_timeout
        self.engines = engines
        self.limits = limits or ImageLimits.from_env()

    def serve(
        self,
        image: bytes,
        unit: str,
        category: str,
        *,
        gate: str = DEFAULT_GATE,
        options: RecognizeOptions | None = None,
        client: str | None = None,
        request_id: str | None = None,
    ) -> Served:
        """OCR `image` for `unit` (sent by API client `client`); raises OcrInputError before storing
        anything if the input is bad, or the served engine's error (recorded) when even the control fails.
        `request_id`: the id to store the request under (a job page names its attempt); default a new one."""
        options = options or RecognizeOptions()
        unit, category, gate = self.check(unit, category, gate, options)
        page = load_first_page(image, self.limits)  # bad input stops here: nothing stored
        # what is kept is the page read, as a PNG of its pixels (nothing else of the upload): the
        # same page shadow runs re-read
        stored = page_png(page)
        request_id = request_id or uuid.uuid4().hex
        decision = self.snapshot.decide(gate, unit, category, request_id, self.default_engine)
        gate_config = self.snapshot.gate(gate)
        control = gate_config.control if gate_config else self.default_engine
        served_side = Side.CANDIDATE if decision.candidate_serves else Side.CONTROL
        digest = hashlib.sha256(stored).hexdigest()
        started = time.perf_counter()
        with self.store.session() as session:
            if session.get(ImageBlob, digest) is None:
                session.add(ImageBlob(sha256=digest, data=stored, byte_size=len(stored)))
                session.flush()
            session.add(
                Request(
                    id=request_id,
                    gate=gate,
                    unit=unit,
                    category=category,
                    client=client,
                    image_sha256=digest,
                    width=page.width,
                    height=page.height,
                    byte_size=len(image),
                    decision=decision.reason,
                    options=options.output_settings(),
                    status="received",
                )
            )
            session.flush()
            jobs = [ShadowJob(request_id=request_id, engine=run.engine, role=run.role) for run in decision.background]
            session.add_all(jobs)
        observation = observe_engine(self.engines, decision.serve, page, options, self.serve_timeout)
        runs = [run_row(request_id, observation, RunRole.SERVED, served_side if gate_config else None)]
        fell_back = False
        if not observation.ok and decision.candidate_serves:
            runs[0].role = RunRole.FAILED_OVER
            observation = observe_engine(self.engines, control, page, options, self.serve_timeout)
            runs.append(run_row(request_id, observation, RunRole.SERVED, Side.CONTROL))
            fell_back = True
        with self.store.session() as session:
            session.add_all(runs)
            row = session.get(Request, request_id)
            assert row is not None
            row.status = "served" if observation.ok else "failed"
            row.served_engine = observation.engine
            row.fell_back = fell_back
            row.latency_ms = (time.perf_counter() - started) * 1000
            row.error = describe_error(observation.error)
            if fell_back:
                # the candidate already ran (and failed) as the served engine: that run is the
                # candidate's side of the control's shadow job, whose control run just served
                session.flush()
                for job in [j for j in jobs if j.role is ShadowRole.CONTROL]:
                    shadow_job = session.get(ShadowJob, job.id)
                    assert shadow_job is not None
                    store_pair(
                        session,
                        shadow_job,
                        control=runs[1],
                        candidate=runs[0],
                        served_side=Side.CONTROL,
                        control_result=observation.result,
                        candidate_result=None,
                    )
                    jobs.remove(job)
        for job in jobs:
            self.shadows.submit(job.id)
        return Served(request_id, observation.engine, observation.value(), decision, fell_back)

    def check(self, unit: str, category: str, gate: str, options: RecognizeOptions) -> tuple[str, str, str]:
        """The caller's unit, category and gate name, checked (OcrInputError otherwise), and the
        options' languages readable by the gate's control: what a request needs before it is stored."""
        unit, category, gate = labels.unit(unit), labels.category(category), labels.gate_name(gate)
        gate_config = self.snapshot.gate(gate)
        self._check_languages(gate_config.control if gate_config else self.default_engine, options)
        return unit, category, gate

    def _check_languages(self, control: str, options: RecognizeOptions) -> None:
        """A language that the gate's control cannot read here is the caller's mistake (a 400), found
        before anything is stored: every request falls back to the control, so it decides."""
        try:
            engine = self.engines(control)
        except Exception:  # an engine that cannot load is that run's recorded failure, not the caller's
            return
        problem = engine.unreadable_languages(options)
        if problem:
            raise OcrInputError(problem)
