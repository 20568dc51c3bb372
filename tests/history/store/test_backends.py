"""The PostgreSQL test backend: a clear reason when no server can be had, a skip outside CI, a failure in CI."""

from __future__ import annotations

import fixtures
import testtools

from partitioner.history.store.testing import PostgresUnavailable, ThrowawayPostgres
from tests.history.store import backends


class TestUnavailable(testtools.TestCase):
    def test_no_binaries_is_a_reason_not_a_crash(self) -> None:
        self.useFixture(fixtures.MonkeyPatch("partitioner.history.store.testing.find_pg_bin", lambda: None))
        error = self.assertRaises(PostgresUnavailable, ThrowawayPostgres().start)
        self.assertIn("install Debian's postgresql package (bash .ci/postgres.sh)", str(error))

    def outcome(self, ci: str) -> testtools.TestResult:
        self.useFixture(fixtures.EnvironmentVariable("CI", ci))

        class Probe(testtools.TestCase):
            def test_it(self) -> None:
                backends.unavailable(self, "no server here")

        result = testtools.TestResult()
        Probe("test_it").run(result)
        return result

    def test_outside_ci_the_test_skips_with_the_reason(self) -> None:
        result = self.outcome("")
        self.assertEqual(["PostgreSQL unavailable: no server here"], list(result.skip_reasons))
        self.assertTrue(result.wasSuccessful())

    def test_under_ci_the_test_fails(self) -> None:
        result = self.outcome("true")
        self.assertFalse(result.wasSuccessful())
        self.assertEqual(1, len(result.failures))
        self.assertIn("CI=true: the PostgreSQL tests must run", result.failures[0][1])
