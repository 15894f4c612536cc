"""Engines by name: every engine that declares an entry point, ours included.

A third-party package registers `myengine = "mypkg.module:MyEngine"` in the
`ocrgate.engines` entry-point group; the class must subclass `OcrEngine`.
Instances are cached: models load once per process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib import import_module
from importlib.metadata import entry_points

from engines.base import OcrEngine
from kernel.errors import EngineUnavailableError, OcrgateError, UnknownEngineError

ENTRY_POINT_GROUP = "ocrgate.engines"

_factories: dict[str, Callable[[], OcrEngine]] = {}
_instances: dict[str, OcrEngine] = {}
_lock = threading.Lock()


def register_engine(name: str, factory: Callable[[], OcrEngine]) -> None:
    """Register (or replace) an engine factory under `name`, e.g. for tests or plugins."""
    with _lock:
        _factories[name] = factory
        _instances.pop(name, None)


def unregister_engine(name: str) -> None:
    with _lock:
        _factories.pop(name, None)
        _instances.pop(name, None)


def _load_target(target: str) -> Callable[[], OcrEngine]:
    module_name, _, attr = target.partition(":")
    return getattr(import_module(module_name), attr)


def _discover() -> dict[str, Callable[[], OcrEngine] | str]:
    # Built-in engines are declared in our own pyproject.toml, through the same hook.
    found: dict[str, Callable[[], OcrEngine] | str] = {
        ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)
    }
    found.update(_factories)
    return found


def engine_names() -> list[str]:
    """Every engine name we know of, installed or not."""
    return sorted(_discover())


def get_engine(name: str) -> OcrEngine:
    """The process-wide instance of engine `name`."""
    with _lock:
        if name in _instances:
            return _instances[name]
    known = _discover()
    if name not in known:
        raise UnknownEngineError(name, sorted(known))
    factory = known[name]
    try:
        if isinstance(factory, str):
            factory = _load_target(factory)
        engine = factory()
    except OcrgateError:
        raise
    except ImportError as exc:
        raise EngineUnavailableError(f"engine {name!r} cannot be loaded: {exc}") from exc
    if not isinstance(engine, OcrEngine):
        raise EngineUnavailableError(f"engine {name!r} is not an OcrEngine ({type(engine).__name__})")
    with _lock:
        return _instances.setdefault(name, engine)


def describe_engines() -> list[dict[str, str]]:
    """For `ocrgate engines`: each known engine with its version, or why it is unavailable."""
    rows = []
    for name in engine_names():
        try:
            row = get_engine(name).describe()
            row["status"] = "ok"
        except OcrgateError as exc:
            row = {"name": name, "version": "", "status": f"unavailable: {exc}"}
        rows.append(row)
    return rows
