"""What one service process runs with: the kernel's settings (every `OCRGATE_*` variable, read and
checked in `kernel.settings`) plus what only a caller decides, such as whether to start workers.
Fields left out take their value from the environment when the object is made."""

from __future__ import annotations

from dataclasses import dataclass, field

from kernel.settings import load_settings
from rollout.store import default_database_url


def _env(name: str):
    return lambda: getattr(load_settings(), name)


@dataclass
class ServiceSettings:
    database_url: str = field(default_factory=default_database_url)
    default_engine: str = field(default_factory=_env("default_engine"))
    shadow_workers: int = field(default_factory=_env("shadow_workers"))
    shadow_queue: int = field(default_factory=_env("shadow_queue"))
    serve_timeout: float = field(default_factory=_env("serve_timeout"))
    shadow_timeout: float = field(default_factory=_env("shadow_timeout"))
    gate_refresh_seconds: float = field(default_factory=_env("gate_refresh_seconds"))
    auto_rollback: bool = field(default_factory=_env("auto_rollback"))
    secret_key: str | None = field(default_factory=_env("secret_key"))
    secure_cookies: bool = field(default_factory=_env("secure_cookies"))
    retention_days: int = field(default_factory=_env("retention_days"))
    metrics_loopback: bool = field(default_factory=_env("metrics_loopback"))
    start_workers: bool = True
