"""Alembic environment: migrations run on the connection handed in by dispatch.migrate."""

from __future__ import annotations

from alembic import context

from dispatch.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the dispatch migrations through `jiesu dispatch db upgrade` (dispatch.migrate)")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
