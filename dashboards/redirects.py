"""Where the admin may send a browser after signing in: a page of this site, never another.

Browsers drop tabs and newlines from URLs and read a backslash as a slash, so `/\t/evil.example` and
`/\\evil.example` leave the site as surely as `//evil.example`; a newline in a Location header is
also a server error. Only a plain relative path passes.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit


def _plain(text: str) -> bool:
    """Printable ASCII without spaces or backslashes."""
    return all("!" <= c <= "~" and c != "\\" for c in text)


def same_site_path(raw: str | None, default: str) -> str:
    """`raw` when it is a path on this site (one leading '/', no scheme or host, nothing but printable
    ASCII without spaces or backslashes, also once its path is percent-decoded), else `default`."""
    if not raw or not _plain(raw):
        return default
    parts = urlsplit(raw)
    path = unquote(parts.path)
    if parts.scheme or parts.netloc or not path.startswith("/") or path.startswith("//") or not _plain(path):
        return default
    return raw
