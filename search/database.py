"""Opening the index's database and migrating its tables (Alembic, own version table).

The index lives in the application's database: hand `SearchIndex` the rollout store's engine, a
URL (`sqlite:///…`, `postgresql://…`) or a SQLite file path. `upgrade` runs `search/migrations`
with the version table `alembic_version_search`, so the index's revisions and the store's
(`alembic_version`) never meet, in whichever order the two are upgraded.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from kernel.database import run_migrations

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version_search"


def fts5_available(connection: Connection) -> bool:
    """Whether this process's SQLite library has FTS5. It may not, even where the system's has:
    a library loaded first with its own SQLite (TensorFlow's `libtensorflow_cc.so.2`, built
    without FTS5 and loaded RTLD_GLOBAL) then provides the `sqlite3_*` symbols `_sqlite3` binds."""
    if connection.dialect.name != "sqlite":
        return False
    return bool(connection.execute(text("SELECT sqlite_compileoption_used('ENABLE_FTS5')")).scalar())


def upgrade(engine: Engine) -> None:
    """Bring the index's tables to the newest revision (creates them; adopts a pre-Alembic index)."""
    run_migrations(engine, MIGRATIONS)
