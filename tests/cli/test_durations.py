"""Tests for partitioner.cli.durations: the spellings of --budget, --window and --since."""

from __future__ import annotations

import argparse

import testtools

from partitioner.cli.durations import moment, seconds, spell


class TestDurations(testtools.TestCase):
    def test_spellings(self) -> None:
        self.assertEqual([90.0, 90.0, 600.0, 5400.0, 172800.0, 604800.0, 0.5],
                         [seconds(t) for t in ("90", "90s", "10m", "1h30m", "2d", "1w", "0.5")])
        for bad in ("", "soon", "10x", "m10", "0", "-5", "nan", "inf", "10m 5s"):
            self.assertRaises(argparse.ArgumentTypeError, seconds, bad)
        self.assertEqual(["10m", "1h", "90s", "2d", "0.5s"], [spell(v) for v in (600, 3600, 90, 172800, 0.5)])

    def test_moments(self) -> None:
        self.assertEqual(1714521600.0, moment("2024-05-01"))
        self.assertEqual(1714564800.0, moment("2024-05-01T12:00"))
        self.assertEqual(1714557600.0, moment("2024-05-01T12:00+02:00"))
        self.assertEqual(1000.0 - 7 * 86400, moment("7d", now=1000.0))
        error = self.assertRaises(argparse.ArgumentTypeError, moment, "last week")
        self.assertIn("expected a date (2024-05-01), a date-time (2024-05-01T12:00) or a duration ago", str(error))
