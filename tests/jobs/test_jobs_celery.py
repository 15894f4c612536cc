"""Jobs on the Celery back end: real Redis and RabbitMQ, `ocrgate worker` processes, real HTTP.

The API (in this process) and the workers share a SQLite file; each test gets its own broker
database or virtual host (tests/jobs/brokers.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from accounts.tokens import create_token
from rollout.gate_store import GateChange, change_gate, create_gate
from rollout.store.models import EngineRun, Job, JobPage, Pair, Request, RunRole, ShadowJob
from service.app import create_app
from service.settings import ServiceSettings
from tests.conftest import REPO
from tests.jobs.brokers import BROKERS
from tests.jobs.conftest import shadowed_gate
from tests.jobs.documents import JobsClient, page_words, pdf, png, tiff

pytestmark = pytest.mark.slow
WORKER_ENVIRONMENT = {"OCRGATE_SERVE_TIMEOUT": "30", "OCRGATE_SHADOW_TIMEOUT": "30",
                      "OCRGATE_GATE_REFRESH_SECONDS": "0.5", "OCRGATE_BROKER_VISIBILITY_TIMEOUT": "10"}


class Workers:
    """`ocrgate worker` processes (with the test engines), each in its own process group."""

    def __init__(self, database_url: str, log_folder):
        self.database_url, self.log_folder = database_url, log_folder
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, concurrency: int = 1) -> subprocess.Popen:
        log = open(self.log_folder / f"{name}.log", "ab")  # noqa: SIM115 -- closed with the process
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.jobs.worker_main", "--concurrency", str(concurrency),
             "--hostname", f"{name}@test", "--db", self.database_url],
            cwd=REPO, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.running[name] = process
        return process

    def kill(self, name: str) -> None:
        process = self.running.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(30)

    def stop(self) -> None:
        for process in self.running.values():
            process.send_signal(signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.running.clear()


@pytest.fixture(params=sorted(BROKERS))
def celery_jobs(request, tmp_path, monkeypatch, jail_environment):
    with BROKERS[request.param]() as broker_url:
        monkeypatch.setenv("OCRGATE_BROKER_URL", broker_url)
        for name, value in WORKER_ENVIRONMENT.items():
            monkeypatch.setenv(name, value)
        database_url = f"sqlite:///{tmp_path / 'jobs.db'}"
        app = create_app(ServiceSettings(database_url=database_url, default_engine="tesseract", serve_timeout=30,
                                         shadow_timeout=30, auto_rollback=False))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        service = app.extensions["ocrgate"]
        shadowed_gate(service.store)
        workers = Workers(database_url, tmp_path)
        client = JobsClient(f"http://127.0.0.1:{server.server_port}", create_token(service.store, "tests", ["ocr"]))
        try:
            yield service, client, workers
        finally:
            workers.stop()
            server.shutdown()
            service.close()


def _wait(condition, timeout: float = 120.0, what: str = "condition") -> None:
    ends = time.monotonic() + timeout
    while time.monotonic() < ends:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} not met after {timeout} s")


def _shadows_finished(service) -> bool:
    with service.store.session() as session:
        served = select(EngineRun.request_id).where(EngineRun.role == RunRole.SERVED)
        return not session.scalar(select(func.count()).select_from(ShadowJob).where(
            ShadowJob.request_id.in_(served), ShadowJob.status.in_(("pending", "running"))))


def _counts(service, job_id: str) -> tuple[int, int]:
    """(served runs, pairs) of the job's pages."""
    with service.store.session() as session:
        requests = select(JobPage.request_id).where(JobPage.job_id == job_id)
        served = session.scalar(select(func.count()).select_from(EngineRun).where(
            EngineRun.request_id.in_(requests), EngineRun.role == RunRole.SERVED))
        pairs = session.scalar(select(func.count()).select_from(Pair).where(Pair.request_id.in_(requests)))
        return served, pairs


def test_a_tiff_and_a_pdf_complete_on_two_workers(celery_jobs):
    service, client, workers = celery_jobs
    workers.start("w1")
    workers.start("w2")
    submitted = [client.submit(tiff(5)), client.submit(pdf(3))]
    for (status, _, headers), count in zip(submitted, (5, 3), strict=True):
        assert status == 202
        job = client.wait(headers["Location"])
        assert job["pages_finished"] == count
        for row in job["results"]:
            assert row["status"] == "done" and page_words(row["page"]) in row["text"].lower(), row
    _wait(lambda: _shadows_finished(service), what="shadow runs")
    for _, body, _ in submitted:
        assert _counts(service, body["job_id"]) == (body["pages"], body["pages"])


def test_a_worker_killed_mid_page_leaves_the_page_to_another_within_a_minute(celery_jobs):
    service, client, workers = celery_jobs
    create_gate(service.store, "slow-gate", "slow", "alpha", actor="test")
    change_gate(service.store, "slow-gate", GateChange(stage="shadow", aa_percent=0), actor="test")
    workers.start("doomed")
    _, body, headers = client.submit(png(), gate="slow-gate")

    def reading() -> bool:
        with service.store.session() as session:
            return session.get(JobPage, (body["job_id"], 1)).status == "running"

    _wait(reading, what="the first worker reading the page")
    workers.kill("doomed")
    workers.start("rescuer")
    job = client.wait(headers["Location"], timeout=60)  # the bound: within a minute of the kill
    row = job["results"][0]
    assert row["status"] == "done" and row["engine"] == "slow" and row["text"] == "slowly"
    _wait(lambda: _shadows_finished(service), what="the shadow run")
    assert _counts(service, body["job_id"]) == (1, 1)  # exactly one result and one pair
    with service.store.session() as session:
        assert session.get(JobPage, (body["job_id"], 1)).attempts == 2
        assert session.scalar(select(func.count()).select_from(Job)) == 1


