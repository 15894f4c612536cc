"""Opening the index's database and migrating its tables (Alembic, own version table).

The index lives in the application's database: hand `SearchIndex` the rollout store's engine, a
URL (`sqlite:///…`, `postgresql://…`) or a SQLite file path. `upgrade` runs `search/migrations`
with the version table `alembic_version_search`, so the index's revisions and the store's
(`alembic_version`) never meet, in whichever order the two are upgraded.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version_search"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def engine_for(target: str | os.PathLike[str]) -> Engine:
    """An engine for a database URL, or for a SQLite file path (its folder is created)."""
    url = str(target)
    if "://" not in url:
        path = Path(url).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{path}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def fts5_available(connection: Connection) -> bool:
    """Whether this process's SQLite library has FTS5. It may not, even where the system's has:
    a library loaded first with its own SQLite (TensorFlow's `libtensorflow_cc.so.2`, built
    without FTS5 and loaded RTLD_GLOBAL) then provides the `sqlite3_*` symbols `_sqlite3` binds."""
    if connection.dialect.name != "sqlite":
        return False
    return bool(connection.execute(text("SELECT sqlite_compileoption_used('ENABLE_FTS5')")).scalar())


def upgrade(engine: Engine) -> None:
    """Bring the index's tables to the newest revision (creates them; adopts a pre-Alembic index)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
