"""Service settings, from the environment (OCRGATE_*) with safe defaults for one machine."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from rollout.store import default_database_url


def _env(name: str, default: str) -> str:
    return os.environ.get(f"OCRGATE_{name}", default)


@dataclass
class ServiceSettings:
    database_url: str = field(default_factory=default_database_url)
    default_engine: str = field(default_factory=lambda: _env("DEFAULT_ENGINE", "tesseract"))
    shadow_workers: int = field(default_factory=lambda: int(_env("SHADOW_WORKERS", "2")))
    shadow_queue: int = field(default_factory=lambda: int(_env("SHADOW_QUEUE", "256")))
    serve_timeout: float = field(default_factory=lambda: float(_env("SERVE_TIMEOUT", "60")))
    shadow_timeout: float = field(default_factory=lambda: float(_env("SHADOW_TIMEOUT", "120")))
    gate_refresh_seconds: float = field(default_factory=lambda: float(_env("GATE_REFRESH_SECONDS", "2")))
    auto_rollback: bool = field(default_factory=lambda: _env("AUTO_ROLLBACK", "1") == "1")
    secret_key: str | None = field(default_factory=lambda: os.environ.get("OCRGATE_SECRET_KEY"))
    start_workers: bool = True
