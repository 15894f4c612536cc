"""The asynchronous job API: `POST /v1/jobs` (an image, a multi-page TIFF or a PDF → 202 and a job
id), `GET /v1/jobs/ID` (status, then each page's result; `?format=hocr|alto|pdf` for the document).

Pages are read by the job back end that `OCRGATE_BROKER_URL` picks (`jobs/backends.py`). A job is
its client's: another token (without the admin scope) gets a 404, as for a job that does not exist.
"""

from __future__ import annotations

import dataclasses
import io

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request, send_file, url_for
from sqlalchemy import select

from engines.export import EXPORTERS
from engines.result import OcrResult
from imaging import load_first_page
from jobs import pages as job_pages
from jobs.backends import CeleryBackend, EmbeddedBackend, JobBackend, page_router
from jobs.callbacks import check_callback, send_callback
from jobs.runner import PageRunner
from jobs.store import NewJob, create_job
from kernel.errors import OcrInputError
from kernel.settings import Settings, load_settings
from pdf.pipeline import write_image_pdf
from rollout.gate_store import DEFAULT_GATE
from rollout.store.models import Job, JobPage, JobStatus
from service.api import form_options, ocr_service, require_token

jobs_api = Blueprint("jobs_api", __name__, url_prefix="/v1")


class UnknownJobError(OcrInputError):
    """No job of that id (or not this client's)."""

    http_status = 404


class JobNotReadyError(OcrInputError):
    """The document export needs every page read."""

    http_status = 409


#: ?format= values besides json: the document's pages in one file
DOCUMENT_FORMATS = {
    "hocr": "text/html; charset=utf-8",
    "alto": "application/xml; charset=utf-8",
    "pdf": "application/pdf",
}


@dataclasses.dataclass
class JobsRuntime:
    """What the job API holds for the service's lifetime: its settings and back end (which ends
    with the service)."""

    settings: Settings
    backend: JobBackend


def register_jobs(app: Flask) -> None:
    """The job API and its back end, on the app's service (`app.extensions["ocrgate"]`)."""
    service = app.extensions["ocrgate"]
    settings = dataclasses.replace(
        load_settings(),
        database_url=service.settings.database_url,
        default_engine=service.settings.default_engine,
        serve_timeout=service.settings.serve_timeout,
    )
    backend: JobBackend
    if settings.broker_url:
        backend = CeleryBackend(settings, service.store, start_sweep=service.settings.start_workers)
    else:
        router = page_router(service.store, service.snapshot, service.shadows, settings)
        runner = PageRunner(
            service.store,
            router,
            on_job_done=lambda job_id: send_callback(service.store, job_id, settings.callback_hosts),
        )
        backend = EmbeddedBackend(runner, settings.job_workers, start=service.settings.start_workers)
    app.extensions["ocrgate-jobs"] = JobsRuntime(settings, backend)
    service.on_close.append(backend.close)
    app.register_blueprint(jobs_api)


def jobs_runtime() -> JobsRuntime:
    return current_app.extensions["ocrgate-jobs"]


@jobs_api.post("/jobs")
@require_token("ocr")
def submit():
    upload = request.files.get("document")
    if upload is None:
        raise OcrInputError("send the document (an image, a multi-page TIFF or a PDF) as multipart field 'document'")
    runtime, service = jobs_runtime(), ocr_service()
    options = form_options()
    unit, category, gate = service.router.check(
        request.form.get("unit", g.grant.name),
        request.form.get("category", "unknown"),
        request.form.get("gate", DEFAULT_GATE),
        options,
    )
    callback = request.form.get("callback") or None
    if callback is not None:
        callback = check_callback(callback, runtime.settings.callback_hosts)
    document = job_pages.split(upload.read())  # bad input stops here: nothing stored
    new = NewJob(
        client=g.grant.name,
        gate=gate,
        unit=unit,
        category=category,
        options=options,
        callback_url=callback,
        http_request_id=g.request_id,
    )
    job_id = create_job(service.store, new, document)
    runtime.backend.submit(job_id, document.pages, g.request_id)
    location = url_for("jobs_api.status", job_id=job_id)
    response = jsonify({"job_id": job_id, "status": JobStatus.QUEUED.value, "pages": document.pages, "url": location})
    response.status_code = 202
    response.headers["Location"] = location
    return response


@jobs_api.get("/jobs/<job_id>")
@require_token("ocr")
def status(job_id: str):
    wanted = request.args.get("format", "json")
    if wanted != "json" and wanted not in DOCUMENT_FORMATS:
        raise OcrInputError(f"format must be one of json, {', '.join(DOCUMENT_FORMATS)}, got {wanted!r}")
    with ocr_service().store.session() as session:
        job = session.get(Job, job_id)
        if job is None or ("admin" not in g.grant.scopes and job.client != g.grant.name):
            raise UnknownJobError(f"no job {job_id!r}")
        rows = session.scalars(select(JobPage).where(JobPage.job_id == job_id).order_by(JobPage.page)).all()
        if wanted != "json":
            return _document(job, rows, wanted)
        return jsonify(_job_json(job, rows))


def _job_json(job: Job, rows: list[JobPage]) -> dict:
    finished = sum(1 for row in rows if row.status in ("done", "failed"))
    return {
        "job_id": job.id,
        "status": job.status.value,
        "pages": job.pages,
        "pages_finished": finished,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "callback_status": job.callback_status,
        "results": [
            {
                "page": row.page,
                "status": row.status.value,
                "engine": row.engine,
                "text": OcrResult.from_dict(row.result).text if row.result else None,
                "result": row.result,
                "error": row.error,
                "reason": row.reason,
                "latency_ms": row.latency_ms,
            }
            for row in rows
        ],
    }


def _document(job: Job, rows: list[JobPage], wanted: str) -> Response:
    """Every page's result as one hOCR, ALTO or searchable PDF document."""
    unread = [row.page for row in rows if row.status != "done" or row.result is None]
    if unread:
        raise JobNotReadyError(
            f"pages {', '.join(map(str, unread))} are not read (yet); ?format={wanted} needs every page"
        )
    results = [OcrResult.from_dict(row.result) for row in rows if row.result is not None]
    combined = dataclasses.replace(results[0], pages=[result.pages[0] for result in results])
    if wanted != "pdf":
        return Response(EXPORTERS[wanted](combined), content_type=DOCUMENT_FORMATS[wanted])
    images = [
        load_first_page(row.image) if row.image is not None else job_pages.render(job.document or b"", row.page)
        for row in rows
    ]  # a PDF's pages are rendered again: the job keeps the document, not its renders
    output = io.BytesIO()
    write_image_pdf(images, combined.pages, output)
    output.seek(0)
    return send_file(output, mimetype="application/pdf", download_name=f"{job.id}.pdf")
