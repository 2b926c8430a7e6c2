"""Shared fixtures: the real PostgreSQL and Redis servers when configured, loud skips when not.

CI (``.ci/run``) sets ``JIESU_TEST_POSTGRES_URL``, ``JIESU_TEST_REDIS_URL`` and
``JIESU_REQUIRE_SERVICES=1``: there a missing server fails the run instead of skipping.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

_SKIPPED_SERVICES: set[str] = set()

REQUIRE_SERVICES = os.environ.get("JIESU_REQUIRE_SERVICES") == "1"
POSTGRES_URL = os.environ.get("JIESU_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("JIESU_TEST_REDIS_URL")


def _missing(service: str, why: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{service} is required here (JIESU_REQUIRE_SERVICES=1) but {why}")
    _SKIPPED_SERVICES.add(service)
    pytest.skip(f"{service} not available: {why}")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of a real PostgreSQL database (asyncpg driver), or a loud skip."""
    if not POSTGRES_URL:
        _missing("PostgreSQL", "JIESU_TEST_POSTGRES_URL is not set")
    assert POSTGRES_URL
    return POSTGRES_URL


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of a real Redis database, or a loud skip."""
    if not REDIS_URL:
        _missing("Redis", "JIESU_TEST_REDIS_URL is not set")
    assert REDIS_URL
    return REDIS_URL


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test using this runs once on SQLite (a fresh file) and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    else:
        yield request.getfixturevalue("postgres_url")


def chromium_path() -> str | None:
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        _missing("Chromium", "Debian's chromium is not installed (apt-get install chromium)")
    assert path
    return path


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _SKIPPED_SERVICES:
        names = ", ".join(sorted(_SKIPPED_SERVICES))
        terminalreporter.write_sep("!", f"SKIPPED tests needing {names}", yellow=True, bold=True)
        terminalreporter.write_line(
            "Set JIESU_TEST_POSTGRES_URL / JIESU_TEST_REDIS_URL and install chromium to run them "
            "(.ci/run does)."
        )
