"""The served answer never depends on the shadow; no request or paired output is lost."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest
from sqlalchemy import func, select

from engines.options import RecognizeOptions
from engines.registry import get_engine
from kernel.errors import EngineFailedError, EngineTimeoutError, OcrInputError
from rollout.gate_store import GateChange, change_gate, create_gate
from rollout.router import Router
from rollout.shadow import ShadowRunner
from rollout.snapshot import GateSnapshot
from rollout.store import Store
from rollout.store.models import EngineRun, ImageBlob, Pair, PairKind, Request, RunRole, ShadowJob, Side
from tests.rollout_fixtures import png_bytes


def build(store, *, control="alpha", candidate="beta", stage="shadow", percent=None, serve_timeout=5.0,
          shadow_timeout=5.0, workers=2, start=True, **gate):
    create_gate(store, "ocr-engine", control, candidate, actor="test")
    change_gate(store, "ocr-engine", GateChange(stage=stage, percent=percent, aa_percent=0, **gate), actor="test")
    shadows = ShadowRunner(store, workers=workers, timeout=shadow_timeout, sweep_seconds=0.2)
    if start:
        shadows.start()
    router = Router(store, GateSnapshot(store), shadows, serve_timeout=serve_timeout)
    return router, shadows


def count(store, model, *where):
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_shadow_pair_is_stored_with_agreement(store, test_engines):
    router, shadows = build(store)
    served = router.serve(png_bytes(), unit="team-1", category="receipts")
    assert (served.engine, served.result.text) == ("alpha", "hello")
    assert shadows.drain(10)
    with store.session() as session:
        pair = session.scalars(select(Pair)).one()
        assert (pair.kind, pair.control_engine, pair.candidate_engine) == ("candidate", "alpha", "beta")
        assert pair.cer_between == pytest.approx(0.2) and not pair.exact_match
        assert session.get(Request, served.request_id).status == "served"
        assert session.scalars(select(ShadowJob.status)).all() == ["done"]
    shadows.stop()


@pytest.mark.parametrize("stage, percent", [("shadow", None), ("rollout", 100)])
def test_shadow_runs_read_with_the_served_request_options(store, test_engines, stage, percent):
    router, shadows = build(store, control="echo-a", candidate="echo-b", stage=stage, percent=percent)
    options = RecognizeOptions(mode="word", languages="deu", engine_args={"psm": "8"})
    served = router.serve(png_bytes(), unit="u", category="c", options=options)
    assert served.result.text == "word/deu/psm=8"
    assert shadows.drain(10)
    with store.session() as session:
        assert sorted(run.text for run in session.scalars(select(EngineRun))) == ["word/deu/psm=8"] * 2
        pair = session.scalars(select(Pair)).one()
        assert pair.exact_match and pair.cer_between == 0
        control, candidate = session.get(EngineRun, pair.control_run_id), session.get(EngineRun, pair.candidate_run_id)
        assert (control.engine, candidate.engine) == ("echo-a", "echo-b")
        assert pair.served_side is (Side.CANDIDATE if stage == "rollout" else Side.CONTROL)
    shadows.stop()


def test_an_aa_twin_reads_with_the_served_request_options(store, test_engines):
    router, shadows = build(store, control="echo-a", candidate="echo-b", stage="shadow", shadow_percent=0)
    change_gate(store, "ocr-engine", GateChange(aa_percent=100), actor="test")
    router.snapshot.refresh()
    served = router.serve(png_bytes(), unit="u", category="c", options=RecognizeOptions(mode="line", languages="fra"))
    assert shadows.drain(10)
    with store.session() as session:
        pair = session.scalars(select(Pair)).one()
        twin = session.get(EngineRun, pair.candidate_run_id)
        assert (pair.kind, twin.engine, twin.role, twin.text) == (PairKind.AA, "echo-a", RunRole.AA, served.result.text)
        assert served.result.text == "line/fra/"
    shadows.stop()


def test_a_crashing_candidate_never_touches_the_served_answer(store, test_engines):
    router, shadows = build(store, candidate="crashy")
    served = router.serve(png_bytes(), unit="u", category="c")
    assert served.result.text == "hello"
    assert shadows.drain(10)
    with store.session() as session:
        shadow_run = session.scalars(select(EngineRun).where(EngineRun.engine == "crashy")).one()
        assert "candidate bug" in shadow_run.error
        assert session.scalars(select(Pair.cer_between)).one() is None
    shadows.stop()


def test_a_hanging_shadow_does_not_delay_the_served_answer(sqlite_store, test_engines):
    router, shadows = build(sqlite_store, candidate="sleepy", shadow_timeout=0.5)
    hung = get_engine("sleepy")
    served = router.serve(png_bytes(), unit="u", category="c")  # returns while the shadow is still hung
    assert served.engine == "alpha" and not hung.release.is_set()
    assert shadows.drain(10)
    with sqlite_store.session() as session:
        run = session.scalars(select(EngineRun).where(EngineRun.engine == "sleepy")).one()
        assert "EngineTimeoutError" in run.error
    shadows.stop()


def test_a_failing_or_hanging_served_candidate_falls_back_to_control(sqlite_store, test_engines):
    router, shadows = build(sqlite_store, candidate="crashy", stage="on")
    served = router.serve(png_bytes(), unit="u", category="c")
    assert (served.engine, served.fell_back, served.result.text) == ("alpha", True, "hello")
    with sqlite_store.session() as session:
        pair = session.scalars(select(Pair)).one()
        assert (pair.control_engine, pair.candidate_engine) == ("alpha", "crashy")
    change_gate(sqlite_store, "ocr-engine", GateChange(candidate="sleepy"), actor="test")
    router.snapshot.refresh()
    router.serve_timeout = 0.5
    served = router.serve(png_bytes(), unit="u", category="c")  # the timeout, then the control; never the hang
    assert served.engine == "alpha" and served.fell_back
    assert get_engine("sleepy").entered.is_set() and not get_engine("sleepy").release.is_set()
    shadows.stop()


def test_when_the_control_itself_fails_the_error_is_raised_and_recorded(sqlite_store, test_engines):
    router, shadows = build(sqlite_store, control="crashy", candidate="alpha", stage="off")
    with pytest.raises(EngineFailedError, match="crashed"):
        router.serve(png_bytes(), unit="u", category="c")
    with sqlite_store.session() as session:
        assert session.scalars(select(Request.status)).one() == "failed"
    router.snapshot.refresh()
    change_gate(sqlite_store, "ocr-engine", GateChange(control="sleepy", candidate="alpha"), actor="test")
    router.snapshot.refresh()
    router.serve_timeout = 0.3
    with pytest.raises(EngineTimeoutError):
        router.serve(png_bytes(), unit="u", category="c")
    shadows.stop()


def test_bad_input_leaves_nothing_behind(store, test_engines):
    router, shadows = build(store)
    for bad, kwargs in ((b"", {}), (b"junk", {}), (png_bytes(), {"unit": ""}), (png_bytes(), {"category": "x" * 65})):
        with pytest.raises(OcrInputError):
            router.serve(bad, **{"unit": "u", "category": "c", **kwargs})
    assert count(store, Request) == 0 and count(store, ImageBlob) == 0 and count(store, ShadowJob) == 0
    shadows.stop()


def test_a_full_queue_loses_nothing(sqlite_store, test_engines):
    router, shadows = build(sqlite_store, start=False)
    shadows._queue.maxsize = 2
    for n in range(6):
        router.serve(png_bytes(shade=200 + n), unit=f"u{n}", category="c")
    assert count(sqlite_store, ShadowJob, ShadowJob.status == "pending") == 6
    shadows.start()
    deadline = time.time() + 20
    while count(sqlite_store, Pair) < 6 and time.time() < deadline:
        time.sleep(0.1)
    assert count(sqlite_store, Pair) == 6
    shadows.stop()


CHILD = textwrap.dedent('''
    import sys, time
    from engines.registry import register_engine
    from rollout.gate_store import GateChange, change_gate, create_gate
    from rollout.router import Router
    from rollout.shadow import ShadowRunner
    from rollout.snapshot import GateSnapshot
    from rollout.store import Store
    from tests.rollout_fixtures import WordEngine, png_bytes
    register_engine("alpha", lambda: WordEngine("alpha", "hello"))
    register_engine("beta", lambda: WordEngine("beta", "hallo", delay=60))  # hangs in this process
    store = Store(sys.argv[1])
    create_gate(store, "ocr-engine", "alpha", "beta", actor="test")
    change_gate(store, "ocr-engine", GateChange(stage="shadow", aa_percent=0), actor="test")
    shadows = ShadowRunner(store, workers=int(sys.argv[2]), timeout=0.2, lease_grace=0.3).start()
    router = Router(store, GateSnapshot(store), shadows)
    for n in range(3):
        router.serve(png_bytes(shade=100 + n), unit=f"u{n}", category="c")
    print("served", flush=True)
    time.sleep(120)
''')


@pytest.mark.parametrize("workers", [0, 1], ids=["killed-before-shadow", "killed-mid-shadow"])
def test_a_killed_process_reruns_its_pending_jobs_on_restart(store_url, test_engines, workers):
    child = subprocess.Popen([sys.executable, "-c", CHILD, store_url, str(workers)], stdout=subprocess.PIPE,
                             text=True)
    try:
        assert child.stdout.readline().strip() == "served"
        store = Store(store_url)
        if workers:
            deadline = time.time() + 10
            while count(store, ShadowJob, ShadowJob.status == "running") == 0 and time.time() < deadline:
                time.sleep(0.05)
            assert count(store, ShadowJob, ShadowJob.status == "running") >= 1
    finally:
        child.kill()
        child.wait()
    assert count(store, Pair) == 0
    restarted = ShadowRunner(store, workers=2, timeout=0.2, lease_grace=0.3)  # here "beta" answers at once
    time.sleep(0.8)  # a dead worker's lease (2 × timeout + grace) must lapse before anyone re-runs it
    restarted.start()
    deadline = time.time() + 20
    while count(store, Pair) < 3 and time.time() < deadline:
        time.sleep(0.2)
    assert count(store, Pair) == 3
    assert count(store, ShadowJob, ShadowJob.status == "done") == 3
    restarted.stop()
    store.dispose()


def test_a_request_can_carry_both_a_shadow_and_an_aa_run(store, test_engines):
    """At shadow 100% the A/A lane used to be starved: both lanes now run on the same request."""
    router, shadows = build(store, control="echo-a", candidate="echo-b", stage="shadow", shadow_percent=100)
    change_gate(store, "ocr-engine", GateChange(aa_percent=100), actor="test")
    router.snapshot.refresh()
    router.serve(png_bytes(), unit="u", category="c")
    assert shadows.drain(10)
    with store.session() as session:
        kinds = sorted(session.scalars(select(Pair.kind)))
        assert kinds == [PairKind.AA, PairKind.CANDIDATE]
    shadows.stop()


def test_the_aa_lane_runs_at_its_default_share_beside_full_shadowing(sqlite_store, test_engines):
    """Defaults (shadow 100%, A/A 5%): 400 requests give about 20 A/A pairs (used to be 0)."""
    create_gate(sqlite_store, "ocr-engine", "echo-a", "echo-b", actor="test")
    change_gate(sqlite_store, "ocr-engine", GateChange(stage="shadow"), actor="test")
    shadows = ShadowRunner(sqlite_store, workers=2, timeout=5.0, sweep_seconds=0.2).start()
    router = Router(sqlite_store, GateSnapshot(sqlite_store), shadows)
    for n in range(400):
        router.serve(png_bytes(), unit=f"u{n}", category="c")
    assert shadows.drain(60)
    assert count(sqlite_store, Pair, Pair.kind == PairKind.CANDIDATE) == 400
    aa = count(sqlite_store, Pair, Pair.kind == PairKind.AA)
    assert 6 <= aa <= 38  # 5% of 400 = 20; binomial 99.9% range
    shadows.stop()
