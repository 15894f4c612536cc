"""Alembic environment of the search index: its own tables (`search_*`), its own version table
(`alembic_version_search`), on the connection `search.database.upgrade` hands in (or a URL)."""

from alembic import context

from kernel.settings import load_settings
from search.database import VERSION_TABLE
from search.models import SearchBase

config = context.config


def include_object(obj, name, type_, reflected, compare_to):
    """Only the index's tables: the rollout store's share the database and have their own migrations."""
    return not (type_ == "table" and name and not name.startswith("search_"))


def run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=SearchBase.metadata,
        render_as_batch=True,
        include_object=include_object,
        version_table=VERSION_TABLE,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")

if connection is None:
    from kernel.database import make_engine

    connectable = make_engine(config.get_main_option("sqlalchemy.url") or load_settings().database)
    with connectable.connect() as new_connection:
        run(new_connection)
else:
    run(connection)