def test_pages_that_die_in_the_jail_are_reported_and_the_worker_lives_on(celery_jobs):
    service, client, workers = celery_jobs
    for engine in ("hog", "spin"):
        create_gate(service.store, f"jail-{engine}", engine, "alpha", actor="test")
    worker = workers.start("w1")
    for engine, reason in (("hog", "memory"), ("spin", "cpu")):
        _, _, headers = client.submit(png(), gate=f"jail-{engine}")
        row = client.wait(headers["Location"])["results"][0]
        assert row["status"] == "failed" and row["reason"] == reason, row
    _, _, headers = client.submit(png())
    assert client.wait(headers["Location"])["results"][0]["status"] == "done"
    assert worker.poll() is None
    with service.store.session() as session:
        assert session.scalar(select(func.count()).select_from(Request)) == 3


class _Collected:
    """A shadow queue that only collects the shadow jobs a router hands it."""

    def __init__(self):
        self.ids: list[int] = []

    def submit(self, job_id: int) -> bool:
        self.ids.append(job_id)
        return True


def test_pages_go_before_every_shadow_run_queued_before_them(celery_jobs):
    """With no worker running: 6 shadow runs queued, then 3 pages; one worker (one page at a time,
    prefetch 1) reads the 3 pages before any of those shadow runs."""
    from jobs.celery_app import make_app, send_shadow
    from kernel.settings import load_settings
    from rollout.router import Router

    service, client, workers = celery_jobs
    create_gate(service.store, "quick", "alpha", "beta", actor="test")
    change_gate(service.store, "quick", GateChange(stage="shadow", aa_percent=0), actor="test")
    service.snapshot.refresh()
    collected = _Collected()
    router = Router(service.store, service.snapshot, collected)
    for n in range(6):
        router.serve(png(), unit=f"u{n}", category="c", gate="quick")
    assert len(collected.ids) == 6
    sender = make_app(load_settings())
    for shadow_job_id in collected.ids:
        send_shadow(sender, shadow_job_id)
    sender.close()
    locations = [client.submit(png(), gate="quick")[2]["Location"] for _ in range(3)]
    workers.start("only", concurrency=1)
    jobs = [client.wait(location) for location in locations]
    _wait(lambda: _shadows_finished(service), what="the shadow runs")
    with service.store.session() as session:
        shadows = sorted(session.scalars(select(ShadowJob.finished_at).where(ShadowJob.id.in_(collected.ids))))
        pages = sorted(session.scalars(select(JobPage.finished_at).where(
            JobPage.job_id.in_([job["job_id"] for job in jobs]))))
    assert len(shadows) == 6 and len(pages) == 3
    order = sorted([(at, "page") for at in pages] + [(at, "shadow") for at in shadows])
    assert [kind for _, kind in order] == ["page"] * 3 + ["shadow"] * 6, order


def test_a_page_whose_message_was_lost_is_sent_again_and_read_once_under_its_request_id(celery_jobs, tmp_path):
    """The broker loses a queued page's message (its queue purged, as by a restart without
    persistence): the sweep sends it again once it is older than its age, and again (a duplicate)
    when asked; one worker reads it once, and its log lines carry the job's request id."""
    from jobs.backends import CeleryBackend
    from kernel.settings import load_settings

    service, client, workers = celery_jobs
    create_gate(service.store, "quick", "alpha", "beta", actor="test")
    change_gate(service.store, "quick", GateChange(stage="shadow", aa_percent=0), actor="test")
    service.snapshot.refresh()
    _, body, headers = client.submit(png(), gate="quick", headers={"X-Request-Id": "lost-and-found-7"})
    job_id = body["job_id"]
    sweeper = CeleryBackend(load_settings(), service.store)
    try:
        assert sweeper.app.control.purge() == 1  # the page's message is gone
        assert sweeper.resend_lost() == []  # younger than OCRGATE_JOB_RESEND_SECONDS (300 s)
        time.sleep(1.2)
        resent = sweeper.resend_lost(1.0)
        assert [(task.job_id, task.page, task.http_request_id) for task in resent] == [(job_id, 1, "lost-and-found-7")]
        assert sweeper.resend_lost(1.0) == []  # just sent
        assert len(sweeper.resend_lost(0.0)) == 1  # a duplicate on purpose: the page must still be read once
    finally:
        sweeper.close()
    workers.start("w1")
    job = client.wait(headers["Location"], timeout=60)
    assert job["results"][0]["status"] == "done" and job["results"][0]["text"] == "hello"
    _wait(lambda: _shadows_finished(service), what="the shadow run")
    assert _counts(service, job_id) == (1, 1)  # exactly one result and one pair
    with service.store.session() as session:
        assert session.get(JobPage, (job_id, 1)).attempts == 1
    workers.stop()  # its log is complete
    lines = [line for line in (tmp_path / "w1.log").read_text().splitlines() if f"job {job_id} page 1" in line]
    assert any("reading it" in line for line in lines) and any(": read by alpha" in line for line in lines), lines
    assert all("[lost-and-found-7]" in line for line in lines), lines
