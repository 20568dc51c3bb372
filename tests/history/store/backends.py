"""Store backends for tests: a SQLite file in a temp dir, or a fresh database on a throwaway PostgreSQL.

One PostgreSQL server is started per test process (on first use) and stopped at exit; each test gets its own
database. When no server can be started the PostgreSQL tests skip with the reason -- except under CI=true,
where they fail: CI installs the server (``.ci/postgres.sh``), so a skip there would hide a broken setup.
"""

from __future__ import annotations

import atexit
import os
import uuid
from pathlib import Path

import fixtures
import testtools

from partitioner.history.store.testing import PostgresUnavailable, ThrowawayPostgres

_SERVER: ThrowawayPostgres | None = None
_FAILURE: str | None = None


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def unavailable(testcase: testtools.TestCase, reason: str) -> None:
    """Skip ``testcase`` for lack of PostgreSQL, or fail it under CI."""
    message = f"PostgreSQL unavailable: {reason}"
    if in_ci():
        testcase.fail(f"{message} (CI=true: the PostgreSQL tests must run)")
    testcase.skipTest(message)


def shared_server(testcase: testtools.TestCase) -> ThrowawayPostgres:
    """The test process's PostgreSQL server, started on first use."""
    global _SERVER, _FAILURE
    if _SERVER is None and _FAILURE is None:
        server = ThrowawayPostgres()
        try:
            server.start()
        except PostgresUnavailable as error:
            _FAILURE = str(error)
        else:
            _SERVER = server
            atexit.register(server.cleanup)
    if _SERVER is None:
        unavailable(testcase, _FAILURE or "unknown")
    assert _SERVER is not None
    return _SERVER


class OwnPostgres(fixtures.Fixture):
    """A PostgreSQL server of the test's own (for tests that stop it); ``server`` and ``url``."""

    def __init__(self, testcase: testtools.TestCase) -> None:
        super().__init__()
        self.testcase = testcase

    def _setUp(self) -> None:
        self.server = ThrowawayPostgres()
        self.addCleanup(self.server.cleanup)
        try:
            self.server.start()
        except PostgresUnavailable as error:
            unavailable(self.testcase, str(error))
        self.url = self.server.create_database("history")


class SqliteStore(fixtures.Fixture):
    """A store URL naming a SQLite file in a fresh temp dir; ``url``."""

    kind = "sqlite"

    def __init__(self, testcase: testtools.TestCase) -> None:
        super().__init__()
        self.testcase = testcase

    def _setUp(self) -> None:
        self.path = Path(self.useFixture(fixtures.TempDir()).path) / "history.db"
        self.url = f"sqlite:///{self.path}"  # an absolute path after three slashes: four in all


class PostgresStore(fixtures.Fixture):
    """A store URL naming a fresh database on the shared PostgreSQL server; ``url``, ``server``."""

    kind = "postgresql"

    def __init__(self, testcase: testtools.TestCase) -> None:
        super().__init__()
        self.testcase = testcase

    def _setUp(self) -> None:
        self.server = shared_server(self.testcase)
        name = f"t_{uuid.uuid4().hex[:12]}"
        self.url = self.server.create_database(name)
        self.addCleanup(self.server.drop_database, name)
