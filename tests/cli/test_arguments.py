"""Tests for partitioner.cli.arguments' shared declarations: --dispatch, --dispatch-order, --test-path, --top-dir."""

from __future__ import annotations

import argparse

import testtools

from partitioner.cli.arguments import BadArguments, Parser, add_discovery, add_dispatch
from partitioner.cli.main import build_parser
from partitioner.config import DISPATCH_MODES, DISPATCH_ORDERS


def _option(parser: argparse.ArgumentParser, flag: str) -> argparse.Action:
    return next(action for action in parser._actions if flag in action.option_strings)


def _command(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found: argparse.ArgumentParser = sub.choices[name]
    return found


class TestAddDispatch(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.parser = Parser(prog="p")
        add_dispatch(self.parser, "DYN", static="STAT", default="DEF")

    def test_takes_the_values_the_config_options_take(self) -> None:
        self.assertEqual(set(DISPATCH_MODES), set(_option(self.parser, "--dispatch").choices or ()))
        self.assertEqual(set(DISPATCH_ORDERS), set(_option(self.parser, "--dispatch-order").choices or ()))

    def test_parses_and_leaves_unset_as_none(self) -> None:
        args = self.parser.parse_args(["--dispatch", "static", "--dispatch-order", "cost"])
        self.assertEqual(("static", "cost"), (args.dispatch, args.dispatch_order))
        args = self.parser.parse_args([])
        self.assertEqual((None, None), (args.dispatch, args.dispatch_order))

    def test_rejects_other_values(self) -> None:
        self.assertRaises(BadArguments, self.parser.parse_args, ["--dispatch", "queue"])
        self.assertRaises(BadArguments, self.parser.parse_args, ["--dispatch-order", "random"])

    def test_help_says_what_each_mode_does_here(self) -> None:
        self.assertEqual("dynamic: DYN; static: STAT (default: DEF)", _option(self.parser, "--dispatch").help)

    def test_plan_and_exec_declare_the_same_options(self) -> None:
        full = build_parser()
        plan, execute = _command(full, "plan"), _command(full, "exec")
        for flag in ("--dispatch", "--dispatch-order"):
            self.assertEqual(_option(plan, flag).choices, _option(execute, flag).choices)
        self.assertEqual(_option(plan, "--dispatch-order").help, _option(execute, "--dispatch-order").help)
        self.assertNotEqual(_option(plan, "--dispatch").help, _option(execute, "--dispatch").help)


class TestAddDiscovery(testtools.TestCase):
    def test_parses_both_and_says_when_they_apply(self) -> None:
        parser = Parser(prog="p")
        add_discovery(parser, "with --confirm: ")
        args = parser.parse_args(["--test-path", "./tempest/tests", "--top-dir", "./"])
        self.assertEqual(("./tempest/tests", "./"), (args.test_path, args.top_dir))
        self.assertTrue(str(_option(parser, "--test-path").help).startswith("with --confirm: discover"))

    def test_plan_explain_and_races_declare_the_same_options(self) -> None:
        full = build_parser()
        for flag in ("--test-path", "--top-dir"):
            metavars = {_option(_command(full, name), flag).metavar for name in ("plan", "explain", "races")}
            self.assertEqual({"DIR"}, metavars, flag)
