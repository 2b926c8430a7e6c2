"""A throwaway database for tests and benchmarks: a fresh PostgreSQL database on the same server
(created, then dropped with its connections), or a fresh SQLite file."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine


@asynccontextmanager
async def scratch_database(server_url: str, folder: Path | None = None) -> AsyncIterator[str]:
    """Yields the URL of an empty database next to ``server_url``; removes it afterwards."""
    url = make_url(server_url)
    if url.get_backend_name() == "sqlite":
        assert folder is not None, "a folder for the SQLite file"
        yield f"sqlite+aiosqlite:///{folder / f'dispatch-{uuid.uuid4().hex[:8]}.db'}"
        return
    name = f"jiesu_dispatch_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
