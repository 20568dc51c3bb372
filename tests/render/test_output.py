"""Tests for partitioner.render.output: open_output writes stdout or a whole file, and fails as OutputError."""

from __future__ import annotations

import io
import os
from pathlib import Path

import fixtures
import testtools

from partitioner.errors import HistoryError, OutputError
from partitioner.render import open_output


class TestOpenOutput(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.dir = Path(self.useFixture(fixtures.TempDir()).path)

    def test_dash_is_stdout_left_open(self) -> None:
        stdout = io.StringIO()
        with open_output("-", stdout) as out:
            out.write("x\n")
        self.assertEqual("x\n", stdout.getvalue())
        self.assertFalse(stdout.closed)

    def test_a_file_appears_whole_with_the_usual_permissions(self) -> None:
        target = self.dir / "plan.json"
        target.write_text("old")
        with open_output(target) as out:
            out.write("new\n")
            self.assertEqual("old", target.read_text())  # replaced only at the end
        self.assertEqual("new\n", target.read_text())
        umask = os.umask(0)
        os.umask(umask)
        self.assertEqual(0o666 & ~umask, target.stat().st_mode & 0o777)
        self.assertEqual([target], list(self.dir.iterdir()))

    def test_an_error_in_the_block_leaves_the_old_file(self) -> None:
        target = self.dir / "plan.json"
        target.write_text("old")
        with testtools.ExpectedException(HistoryError), open_output(target) as out:
            out.write("half")
            raise HistoryError("boom")
        self.assertEqual("old", target.read_text())
        self.assertEqual([target], list(self.dir.iterdir()))

    def test_unwritable_target_is_one_output_error(self) -> None:
        target = self.dir / "no" / "such" / "plan.json"
        expected = testtools.ExpectedException(OutputError, f"cannot write {target}: No such file or directory; .*")
        with expected, open_output(target) as out:
            out.write("x")
