"""Every `OCRGATE_*` environment variable, read in one place: typed fields, one default each, ranges.

`load_settings()` reads the environment each time it is called (cheap: a few string checks), so
a test's `monkeypatch.setenv` or an operator's export takes effect on the next read. A bad value
is a `SettingsError` (exit code 2) whose one-line message names the variable, the range and the
value, e.g. `OCRGATE_SHADOW_WORKERS must be a whole number from 1 to 64, got 'two'`. An empty
variable counts as unset.

The number parsers here are the ones every door uses for user-typed numbers (query parameters,
admin forms, environment): whole numbers are ASCII digits only (`str.isdigit()` also accepts
'²' and '٣', which `int()` then refuses or reads as a different number), and floats are finite.

| variable | field | default |
|---|---|---|
| `OCRGATE_DATABASE_URL` | `database_url` | SQLite `ocrgate.db` in the user data directory |
| `OCRGATE_LAB_NOTEBOOK` | `lab_notebook` | `lab-notebook.jsonl` in the user data directory |
| `OCRGATE_SETS_FILE` | `sets_file` | `sets.json` in the user data directory |
| `OCRGATE_EVAL_CACHE` | `eval_cache` | `eval/` in the user cache directory |
| `OCRGATE_SEARCH_INDEX` | `search_index` | the store's database (`OCRGATE_DATABASE_URL`) |
| `OCRGATE_MAX_IMAGE_BYTES` | `max_image_bytes` | 64 MiB |
| `OCRGATE_MAX_IMAGE_PIXELS` | `max_image_pixels` | 80,000,000 per frame |
| `OCRGATE_MAX_IMAGE_FRAMES` | `max_image_frames` | 500 frames per image |
| `OCRGATE_MAX_TOTAL_PIXELS` | `max_total_pixels` | 320,000,000 over the frames of one image |
| `OCRGATE_MAX_PDF_BYTES` | `max_pdf_bytes` | 256 MiB |
| `OCRGATE_MAX_PDF_PAGES` | `max_pdf_pages` | 2,000 |
| `OCRGATE_MAX_PDF_PIXELS` | `max_pdf_pixels` | 4,000,000,000 rendered over the pages of one PDF |
| `OCRGATE_SECRET_KEY` | `secret_key` | none: a random key kept in the user data directory |
| `OCRGATE_SECURE_COOKIES` | `secure_cookies` | off |
| `OCRGATE_SESSION_IDLE_MINUTES` | `session_idle_minutes` | 30 (1–1,440): an admin session ends after this long unused |
| `OCRGATE_SESSION_MAX_HOURS` | `session_max_hours` | 8 (1–720): an admin session ends this long after sign-in |
| `OCRGATE_DEFAULT_ENGINE` | `default_engine` | `tesseract` |
| `OCRGATE_SHADOW_WORKERS` | `shadow_workers` | 2 (1–64) |
| `OCRGATE_SHADOW_QUEUE` | `shadow_queue` | 256 (1–100,000) |
| `OCRGATE_SERVE_TIMEOUT` | `serve_timeout` | 60 s |
| `OCRGATE_SHADOW_TIMEOUT` | `shadow_timeout` | 120 s |
| `OCRGATE_GATE_REFRESH_SECONDS` | `gate_refresh_seconds` | 2 s |
| `OCRGATE_AUTO_ROLLBACK` | `auto_rollback` | on |
| `OCRGATE_PORT` | `port` | 8080 |
| `OCRGATE_CLIENT_TIMEOUT` | `client_timeout` | 30 s a connection may send nothing (1–3,600) |
| `OCRGATE_RETENTION_DAYS` | `retention_days` | 30 days (1–36,500) |
| `OCRGATE_GUARD_MARGIN` | `guard_margin` | 0.02: the aligned-CER regression a ramp must rule out per category |
| `OCRGATE_GUARD_MIN_PAGES` | `guard_min_pages` | 30 benchmark pages per category at least (docs/rollout.md) |
| `OCRGATE_GUARD_MIN_PAIRS` | `guard_min_pairs` | 200 traffic pairs per category before a ramp or a step |
| `OCRGATE_GUARD_MIN_LABELS` | `guard_min_labels` | 100 labelled words per category before labels can refuse |
| `OCRGATE_GUARD_MAX_ERROR_GAP` | `guard_max_error_gap` | 0.02: allowed excess of candidate failures |
| `OCRGATE_GUARD_MAX_LATENCY_RATIO` | `guard_max_latency_ratio` | 1.5: candidate p95 latency / control p95 latency |
| `OCRGATE_TOKEN` | `token` | none (for `ocrgate replay`) |
| `OCRGATE_BROKER_URL` | `broker_url` | none: jobs on the embedded pool; `redis://…`/`amqp://…`: Celery |
| `OCRGATE_BROKER_VISIBILITY_TIMEOUT` | `broker_visibility_timeout` | 30 s (5–3,600): a killed worker's page re-runs |
| `OCRGATE_JOB_WORKERS` | `job_workers` | 2 (1–64) pages at once in the embedded pool, and per `ocrgate worker` |
| `OCRGATE_JOB_RESEND_SECONDS` | `job_resend_seconds` | 300 s (1–86,400): a page unread this long is sent again |
| `OCRGATE_CALLBACK_HOSTS` | `callback_hosts` | none: the host names a job's callback URL may name, comma-separated |
| `OCRGATE_JAIL` | `jail` | on: each job page runs in a forked process with the limits below |
| `OCRGATE_JAIL_MEMORY_MB` | `jail_memory_mb` | 2,048 MiB of address space per page (64–1,048,576) |
| `OCRGATE_JAIL_CPU_SECONDS` | `jail_cpu_seconds` | 120 CPU seconds per page (1–86,400) |
| `OCRGATE_JAIL_FILE_MB` | `jail_file_mb` | 256 MiB per file a page writes (1–1,048,576) |
| `OCRGATE_METRICS_LOOPBACK` | `metrics_loopback` | off: `/metrics` needs a `metrics` token; on: not from loopback |

Only the test suite reads `OCRGATE_TEST_POSTGRES`, `OCRGATE_SHARED` and `OCRGATE_UPDATE_SCREENSHOTS`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import platformdirs

from kernel.errors import OcrInputError, SettingsError

PREFIX = "OCRGATE_"
APP_NAME = "ocrgate"

#: the engine that serves when no gate says otherwise, and the CLI's `--engine` default
DEFAULT_ENGINE = "tesseract"

DEFAULT_MAX_IMAGE_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_IMAGE_PIXELS = 80_000_000  # per frame: ~ an A3 page at 600 dpi
DEFAULT_MAX_IMAGE_FRAMES = 500
#: all the frames of one image are decoded and held together: a few full-size pages, no more
DEFAULT_MAX_TOTAL_PIXELS = 4 * DEFAULT_MAX_IMAGE_PIXELS
DEFAULT_MAX_PDF_BYTES = 256 * 1024 * 1024
DEFAULT_MAX_PDF_PAGES = 2_000
#: PDF pages are rendered one at a time, so their sum bounds work, not memory (~460 A4 pages at 300 dpi)
DEFAULT_MAX_PDF_PIXELS = 50 * DEFAULT_MAX_IMAGE_PIXELS
DEFAULT_PORT = 8080
#: seconds a client connection may send nothing (a stalled upload) before the server closes it
DEFAULT_CLIENT_TIMEOUT = 30
#: days the service keeps requests, their images, runs and pairs (`ocrgate purge`)
DEFAULT_RETENTION_DAYS = 30

#: evidence the ramp guard needs per category; docs/rollout.md derives them from power calculations
DEFAULT_GUARD_MARGIN = 0.02
DEFAULT_GUARD_MIN_PAGES = 30
DEFAULT_GUARD_MIN_PAIRS = 200
DEFAULT_GUARD_MIN_LABELS = 100

MAX_SECONDS = 24 * 3600.0
_NAME_CHARACTERS = frozenset("-_.")


# --- the one set of number parsers -----------------------------------------------------------------


def shown(raw: object, limit: int = 40) -> str:
    """`raw` quoted for a one-line message, cut to `limit` characters."""
    text = str(raw)
    return repr(text if len(text) <= limit else text[:limit] + "…")


def whole_number(raw: str, name: str, low: int, high: int, error: Callable[[str], Exception] = OcrInputError) -> int:
    """`raw` as an int in low..high, ASCII digits only (no sign, no spaces, no '²');
    otherwise `error` with the one-line message `NAME must be a whole number from LOW to HIGH, got 'RAW'`."""
    text = raw if isinstance(raw, str) else str(raw)
    digits = text.lstrip("0") or "0"
    if not (text.isascii() and text.isdigit()) or len(digits) > len(str(high)) or not low <= int(digits) <= high:
        raise error(f"{name} must be a whole number from {low} to {high}, got {shown(text)}")
    return int(digits)


def finite_number(
    raw: str | float, name: str, low: float, high: float, error: Callable[[str], Exception] = OcrInputError
) -> float:
    """`raw` as a finite float in low..high (ASCII only; no inf or nan); otherwise `error` with the
    one-line message `NAME must be a number from LOW to HIGH, got 'RAW'`."""
    message = f"{name} must be a number from {low:g} to {high:g}, got {shown(raw)}"
    if isinstance(raw, str):
        if not raw.isascii():
            raise error(message)
        try:
            value = float(raw)
        except ValueError:
            raise error(message) from None
    elif isinstance(raw, (int, float)) and not isinstance(raw, bool):
        value = float(raw)
    else:
        raise error(message)
    if not math.isfinite(value) or not low <= value <= high:
        raise error(message)
    return value


_TRUE, _FALSE = frozenset({"1", "true", "yes", "on"}), frozenset({"0", "false", "no", "off"})


def boolean(raw: str, name: str, error: Callable[[str], Exception] = OcrInputError) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise error(f"{name} must be 1 or 0 (or true/false, yes/no, on/off), got {shown(raw)}")


# --- the settings ----------------------------------------------------------------------------------


def data_dir() -> Path:
    """The user data directory (database, lab notebook, sets registry, search index, secret key)."""
    return Path(platformdirs.user_data_dir(APP_NAME))


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME))


def default_sqlite_url() -> str:
    return f"sqlite:///{data_dir() / 'ocrgate.db'}"


def _text(raw: str, name: str) -> str:
    return raw


def _path(raw: str, name: str) -> Path:
    if "\x00" in raw:
        raise SettingsError(f"{name} must be a file path, got {shown(raw)}")
    return Path(raw).expanduser()


def _database_or_path(raw: str, name: str) -> str:
    """A database URL, or a SQLite file path."""
    return _database_url(raw, name) if "://" in raw else str(_path(raw, name))


def _database_url(raw: str, name: str) -> str:
    scheme, sep, rest = raw.partition("://")
    if not sep or not scheme or not rest or any(c.isspace() for c in raw):
        raise SettingsError(
            f"{name} must be a database URL such as sqlite:///PATH or postgresql://USER@HOST/DB, got {shown(raw)}"
        )
    return raw


_BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps", "pyamqp")


def _broker_url(raw: str, name: str) -> str:
    scheme, sep, rest = raw.partition("://")
    if scheme not in _BROKER_SCHEMES or not sep or any(c.isspace() for c in raw):
        raise SettingsError(
            f"{name} must be a Redis or RabbitMQ URL such as redis://HOST:6379/0 or "
            f"amqp://USER:PASSWORD@HOST:5672//, got {shown(raw)}"
        )
    return raw


def _host_list(raw: str, name: str) -> tuple[str, ...]:
    hosts = tuple(part.strip().lower() for part in raw.split(",") if part.strip())
    if not all(
        len(host) <= 253 and host.isascii() and all(c.isalnum() or c in "-.:[]" for c in host) for host in hosts
    ):
        raise SettingsError(f"{name} must be host names separated by commas, got {shown(raw)}")
    return hosts


def _engine_name(raw: str, name: str) -> str:
    if not 1 <= len(raw) <= 64 or not all(c.isalnum() or c in _NAME_CHARACTERS for c in raw):
        raise SettingsError(f"{name} must be an engine name (letters, digits, '-', '_', '.'), got {shown(raw)}")
    return raw


def _whole(low: int, high: int) -> Callable[[str, str], int]:
    return lambda raw, name: whole_number(raw.strip(), name, low, high, SettingsError)


def _finite(low: float, high: float) -> Callable[[str, str], float]:
    return lambda raw, name: finite_number(raw.strip(), name, low, high, SettingsError)


def _seconds(low: float, high: float = MAX_SECONDS) -> Callable[[str, str], float]:
    return _finite(low, high)


def _flag(raw: str, name: str) -> bool:
    return boolean(raw, name, SettingsError)


#: field → how to read its variable (the variable is OCRGATE_ + the field's name in capitals)
_PARSERS: dict[str, Callable[[str, str], Any]] = {
    "database_url": _database_url,
    "lab_notebook": _path,
    "sets_file": _path,
    "eval_cache": _path,
    "search_index": _database_or_path,
    "max_image_bytes": _whole(1, 1 << 40),
    "max_image_pixels": _whole(1, 1 << 36),
    "max_image_frames": _whole(1, 100_000),
    "max_total_pixels": _whole(1, 1 << 40),
    "max_pdf_bytes": _whole(1, 1 << 40),
    "max_pdf_pages": _whole(1, 1_000_000),
    "max_pdf_pixels": _whole(1, 1 << 44),
    "secret_key": _text,
    "secure_cookies": _flag,
    "session_idle_minutes": _whole(1, 1440),
    "session_max_hours": _whole(1, 720),
    "default_engine": _engine_name,
    "shadow_workers": _whole(1, 64),
    "shadow_queue": _whole(1, 100_000),
    "serve_timeout": _seconds(0.1),
    "shadow_timeout": _seconds(0.1),
    "gate_refresh_seconds": _seconds(0.05, 3600.0),
    "auto_rollback": _flag,
    "port": _whole(1, 65_535),
    "client_timeout": _whole(1, 3_600),
    "retention_days": _whole(1, 36_500),
    "guard_margin": _finite(0.001, 1.0),
    "guard_min_pages": _whole(1, 1_000_000),
    "guard_min_pairs": _whole(1, 10_000_000),
    "guard_min_labels": _whole(1, 10_000_000),
    "guard_max_error_gap": _finite(0.0, 1.0),
    "guard_max_latency_ratio": _finite(1.0, 100.0),
    "token": _text,
    "broker_url": _broker_url,
    "broker_visibility_timeout": _seconds(5.0, 3600.0),
    "job_workers": _whole(1, 64),
    "job_resend_seconds": _seconds(1.0, 86_400.0),
    "callback_hosts": _host_list,
    "jail": _flag,
    "jail_memory_mb": _whole(64, 1 << 20),
    "jail_cpu_seconds": _whole(1, 86_400),
    "jail_file_mb": _whole(1, 1 << 20),
    "metrics_loopback": _flag,
}


@dataclass(frozen=True)
class Settings:
    """What the environment configures; every field has its one default here."""

    database_url: str | None = None  # None: `default_sqlite_url()` (the store creates the folder)
    lab_notebook: Path | None = None  # None: data_dir() / "lab-notebook.jsonl"
    sets_file: Path | None = None  # None: data_dir() / "sets.json"
    eval_cache: Path | None = None  # None: cache_dir() / "eval"
    search_index: str | None = None  # a URL or a SQLite path; None: the store's database
    max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES
    max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS
    max_image_frames: int = DEFAULT_MAX_IMAGE_FRAMES
    max_total_pixels: int = DEFAULT_MAX_TOTAL_PIXELS
    max_pdf_bytes: int = DEFAULT_MAX_PDF_BYTES
    max_pdf_pages: int = DEFAULT_MAX_PDF_PAGES
    max_pdf_pixels: int = DEFAULT_MAX_PDF_PIXELS
    secret_key: str | None = None
    secure_cookies: bool = False
    session_idle_minutes: int = 30
    session_max_hours: int = 8
    default_engine: str = DEFAULT_ENGINE
    shadow_workers: int = 2
    shadow_queue: int = 256
    serve_timeout: float = 60.0
    shadow_timeout: float = 120.0
    gate_refresh_seconds: float = 2.0
    auto_rollback: bool = True
    port: int = DEFAULT_PORT
    client_timeout: int = DEFAULT_CLIENT_TIMEOUT
    retention_days: int = DEFAULT_RETENTION_DAYS
    guard_margin: float = DEFAULT_GUARD_MARGIN
    guard_min_pages: int = DEFAULT_GUARD_MIN_PAGES
    guard_min_pairs: int = DEFAULT_GUARD_MIN_PAIRS
    guard_min_labels: int = DEFAULT_GUARD_MIN_LABELS
    guard_max_error_gap: float = 0.02
    guard_max_latency_ratio: float = 1.5
    token: str | None = None
    broker_url: str | None = None  # None: the embedded in-process job pool
    broker_visibility_timeout: float = 30.0
    job_workers: int = 2
    job_resend_seconds: float = 300.0
    callback_hosts: tuple[str, ...] = ()
    jail: bool = True
    jail_memory_mb: int = 2048
    jail_cpu_seconds: int = 120
    jail_file_mb: int = 256
    metrics_loopback: bool = False

    # the paths with their defaults filled in (the directories are not created here)
    @property
    def database(self) -> str:
        return self.database_url or default_sqlite_url()

    @property
    def lab_notebook_path(self) -> Path:
        return self.lab_notebook or data_dir() / "lab-notebook.jsonl"

    @property
    def sets_file_path(self) -> Path:
        return self.sets_file or data_dir() / "sets.json"

    @property
    def eval_cache_dir(self) -> Path:
        return self.eval_cache or cache_dir() / "eval"

    @staticmethod
    def variable(field_name: str) -> str:
        return PREFIX + field_name.upper()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings from `environ` (default: `os.environ`); SettingsError names every bad variable."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        problems: list[str] = []
        for spec in fields(cls):
            name = cls.variable(spec.name)
            raw = environ.get(name, "")
            if raw == "":
                continue
            try:
                values[spec.name] = _PARSERS[spec.name](raw, name)
            except SettingsError as exc:
                problems.append(str(exc))
        if problems:
            raise SettingsError("; ".join(problems))
        return cls(**values)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The current settings (re-read from the environment on every call)."""
    return Settings.from_env(environ)
