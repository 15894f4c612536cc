"""Retention (issue 16): traffic older than the retention period is purged, children first, in one
transaction; what a pending shadow job or labelled truth needs is kept, and the audit log is never
touched. Real traffic through the router and shadow runner, on real databases, then backdated."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from sqlalchemy import func, select, update

from engines.options import RecognizeOptions
from jobs.pages import Document
from jobs.runner import PageRunner
from jobs.store import NewJob, create_job
from rollout.gate_store import GateChange, change_gate, create_gate
from rollout.router import Router
from rollout.shadow import ShadowRunner
from rollout.snapshot import GateSnapshot
from rollout.store.models import (
    AuditEntry,
    Base,
    EngineRun,
    ImageBlob,
    Job,
    JobPage,
    Pair,
    Request,
    ShadowJob,
    TruthLabel,
    TruthTask,
    utcnow,
)
from rollout.store.retention import purge
from rollout.truth import grant_consent, record_label
from search import SearchIndex
from service.retention import search_document
from service.runtime import OcrService
from service.settings import ServiceSettings
from tests.rollout_fixtures import png_bytes
from tests.service.test_cli_ops import ocrgate

DAYS = 30
#: what the purge deletes, children before parents
PURGED = (Pair, EngineRun, ShadowJob, Request, ImageBlob, JobPage, Job)
#: how long a test waits for background work before it fails (a limit, not a measurement)
PATIENCE = 60


def serving(store, *, start=True):
    create_gate(store, "ocr-engine", "alpha", "beta", actor="test")
    change_gate(store, "ocr-engine", GateChange(stage="shadow", aa_percent=0), actor="test")
    shadows = ShadowRunner(store, workers=1, timeout=5, sweep_seconds=0.2)
    if start:
        shadows.start()
    return Router(store, GateSnapshot(store), shadows, serve_timeout=5), shadows


def backdate(store, request_ids, days=DAYS + 10):
    """Move the requests and everything recorded about them `days` into the past."""
    then = utcnow() - timedelta(days=days)
    with store.session() as session:
        digests = select(Request.image_sha256).where(Request.id.in_(request_ids))
        session.execute(update(ImageBlob).where(ImageBlob.sha256.in_(digests)).values(created_at=then))
        session.execute(update(Request).where(Request.id.in_(request_ids)).values(created_at=then))
        for model in (EngineRun, Pair):
            session.execute(update(model).where(model.request_id.in_(request_ids)).values(created_at=then))
        session.execute(update(ShadowJob).where(ShadowJob.request_id.in_(request_ids))
                        .values(created_at=then, finished_at=then))


def rows(store, model, *where) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def belonging_to(store, request_ids) -> dict[str, int]:
    """Rows per purged table that hang off `request_ids` (images: those no other request uses)."""
    with store.session() as session:
        counts = {model.__tablename__: session.scalar(select(func.count()).select_from(model)
                                                     .where(model.request_id.in_(request_ids)))
                  for model in (Pair, EngineRun, ShadowJob)}
        mine = set(session.scalars(select(Request.image_sha256).where(Request.id.in_(request_ids))))
        others = set(session.scalars(select(Request.image_sha256).where(Request.id.not_in(request_ids))))
        jobs = set(session.scalars(select(JobPage.job_id).where(JobPage.request_id.in_(request_ids))))
        pages = session.scalar(select(func.count()).select_from(JobPage).where(JobPage.job_id.in_(jobs)))
    return {**counts, "requests": len(request_ids), "images": len(mine - others), "jobs": len(jobs),
            "job_pages": pages}


def report_counts(report) -> dict[str, int]:
    return {"pairs": report.pairs, "engine_runs": report.engine_runs, "shadow_jobs": report.shadow_jobs,
            "requests": report.requests, "images": report.images, "jobs": report.jobs,
            "job_pages": report.job_pages}


def everything(store) -> dict[str, int]:
    return {model.__tablename__: rows(store, model) for model in (*PURGED, AuditEntry, TruthTask, TruthLabel)}


def test_expired_traffic_is_purged_with_its_children_and_nothing_else(store, test_engines):
    router, shadows = serving(store)
    old = [router.serve(png_bytes(shade=shade), unit=f"u{shade}", category="c").request_id for shade in (10, 20, 30)]
    recent = [router.serve(png_bytes(shade=shade), unit="r", category="c").request_id for shade in (30, 40)]
    assert shadows.drain(PATIENCE)
    shadows.stop()
    backdate(store, old)
    expected = belonging_to(store, old)
    assert expected["images"] < len(old)  # one old image is still used by a recent request
    before = everything(store)

    report = purge(store, DAYS)

    assert report_counts(report) == expected and report.protected == 0
    after = everything(store)
    for name, deleted in expected.items():
        assert after[name] == before[name] - deleted
    assert after["audit_log"] == before["audit_log"]
    with store.session() as session:
        assert set(session.scalars(select(Request.id))) == set(recent)
        for request_id in recent:  # what stays is whole: its image, runs and pair
            request = session.get(Request, request_id)
            assert session.get(ImageBlob, request.image_sha256) is not None
            assert session.scalar(select(func.count()).select_from(Pair).where(Pair.request_id == request_id)) == 1
    assert report_counts(purge(store, DAYS)) == dict.fromkeys(expected, 0)


def test_a_dry_run_counts_exactly_what_a_purge_deletes_and_deletes_nothing(sqlite_store, test_engines):
    router, shadows = serving(sqlite_store)
    old = [router.serve(png_bytes(shade=shade), unit="u", category="c").request_id for shade in (1, 2)]
    assert shadows.drain(PATIENCE)
    shadows.stop()
    backdate(sqlite_store, old)
    before = everything(sqlite_store)
    dry = purge(sqlite_store, DAYS, dry_run=True)
    assert everything(sqlite_store) == before
    real = purge(sqlite_store, DAYS)
    assert dry.dry_run and not real.dry_run
    assert report_counts(dry) == report_counts(real) == belonging_to_after_the_fact(before, everything(sqlite_store))


def belonging_to_after_the_fact(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {model.__tablename__: before[model.__tablename__] - after[model.__tablename__] for model in PURGED}


def test_requests_with_unfinished_shadow_jobs_are_kept(store, test_engines):
    router, shadows = serving(store, start=False)  # no worker: the jobs stay pending
    waiting = [router.serve(png_bytes(shade=shade), unit="u", category="c").request_id for shade in (5, 6)]
    with store.session() as session:
        job = session.scalars(select(ShadowJob).where(ShadowJob.request_id == waiting[1])).one()
        job.status, job.lease_until = "running", utcnow() + timedelta(minutes=5)
    backdate(store, waiting)
    with store.session() as session:  # backdating finished them on paper; they are not
        session.execute(update(ShadowJob).values(finished_at=None))
    before = everything(store)
    report = purge(store, DAYS)
    assert report.requests == 0 and report.protected == len(waiting)
    assert everything(store) == before


def test_labelled_truth_and_the_audit_entries_that_name_it_are_kept(store, test_engines):
    router, shadows = serving(store)
    with store.session() as session:
        grant_consent(session, "unit", "consenting", actor="test")
    labelled = router.serve(png_bytes(shade=7), unit="consenting", category="c").request_id
    other = router.serve(png_bytes(shade=8), unit="private", category="c").request_id
    assert shadows.drain(PATIENCE)
    shadows.stop()
    with store.session() as session:
        task = session.scalars(select(TruthTask).where(TruthTask.request_id == labelled)).first()
        assert task is not None, "the consenting unit's pair was sampled for labelling"
        record_label(session, task.id, "labeller-1", "hello")
    backdate(store, [labelled, other])
    before = everything(store)
    report = purge(store, DAYS)
    assert report.protected == 1 and report.requests == 1
    with store.session() as session:
        assert set(session.scalars(select(Request.id))) == {labelled}
        kept = session.get(TruthTask, task.id)
        assert session.get(Pair, kept.pair_id) is not None
        assert session.get(ImageBlob, session.get(Request, labelled).image_sha256) is not None
        label_entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "label")).one()
        assert label_entry.after["task"] == task.id
    after = everything(store)
    assert (after["audit_log"], after["truth_tasks"], after["truth_labels"]) == (
        before["audit_log"], before["truth_tasks"], before["truth_labels"])


def test_a_request_with_recent_runs_has_not_expired(sqlite_store, test_engines):
    router, shadows = serving(sqlite_store)
    request_id = router.serve(png_bytes(), unit="u", category="c").request_id
    assert shadows.drain(PATIENCE)
    shadows.stop()
    with sqlite_store.session() as session:  # received long ago, its shadow pair made just now
        session.execute(update(Request).values(created_at=utcnow() - timedelta(days=DAYS + 10)))
    assert purge(sqlite_store, DAYS).requests == 0
    assert rows(sqlite_store, Request, Request.id == request_id) == 1


def test_every_table_that_refers_to_purged_rows_is_purged_or_protects_them():
    """A new table with a foreign key into requests, runs, pairs or images, or a `request_id` column
    without one, must be purged with them or protect them
    (rollout.store.retention.protected_request_ids): this fails until it is."""
    purged = {model.__tablename__ for model in PURGED}
    protecting = {TruthTask.__tablename__}
    referring = {table.name for table in Base.metadata.sorted_tables
                 for key in table.foreign_keys if key.column.table.name in purged}
    referring |= {table.name for table in Base.metadata.sorted_tables if "request_id" in table.columns}
    assert referring <= purged | protecting, f"retention does not know {referring - purged - protecting}"


# --- jobs ---------------------------------------------------------------------------------------------


def job_of(store, router, shades, read=None) -> str:
    """A job of one page per shade; its first `read` pages (default: all) read through `router`."""
    document = Document("image", len(shades), page_pngs=tuple(png_bytes(shade=shade) for shade in shades))
    job_id = create_job(store, NewJob("tests", "ocr-engine", "u", "c", RecognizeOptions()), document)
    runner = PageRunner(store, router)
    for page in range(1, (len(shades) if read is None else read) + 1):
        runner.run(job_id, page)
    return job_id


def job_requests(store, job_id) -> list[str]:
    with store.session() as session:
        return list(session.scalars(select(JobPage.request_id).where(JobPage.job_id == job_id,
                                                                     JobPage.request_id.is_not(None))))


def backdate_job(store, job_id, days=DAYS + 10):
    """The job, its pages' requests and everything recorded about them, `days` in the past."""
    backdate(store, job_requests(store, job_id), days)
    then = utcnow() - timedelta(days=days)
    with store.session() as session:
        session.execute(update(Job).where(Job.id == job_id).values(created_at=then))
        session.execute(update(Job).where(Job.id == job_id, Job.finished_at.is_not(None)).values(finished_at=then))


