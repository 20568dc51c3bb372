"""Store URLs: the accepted forms, one-line errors, and passwords hidden everywhere they could show."""

from __future__ import annotations

from pathlib import Path

import testtools

from partitioner.history.store import StoreError, is_store_url, parse_store_url, redact


class TestParse(testtools.TestCase):
    def test_sqlite_three_slashes_is_relative_four_absolute(self) -> None:
        self.assertEqual(Path("/base/ci/h.db"), parse_store_url("sqlite:///ci/h.db", Path("/base")).path)
        self.assertEqual(Path("/abs/h.db"), parse_store_url("sqlite:////abs/h.db", Path("/base")).path)

    def test_postgresql_parts_and_pin(self) -> None:
        url = parse_store_url("postgres://ci:s%40cret@db.example:6543/hist?upto=42&sslmode=require")
        self.assertEqual(("postgresql", "ci", "s@cret", "db.example", 6543, "hist", 42, (("sslmode", "require"),)),
                         (url.kind, url.username, url.password, url.host, url.port, url.database, url.upto,
                          url.options))
        self.assertEqual("postgres://ci:***@db.example:6543/hist?upto=42&sslmode=require", url.display)

    def test_the_password_is_in_no_rendering(self) -> None:
        url = parse_store_url("postgresql://ci:hunter2@db/hist")
        for shown in (str(url), repr(url), url.display, url.redact("failed for hunter2 at postgresql://ci:hunter2@db")):
            self.assertNotIn("hunter2", shown)
        self.assertEqual(parse_store_url("postgresql://ci:other@db/hist"), url)  # not even in comparisons

    def test_a_password_given_as_a_query_option_is_hidden_too(self) -> None:
        url = parse_store_url("postgresql://ci@db/hist?password=hunter2&sslmode=require")
        self.assertEqual(("hunter2", (("sslmode", "require"),)), (url.password, url.options))
        self.assertEqual("postgresql://ci@db/hist?password=***&sslmode=require", url.display)
        self.assertNotIn("hunter2", repr(url))

    def test_bad_urls_give_one_line_saying_what_to_write(self) -> None:
        cases = {
            "mysql://u:pw@h/db": "unknown store kind 'mysql'",
            "sqlite://host/x.db": "a SQLite store has no host",
            "sqlite:///:memory:": "in-memory SQLite store cannot be shared",
            "sqlite:///x.db?timeout=3": "unknown SQLite store option 'timeout'",
            "postgresql://u:pw@/db": "no host",
            "postgresql://u:pw@h/": "no database name",
            "postgresql://u:pw@h:port/db": "the port is not a number",
            "postgresql://u:pw@h/db?upto=-1": "upto='-1' is not a run id",
        }
        for text, expected in cases.items():
            error = self.assertRaises(StoreError, parse_store_url, text)
            self.assertIn(expected, str(error))
            self.assertNotIn("\n", str(error))
            self.assertNotIn(":pw@", str(error))

    def test_is_store_url(self) -> None:
        self.assertTrue(is_store_url("sqlite:///x.db"))
        self.assertTrue(is_store_url("POSTGRESQL://h/db"))
        self.assertFalse(is_store_url("stestr:.stestr"))
        self.assertFalse(is_store_url("runs/last.subunit"))


class TestRedact(testtools.TestCase):
    def test_every_url_password_and_every_secret_form(self) -> None:
        text = "a https://u:p4ss@h/x and postgresql://me:s%2Fx@db/y; raw s/x, encoded s%2Fx"
        self.assertEqual("a https://u:***@h/x and postgresql://me:***@db/y; raw ***, encoded ***",
                         redact(text, ["s/x"]))

    def test_text_without_passwords_is_unchanged(self) -> None:
        text = "https://host/a:b@c postgresql://user@h/db sqlite:////x.db"
        self.assertEqual(text, redact(text))
