"""History named by URL: stores (SQLite, a real PostgreSQL) and http(s) streams, through ``load_history`` and
through ``partitioner plan --history URL`` / the ``[partitioner] history`` option; optional sources, pins,
and passwords that never show."""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path
from typing import TYPE_CHECKING

import fixtures
import testtools

from partitioner.cli.main import main
from partitioner.errors import HistoryError
from partitioner.history import load_history, load_history_for
from partitioner.history.load import pin_sources, unpinned_stores
from partitioner.history.model import History
from partitioner.history.store import open_store
from tests.history.httpserver import PASSWORD, LocalServer
from tests.history.store.backends import PostgresStore, SqliteStore
from tests.history.store.helpers import make_run

SECRET = "S3cret-pw"
#: the ids make_run's runs hold (classes pkg.mod{0,1}.Class{0..5}, tests 0..3)
IDS = [f"pkg.mod{c % 2}.Class{c}.test_{t}" for c in range(6) for t in range(4)]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err, stdin=io.BytesIO(b""))
    return code, out.getvalue(), err.getvalue()


class StoreSources(testtools.TestCase if TYPE_CHECKING else object):
    """A store named by URL reads the same on every backend (a mixin: one concrete class per backend below)."""

    backend: type[fixtures.Fixture]

    def setUp(self) -> None:
        super().setUp()
        self.where = self.useFixture(self.backend(self))  # type: ignore[call-arg]
        self.url: str = self.where.url  # type: ignore[attr-defined]
        with open_store(self.url) as store:
            self.first = store.push_run(make_run(1, start=1_700_000_000.0)).run_id
            store.push_run(make_run(2, start=1_700_100_000.0))
            self.expected_latest = store.history()
            self.expected_first = store.history(upto=self.first)

    def test_planning_reads_the_stores_samples(self) -> None:
        history = load_history([self.url], purpose="plan")
        self.assertEqual(self.expected_latest.samples, history.samples)
        self.assertEqual((), history.runs)
        self.assertIn("runs up to 2", history.sources[0])

    def test_a_pin_in_the_url_is_honoured(self) -> None:
        history = load_history([f"{self.url}?upto={self.first}"], purpose="plan")
        self.assertEqual(self.expected_first.samples, history.samples)
        self.assertNotEqual(self.expected_latest.samples, history.samples)

    def test_runs_for_races_and_summary(self) -> None:
        history = load_history([self.url], purpose="runs")
        expected = [make_run(1, start=1_700_000_000.0).records, make_run(2, start=1_700_100_000.0).records]
        self.assertEqual(expected, [r.records for r in history.runs])
        self.assertEqual(1, len(load_history([self.url], newest=1, purpose="runs").runs))

    def test_the_store_prefix_and_pins(self) -> None:
        self.assertEqual(self.expected_latest.samples, load_history([f"store:{self.url}"], purpose="plan").samples)
        pinned = pin_sources([self.url, "other.json"])
        self.assertEqual((f"{self.url}?upto=2", "other.json"), pinned)
        self.assertEqual((), unpinned_stores(pinned))
        self.assertEqual(1, len(unpinned_stores([self.url, "x.subunit"])))
        with open_store(self.url) as store:
            store.push_run(make_run(3, start=1_700_200_000.0))
        self.assertEqual(self.expected_latest.samples, load_history([pinned[0]], purpose="plan").samples)


class TestStoreSourcesSqlite(StoreSources, testtools.TestCase):
    backend = SqliteStore