def test_a_finished_job_expires_with_its_pages_and_requests(store, test_engines):
    router, shadows = serving(store)
    old_job, recent_job = job_of(store, router, (11, 12)), job_of(store, router, (13,))
    plain = router.serve(png_bytes(shade=14), unit="u", category="c").request_id
    assert shadows.drain(PATIENCE)
    shadows.stop()
    backdate_job(store, old_job)
    backdate(store, [plain])
    old = [*job_requests(store, old_job), plain]
    expected = belonging_to(store, old)
    assert (expected["jobs"], expected["job_pages"], expected["requests"]) == (1, 2, 3)
    before = everything(store)

    report = purge(store, DAYS)

    assert report_counts(report) == expected and report.protected == 0
    after = everything(store)
    for name, deleted in expected.items():
        assert after[name] == before[name] - deleted
    with store.session() as session:
        assert set(session.scalars(select(Job.id))) == {recent_job}
        assert set(session.scalars(select(Request.id))) == set(job_requests(store, recent_job))


def test_an_unfinished_job_keeps_its_requests(store, test_engines):
    router, shadows = serving(store)
    job_id = job_of(store, router, (21, 22, 23), read=2)  # its third page still waits
    assert shadows.drain(PATIENCE)
    shadows.stop()
    backdate_job(store, job_id)
    before = everything(store)
    report = purge(store, DAYS)
    assert (report.requests, report.jobs, report.job_pages, report.protected) == (0, 0, 0, 2)
    assert everything(store) == before


