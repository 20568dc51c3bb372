"""Tests for what ``partitioner plan -o FILE`` says it wrote (one line on stderr, as ``timeline`` says its page's)."""

from __future__ import annotations

from partitioner.cli.main import OK
from tests.cli.harness import PlanCase


class TestSaysWhatItWrote(PlanCase):
    def test_an_html_page_written_to_a_file_is_named_on_stderr(self) -> None:
        target = self.dir / "plan.html"
        code, out, err = self.cli(*self.plan_args("-n", "2", "--format", "html", "-o", str(target)))
        self.assertEqual((OK, ""), (code, out), err)
        self.assertEqual(f"{target}: 4 tests on 2 workers, static plan, drawn as a timeline page\n", err)
        self.assertTrue(target.read_text().startswith("<!DOCTYPE html>"))

    def test_the_dynamic_page_says_its_order(self) -> None:
        target = self.dir / "plan.html"
        code, _, err = self.cli(*self.plan_args("-n", "2", "--format", "html", "--dispatch", "dynamic",
                                                "--dispatch-order", "cost", "-o", str(target)))
        self.assertEqual(OK, code, err)
        self.assertEqual(f"{target}: 4 tests on 2 workers, dynamic dispatch (cost order), drawn as a timeline page\n",
                         err)

    def test_a_page_on_stdout_says_nothing_else(self) -> None:
        code, out, err = self.cli(*self.plan_args("-n", "2", "--format", "html"))
        self.assertEqual((OK, ""), (code, err))
        self.assertTrue(out.startswith("<!DOCTYPE html>"))
