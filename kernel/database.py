"""Opening a SQL database the one way every package does: URL rules, per-dialect settings, and
running a package's Alembic migrations.

The rollout store and the search index share one database (SQLite by default, PostgreSQL to scale
out); each keeps its own migrations and version table. Import this module only where a database is
needed: it loads SQLAlchemy.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL: a crash loses no committed data
    cursor.close()


def database_url(target: str | os.PathLike[str]) -> str:
    """A SQLAlchemy URL for a database URL or a SQLite file path (whose folder is created)."""
    url = str(target)
    if "://" not in url:
        path = Path(url).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _create_private_sqlite_file(url: str) -> None:
    """Create a new SQLite database file readable by its owner only (0600: it holds images, OCR text
    and password hashes); SQLite gives its -wal and -shm files the same mode. An existing file keeps its mode."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except (FileExistsError, FileNotFoundError):  # a missing folder stays SQLite's error to report
        pass


def make_engine(target: str | os.PathLike[str]) -> Engine:
    url = database_url(target)
    if url.startswith("sqlite"):
        _create_private_sqlite_file(url)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def run_migrations(engine: Engine, script_location: Path) -> None:
    """Bring the tables of the migrations at `script_location` to their newest revision."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(script_location))
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            # SQLite alters a table by copying it; references to it must not be checked meanwhile
            # (the pragma only takes effect outside a transaction)
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()
