"""The docs stay true: the CLI reference matches the parser, every config option is documented, every path the
docs name resolves, and the house map in docs/development.md places every module."""

from __future__ import annotations

import importlib
import re
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


def resolve(dotted: str) -> object:
    """The object a dotted path names: the longest importable module prefix, then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            found = getattr(found, name)
        return found
    raise ImportError(dotted)


class TestPublicPaths(testtools.TestCase):
    """Every partitioner path the docs, the README and the examples name still works."""

    FILES = [*sorted(DOCS.glob("*.md")), DOCS.parent / "README.md", *sorted((DOCS.parent / "examples").rglob("*.py")),
             *sorted((DOCS.parent / "examples").rglob("*.md"))]

    def test_dotted_paths_and_imports_resolve(self) -> None:
        checked = set()
        for path in self.FILES:
            text = path.read_text(encoding="utf-8")
            for module, names in re.findall(r"^\s*from (partitioner[\w.]*) import ([\w, ]+)", text, re.M):
                checked.update(f"{module}.{name.strip()}" for name in names.split(","))
            checked.update(re.findall(r"`(partitioner(?:\.\w+)+)", text))
        self.assertGreater(len(checked), 10)
        for dotted in sorted(checked):
            try:
                resolve(dotted)
            except (ImportError, AttributeError) as error:
                self.fail(f"{dotted} (named in the docs) does not resolve: {error}")

    def test_the_house_map_names_every_module(self) -> None:
        text = (DOCS / "development.md").read_text(encoding="utf-8")
        package = DOCS.parent / "partitioner"
        for path in sorted(package.rglob("*.py")):
            name = path.parent.name if path.name == "__init__.py" else path.stem
            if name != "partitioner":
                self.assertTrue(f"`{name}" in text, f"docs/development.md does not place {path.relative_to(package)}")
