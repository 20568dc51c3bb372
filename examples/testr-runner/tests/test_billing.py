"""Billing tests: a class with a slow setUpClass and a quick one."""

from __future__ import annotations

import time

import testtools


class InvoiceTest(testtools.TestCase):
    lines: list[int]

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        time.sleep(0.2)  # stands in for loading fixtures
        cls.lines = [100, 250, 50]

    def test_total(self) -> None:
        time.sleep(0.2)
        self.assertEqual(400, sum(self.lines))

    def test_tax(self) -> None:
        time.sleep(0.15)
        self.assertEqual(80, sum(self.lines) * 20 // 100)

    def test_discount(self) -> None:
        time.sleep(0.1)
        self.assertEqual(360, sum(self.lines) * 9 // 10)


class RefundTest(testtools.TestCase):
    def test_full(self) -> None:
        time.sleep(0.25)
        self.assertEqual(0, 400 - 400)

    def test_partial(self) -> None:
        time.sleep(0.05)
        self.assertEqual(150, 400 - 250)
