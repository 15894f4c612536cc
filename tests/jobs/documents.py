"""Test documents with known text on every page, and a small HTTP client for the job API."""

from __future__ import annotations

import io
import json
import time
import urllib.error
import urllib.request
import uuid

from PIL import Image

from tests.conftest import render_text

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"]


def page_words(number: int) -> str:
    """The distinctive word printed on page `number` (1-based)."""
    return WORDS[number - 1]


def pages(count: int) -> list[Image.Image]:
    return [render_text([f"Page {page_words(n)} here", "Invoice total 42"], size=36).convert("RGB")
            for n in range(1, count + 1)]


def tiff(count: int) -> bytes:
    first, *rest = pages(count)
    buffer = io.BytesIO()
    first.save(buffer, format="TIFF", save_all=True, append_images=rest, dpi=(150, 150))
    return buffer.getvalue()


def pdf(count: int) -> bytes:
    first, *rest = pages(count)
    buffer = io.BytesIO()
    first.save(buffer, format="PDF", save_all=True, append_images=rest, resolution=150.0)
    return buffer.getvalue()


def png() -> bytes:
    buffer = io.BytesIO()
    render_text(["Hello jobs"], size=30).save(buffer, format="PNG")
    return buffer.getvalue()


class JobsClient:
    def __init__(self, base: str, token: str):
        self.base, self.token = base, token

    def call(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None,
             raw: bool = False, headers: dict[str, str] | None = None) -> tuple[int, dict | bytes, dict]:
        request = urllib.request.Request(self.base + path, data=body, method=method,
                                         headers={"Authorization": f"Bearer {self.token}", **(headers or {})})
        if content_type:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                data, status, answered = response.read(), response.status, dict(response.headers)
        except urllib.error.HTTPError as exc:
            data, status, answered = exc.read(), exc.code, dict(exc.headers)
        return status, (data if raw else json.loads(data)), answered

    def submit(self, document: bytes, filename: str = "doc.bin", headers: dict[str, str] | None = None,
               **fields: str) -> tuple[int, dict, dict]:
        boundary = uuid.uuid4().hex
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                 for k, v in fields.items()]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="document"; filename="{filename}"\r\n'
                     f"Content-Type: application/octet-stream\r\n\r\n".encode() + document + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        status, data, answered = self.call("POST", "/v1/jobs", body, f"multipart/form-data; boundary={boundary}",
                                           headers=headers)
        assert isinstance(data, dict)
        return status, data, answered

    def wait(self, location: str, timeout: float = 180.0) -> dict:
        """The job at `location` once it is done (polling; fails the test after `timeout` seconds)."""
        ends = time.monotonic() + timeout
        while time.monotonic() < ends:
            status, data, _ = self.call("GET", location)
            assert status == 200, data
            assert isinstance(data, dict)
            if data["status"] == "done":
                return data
            time.sleep(0.2)
        raise AssertionError(f"job {location} not done after {timeout} s: {data}")
