"""Catalog tests: one class pays for an index in setUpClass, one does not."""

from __future__ import annotations

import time

import testtools


class CatalogTest(testtools.TestCase):
    index: dict[str, float]

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        time.sleep(0.2)  # stands in for building a search index
        cls.index = {"apple": 0.5, "pear": 0.75, "plum": 0.25}

    def test_lookup(self) -> None:
        time.sleep(0.3)
        self.assertEqual(0.5, self.index["apple"])

    def test_missing(self) -> None:
        time.sleep(0.1)
        self.assertNotIn("kiwi", self.index)

    def test_prices(self) -> None:
        time.sleep(0.15)
        self.assertEqual(1.5, sum(self.index.values()))


class SearchTest(testtools.TestCase):
    def test_prefix(self) -> None:
        time.sleep(0.2)
        self.assertTrue("pear".startswith("pe"))

    def test_empty(self) -> None:
        time.sleep(0.05)
        self.assertEqual([], [w for w in ["a"] if w.startswith("z")])
