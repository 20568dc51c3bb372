"""Cart tests: a class with a slow shared fixture and a class of quick tests."""

from __future__ import annotations

import time

import testtools


class CheckoutTest(testtools.TestCase):
    rates: dict[str, float]

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        time.sleep(0.2)  # stands in for starting a payment stub
        cls.rates = {"EUR": 1.0, "USD": 1.25}

    def test_pay(self) -> None:
        time.sleep(0.25)
        self.assertEqual(1.25, self.rates["USD"])

    def test_decline(self) -> None:
        time.sleep(0.1)
        self.assertNotIn("XYZ", self.rates)


class CartTest(testtools.TestCase):
    def test_add(self) -> None:
        time.sleep(0.2)
        self.assertEqual([1], [*[], 1])

    def test_remove(self) -> None:
        time.sleep(0.1)
        self.assertEqual([], [x for x in [1] if x != 1])

    def test_total(self) -> None:
        time.sleep(0.05)
        self.assertEqual(3, sum([1, 2]))

    def test_clear(self) -> None:
        time.sleep(0.05)
        self.assertEqual(0, len({}))
