"""Jobs on the embedded back end (the default: no broker), through real HTTP, read by Tesseract."""

from __future__ import annotations

import http.server
import io
import json
import logging
import threading
import time

import pikepdf
import pytest
from sqlalchemy import func, select

from accounts.tokens import create_token
from kernel.request_context import LOG_FORMAT, RequestIdFilter
from rollout.gate_store import create_gate
from rollout.store.models import Job, JobPage, Pair, Request
from tests.jobs.documents import JobsClient, page_words, pdf, png, tiff
from tests.service.http import samples, value


def _count(service, model) -> int:
    with service.store.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def _pairs_per_request(service) -> list[int]:
    with service.store.session() as session:
        return list(session.scalars(select(func.count()).select_from(Pair).group_by(Pair.request_id)))


def _check_pages(job: dict, count: int) -> None:
    assert job["pages"] == job["pages_finished"] == count
    assert [row["page"] for row in job["results"]] == list(range(1, count + 1))
    for row in job["results"]:
        assert row["status"] == "done" and row["engine"] == "tesseract", row
        assert page_words(row["page"]) in row["text"].lower()  # each page's own word, in page order
        assert row["result"]["pages"][0]["width"] > 0


@pytest.mark.parametrize("document, count", [(tiff(5), 5), (pdf(3), 3)], ids=["tiff-5", "pdf-3"])
def test_a_multi_page_document_completes_as_a_job(jobs_service, document, count):
    service, client = jobs_service
    status, body, headers = client.submit(document)
    assert status == 202 and body["status"] == "queued" and body["pages"] == count
    assert headers["Location"] == body["url"] == f"/v1/jobs/{body['job_id']}"
    job = client.wait(headers["Location"])
    _check_pages(job, count)
    assert service.shadows.drain(120)
    # one served request and one pair (control vs the shadowed candidate) per page
    assert _count(service, Request) == count and _pairs_per_request(service) == [1] * count


def test_documents_on_request_hocr_alto_and_a_searchable_pdf(jobs_service):
    _, client = jobs_service
    _, body, headers = client.submit(tiff(2))
    client.wait(headers["Location"])
    status, hocr, _ = client.call("GET", headers["Location"] + "?format=hocr", raw=True)
    assert status == 200 and hocr.count(b"class='ocr_page'") + hocr.count(b'class="ocr_page"') == 2
    status, alto, _ = client.call("GET", headers["Location"] + "?format=alto", raw=True)
    assert status == 200 and alto.count(b"<Page ") == 2
    status, document, _ = client.call("GET", headers["Location"] + "?format=pdf", raw=True)
    assert status == 200
    with pikepdf.open(io.BytesIO(document)) as searchable:
        assert len(searchable.pages) == 2


@pytest.mark.parametrize("fields, document, message", [
    ({}, b"not an image at all", "not an image in a supported format"),
    ({}, b"%PDF-1.7\ngarbage", "document.pdf"),
    ({"mode": "sideways"}, None, "unknown mode"),
    ({"lang": "xx_nope"}, None, "xx_nope"),
    ({"unit": "\u202eevil"}, None, "unit"),
    ({"callback": "http://evil.example/hook"}, None, "callback host 'evil.example' is not allowed"),
    ({"callback": "http://user:pw@127.0.0.1/hook"}, None, "credentials"),
    ({"callback": "file:///etc/passwd"}, None, "http or https"),
])
def test_bad_input_is_one_line_and_stores_nothing(jobs_service, fields, document, message):
    service, client = jobs_service
    status, body, _ = client.submit(png() if document is None else document, **fields)
    assert status == 400 and message in body["error"] and "\n" not in body["error"], body
    assert _count(service, Job) == _count(service, JobPage) == _count(service, Request) == 0


def test_a_missing_document_an_unknown_job_and_another_clients_job(jobs_service):
    service, client = jobs_service
    status, body, _ = client.call("POST", "/v1/jobs", b"", "multipart/form-data; boundary=x")
    assert status == 400 and "'document'" in body["error"]
    assert client.call("GET", "/v1/jobs/nope")[0] == 404
    _, _, headers = client.submit(png())
    other = JobsClient(client.base, create_token(service.store, "someone-else", ["ocr"]))
    status, body, _ = other.call("GET", headers["Location"])
    assert status == 404 and body["type"] == "UnknownJobError"
    assert client.call("GET", headers["Location"] + "?format=docx")[0] == 400


