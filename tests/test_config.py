"""Tests for partitioner.config: every file, precedence, testr/stestr's own keys, bad values."""

from __future__ import annotations

import os
from pathlib import Path
from unittest import mock

import fixtures
import testtools

from partitioner.config import DEFAULT, Choice, Settings, default_concurrency, load_settings, not_a_file
from partitioner.errors import ConfigError, HistoryError
from partitioner.grouping import CLASS_REGEXES


class TestBlamed(testtools.TestCase):
    """A history error while an option's value is used names the config file it came from, and only a file."""

    def raised(self, choice: Choice[tuple[str, ...]]) -> str:
        def use() -> None:
            with choice.blamed("history"):
                raise HistoryError("no such file or directory: x; pass a source")

        return str(self.assertRaises(HistoryError, use))

    def test_a_file_is_named_before_the_fix(self) -> None:
        self.assertEqual("no such file or directory: x (the history option, [partitioner] in /p/setup.cfg); pass a "
                         "source", self.raised(Choice(("x",), "[partitioner] in /p/setup.cfg")))

    def test_a_flag_or_the_default_is_left_alone(self) -> None:
        for where in ("--history", DEFAULT):
            self.assertEqual("no such file or directory: x; pass a source", self.raised(Choice(("x",), where)))


class TestSettings(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.dir = Path(self.useFixture(fixtures.TempDir()).path)

    def write(self, name: str, text: str) -> None:
        (self.dir / name).write_text(text, encoding="utf-8")

    def test_empty_directory_gives_defaults(self) -> None:
        settings = load_settings(self.dir)
        self.assertEqual((None, None, (), None), (settings.group_by, settings.strategy, settings.history,
                                                  settings.concurrency))

    def test_testr_conf_keys_and_tempest_regex_means_class(self) -> None:
        self.write(".testr.conf", "[DEFAULT]\ntest_command=${PYTHON:-python} -m subunit.run $LISTOPT $IDOPTION\n"
                                  "test_list_option=--list\ngroup_regex=([^\\.]*\\.)*\n")
        settings = load_settings(self.dir)
        self.assertEqual("class", settings.group_by)
        self.assertEqual("${PYTHON:-python} -m subunit.run $LISTOPT $IDOPTION", settings.test_command)

    def test_every_spelling_of_the_class_regex_means_class(self) -> None:
        for spelling in CLASS_REGEXES:
            self.write(".testr.conf", f"[DEFAULT]\ngroup_regex={spelling}\n")
            self.assertEqual("class", load_settings(self.dir).group_by, spelling)

    def test_other_group_regex_and_parallel_class(self) -> None:
        self.write(".stestr.conf", "[DEFAULT]\ntest_path=./t\ngroup_regex=^(\\w+\\.)\n")
        self.assertEqual("regex:^(\\w+\\.)", load_settings(self.dir).group_by)
        self.write(".stestr.conf", "[DEFAULT]\ntest_path=./t\nparallel_class=True\n")
        self.assertEqual("class", load_settings(self.dir).group_by)
        self.assertTrue(load_settings(self.dir).stestr)

    def test_no_group_regex_means_per_test_as_the_tool_splits(self) -> None:
        # issue 9, cause 6: stestr/testr split per test without a group_regex; plan and explain must agree
        self.write(".stestr.conf", "[DEFAULT]\ntest_path=./t\n")
        settings = load_settings(self.dir)
        self.assertEqual("none", settings.group_by)
        self.assertIn("no group_regex, stestr splits per test", settings.where["group_by"])
        self.write(".testr.conf", "[DEFAULT]\ntest_command=python -m subunit.run $LISTOPT $IDOPTION\n")
        self.assertIn("testr splits per test", load_settings(self.dir).where["group_by"])
        self.write(".testr.conf", "[DEFAULT]\ntest_command=python -m partitioner.run $LISTOPT $IDOPTION -- x\n")
        self.assertIsNone(load_settings(self.dir).group_by)  # our runner plans: class, the default
        self.write("tox.ini", "[partitioner]\ngroup_by = module\n")
        self.assertEqual("module", load_settings(self.dir).group_by)

    def test_the_running_tool_takes_the_grouping_of_its_own_file_alone(self) -> None:
        # a project with both files, grouping in .testr.conf only: stestr reads .stestr.conf and splits per test
        self.write(".testr.conf", "[DEFAULT]\ntest_command=python -m subunit.run $LISTOPT $IDOPTION\n"
                                  "group_regex=([^\\.]*\\.)*\n")
        self.write(".stestr.conf", "[DEFAULT]\ntest_path=./t\n")
        self.assertEqual("class", load_settings(self.dir).group_by)  # no tool: the one whose listing plans follow
        self.assertEqual("class", load_settings(self.dir, "testr").group_by)
        stestr = load_settings(self.dir, "stestr")
        self.assertEqual("none", stestr.group_by)
        self.assertIn(".stestr.conf: no group_regex, stestr splits per test", stestr.where["group_by"])
        # and the other way round: testr with no group_regex splits per test though .stestr.conf groups
        self.write(".testr.conf", "[DEFAULT]\ntest_command=python -m subunit.run $LISTOPT $IDOPTION\n")
        self.write(".stestr.conf", "[DEFAULT]\ntest_path=./t\ngroup_regex=^(\\w+\\.)\n")
        self.assertEqual("none", load_settings(self.dir, "testr").group_by)
        self.assertEqual("none", load_settings(self.dir).group_by)  # plan lists as testr: it groups as testr
        self.assertEqual("regex:^(\\w+\\.)", load_settings(self.dir, "stestr").group_by)
        self.write(".testr.conf", "[DEFAULT]\ngroup_regex=x\n")  # no test_command: plans list as stestr does
        self.assertEqual("regex:^(\\w+\\.)", load_settings(self.dir).group_by)
        self.write("tox.ini", "[partitioner]\ngroup_by = module\n")  # the user's own choice wins for either
        self.assertEqual("module", load_settings(self.dir, "stestr").group_by)

    def test_an_unknown_strategy_in_a_file_names_the_file(self) -> None:
        # a new user's trial: exit 2 (usage) and no file named, where a bad dispatch value said its file (exit 1)
        self.write("tox.ini", "[partitioner]\nstrategy = bogus\n")
        error = self.assertRaises(ConfigError, load_settings, self.dir)
        self.assertEqual(f"unknown strategy 'bogus' in [partitioner] in {self.dir.resolve() / 'tox.ini'}; choose one "
                         "of: lpt, roundrobin, testr", str(error))
        self.write("tox.ini", "[partitioner]\nstrategy = roundrobin\n")
        self.assertEqual("roundrobin", load_settings(self.dir).strategy)

    def test_partitioner_section_precedence(self) -> None:
        self.write("pyproject.toml", "[tool.partitioner]\nstrategy = 'roundrobin'\nconcurrency = 3\n")
        self.write("tox.ini", "[partitioner]\nstrategy = testr\n")
        self.write(".testr.conf", "[DEFAULT]\ngroup_regex=x\n[partitioner]\ngroup_by = module\nhistory =\n a.json\n"
                                  " .stestr\n")
        settings = load_settings(self.dir)
        self.assertEqual(("module", "testr", ("a.json", ".stestr"), 3),
                         (settings.group_by, settings.strategy, settings.history, settings.concurrency))
        self.assertIn("tox.ini", settings.where["strategy"])

    def test_resources_and_serial(self) -> None:
        self.write("setup.cfg", "[partitioner]\nresources =\n  quota: compute\\..*Quota\n  port: net\\.Port\n"
                                "serial = [serial]\n")
        settings = load_settings(self.dir)
        self.assertEqual(["quota", "port"], [r.name for r in settings.resources])
        self.assertEqual("[serial]", settings.serial)

    def test_bad_input_names_file_and_fix(self) -> None:
        self.write("tox.ini", "[partitioner]\nstrategi = lpt\n")
        err = self.assertRaises(ConfigError, load_settings, self.dir)
        self.assertIn("unknown option 'strategi' in [partitioner] in", str(err))
        self.write("tox.ini", "[partitioner]\nresources = q: ([\n")
        err = self.assertRaises(ConfigError, load_settings, self.dir)
        self.assertIn("resource 'q' has an invalid regex", str(err))
        self.write("tox.ini", "[partitioner]\nconcurrency = zero\n")
        self.assertRaises(ConfigError, load_settings, self.dir)
        self.write("tox.ini", "not an ini file")
        err = self.assertRaises(ConfigError, load_settings, self.dir)
        self.assertIn("cannot parse", str(err))
        self.assertEqual(1, len(str(err).splitlines()))

    def test_a_file_that_is_not_utf8_says_where_and_to_save_it_so(self) -> None:
        (self.dir / ".stestr.conf").write_bytes(b"[DEFAULT]\ntest_path=./t\xe9sts\n")
        self.assertConfigError(f"cannot read {self.dir / '.stestr.conf'}: line 2 is not UTF-8 text (byte 0xe9 at "
                               "column 14); save the file as UTF-8")

    def test_a_tool_config_that_is_not_a_file_says_what_it_is_and_how_to_fix_it(self) -> None:
        # a directory read as "neither .testr.conf nor .stestr.conf": the tools pass over what is not a file
        (self.dir / ".stestr.conf").mkdir()
        self.assertConfigError(f"{self.dir / '.stestr.conf'} is a directory, not a file: stestr reads its "
                               "configuration from a file of that name; move the directory away and create a file "
                               "with [DEFAULT] and test_path = ./DIR")
        (self.dir / ".stestr.conf").rmdir()
        (self.dir / ".testr.conf").symlink_to(self.dir / "gone.conf")
        self.assertConfigError(f"{self.dir / '.testr.conf'} is a symlink to {self.dir / 'gone.conf'}, which does not "
                               "exist: testr reads its configuration from a file of that name; point the link at an "
                               "existing file, or replace it with a file with [DEFAULT] and test_command = ")
        (self.dir / ".testr.conf").unlink()
        os.mkfifo(self.dir / ".testr.conf")  # read, it would block
        self.assertConfigError(f"{self.dir / '.testr.conf'} is not a regular file: testr reads")
        (self.dir / ".testr.conf").unlink()
        (self.dir / "real.conf").write_text("[DEFAULT]\ntest_path=./t\n")
        (self.dir / ".stestr.conf").symlink_to(self.dir / "real.conf")  # a link to a file is the file
        self.assertTrue(load_settings(self.dir).stestr)
        self.assertIsNone(not_a_file(self.dir / "absent.conf"))

    def test_a_config_file_that_cannot_be_read_says_so_in_one_line(self) -> None:
        # permission bits do not bind root: the read itself is made to fail as it does for another user
        self.write(".stestr.conf", "[DEFAULT]\ntest_path=./t\n")
        denied = PermissionError(13, "Permission denied", str(self.dir / ".stestr.conf"))
        self.useFixture(fixtures.MonkeyPatch("pathlib.Path.read_text", mock.Mock(side_effect=denied)))
        self.assertConfigError(f"cannot read {self.dir / '.stestr.conf'}: Permission denied; check its permissions")

    def assertConfigError(self, fragment: str) -> None:
        err = self.assertRaises(ConfigError, load_settings, self.dir)
        self.assertIn(fragment, str(err))
        self.assertEqual(1, len(str(err).splitlines()), str(err))

    def test_a_repeated_option_or_section_is_refused_as_the_tools_refuse_it(self) -> None:
        # testr and stestr read with configparser, strict: plan must not show a plan for a file they reject
        self.write(".stestr.conf", "[DEFAULT]\ntest_path = ./tests\ntop_dir = ./\ntest_path = ./other\n")
        self.assertConfigError(f"cannot parse {self.dir / '.stestr.conf'}: line 4: option 'test_path' in section "
                               "[DEFAULT] already exists (the tools read the file strictly); keep one of the two")
        (self.dir / ".stestr.conf").unlink()
        self.write(".testr.conf", "[DEFAULT]\ntest_command = python -m subunit.run $LISTOPT\n"
                                  "Test_Command = python -m subunit.run\n")
        self.assertConfigError("line 3: option 'test_command' in section [DEFAULT] already exists")
        (self.dir / ".testr.conf").unlink()
        self.write("setup.cfg", "[metadata]\nname = x\n\n[partitioner]\nstrategy = lpt\n[metadata]\nversion = 1\n")
        self.assertConfigError(f"cannot parse {self.dir / 'setup.cfg'}: line 6: section [metadata] already exists "
                               "(the tools read the file strictly); merge the two sections")
        self.write("setup.cfg", "[partitioner]\nstrategy = lpt\nstrategy = roundrobin\n")
        self.assertConfigError("line 3: option 'strategy' in section [partitioner] already exists")

    def test_a_repeated_default_header_is_merged_as_the_tools_merge_it(self) -> None:
        # configparser keeps [DEFAULT] apart: a second header adds to it (a repeated option in it is still refused)
        self.write(".stestr.conf", "[DEFAULT]\ntest_path = ./tests\n[DEFAULT]\ntop_dir = ./src\n")
        settings = load_settings(self.dir)
        self.assertEqual(("./tests", "./src"), (settings.test_path, settings.top_dir))

    def test_deeply_nested_toml_is_an_error_not_a_recursion(self) -> None:
        # issue 10 item 2: 500 nested arrays raised RecursionError out of tomllib
        self.write("pyproject.toml", f"[tool.partitioner]\nconcurrency = {'[' * 500}{']' * 500}\n")
        self.assertConfigError("nested too deeply")
        self.write("pyproject.toml", f"x = {'{a = ' * 500}1{'}' * 500}\n")
        self.assertConfigError("nested too deeply")

    def test_toml_values_of_the_wrong_type_are_named(self) -> None:
        # issue 10 item 7: an inline table in resources gave a mangled resource; a non-table was ignored
        self.write("pyproject.toml", "[tool.partitioner]\nresources = 5\n")
        self.assertConfigError("resources is an integer; it takes a string of \"name: regex\" lines")
        self.write("pyproject.toml", "[tool.partitioner]\nresources = ['a: x', {b = 1}]\n")
        self.assertConfigError("resources is an array; it takes")
        self.write("pyproject.toml", "[tool.partitioner]\ngroup_by = ['class']\n")
        self.assertConfigError("group_by is an array; it takes a string")
        self.write("pyproject.toml", "[tool.partitioner]\nconcurrency = true\n")
        self.assertConfigError("concurrency is a boolean; it takes a whole number")
        self.write("pyproject.toml", "tool = {partitioner = 5}\n")
        self.assertConfigError("[tool.partitioner] in")
        self.assertConfigError("is an integer, not a table")
        self.write("pyproject.toml", "[tool.partitioner]\nresources = {'a:b' = 'x'}\n")
        self.assertConfigError("resource name 'a:b' is empty or holds ':'")

    def test_toml_resources_may_be_a_table_or_an_array(self) -> None:
        self.write("pyproject.toml", "[tool.partitioner.resources]\nquota = 'compute\\..*Quota'\nport = 'net'\n")
        self.assertEqual([("quota", "compute\\..*Quota"), ("port", "net")],
                         [(r.name, r.pattern.pattern) for r in load_settings(self.dir).resources])
        self.write("pyproject.toml", "[tool.partitioner]\nresources = ['quota: q', 'port: p']\nconcurrency = 4\n"
                                     "history = ['a.json', 'b.json']\n")
        settings = load_settings(self.dir)
        self.assertEqual((["quota", "port"], 4, ("a.json", "b.json")),
                         ([r.name for r in settings.resources], settings.concurrency, settings.history))

    def test_concurrency_is_ascii_digits(self) -> None:
        for bad in ("\u00b2", "\u0661\u0662", "1e3", "-1", "0", "4.0"):  # superscript two: isdigit(), int() fails
            self.write("tox.ini", f"[partitioner]\nconcurrency = {bad}\n")
            self.assertConfigError("concurrency must be a whole number >= 1")
        self.write("tox.ini", "[partitioner]\nconcurrency = 99999999999999999999\n")
        self.assertEqual(99999999999999999999, load_settings(self.dir).concurrency)  # capped when planning

    def test_dispatch_and_its_order_take_their_values_in_any_case(self) -> None:
        self.write("tox.ini", "[partitioner]\ndispatch = Static \ndispatch_order = COST\n")
        settings = load_settings(self.dir)
        self.assertEqual(("static", "cost"), (settings.dispatch, settings.dispatch_order))
        self.write("tox.ini", "[partitioner]\ndispatch = sideways\n")
        self.assertConfigError("dispatch must be one of dynamic, static, got 'sideways' in [partitioner] in")
        self.write("tox.ini", "[partitioner]\ndispatch_order = random\n")
        self.assertConfigError("dispatch_order must be one of lookahead, suite, mono, cost, got 'random' in "
                               "[partitioner] in")


class TestChoose(testtools.TestCase):
    """One precedence rule for every option: the flag, else the config files, else the default."""

    SETTINGS = Settings(group_by="module", strategy="testr", history=("a.json",), concurrency=3,
                        where={"group_by": "[partitioner] in tox.ini", "strategy": "[partitioner] in setup.cfg",
                               "history": "[partitioner] in .testr.conf", "concurrency": "[tool.partitioner] in x"})

    def test_flag_then_file_then_default(self) -> None:
        settings = self.SETTINGS
        self.assertEqual(Choice(8, "--concurrency"), settings.choose("concurrency", 8, 2))
        self.assertEqual(Choice(8, "--max"), settings.choose("concurrency", 8, 2, "--max"))
        self.assertEqual(Choice(3, "[tool.partitioner] in x"), settings.choose("concurrency", None, 2))
        self.assertEqual(Choice(("b",), "--history"), settings.choose("history", ("b",), ()))
        self.assertEqual(Choice(("a.json",), "[partitioner] in .testr.conf"), settings.choose("history", (), ()))
        self.assertEqual(Choice("lpt", "--strategy"), settings.choose("strategy", "lpt", "roundrobin"))
        self.assertEqual(Choice("module", "[partitioner] in tox.ini"), settings.choose("group_by", "", "none"))
        self.assertEqual(Choice("none", DEFAULT), Settings().choose("group_by", None, "none"))
        self.assertEqual(Choice(default_concurrency(), DEFAULT),
                         Settings().choose("concurrency", None, default_concurrency()))

    def test_only_known_options(self) -> None:
        self.assertRaises(ValueError, Settings().choose, "test_command", None, "")
