"""Account tests: one class with an expensive class fixture, one without."""

from __future__ import annotations

import time

import testtools


class AccountsTest(testtools.TestCase):
    """Shares one (slow) fixture between its tests, so they belong on one worker."""

    accounts: dict[str, int]

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        time.sleep(0.2)  # stands in for creating a database
        cls.accounts = {"alice": 10, "bob": 0}

    def test_create(self) -> None:
        time.sleep(0.3)
        self.assertIn("alice", self.accounts)

    def test_delete(self) -> None:
        time.sleep(0.1)
        self.assertNotIn("carol", self.accounts)

    def test_rename(self) -> None:
        time.sleep(0.05)
        self.assertEqual(0, self.accounts["bob"])


class PasswordTest(testtools.TestCase):
    def test_hash(self) -> None:
        time.sleep(0.15)
        self.assertEqual(64, len("a" * 64))

    def test_reset(self) -> None:
        time.sleep(0.05)
        self.assertTrue(True)
