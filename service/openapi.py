"""The OpenAPI 3.1 description of the HTTP API, written here by hand and served at
`GET /v1/openapi.json` (no token: it describes, it reveals nothing stored).

`tests/service/test_openapi.py` validates it, checks that it names exactly the routes the app has,
and sends a real request for every status code of every operation, checking each body against its
schema: a route or a status added without its description fails there.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from kernel import __version__

openapi = Blueprint("openapi", __name__)

JSON = "application/json"
Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(description: str, schema: Schema) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(description, _ref("Error"))


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(status): _error(ERRORS[status]) for status in statuses}


ERRORS = {
    400: "Bad input (a field, the rule it breaks and the value, in one line); nothing is stored",
    401: "No bearer token, or an unknown or revoked one (`WWW-Authenticate: Bearer`)",
    403: 'The token lacks the scope this needs (`WWW-Authenticate: … error="insufficient_scope"`)',
    404: "No such thing (or not this client's)",
    409: "Not ready: every page must be read first",
    413: "The body is over the upload limit (`OCRGATE_MAX_IMAGE_BYTES` + 1 MiB)",
    502: "The serving engine (and its fallback) failed to read the page",
    503: "The serving engine (the gate's control, or the fallback to it) cannot run here: its program, "
    "language data or weights are missing",
    504: "The serving engine (and its fallback) did not answer within `OCRGATE_SERVE_TIMEOUT`",
}


def _query(name: str, description: str, schema: Schema) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _form(required: list[str], file_field: str, file_description: str) -> dict[str, Any]:
    text = {"type": "string"}
    return {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": required,
                    "properties": {
                        file_field: {
                            "type": "string",
                            "contentMediaType": "application/octet-stream",
                            "description": file_description,
                        },
                        "unit": {**text, "description": "who sent it (default: the token's name)"},
                        "category": {**text, "description": "what kind of page (default: unknown)"},
                        "gate": {**text, "description": "the gate that decides the engine (default: ocr-engine)"},
                        "mode": {"enum": ["page", "line", "word"], "default": "page"},
                        "lang": {**text, "description": "languages, e.g. eng+deu (default: eng)"},
                    },
                }
            }
        },
    }


SCHEMAS: dict[str, Schema] = {
    "Error": {
        "type": "object",
        "required": ["error", "type", "request_id"],
        "properties": {
            "error": {"type": "string"},
            "type": {"type": "string"},
            "request_id": {"type": "string", "description": "also in the X-Request-Id response header"},
        },
    },
    "OcrResponse": {
        "type": "object",
        "required": ["request_id", "engine", "fell_back", "decision", "text", "result"],
        "properties": {
            "request_id": {"type": "string"},
            "engine": {"type": "string"},
            "fell_back": {"type": "boolean"},
            "decision": {"type": "string"},
            "text": {"type": "string"},
            "result": {"type": "object"},
        },
    },
    "Gates": {
        "type": "object",
        "required": ["gates"],
        "properties": {"gates": {"type": "array", "items": {"type": "object"}}},
    },
    "Pairs": {
        "type": "object",
        "required": ["pairs", "next_cursor"],
        "properties": {
            "pairs": {"type": "array", "items": {"type": "object"}},
            "next_cursor": {"type": ["string", "null"]},
        },
    },
    "Search": {
        "type": "object",
        "required": ["query", "hits"],
        "properties": {"query": {"type": "string"}, "hits": {"type": "array", "items": {"type": "object"}}},
    },
    "Traffic": {
        "type": "object",
        "required": ["gate", "hours", "categories"],
        "properties": {"gate": {"type": "string"}, "hours": {"type": "integer"}, "categories": {}},
    },
    "JobAccepted": {
        "type": "object",
        "required": ["job_id", "status", "pages", "url"],
        "properties": {
            "job_id": {"type": "string"},
            "status": {"const": "queued"},
            "pages": {"type": "integer", "minimum": 1},
            "url": {"type": "string"},
        },
    },
    "Job": {
        "type": "object",
        "required": ["job_id", "status", "pages", "pages_finished", "created_at", "finished_at", "results"],
        "properties": {
            "job_id": {"type": "string"},
            "status": {"enum": ["queued", "running", "done"]},
            "pages": {"type": "integer"},
            "pages_finished": {"type": "integer"},
            "created_at": {"type": "string"},
            "finished_at": {"type": ["string", "null"]},
            "callback_status": {"type": ["string", "null"]},
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["page", "status"],
                    "properties": {
                        "page": {"type": "integer"},
                        "status": {"enum": ["pending", "running", "done", "failed"]},
                        "engine": {"type": ["string", "null"]},
                        "text": {"type": ["string", "null"]},
                        "result": {"type": ["object", "null"]},
                        "error": {"type": ["string", "null"]},
                        "reason": {"type": ["string", "null"]},
                        "latency_ms": {"type": ["number", "null"]},
                    },
                },
            },
        },
    },
    "Health": {
        "type": "object",
        "required": ["status", "version", "database", "engines"],
        "properties": {
            "status": {"enum": ["ok", "degraded"]},
            "version": {"type": "string"},
            "database": {"type": "string"},
            "pending_shadow_jobs": {"type": "integer"},
            "engines": {"type": "object"},
        },
    },
}

LIMIT = {"type": "integer", "minimum": 1}


def _operation(summary: str, scopes: list[str] | None, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    security = {"security": [{"bearer": scopes}]} if scopes is not None else {"security": []}
    return {"summary": summary, **security, **extra, "responses": responses}


PATHS: dict[str, dict[str, Any]] = {
    "/v1/ocr": {
        "post": _operation(
            "Read one page synchronously (the first frame of an image)",
            ["ocr"],
            {
                "200": _json("The served engine's reading", _ref("OcrResponse")),
                **_errors(400, 401, 403, 413, 502, 503, 504),
            },
            requestBody=_form(["image"], "image", "the page: PNG, JPEG, TIFF, …"),
        )
    },
    "/v1/gates": {
        "get": _operation(
            "The gates (salts left out)", ["read"], {"200": _json("Every gate", _ref("Gates")), **_errors(401, 403)}
        )
    },
    "/v1/pairs": {
        "get": _operation(
            "Recent pairs, newest first: the token's client's, or every client's with admin",
            ["read"],
            {
                "200": _json("One page of pairs; pass next_cursor back as cursor", _ref("Pairs")),
                **_errors(400, 401, 403),
            },
            parameters=[
                _query("limit", "pairs per page (1–500, default 50)", LIMIT),
                _query("cursor", "next_cursor of the previous page", {"type": "string"}),
                _query("category", "only this category", {"type": "string"}),
                _query("gate", "only this gate", {"type": "string"}),
                _query("kind", "candidate or aa", {"enum": ["candidate", "aa"]}),
            ],
        )
    },
    "/v1/search": {
        "get": _operation(
            "Pages and word boxes holding every word of q (every client's text)",
            ["read", "admin"],
            {"200": _json("The hits", _ref("Search")), **_errors(400, 401, 403)},
            parameters=[
                {**_query("q", "the words", {"type": "string"}), "required": True},
                _query("limit", "hits (1–1000, default 20)", LIMIT),
            ],
        )
    },
    "/v1/traffic": {
        "get": _operation(
            "Traffic statistics per category",
            ["read"],
            {"200": _json("The summary", _ref("Traffic")), **_errors(400, 401, 403)},
            parameters=[
                _query("gate", "default ocr-engine", {"type": "string"}),
                _query("hours", "the window (1–2160, default 24)", LIMIT),
            ],
        )
    },
    "/v1/jobs": {
        "post": _operation(
            "Submit a document (image, multi-page TIFF or PDF) as an asynchronous job",
            ["ocr"],
            {
                "202": {
                    **_json("Queued; Location: the job's URL", _ref("JobAccepted")),
                    "headers": {"Location": {"schema": {"type": "string"}}},
                },
                **_errors(400, 401, 403, 413),
            },
            requestBody=_form(["document"], "document", "an image, a multi-page TIFF or a PDF"),
        )
    },
    "/v1/jobs/{job_id}": {
        "get": _operation(
            "A job's status and each page's result, or the whole document",
            ["ocr"],
            {
                "200": {
                    "description": "The job (JSON), or with ?format= the document",
                    "content": {
                        JSON: {"schema": _ref("Job")},
                        "text/html": {},
                        "application/xml": {},
                        "application/pdf": {},
                    },
                },
                **_errors(400, 401, 403, 404, 409),
            },
            parameters=[
                {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}},
                _query("format", "json (default), hocr, alto or pdf", {"enum": ["json", "hocr", "alto", "pdf"]}),
            ],
        )
    },
    "/v1/openapi.json": {
        "get": _operation(
            "This description", None, {"200": _json("OpenAPI 3.1", {"type": "object", "required": ["openapi"]})}
        )
    },
    "/healthz": {
        "get": _operation(
            "Health: the database and the engines",
            None,
            {"200": _json("Healthy", _ref("Health")), "503": _json("The database does not answer", _ref("Health"))},
        )
    },
    "/metrics": {
        "get": _operation(
            "Prometheus metrics (text exposition); a token with the metrics scope, or loopback with "
            "OCRGATE_METRICS_LOOPBACK=1",
            ["metrics"],
            {
                "200": {
                    "description": "The text exposition format 0.0.4",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                },
                **_errors(401, 403),
            },
        )
    },
}


def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ocrgate",
            "version": __version__,
            "description": "OCR with gated engine rollout. Every response carries X-Request-Id "
            "(the client's, when 1 to 64 visible ASCII characters, else a new one).",
        },
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "`ocrgate tokens create NAME --scope S`"}
            },
        },
    }


@openapi.get("/v1/openapi.json")
def openapi_json():
    return jsonify(document())
