"""The docs stay true: the CLI reference matches the parser, every config option is documented."""

from __future__ import annotations

from pathlib import Path

import testtools

from partitioner.clidoc import render
from partitioner.config import OPTIONS

DOCS = Path(__file__).resolve().parent.parent / "docs"


class TestDocs(testtools.TestCase):
    def test_cli_reference_is_current(self) -> None:
        self.assertEqual(render(), (DOCS / "cli.md").read_text(encoding="utf-8"),
                         "regenerate it: python -m partitioner.clidoc > docs/cli.md")

    def test_every_config_option_is_documented(self) -> None:
        text = (DOCS / "configuration.md").read_text(encoding="utf-8")
        for option in OPTIONS:
            self.assertIn(f"| `{option}` |", text)
