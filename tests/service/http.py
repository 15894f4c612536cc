"""One HTTP exchange with a real server (stdlib only): status, body and headers, errors included."""

from __future__ import annotations

import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def fetch(base: str, method: str, path: str, *, token: str | None = None, body: bytes | None = None,
          headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(base + path, data=body, method=method, headers=dict(headers or {}))
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def multipart(file_field: str, data: bytes, **fields: str) -> tuple[bytes, dict[str, str]]:
    """A multipart/form-data body with `fields` and one file, and its Content-Type header."""
    boundary = "ocrgate-test-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="f.png"\r\n'
                 f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), {
        "Content-Type": f"multipart/form-data; boundary={boundary}"}


def samples(exposition: bytes) -> dict[tuple[str, frozenset], float]:
    """Every sample of a Prometheus text exposition, parsed by prometheus_client's own parser:
    (name, labels) → value."""
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(exposition.decode())
            for sample in family.samples}


def value(found: dict[tuple[str, frozenset], float], name: str, **labels: str) -> float:
    """A sample's value (0 when it is not there yet)."""
    return found.get((name, frozenset(labels.items())), 0.0)
