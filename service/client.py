"""A small HTTP client for the service API (stdlib only): what `ocrgate replay` and tests use."""

from __future__ import annotations

import json
import mimetypes
import uuid
from pathlib import Path
from urllib import error, request

from kernel.errors import OcrgateError


class ApiError(OcrgateError):
    def __init__(self, status: int, body: dict):
        super().__init__(f"HTTP {status}: {body.get('error', body)}")
        self.status, self.body = status, body


def _multipart(fields: dict[str, str], file_field: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    kind = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
        f"Content-Type: {kind}\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class ApiClient:
    def __init__(self, base_url: str, token: str, timeout: float = 120.0):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def _call(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self.token}"}
        if content_type:
            headers["Content-Type"] = content_type
        req = request.Request(self.base_url + path, data=body, headers=headers, method=method)
        try:
            with request.urlopen(req, timeout=self.timeout) as response:
                return json.loads(response.read())
        except error.HTTPError as exc:
            try:
                payload = json.loads(exc.read())
            except ValueError:
                payload = {"error": exc.reason}
            raise ApiError(exc.code, payload) from None

    def ocr(self, image: bytes | Path, unit: str, category: str, filename: str = "image.png", **fields: str) -> dict:
        if isinstance(image, Path):
            filename, image = image.name, image.read_bytes()
        body, content_type = _multipart({"unit": unit, "category": category, **fields}, "image", filename, image)
        return self._call("POST", "/v1/ocr", body, content_type)

    def gates(self) -> dict:
        return self._call("GET", "/v1/gates")

    def pairs(self, limit: int = 50, **filters: str) -> dict:
        query = "&".join([f"limit={limit}"] + [f"{k}={v}" for k, v in filters.items()])
        return self._call("GET", f"/v1/pairs?{query}")
