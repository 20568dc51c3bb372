"""Tests for partitioner.listing: listings as subunit or text, and the one id-file reader."""

from __future__ import annotations

import io
from pathlib import Path

import fixtures
import testtools

from partitioner.errors import InputError
from partitioner.listing import parse_listing, read_id_file


class TestListing(testtools.TestCase):
    def test_plain_text_listing_is_accepted(self) -> None:
        self.assertEqual(["a.b", "c"], parse_listing(b"a.b\n\nc\na.b\n"))


class TestReadIdFile(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.dir = Path(self.useFixture(fixtures.TempDir()).path)

    def test_people_write_comments_testr_writes_ids(self) -> None:
        path = self.dir / "ids"
        path.write_bytes(b" a.B.t1 \r\n# a comment\n\na.B.t2\r\na.B.t1\n#c.D.t\n")
        self.assertEqual(["a.B.t1", "a.B.t2", "a.B.t1"], read_id_file(str(path)))
        self.assertEqual(["a.B.t1", "# a comment", "a.B.t2", "#c.D.t"], read_id_file(str(path), load_list=True))

    def test_dash_is_stdin(self) -> None:
        self.assertEqual(["x.Y.z"], read_id_file("-", io.BytesIO(b"x.Y.z\n# no\n")))

    def test_unreadable_file_is_one_input_error_naming_it(self) -> None:
        missing = self.dir / "nope"
        error = self.assertRaises(InputError, read_id_file, str(missing))
        self.assertEqual(f"cannot read test list {missing}: No such file or directory; pass a readable file of "
                         "test ids, one per line, or - for stdin", str(error))
        error = self.assertRaises(InputError, read_id_file, str(missing), load_list=True)
        self.assertIn(f"cannot read the --load-list file {missing}: ", str(error))
