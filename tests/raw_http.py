"""Plain HTTP calls for the hostile-input tests: no redirects followed, any source address on the
loopback network (127.0.0.2 is another client to the server), and a browser-like admin session
that keeps its cookie and reads the CSRF token from the pages."""

from __future__ import annotations

import http.client
import re
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

COOKIE = "ocrgate_admin"


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    text: str


def call(base: str, method: str, path: str, *, headers: dict[str, str] | None = None, form: dict | None = None,
         body: bytes | None = None, source: str | None = None) -> Reply:
    """One request to the server at `base` (`http://host:port`), sent from `source` if given."""
    where = urlsplit(base)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=60,
                                            source_address=(source, 0) if source else None)
    headers = dict(headers or {})
    if form is not None:
        body = urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read().decode("utf-8", "replace"))
    finally:
        connection.close()


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


class AdminBrowser:
    """A client of the admin that keeps its session cookie, as a browser would."""

    def __init__(self, base: str, source: str | None = None, cookie: str | None = None):
        self.base, self.source, self.cookie = base, source, cookie

    def request(self, method: str, path: str, form: dict | None = None) -> Reply:
        headers = {"Cookie": f"{COOKIE}={self.cookie}"} if self.cookie else {}
        reply = call(self.base, method, path, headers=headers, form=form, source=self.source)
        for header in reply.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            if name == COOKIE:
                self.cookie = rest.split(";", 1)[0] or None
        return reply

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post(self, path: str, form: dict, page: str | None = None) -> Reply:
        """POST `form` with the CSRF token of `page` (default: the path itself)."""
        token = csrf_from(self.get(page or path).text)
        return self.request("POST", path, {"csrf_token": token, **form})

    def sign_in(self, username: str, password: str, next_url: str | None = None) -> Reply:
        query = "?" + urlencode({"next": next_url}) if next_url is not None else ""
        token = csrf_from(self.get("/admin/login").text)
        return self.request("POST", "/admin/login" + query,
                            {"csrf_token": token, "username": username, "password": password})
