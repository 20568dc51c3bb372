"""docs/runner.md against the runner itself: the options table names every option the runner takes, and the queue
order it calls the default is the runner's default."""

from __future__ import annotations

import re

import testtools

from partitioner.config import DISPATCH_ORDERS
from partitioner.run.cli import build_parser
from tests.run.harness import REPO

DOC = REPO / "docs" / "runner.md"


def documented_options() -> set[str]:
    """The options named in the first column of the "Options" table (``--concurrency N``, ``-j N``, ...)."""
    text = DOC.read_text(encoding="utf-8")
    table = text.split("## Options", 1)[1].split("\n## ", 1)[0]
    named: set[str] = set()
    for row in table.splitlines():
        if row.startswith("| `-"):
            first = row.split(" | ", 1)[0]
            named.update(re.findall(r"`(-{1,2}[a-z][a-z-]*)", first))
    return named


class OptionsTableTest(testtools.TestCase):
    def test_every_option_of_the_runner_is_in_the_table(self) -> None:
        taken = {option for action in build_parser()._actions for option in action.option_strings
                 if option.startswith("--") and option != "--help"}
        self.assertEqual(set(), taken - documented_options(), "options missing from docs/runner.md's table")


class QueueOrderTest(testtools.TestCase):
    def test_the_default_order_named_is_the_runners(self) -> None:
        # it said "longest predicted first", which is the `cost` order, not the default
        text = " ".join(DOC.read_text(encoding="utf-8").split())
        intro, dynamic = text.split("## ", 1)[0], text.split("## Dynamic dispatch", 1)[1].split("## ", 1)[0]
        self.assertIn(f"in `{DISPATCH_ORDERS[0]}` order by default", intro)
        self.assertIn(f"(default `{DISPATCH_ORDERS[0]}`:", dynamic)
        self.assertNotIn("longest predicted first, whenever", intro)
        self.assertNotIn("queues the groups longest first", dynamic)
