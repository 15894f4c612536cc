"""Stores on real databases (SQLite always, PostgreSQL when it runs on localhost) and test engines
that answer, crash or hang on purpose."""

from __future__ import annotations

import os
import threading
import time
import uuid

import pytest

from engines import BBox, Block, Line, OcrEngine, Page, Word, register_engine
from engines.registry import unregister_engine
from rollout.store import Store

POSTGRES_ADMIN_URL = os.environ.get("OCRGATE_TEST_POSTGRES", "postgresql://root@127.0.0.1/postgres")


def _postgres_available() -> bool:
    try:
        import psycopg
        with psycopg.connect(POSTGRES_ADMIN_URL.replace("postgresql://", "postgresql://", 1), connect_timeout=2):
            return True
    except Exception:
        return False


POSTGRES = _postgres_available()


def _fresh_postgres_url() -> str:
    import psycopg
    name = f"ocrgate_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop_postgres(url: str) -> None:
    import psycopg
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    if not POSTGRES:
        pytest.skip("PostgreSQL is not running on localhost")
    url = _fresh_postgres_url()
    yield url
    _drop_postgres(url)


@pytest.fixture
def store(store_url):
    opened = Store(store_url)
    yield opened
    opened.dispose()


@pytest.fixture
def sqlite_store(tmp_path):
    opened = Store(f"sqlite:///{tmp_path / 'store.db'}")
    yield opened
    opened.dispose()


class WordEngine(OcrEngine):
    """Reads every page as one fixed word."""

    def __init__(self, name: str, word: str, delay: float = 0.0, version: str = "1.0"):
        super().__init__()
        self.name, self.word, self.delay, self._version = name, word, delay, version

    @property
    def version(self) -> str:
        return self._version

    def _read_page(self, page, options):
        if self.delay:
            time.sleep(self.delay)
        word = Word(self.word, BBox(1, 1, page.width - 1, page.height - 1), 0.9)
        return Page(width=page.width, height=page.height, blocks=[Block([Line([word])])])


class OptionsEngine(WordEngine):
    """Reads every page as the options it was asked with (mode/languages/engine arguments)."""

    def _read_page(self, page, options):
        args = ",".join(f"{k}={v}" for k, v in options.engine_args.items())
        word = Word(f"{options.mode}/{options.languages}/{args}", BBox(1, 1, page.width - 1, page.height - 1), 0.9)
        return Page(width=page.width, height=page.height, blocks=[Block([Line([word])])])


class BlockedEngine(WordEngine):
    """Hangs until the test releases it (`engine.release.set()`): a hang without a clock."""

    def __init__(self, name: str):
        super().__init__(name, "late")
        self.entered, self.release = threading.Event(), threading.Event()

    def _read_page(self, page, options):
        self.entered.set()
        self.release.wait(120)
        return super()._read_page(page, options)


class CrashingEngine(WordEngine):
    def _read_page(self, page, options):
        raise RuntimeError("candidate bug")


@pytest.fixture
def test_engines():
    engines = {
        "alpha": lambda: WordEngine("alpha", "hello"),
        "beta": lambda: WordEngine("beta", "hallo"),
        "crashy": lambda: CrashingEngine("crashy", ""),
        "sleepy": lambda: BlockedEngine("sleepy"),
        "echo-a": lambda: OptionsEngine("echo-a", ""),
        "echo-b": lambda: OptionsEngine("echo-b", ""),
        "breakable": lambda: BreakableEngine("breakable", "hallo"),
    }
    for name, factory in engines.items():
        register_engine(name, factory)
    yield list(engines)
    blocked = _instances_of("sleepy")
    for name in engines:
        unregister_engine(name)
    for engine in blocked:
        engine.release.set()  # let a hung thread end with the test


def _instances_of(name: str) -> list:
    from engines.registry import get_engine

    try:
        return [get_engine(name)]
    except Exception:
        return []


def png_bytes(width: int = 40, height: int = 20, shade: int = 255) -> bytes:
    import io

    from PIL import Image
    buffer = io.BytesIO()
    Image.new("L", (width, height), shade).save(buffer, format="PNG")
    return buffer.getvalue()


class BreakableEngine(WordEngine):
    """Reads its word until the test sets `broken`, then crashes: a candidate that goes bad mid-ramp."""

    def __init__(self, name: str, word: str):
        super().__init__(name, word)
        self.broken = threading.Event()

    def _read_page(self, page, options):
        if self.broken.is_set():
            raise RuntimeError("went bad")
        return super()._read_page(page, options)


def serve_traffic(store, requests: int, *, gate: str = "g", category: str = "receipts",
                  unit: str | None = None) -> None:
    """Serve `requests` blank pages through a real router on `gate` and wait for their shadow runs;
    each request is its own unit `u{n}` unless `unit` names one for all."""
    from rollout.router import Router
    from rollout.shadow import ShadowRunner
    from rollout.snapshot import GateSnapshot

    shadows = ShadowRunner(store, workers=2, timeout=5.0, sweep_seconds=0.2).start()
    router = Router(store, GateSnapshot(store), shadows)
    for n in range(requests):
        router.serve(png_bytes(), unit=unit or f"u{n}", category=category, gate=gate)
    assert shadows.drain(60)
    shadows.stop()
