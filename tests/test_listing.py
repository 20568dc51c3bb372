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

    def test_ids_that_are_not_utf8_are_an_error_naming_file_and_line(self) -> None:
        # issue 10 item 6: a Latin-1 line was planned with replacement characters, a binary file as 34 "ids"
        path = self.dir / "ids"
        path.write_bytes(b"a.B.t1\na.B.t\xe9\n")
        error = self.assertRaises(InputError, read_id_file, str(path))
        self.assertEqual(f"test list {path}: line 2 is not UTF-8 text (byte 0xe9 at column 6); test ids are UTF-8: "
                         "save the file as UTF-8", str(error))
        error = self.assertRaises(InputError, read_id_file, str(path), load_list=True)
        self.assertIn(f"the --load-list file {path}: line 2 is not UTF-8 text", str(error))
        error = self.assertRaises(InputError, read_id_file, "-", io.BytesIO(b"\xff"))
        self.assertIn("the test list on stdin: line 1 is not UTF-8 text (byte 0xff at column 1)", str(error))

    def test_a_binary_file_is_no_id_list(self) -> None:
        path = self.dir / "ids"
        path.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\n\x03\x00")
        error = self.assertRaises(InputError, read_id_file, str(path))
        self.assertEqual(f"test list {path}: line 1 holds the control character '\\x7f', so it is no list of test "
                         "ids (a binary file?); pass a text file with one test id per line", str(error))
        self.assertRaises(InputError, read_id_file, str(path), load_list=True)

    def test_utf8_ids_and_a_bom_are_kept(self) -> None:
        path = self.dir / "ids"
        path.write_bytes("\ufeffa.B.t\u00e9\n\tb.C.t[x]\n".encode())
        self.assertEqual(["a.B.t\u00e9", "b.C.t[x]"], read_id_file(str(path)))
        self.assertEqual(["a.B.t\u00e9", "b.C.t[x]"], read_id_file(str(path), load_list=True))

    def test_a_text_listing_that_is_not_utf8_is_an_error(self) -> None:
        self.assertRaises(InputError, parse_listing, b"a.b\nc\xe9\n")
