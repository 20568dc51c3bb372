"""A scenario test: long, one test per class, like most of tempest's scenarios."""

from __future__ import annotations

from tempest_like import test


class TestMinimumBasicScenario(test.BaseTestCase):
    @test.attr(type="slow")
    @test.attr(type="smoke")
    @test.idempotent_id("bdbb5441-9204-419d-a225-b4fdbfb1a1a8")
    def test_minimum_basic_scenario(self) -> None:
        test.work(0.6)
        self.assertTrue(True)
