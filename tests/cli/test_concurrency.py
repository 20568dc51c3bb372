"""Tests for ``partitioner concurrency``."""

from __future__ import annotations

from partitioner.cli.main import OK, USAGE
from tests.cli.harness import PlanCase


class TestConcurrency(PlanCase):
    def test_default_is_the_configured_or_cpu_count(self) -> None:
        import os

        code, out, _ = self.cli("concurrency", "-C", str(self.dir))
        self.assertEqual((OK, f"{os.cpu_count()}\n"), (code, out))
        (self.dir / "setup.cfg").write_text("[partitioner]\nconcurrency = 7\n")
        self.assertEqual("7\n", self.cli("concurrency", "-C", str(self.dir))[1])

    def test_within_picks_the_smallest_good_enough_n(self) -> None:
        # m.A costs 4 s of 7 s in all: the makespan cannot drop below 4 s, reached already at N=2
        code, out, _ = self.cli("concurrency", "-C", str(self.dir), "--within", "0", "--max", "6", "--tests",
                                str(self.dir / "ids.txt"), "--history", str(self.timings))
        self.assertEqual((OK, "2\n"), (code, out))
        code, out, _ = self.cli("concurrency", "-C", str(self.dir), "--within", "100", "--max", "6", "--tests",
                                str(self.dir / "ids.txt"), "--history", str(self.timings))
        self.assertEqual("1\n", out)

    def test_within_must_be_a_finite_percentage(self) -> None:
        # issue 10 item 2: -5 and nan left no candidate and min() raised out of the command
        for bad in ("-5", "nan", "inf", "-inf", "five"):
            self.assertOneLineError(["concurrency", "-C", str(self.dir), f"--within={bad}", "--tests",
                                     str(self.dir / "ids.txt")], USAGE, "argument --within: expected a percentage")
        self.assertOneLineError(["concurrency", "-C", str(self.dir), "--within", "-5"], USAGE,
                                "argument --within: expected a percentage (a finite number >= 0), got '-5'")

    def test_within_considers_no_more_workers_than_tests(self) -> None:
        # issue 10 item 3: a configured concurrency of 10**20 made --within plan 10**20 times
        (self.dir / "pyproject.toml").write_text("[tool.partitioner]\nconcurrency = 99999999999999999999\n")
        code, out, err = self.cli("concurrency", "-C", str(self.dir), "--within", "0", "--tests",
                                  str(self.dir / "ids.txt"), "--history", str(self.timings))
        self.assertEqual((OK, "2\n", ""), (code, out, err))
        code, out, err = self.cli("concurrency", "-C", str(self.dir), "--within", "0", "--max", "10000000",
                                  "--tests", str(self.dir / "ids.txt"), "--history", str(self.timings))
        self.assertEqual((OK, "2\n", ""), (code, out, err))
