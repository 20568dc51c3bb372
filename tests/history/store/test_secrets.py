"""A password in a store URL never appears in errors, output or the store, whatever goes wrong."""

from __future__ import annotations

import socket
import subprocess
import sys

import testtools
from sqlalchemy import Text, select

from partitioner.history.store import StoreError, open_store, schema
from tests.history.store.backends import PostgresStore, SqliteStore
from tests.history.store.helpers import make_run
from tests.suites import REPO

SECRET = "Sup3r-S3cret"


class TestPostgresErrors(testtools.TestCase):
    """Real failures against a real server: each is one line with the password hidden."""

    def check(self, url: str, *expected: str) -> None:
        store = open_store(url, connect_timeout=2)
        self.addCleanup(store.close)
        for call in (store.head, store.plan_history, lambda: store.push_run(make_run(1))):
            message = str(self.assertRaises(StoreError, call))
            self.assertNotIn(SECRET, message)
            self.assertNotIn("\n", message)
            self.assertNotIn("Traceback", message)
            self.assertIn(":***@", message)
            for part in expected:
                self.assertIn(part, message)

    def test_a_wrong_password(self) -> None:
        server = self.useFixture(PostgresStore(self)).server
        self.check(server.url("postgres", password=SECRET), "password authentication failed",
                   "check the user and password")

    def test_a_missing_database(self) -> None:
        server = self.useFixture(PostgresStore(self)).server
        url = server.url("no_such_db").replace(f":{server.password}@", f":{SECRET}@")
        self.check(url, "check the user and password")  # scram fails first: the password is wrong too

    def test_an_unreachable_port(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.check(f"postgresql://ci:{SECRET}@127.0.0.1:{port}/db", "Connection refused",
                   "check that the database server is running")

    def test_a_server_that_never_answers_times_out(self) -> None:
        silent = socket.socket()
        self.addCleanup(silent.close)
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # accepts connections into its backlog, never speaks
        self.check(f"postgresql://ci:{SECRET}@127.0.0.1:{silent.getsockname()[1]}/db", "timeout",
                   "check that the database server is running")


class StoredText:
    """Nothing pushed keeps a password: not from the source name, labels, nor the store's own URL."""

    backend: type

    def test_no_password_reaches_the_store(self) -> None:
        where = self.useFixture(self.backend(self))  # type: ignore[attr-defined]
        store = open_store(where.url)
        self.addCleanup(store.close)  # type: ignore[attr-defined]
        own = store.url.password or "no-password"
        store.push_run(make_run(1), source=f"https://ci:{SECRET}@logs.example/run/testrepository.subunit.gz",
                       labels={"job": f"postgresql://x:{SECRET}@h/db", "pw": own})
        store.push_run(make_run(2), source=f"-- {own} --")
        text: list[str] = []
        with store._db.reading("test") as conn:
            for table in schema.metadata.sorted_tables:
                columns = [c for c in table.columns if isinstance(c.type, Text)]
                if columns:
                    for row in conn.execute(select(*columns)):
                        text.extend(str(v) for v in row if v is not None)
        dump = "\n".join(text)
        self.assertIn("https://ci:***@logs.example", dump)  # type: ignore[attr-defined]
        self.assertNotIn(SECRET, dump)  # type: ignore[attr-defined]
        if store.url.password:
            self.assertNotIn(store.url.password, dump)  # type: ignore[attr-defined]
        for run in store.runs():
            self.assertNotIn(own if store.url.password else SECRET, run.run_id)  # type: ignore[attr-defined]


class TestStoredTextSqlite(StoredText, testtools.TestCase):
    backend = SqliteStore


class TestStoredTextPostgres(StoredText, testtools.TestCase):
    backend = PostgresStore


class TestLazyImport(testtools.TestCase):
    def test_the_cli_and_the_store_package_do_not_import_sqlalchemy(self) -> None:
        code = ("import sys, partitioner.cli, partitioner.cli.commands.execute, partitioner.history.store, "
                "partitioner.history.remote; print(sorted(m for m in sys.modules if m.split('.')[0] in "
                "('sqlalchemy', 'psycopg')))")
        out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
        self.assertEqual("[]", out.stdout.strip())
