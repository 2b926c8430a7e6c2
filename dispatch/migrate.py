"""Schema migrations with Alembic, run on the app's own Database (SQLite or PostgreSQL).

Both backends are brought to ``head`` on start; on PostgreSQL a transaction-level advisory lock
makes two processes starting together migrate one after the other.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from jiesu.database import Database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_LOCK_ID = 0x6A696573  # "jies"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _upgrade(conn: Connection, revision: str) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
    command.upgrade(alembic_config(conn), revision)


async def upgrade(database: Database, revision: str = "head") -> None:
    await database.write(lambda conn: _upgrade(conn, revision))


async def current(database: Database) -> str | None:
    return await database.read(lambda conn: MigrationContext.configure(conn).get_current_revision())


def head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