def test_a_finished_job_is_kept_whole_while_one_of_its_requests_is_needed(store, test_engines):
    router, shadows = serving(store)
    job_id = job_of(store, router, (31, 32))
    assert shadows.drain(PATIENCE)
    shadows.stop()
    backdate_job(store, job_id)
    with store.session() as session:  # the second page's request got a run since the cutoff
        session.execute(update(EngineRun).where(EngineRun.request_id == job_requests(store, job_id)[1])
                        .values(created_at=utcnow()))
    before = everything(store)
    report = purge(store, DAYS)
    assert (report.requests, report.jobs, report.protected) == (0, 0, 1)
    assert everything(store) == before


# --- the command and the service ------------------------------------------------------------------


def _old_traffic(url: str) -> list[str]:
    from rollout.store import Store

    store = Store(url)
    try:
        router, shadows = serving(store)
        old = [router.serve(png_bytes(shade=shade), unit="u", category="c").request_id for shade in (3, 4)]
        assert shadows.drain(PATIENCE)
        shadows.stop()
        backdate(store, old)
        index = SearchIndex(store.engine)
        for request_id in old:
            index.add(search_document(request_id), router.engines("alpha").recognize(png_bytes()))
    finally:
        store.dispose()
    return old


def test_ocrgate_purge_dry_run_then_purge(tmp_path, test_engines):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    old = _old_traffic(url)
    dry = ocrgate("purge", "--dry-run", "--json", "--db", url)
    assert dry.returncode == 0, dry.stderr
    counted = json.loads(dry.stdout)
    assert counted["dry_run"] is True and counted["days"] == DAYS and counted["requests"] == len(old)
    done = ocrgate("purge", "--json", "--db", url)
    assert done.returncode == 0, done.stderr
    assert {**json.loads(done.stdout), "dry_run": True, "cutoff": None} == {**counted, "cutoff": None}
    assert json.loads(ocrgate("purge", "--json", "--db", url).stdout)["requests"] == 0
    text = ocrgate("purge", "--days", "1", "--db", url)
    assert text.returncode == 0 and len(text.stdout.splitlines()) == 1 and "deleted" in text.stdout
    assert SearchIndex(url).search("hello") == []
    bad = ocrgate("purge", "--days", "0", "--db", url)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_ocrgate_purge_takes_its_default_from_the_settings(tmp_path, test_engines):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    _old_traffic(url)  # 40 days old
    kept = json.loads(ocrgate("purge", "--json", "--db", url, env={"OCRGATE_RETENTION_DAYS": "60"}).stdout)
    assert (kept["days"], kept["requests"]) == (60, 0)
    bad = ocrgate("purge", "--db", url, env={"OCRGATE_RETENTION_DAYS": "forever"})
    assert bad.returncode == 2 and "OCRGATE_RETENTION_DAYS must be a whole number" in bad.stderr


def test_the_service_purges_in_the_background(tmp_path, test_engines):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    _old_traffic(url)
    service = OcrService(ServiceSettings(database_url=url, default_engine="alpha", auto_rollback=False,
                                         retention_days=DAYS))
    try:
        for _ in range(PATIENCE * 10):
            if rows(service.store, Request) == 0:
                break
            time.sleep(0.1)
        assert rows(service.store, Request) == 0 and rows(service.store, ImageBlob) == 0
        assert service.search.search("hello") == []
    finally:
        service.close()


def test_nothing_recent_is_purged(sqlite_store, test_engines):
    router, shadows = serving(sqlite_store)
    router.serve(png_bytes(), unit="u", category="c")
    assert shadows.drain(PATIENCE)
    shadows.stop()
    before = everything(sqlite_store)
    assert not any(report_counts(purge(sqlite_store, 1)).values())
    assert everything(sqlite_store) == before
