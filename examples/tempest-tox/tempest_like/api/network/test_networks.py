"""Network API tests."""

from __future__ import annotations

from tempest_like import test


class NetworksTest(test.BaseTestCase):
    setup_seconds = 0.2  # create the network and subnet all tests share

    @test.attr(type="smoke")
    @test.idempotent_id("0e269138-0da6-4efc-a46d-578161e7b221")
    def test_create_update_delete_network_subnet(self) -> None:
        test.work(0.25)
        self.assertTrue(True)

    @test.attr(type="smoke")
    @test.idempotent_id("f7ffdeda-e200-4a7a-bcbe-05716e86bf43")
    def test_list_networks(self) -> None:
        test.work(0.1)
        self.assertTrue(True)

    @test.idempotent_id("c72c1c0c-2193-4aca-eeee-b1442640eeee")
    def test_show_subnet(self) -> None:
        test.work(0.05)
        self.assertTrue(True)