def test_the_callback_gets_the_finished_job(jobs_service):
    service, client = jobs_service
    received: list[dict] = []
    arrived = threading.Event()

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 -- the standard library's name
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()
            arrived.set()

        def log_message(self, *args):
            pass

    hook = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        _, body, headers = client.submit(png(), callback=f"http://127.0.0.1:{hook.server_port}/done")
        assert arrived.wait(120)
        assert received == [{"job_id": body["job_id"], "status": "done", "pages": 1}]
        # the hook answers before the sender records its answer: wait for the record, not the job
        job = client.wait(headers["Location"])
        for _ in range(300):
            if job["callback_status"] is not None:
                break
            time.sleep(0.1)
            job = client.wait(headers["Location"])
        assert job["callback_status"] == "HTTP 204"
    finally:
        hook.shutdown()


@pytest.mark.parametrize("engine, reason, words", [
    ("hog", "memory", "ran out of memory"),
    ("spin", "cpu", "CPU seconds"),
    ("network", "engine", "Operation not permitted"),
    ("exec", "engine", "Operation not permitted"),
])
def test_a_page_that_misbehaves_in_the_jail_fails_with_its_reason_and_the_worker_goes_on(
        jobs_service, engine, reason, words):
    service, client = jobs_service
    create_gate(service.store, f"jail-{engine}", engine, "alpha", actor="test")
    service.snapshot.refresh()
    _, _, headers = client.submit(png(), gate=f"jail-{engine}")
    row = client.wait(headers["Location"])["results"][0]
    assert row["status"] == "failed" and row["reason"] == reason and words in row["error"], row
    _, _, headers = client.submit(png())  # the same back end reads the next job
    assert client.wait(headers["Location"])["results"][0]["status"] == "done"


def test_metrics_count_pages_their_failures_by_reason_and_engine_and_jobs(jobs_service):
    service, client = jobs_service
    scraper = JobsClient(client.base, create_token(service.store, "prometheus", ["metrics"]))
    create_gate(service.store, "jail-network", "network", "alpha", actor="test")
    service.snapshot.refresh()
    before = samples(scraper.call("GET", "/metrics", raw=True)[1])
    _, _, failing = client.submit(png(), gate="jail-network")
    _, _, reading = client.submit(tiff(2))
    client.wait(failing["Location"])
    client.wait(reading["Location"])
    after = samples(scraper.call("GET", "/metrics", raw=True)[1])

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("ocrgate_job_page_failures_total", reason="engine", engine="network") == 1
    assert (grew("ocrgate_job_pages_total", status="failed"), grew("ocrgate_job_pages_total", status="done")) == (1, 2)
    assert grew("ocrgate_job_page_duration_seconds_count") == 3
    assert grew("ocrgate_job_duration_seconds_count") == 2
    assert value(after, "ocrgate_job_pages_queued", status="pending") == 0


def test_a_pages_log_lines_in_the_pool_carry_the_request_id_that_created_its_job(jobs_service):
    """The pool's threads read a job's pages long after its HTTP request ended, under its id."""
    _, client = jobs_service
    lines: list[str] = []
    handler = logging.Handler(logging.INFO)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.emit = lambda record: lines.append(handler.format(record))  # type: ignore[method-assign]
    handler.addFilter(RequestIdFilter())
    runner_log = logging.getLogger("jobs.runner")
    runner_log.addHandler(handler)
    level = runner_log.level
    runner_log.setLevel(logging.INFO)
    try:
        _, body, headers = client.submit(tiff(2), headers={"X-Request-Id": "pool-req-9"})
        client.wait(headers["Location"])
    finally:
        runner_log.removeHandler(handler)
        runner_log.setLevel(level)
    for page in (1, 2):
        mine = [line for line in lines if f"job {body['job_id']} page {page}:" in line]
        assert len(mine) == 2 and all("[pool-req-9]" in line for line in mine), lines
