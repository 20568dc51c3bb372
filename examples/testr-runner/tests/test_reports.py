"""Report tests: plain classes of differently slow tests."""

from __future__ import annotations

import json
import time

import testtools


class ReportTest(testtools.TestCase):
    def test_daily(self) -> None:
        time.sleep(0.3)
        self.assertEqual(24, len(range(24)))

    def test_weekly(self) -> None:
        time.sleep(0.2)
        self.assertEqual(7, len(range(7)))

    def test_monthly(self) -> None:
        time.sleep(0.1)
        self.assertLessEqual(28, 31)


class ExportTest(testtools.TestCase):
    def test_csv(self) -> None:
        time.sleep(0.05)
        self.assertEqual("a,b", ",".join(["a", "b"]))

    def test_json(self) -> None:
        time.sleep(0.05)
        self.assertEqual({"a": 1}, json.loads('{"a": 1}'))