class TestStoreSourcesPostgres(StoreSources, testtools.TestCase):
    backend = PostgresStore

    def test_a_wrong_password_is_a_warning_when_planning_and_never_shown(self) -> None:
        server = self.where.server  # type: ignore[attr-defined]
        database = self.url.rsplit("/", 1)[1]
        wrong = server.url(database, password=SECRET)
        history = load_history([wrong], purpose="plan")
        self.assertEqual(1, len(history.warnings))
        self.assertIn("password authentication failed", history.warnings[0])
        self.assertIn("planning without it", history.warnings[0])
        self.assertNotIn(SECRET, repr(history))
        for call in (lambda: load_history([wrong], purpose="runs"), lambda: load_history([f"{wrong}?upto=1"]),
                     lambda: load_history([wrong], purpose="plan", strict=True), lambda: pin_sources([wrong])):
            message = str(self.assertRaises(HistoryError, call))
            self.assertNotIn(SECRET, message)
            self.assertIn(":***@", message)

    def test_cli_plan_from_a_postgresql_store_shows_no_password(self) -> None:
        tmp = Path(self.useFixture(fixtures.TempDir()).path)
        (tmp / "ids.txt").write_text("\n".join(IDS))
        code, out, err = cli("plan", "-C", str(tmp), "--tests", str(tmp / "ids.txt"), "-n", "2", "--format", "json",
                             "--history", self.url)
        self.assertEqual((0, ""), (code, err))
        self.assertTrue(json.loads(out)["has_history"])
        self.assertNotIn(self.where.server.password, out)  # type: ignore[attr-defined]


class TestOptionalSources(testtools.TestCase):
    """Unreadable network sources: a warning when planning, an error when required; a typo always an error."""

    def setUp(self) -> None:
        super().setUp()
        self.dir = Path(self.useFixture(fixtures.TempDir()).path)

    def test_a_missing_sqlite_store_is_skipped_when_planning(self) -> None:
        url = "sqlite:///ci/history.db"
        history = load_history([url], purpose="plan", base=self.dir)
        self.assertTrue(history.empty)
        [warning] = history.warnings
        self.assertIn("no such store file", warning)
        self.assertIn("planning without it", warning)
        self.assertFalse((self.dir / "ci").exists())  # reading never creates a store
        self.assertEqual((url,), pin_sources([url], self.dir, strict=False))
        for call in (lambda: load_history([url], purpose="runs", base=self.dir),
                     lambda: pin_sources([url], self.dir),
                     lambda: load_history([url], purpose="plan", base=self.dir, strict=True),
                     lambda: load_history([f"{url}?upto=3"], purpose="plan", base=self.dir)):
            self.assertIn("no such store file", str(self.assertRaises(HistoryError, call)))

    def test_a_relative_sqlite_path_is_taken_from_the_project_directory(self) -> None:
        with open_store(f"sqlite:///{self.dir / 'h.db'}") as store:
            store.push_run(make_run(1))
        history = load_history_for(self.dir, ["sqlite:///h.db"], purpose="plan")
        self.assertEqual((), history.warnings)
        self.assertTrue(history.samples[0].tests)

    def test_an_unreachable_postgresql_server_is_skipped_without_its_password(self) -> None:
        url = f"postgresql://ci:{SECRET}@127.0.0.1:{closed_port()}/db"
        history = load_history([url], purpose="plan")
        [warning] = history.warnings
        self.assertIn("check that the database server is running", warning)
        self.assertNotIn(SECRET, repr(history))
        self.assertIn("ci:***@127.0.0.1", warning)

    def test_malformed_urls_are_errors_before_anything_is_read(self) -> None:
        for url, fragment in ((f"postgresql://ci:{SECRET}@h:port/db", "port is not a number"),
                              ("sqlite://host/x.db", "has no host"),
                              (f"sqlite:///h.db?upto=latest&password={SECRET}", "is not a run id"),
                              (f"https://ci:{SECRET}@h:port/x", "port is not a number"),
                              ("https:///x.subunit", "no host")):
            message = str(self.assertRaises(HistoryError, load_history, [url], purpose="plan", base=self.dir))
            self.assertIn(fragment, message)
            self.assertNotIn(SECRET, message)
            self.assertNotIn("\n", message)

    def test_a_url_repository_or_stdin_store_is_refused(self) -> None:
        self.assertIn("cannot be read from a URL",
                      str(self.assertRaises(HistoryError, load_history, ["stestr:https://h/x"])))
        self.assertIn("cannot be read from stdin",
                      str(self.assertRaises(HistoryError, load_history, ["store:-"], io.BytesIO(b""))))


