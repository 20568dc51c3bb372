"""Tests for ``partitioner races --budget``: a budget that is no time is a one-line usage error."""

from __future__ import annotations

from tests.builders import racing_runs
from tests.cli.harness import RepositoryCase


class TestBudget(RepositoryCase):
    def test_a_budget_not_above_zero_is_a_one_line_usage_error(self) -> None:
        self.repository(racing_runs())
        for given in ("-5s", "-5", "-1h30m", "0", "0s", "-0.5m"):
            self.assertOneLineError(["races", "--confirm", "--budget", given, "-C", str(self.dir)], 2,
                                    f"partitioner races: error: argument --budget: expected a duration > 0 (such as "
                                    f"90s, 10m or 1h), got {given!r}; see `partitioner races --help`")
        self.assertOneLineError(["races", "--order", "--confirm", "--budget", "-5s", "-C", str(self.dir)], 2,
                                "argument --budget: expected a duration > 0")

    def test_a_budget_given_with_an_equals_sign_says_the_same(self) -> None:
        self.repository(racing_runs())
        self.assertOneLineError(["races", "--confirm", "--budget=-5s", "-C", str(self.dir)], 2,
                                "argument --budget: expected a duration > 0 (such as 90s, 10m or 1h), got '-5s'")

    def test_an_option_after_budget_is_still_an_option(self) -> None:
        self.repository(racing_runs())
        self.assertOneLineError(["races", "--confirm", "--budget", "--top", "3", "-C", str(self.dir)], 2,
                                "argument --budget: expected one argument")
