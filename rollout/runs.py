"""Engine runs of the rollout: observed through `kernel.observe`, stored as rows, paired.

The router and the shadow runner both come here, so a served run, a shadow run and an A/A run are
observed, recorded and paired by the same code.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from engines.base import OcrEngine
from engines.options import RecognizeOptions
from engines.result import OcrResult
from imaging.intake import ImageSource
from kernel.errors import OcrgateError
from kernel.observe import Observation, as_ocrgate_error, observe
from rollout.agreement import agreement
from rollout.metrics import record_run
from rollout.store.models import EngineRun, Pair, PairKind, Request, RunRole, ShadowJob, ShadowRole, Side, utcnow
from rollout.truth import sample_tasks

EngineLookup = Callable[[str], OcrEngine]


def describe_error(error: BaseException | None) -> str | None:
    return f"{type(error).__name__}: {error}" if error is not None else None


def observe_engine(
    engines: EngineLookup, name: str, image: ImageSource, options: RecognizeOptions, timeout: float
) -> Observation[OcrResult]:
    """Observe engine `name` (and count the run); an engine that cannot even be loaded is an
    observed failure too."""
    try:
        engine = engines(name)
    except Exception as exc:  # unknown, unavailable or broken engine: that run's failure
        error = exc if isinstance(exc, OcrgateError) else as_ocrgate_error(name, exc)
        observation = Observation.failure(name, options, error)
    else:
        observation = observe(engine, image, options, timeout=timeout)
    record_run(observation)
    return observation


def run_row(request_id: str, observation: Observation[OcrResult], role: RunRole, side: Side | None) -> EngineRun:
    result = observation.result
    return EngineRun(
        request_id=request_id,
        engine=observation.engine,
        engine_version=observation.version,
        role=role,
        side=side,
        text=result.text if result else None,
        result=result.to_dict() if result else None,
        mean_confidence=result.mean_confidence() if result else None,
        latency_ms=observation.latency_ms,
        error=describe_error(observation.error),
    )


def store_pair(
    session: Session,
    job: ShadowJob,
    *,
    control: EngineRun,
    candidate: EngineRun,
    served_side: Side,
    control_result: OcrResult | None,
    candidate_result: OcrResult | None,
) -> Pair:
    """Record the pair of `job` and mark the job done, in the caller's transaction. For an A/A job
    both runs are the control's; `candidate` is its twin."""
    request = session.get(Request, job.request_id)
    assert request is not None
    score = agreement(control_result, candidate_result)
    pair = Pair(
        request_id=job.request_id,
        gate=request.gate,
        category=request.category,
        kind=PairKind.AA if job.role is ShadowRole.AA else PairKind.CANDIDATE,
        control_run_id=control.id,
        candidate_run_id=candidate.id,
        served_side=served_side,
        control_engine=control.engine,
        candidate_engine=candidate.engine,
        cer_between=score.cer_between,
        aligned_errors=score.aligned.errors if score.aligned else None,
        aligned_length=score.aligned.reference_length if score.aligned else None,
        exact_match=score.exact_match,
        confidence_delta=score.confidence_delta,
    )
    session.add(pair)
    session.flush()
    sample_tasks(session, pair, request, control_result, candidate_result)
    job.status = "done"
    job.finished_at = utcnow()
    return pair
