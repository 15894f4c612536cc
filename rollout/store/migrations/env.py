"""Alembic environment: run migrations on the connection `Store` hands in (or a URL)."""

from alembic import context

from rollout.store.models import Base

config = context.config


def include_object(obj, name, type_, reflected, compare_to):
    """The search index (`search/`) keeps its own tables and migrations in the same database."""
    return not (type_ == "table" and name and name.startswith("search_"))


connection = config.attributes.get("connection")

if connection is None:
    from rollout.store.database import default_database_url, make_engine

    connectable = make_engine(config.get_main_option("sqlalchemy.url") or default_database_url())
    with connectable.connect() as new_connection:
        context.configure(
            connection=new_connection,
            target_metadata=Base.metadata,
            render_as_batch=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(
        connection=connection, target_metadata=Base.metadata, render_as_batch=True, include_object=include_object
    )
    with context.begin_transaction():
        context.run_migrations()
