"""Tests for ``partitioner races --budget``: a budget that is no time is a one-line usage error."""

from __future__ import annotations

import time

import fixtures

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


class TestBudgetCoversTheListing(RepositoryCase):
    """``--confirm`` lists the suite before its trials: the budget bounds that listing too, so one that hangs (the
    suite's runner under eventlet) is one line when the budget is spent, not a wait forever before any trial."""

    def setUp(self) -> None:
        super().setUp()
        self.useFixture(fixtures.MonkeyPatch("partitioner.cli.suite.LISTING_FLOOR_S", 1.0))

    def test_a_listing_that_outlasts_the_budget_is_stopped_and_said(self) -> None:
        self.repository(racing_runs())
        (self.dir / ".testr.conf").write_text("[DEFAULT]\ntest_command=${PYTHON:-python} -c 'import time; "
                                              "time.sleep(60)' $LISTOPT $IDOPTION\n"
                                              "test_id_option=--load-list $IDFILE\n")
        for flags, what in ((["--confirm"], "--confirm"), (["--order", "--confirm"], "--order --confirm")):
            began = time.monotonic()
            self.assertOneLineError(["races", *flags, "--budget", "2s"], 1,
                                    f"partitioner: error: {what} needs the suite's test list, and listing it failed: "
                                    f"test_command from {self.dir / '.testr.conf'} did not finish within 2s in "
                                    f"{self.dir} under ")
            self.assertLess(time.monotonic() - began, 20, flags)
