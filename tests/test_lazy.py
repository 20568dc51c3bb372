"""Tests for partitioner.lazy: names imported on first use, kept, listed; unknown names raise AttributeError."""

from __future__ import annotations

import importlib
import subprocess
import sys
from typing import Any

import testtools

from partitioner import lazy

#: packages that re-export lazily, and their name -> submodule maps
PACKAGES = ("partitioner", "partitioner.history", "partitioner.run", "partitioner.timeline")


class TestAttribute(testtools.TestCase):
    def test_imports_the_name_from_its_submodule_and_keeps_it(self) -> None:
        namespace: dict[str, Any] = {}
        value = lazy.attribute("partitioner", {"canonical": "testids"}, namespace, "canonical")
        self.assertIs(importlib.import_module("partitioner.testids").canonical, value)
        self.assertEqual({"canonical": value}, namespace)

    def test_an_unlisted_name_is_an_attribute_error_naming_the_package(self) -> None:
        error = self.assertRaises(AttributeError, lazy.attribute, "partitioner.run", {}, {}, "nope")
        self.assertEqual("module 'partitioner.run' has no attribute 'nope'", str(error))

    def test_names_lists_what_is_held_and_what_is_lazy(self) -> None:
        self.assertEqual(["a", "b", "c"], lazy.names({"c": "m", "a": "m"}, {"b": 1, "a": 2}))


class TestPackages(testtools.TestCase):
    def test_every_exported_name_resolves_and_is_listed(self) -> None:
        for name in PACKAGES:
            package = importlib.import_module(name)
            for exported in package.__all__:
                self.assertIsNotNone(getattr(package, exported), f"{name}.{exported}")
                self.assertIn(exported, dir(package))
            self.assertRaises(AttributeError, getattr, package, "no_such_name")

    def test_a_name_is_imported_only_when_used(self) -> None:
        code = ("import sys, partitioner.timeline as t; before = 'partitioner.timeline.page' in sys.modules; "
                "t.render_plan; print(before, 'partitioner.timeline.page' in sys.modules)")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        self.assertEqual("False True", out.strip())
