"""The releases of stestr and testrepository ``partitioner exec`` hooks (dispatch/patches.py): an older one, or one
without a patch point, is one error line before the tool starts; the releases OpenStack's stable branches pin
(stestr 2.6 to 3.2, testrepository 0.0.20) are hooked like the newest. The runs themselves: tests/e2e/test_hooks
(run by ``.ci/run`` on the floors) and tests/e2e/test_old_tools (slow)."""

from __future__ import annotations

import configparser
import re
import types
from typing import Any

import fixtures
import testtools

from partitioner.dispatch import patches
from partitioner.dispatch.patches import OLDEST, check_release, installed_version, release
from partitioner.dispatch.tools import Session
from partitioner.errors import PartitionerError
from tests.suites import REPO


class TestReleases(testtools.TestCase):
    def test_release_numbers_of_version_strings_and_tuples(self) -> None:
        self.assertEqual((3, 2, 1), release("3.2.1"))
        self.assertEqual((4, 0, 0), release("4.0.0rc1"))
        self.assertEqual((0, 0, 23), release("0.0.23.dev1+g0abc"))
        self.assertEqual((0, 0, 20), release((0, 0, 20, "final", 0)))  # testrepository 0.0.20's __version__
        self.assertEqual((0, 0, 22), release(("0", "0", "22")))
        self.assertEqual((), release(None))
        self.assertEqual((), release("unknown"))

    def test_older_than_the_oldest_hooked_release_is_one_line_with_the_fix(self) -> None:
        error = check_release("stestr", "2.0.0", "/venv/site-packages/stestr")
        assert error is not None
        message = str(error)
        self.assertIn("stestr 2.0.0 (/venv/site-packages/stestr) is older than partitioner exec hooks", message)
        self.assertIn("stestr >= 2.6 is needed", message)
        self.assertIn("-m pip install 'stestr>=2.6'", message)
        self.assertEqual(1, len(message.splitlines()))
        error = check_release("testrepository", "0.0.18", "/x")
        self.assertIn("testrepository >= 0.0.20 is needed", str(error))

    def test_the_releases_stable_branches_pin_and_unknown_ones_pass(self) -> None:
        for version in ("2.6.0", "3.0.1", "3.2.1", "4.0.0", "4.2.1", "5.0", None, "unknown"):
            self.assertIsNone(check_release("stestr", version, "/x"), version)
        for version in ("0.0.20", "0.0.21", "0.0.22", "0.1"):
            self.assertIsNone(check_release("testrepository", version, "/x"), version)

    def test_the_oldest_releases_are_pyprojects_floors_which_ci_tests(self) -> None:
        text = (REPO / "pyproject.toml").read_text(encoding="utf8")
        for dist, oldest in OLDEST.items():
            self.assertIn(f'"{dist}>={oldest}"', text)
        self.assertIn("testrepository", (REPO / ".ci" / "floors.py").read_text(encoding="utf8"))

    def test_the_installed_release_is_read_from_the_package_or_its_metadata(self) -> None:
        from importlib.metadata import version

        import stestr
        import testrepository

        self.assertEqual(version("stestr"), installed_version("stestr", stestr))
        self.assertEqual(".".join(map(str, release(version("testrepository")))),
                         installed_version("testrepository", testrepository))
        self.assertEqual("0.0.20", installed_version("testrepository", type("M", (), {"__version__": (0, 0, 20)})))


class TestPatchPoints(testtools.TestCase):
    def patched(self, dist: str) -> list[tuple[Any, str, Any]]:
        session = Session(quiet=True)
        return patches.stestr_patches(session) if dist == "stestr" else patches.testr_patches(session)

    def test_every_patch_point_is_one_the_release_check_looks_for(self) -> None:
        import importlib

        for dist in ("stestr", "testrepository"):
            needed = set()
            for module, paths in patches.NEEDS[dist].items():
                for path in paths:
                    *owner, name = path.split(".")
                    holder: Any = importlib.import_module(module)
                    for part in owner:
                        holder = getattr(holder, part)
                    needed.add((holder, name))
            for owner, name, _ in self.patched(dist):
                self.assertIn((owner, name), needed, f"{dist}: {owner}.{name} is patched but not checked")

    def test_a_release_too_old_is_refused_before_anything_is_patched(self) -> None:
        import stestr
        from stestr.test_processor import TestProcessorFixture

        before = TestProcessorFixture.run_tests
        self.useFixture(fixtures.MonkeyPatch("stestr.__version__", "2.0.0"))
        error = self.assertRaises(PartitionerError, self.patched, "stestr")
        self.assertIn("stestr 2.0.0 (", str(error))
        self.assertIn("older than partitioner exec hooks (stestr >= 2.6 is needed)", str(error))
        self.assertIs(before, TestProcessorFixture.run_tests)
        self.assertEqual("2.0.0", stestr.__version__)

    def test_a_release_without_a_patch_point_names_it(self) -> None:
        self.useFixture(fixtures.MonkeyPatch("stestr.test_processor.TestProcessorFixture._start_process",
                                             fixtures.MonkeyPatch.delete))
        error = self.assertRaises(PartitionerError, self.patched, "stestr")
        self.assertIsNotNone(re.search(r"stestr [0-9.]+ \(.*\) has no stestr\.test_processor\.TestProcessorFixture\."
                                       r"_start_process, where partitioner exec hooks in", str(error)), str(error))
        self.useFixture(fixtures.MonkeyPatch("testrepository.testcommand.TestCommand.get_parser",
                                             fixtures.MonkeyPatch.delete))
        error = self.assertRaises(PartitionerError, self.patched, "testrepository")
        self.assertIn("has no testrepository.testcommand.TestCommand.get_parser", str(error))

    def test_stestr_before_3_1_reads_its_file_without_a_section(self) -> None:
        # stestr 3.0.1 and 2.6: TestrConf(config_file), no section argument, no section attribute; exec passed one
        # ("TestrConf.__init__() takes 2 positional arguments but 3 were given", a traceback on every run)
        from stestr.config_file import TestrConf

        def old_init(self: Any, config_file: str) -> None:
            self.parser = configparser.ConfigParser()
            self.parser.read(config_file)
            self.config_file = config_file

        self.useFixture(fixtures.MonkeyPatch("stestr.config_file.TestrConf.__init__", old_init))
        init = next(replacement for owner, name, replacement in self.patched("stestr")
                    if owner is TestrConf and name == "__init__")
        conf_file = self.useFixture(fixtures.TempDir()).join(".stestr.conf")
        with open(conf_file, "w", encoding="utf8") as out:
            out.write("[DEFAULT]\ntest_path=./tests\n")
        conf = types.SimpleNamespace()  # as stestr 3.0 leaves it: no section, no test_path (4.2 has both)
        init(conf, conf_file)
        self.assertEqual("./tests", patches._conf_test_path(conf))
        self.assertEqual("DEFAULT", patches._section(conf))
