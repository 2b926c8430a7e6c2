"""The Alembic migrations build exactly the schema the code declares, and can be undone, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from dispatch.migrate import alembic_config, current, head, upgrade
from dispatch.schema import metadata
from dispatch.scratch import scratch_database
from jiesu.database import Database


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"
    return str(request.getfixturevalue("postgres_url"))


def _differences(conn: Connection) -> list[object]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_migrations_match_the_declared_schema_and_go_down_again(server: str, tmp_path: Path) -> None:
    async with scratch_database(server, tmp_path) as url:
        database = Database(url)
        try:
            await upgrade(database)
            assert await current(database) == head()
            assert await database.read(_differences) == []
            await database.write(lambda conn: command.downgrade(alembic_config(conn), "base"))
            assert await current(database) is None
            await upgrade(database)  # and up again from nothing
            assert await current(database) == head()
        finally:
            await database.dispose()
