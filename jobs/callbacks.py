"""A job's callback: a URL checked against the allow-list (`OCRGATE_CALLBACK_HOSTS`) when the job
is submitted, and POSTed the job's id and status once when its last page is recorded."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from kernel.errors import OcrInputError
from rollout.store import Store
from rollout.store.models import Job

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10.0
MAX_URL = 2000


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect could lead off the allow-list: it is the callback's answer, not followed."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def check_callback(url: str, allowed_hosts: tuple[str, ...]) -> str:
    """`url` if it is an http(s) URL to an allowed host, without credentials; else OcrInputError."""
    if len(url) > MAX_URL or any(c.isspace() or not c.isprintable() for c in url):
        raise OcrInputError("callback must be one http or https URL of at most 2000 characters")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 -- a bad port raises here
    except ValueError as exc:
        raise OcrInputError(f"callback is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not host:
        raise OcrInputError("callback must be an http or https URL")
    if parts.username is not None or parts.password is not None:
        raise OcrInputError("callback must not carry credentials")
    if host not in allowed_hosts:
        allowed = ", ".join(allowed_hosts) or "none (set OCRGATE_CALLBACK_HOSTS)"
        raise OcrInputError(f"callback host {host!r} is not allowed; allowed hosts: {allowed}")
    return url


def send_callback(store: Store, job_id: str, allowed_hosts: tuple[str, ...]) -> None:
    """POST `{"job_id", "status", "pages"}` to the job's callback, if it has one; record what came back."""
    with store.session() as session:
        job = session.get(Job, job_id)
        if job is None or not job.callback_url:
            return
        url, body = job.callback_url, {"job_id": job.id, "status": job.status.value, "pages": job.pages}
    try:
        check_callback(url, allowed_hosts)  # the allow-list may have changed since the job came in
        request = urllib.request.Request(
            url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
        )
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            outcome = f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        outcome = f"HTTP {exc.code}"
    except (OSError, OcrInputError) as exc:
        outcome = f"failed: {exc}"[:200]
    log.info("job %s callback: %s", job_id, outcome)
    with store.session() as session:
        job = session.get(Job, job_id)
        if job is not None:
            job.callback_status = outcome