class TestRemoteSources(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.http = self.useFixture(LocalServer())
        self.dir = Path(self.useFixture(fixtures.TempDir()).path)
        self.secret = f"http://ci:{PASSWORD}@127.0.0.1:{self.http.port}"

    def test_streams_and_timing_files_by_url(self) -> None:
        history = load_history([f"{self.http.base}/testrepository.subunit.gz", f"{self.http.base}/timings.json"],
                               purpose="plan")
        self.assertEqual(1, len(history.runs))
        self.assertEqual(1, len(history.samples))
        self.assertEqual((), history.warnings)

    def test_a_forced_kind_reads_a_url_as_that_kind(self) -> None:
        self.assertEqual(1, len(load_history([f"subunit:{self.http.base}/encoded"]).runs))
        error = self.assertRaises(HistoryError, load_history, [f"json:{self.http.base}/run.subunit"])
        self.assertIn("/run.subunit", str(error))

    def test_unreachable_urls_warn_when_planning_and_fail_otherwise(self) -> None:
        for path, fragment in (("/missing.subunit.gz", "HTTP 404"), ("/to-file", "redirected to a file: URL"),
                               ("/garbage", "corrupt subunit")):
            history = load_history([f"{self.secret}{path}"], purpose="plan")
            [warning] = history.warnings
            self.assertIn(fragment, warning)
            self.assertIn("planning without it", warning)
            self.assertNotIn(PASSWORD, repr(history))
            for strict, purpose in ((True, "plan"), (False, "runs")):
                message = str(self.assertRaises(HistoryError, load_history, [f"{self.secret}{path}"],
                                                purpose=purpose, strict=strict))
                self.assertIn(fragment, message)
                self.assertNotIn(PASSWORD, message)

    def test_the_same_url_twice_is_read_once_and_the_warning_hides_the_password(self) -> None:
        url = f"{self.secret}/run.subunit"
        history = load_history([url, url], purpose="plan")
        self.assertEqual(1, len(history.runs))
        self.assertIn("given more than once", history.warnings[0])
        self.assertNotIn(PASSWORD, repr(history))

    def write_ids(self) -> Path:
        ids = self.dir / "ids.txt"
        ids.write_text("a.B.test_1\na.C.test_2\nz.Z.test_new\n")
        return ids

    def test_cli_plans_from_a_url_and_still_plans_when_it_is_unreachable(self) -> None:
        ids = self.write_ids()
        base = ["plan", "-C", str(self.dir), "--tests", str(ids), "-n", "2", "--format", "json"]
        code, out, err = cli(*base, "--history", f"{self.secret}/run.subunit")
        self.assertEqual((0, ""), (code, err))
        self.assertTrue(json.loads(out)["has_history"])
        code, out, err = cli(*base, "--history", f"{self.secret}/missing.subunit.gz")
        self.assertEqual(0, code, err)
        self.assertEqual(1, len([line for line in err.splitlines() if "HTTP 404" in line]), err)
        self.assertFalse(json.loads(out)["has_history"])
        self.assertNotIn(PASSWORD, out + err)
        self.assertIn("ci:***@", err)

    def test_the_history_option_takes_urls(self) -> None:
        ids = self.write_ids()
        db = self.dir / "h.db"
        with open_store(f"sqlite:///{db}") as store:
            store.push_stream(self.http_stream())
        (self.dir / "tox.ini").write_text(
            f"[partitioner]\nhistory =\n    sqlite:///h.db\n    {self.secret}/missing.subunit.gz\n")
        code, out, err = cli("plan", "-C", str(self.dir), "--tests", str(ids), "-n", "2", "--format", "json")
        self.assertEqual(0, code, err)
        doc = json.loads(out)
        self.assertTrue(doc["has_history"])
        self.assertIn("HTTP 404", err)
        self.assertNotIn(PASSWORD, out + err)

    def http_stream(self) -> bytes:
        from tests.history.httpserver import STREAM

        return STREAM


class TestHistoryValue(testtools.TestCase):
    def test_no_sources_no_history(self) -> None:
        self.assertEqual(History(), load_history_for(Path(self.useFixture(fixtures.TempDir()).path), []))
