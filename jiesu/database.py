"""The database every part of jiesu uses, behind two async calls.

``Database`` runs SQLAlchemy Core code written once, in the synchronous style, on either backend:
- PostgreSQL (production): an async engine on asyncpg, the code run through ``run_sync``;
- SQLite (the embedded default): the same code called directly on the event loop. An SQLite call
  takes tens of microseconds, less than handing it to a worker thread and back (aiosqlite costs
  ~0.3 ms a hop, several hops a query), so for an in-process database inline is both simpler
  and ~10x faster. bench/turns.py measures it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    Engine,
    MetaData,
    create_engine,
    event,
)
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

T = TypeVar("T")


def _sqlite_engine(url: str) -> Engine:
    sync_url = url.replace("+aiosqlite", "")
    engine = create_engine(sync_url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


class Database:
    """One database URL, SQLite or PostgreSQL, behind two async calls: ``read`` and ``write``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self._sync: Engine | None = _sqlite_engine(url) if self.is_sqlite else None
        # SQLite: one connection for the process's lifetime, used only from the event loop, so no
        # pool check-out per query (that costs more than the query).
        self._conn: Connection | None = None
        self._async: AsyncEngine | None = (
            None
            if self.is_sqlite
            else create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
        )

    def _sqlite(self) -> Connection:
        assert self._sync is not None
        if self._conn is None or self._conn.closed:
            self._conn = self._sync.connect()
        return self._conn

    async def read(self, fn: Callable[[Connection], T]) -> T:
        if self._sync is not None:
            conn = self._sqlite()
            try:
                return fn(conn)
            finally:
                conn.rollback()  # end the read transaction: never hold an old snapshot
        assert self._async is not None
        async with self._async.connect() as aconn:
            return await aconn.run_sync(fn)

    async def write(self, fn: Callable[[Connection], T]) -> T:
        """Runs ``fn`` in a transaction, committed when it returns."""
        if self._sync is not None:
            conn = self._sqlite()
            with conn.begin():
                return fn(conn)
        assert self._async is not None
        async with self._async.begin() as aconn:
            return await aconn.run_sync(fn)

    async def create_schema(self, metadata: MetaData) -> None:
        await self.write(lambda conn: metadata.create_all(conn))

    async def dispose(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._sync is not None:
            self._sync.dispose()
        if self._async is not None:
            await self._async.dispose()


async def open_database(url: str, metadata: MetaData) -> Database:
    """A database with ``metadata``'s tables created if they are missing."""
    database = Database(url)
    await database.create_schema(metadata)
    return database
