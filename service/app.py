"""The Flask application factory: the API, health checks, the admin; errors as JSON."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from sqlalchemy import func, select, text
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from dashboards.app import register_dashboards
from engines.registry import describe_engines
from imaging import ImageLimits
from kernel import __version__
from kernel.errors import OcrgateError
from rollout.store.models import ShadowJob
from service.api import api
from service.http_server import register_refusals
from service.jobs_api import register_jobs
from service.metrics import register_metrics
from service.openapi import openapi
from service.request_log import register_request_log
from service.runtime import OcrService
from service.settings import ServiceSettings

MULTIPART_OVERHEAD = 1024 * 1024


def create_app(settings: ServiceSettings | None = None) -> Flask:
    settings = settings or ServiceSettings()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = ImageLimits.from_env().max_bytes + MULTIPART_OVERHEAD
    service = OcrService(settings)
    app.extensions["ocrgate"] = service
    register_request_log(app)  # first: every other hook's log lines carry the request id
    register_refusals(app)  # then: a body waitress refused for its size gets the app's own 413
    app.register_blueprint(api)
    register_jobs(app)
    app.register_blueprint(openapi)
    register_metrics(app, service.store, settings.metrics_loopback)
    register_dashboards(app, settings.secret_key, settings.secure_cookies)

    @app.get("/healthz")
    def healthz():
        checks: dict[str, object] = {}
        try:
            with service.store.session() as session:
                session.execute(text("SELECT 1"))
                checks["pending_shadow_jobs"] = session.scalar(
                    select(func.count()).select_from(ShadowJob).where(ShadowJob.status.in_(("pending", "running")))
                )
            checks["database"] = "ok"
        except Exception as exc:  # health must answer even when the database does not
            checks["database"] = f"error: {type(exc).__name__}"
        checks["engines"] = {row["name"]: row["status"] for row in describe_engines()}
        ok = checks["database"] == "ok"
        return jsonify({"status": "ok" if ok else "degraded", "version": __version__, **checks}), 200 if ok else 503

    @app.errorhandler(OcrgateError)
    def ocrgate_error(exc: OcrgateError):
        if request.path.startswith("/admin"):
            return render_template("error.html", status=exc.http_status, message=str(exc)), exc.http_status
        return jsonify({"error": str(exc), "type": type(exc).__name__}), exc.http_status

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc):
        return jsonify({"error": f"upload over {app.config['MAX_CONTENT_LENGTH']} bytes", "type": "TooLarge"}), 413

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if request.path.startswith(("/v1", "/healthz", "/metrics")):
            return jsonify({"error": exc.description, "type": type(exc).__name__}), exc.code
        if request.path.startswith("/admin") and (exc.code or 500) >= 400:
            return render_template("error.html", status=exc.code, message=exc.description), exc.code
        return exc

    return app
