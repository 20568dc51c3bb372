"""Tests for partitioner.config: every file, precedence, testr/stestr's own keys, bad values."""

from __future__ import annotations

from pathlib import Path

import fixtures
import testtools

from partitioner.config import load_settings
from partitioner.errors import ConfigError


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

    def test_other_group_regex_and_parallel_class(self) -> None:
        self.write(".stestr.conf", "[DEFAULT]\ntest_path=./t\ngroup_regex=^(\\w+\\.)\n")
        self.assertEqual("regex:^(\\w+\\.)", load_settings(self.dir).group_by)
        self.write(".stestr.conf", "[DEFAULT]\ntest_path=./t\nparallel_class=True\n")
        self.assertEqual("class", load_settings(self.dir).group_by)
        self.assertTrue(load_settings(self.dir).stestr)

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
