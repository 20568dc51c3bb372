"""Server API tests: one class boots a server for all its tests, one works on its own."""

from __future__ import annotations

from tempest_like import test


class ServersTestJSON(test.BaseTestCase):
    setup_seconds = 0.25  # boot the server every test here looks at

    @test.attr(type="smoke")
    @test.idempotent_id("9a438d88-10c6-4bcd-8b5b-5b6e25e1346f")
    def test_list_servers(self) -> None:
        test.work(0.2)
        self.assertTrue(True)

    @test.idempotent_id("5de47127-9977-400a-936f-abcfbec1218f")
    def test_get_server(self) -> None:
        test.work(0.15)
        self.assertEqual("ACTIVE", "ACTIVE")

    @test.idempotent_id("89b90870-bc13-4b73-96af-f9d4f2b70077")
    def test_update_server_name(self) -> None:
        test.work(0.1)
        self.assertNotEqual("old", "new")


class ServerActionsTestJSON(test.BaseTestCase):
    setup_seconds = 0.1

    @test.attr(type="smoke")
    @test.idempotent_id("2cb1baf6-ac8d-4429-bf0d-ba8a0ba53e32")
    def test_reboot_server_hard(self) -> None:
        test.work(0.3)
        self.assertTrue(True)

    @test.idempotent_id("af8eafd4-38a7-4a4b-bdbc-75145a580560")
    def test_stop_start_server(self) -> None:
        test.work(0.2)
        self.assertTrue(True)
