"""Admin quota tests: both classes change the cloud-wide quotas (see ``GlobalQuotaTestCase``)."""

from __future__ import annotations

from tempest_like import test


class QuotasAdminTestJSON(test.GlobalQuotaTestCase):
    setup_seconds = 0.1

    @test.idempotent_id("3b0a7c8f-cf58-46b8-a60c-715a32a8ba7d")
    def test_update_all_quota_resources_for_tenant(self) -> None:
        test.work(0.25)
        self.assertTrue(True)

    @test.idempotent_id("ce9e0815-8091-4abd-8345-7fe5b85faa1d")
    def test_get_updated_quotas(self) -> None:
        test.work(0.15)
        self.assertTrue(True)


class QuotaClassesAdminTestJSON(test.GlobalQuotaTestCase):
    setup_seconds = 0.1

    @test.idempotent_id("7932ab0f-5136-4075-b201-c0e2338df51a")
    def test_update_default_quotas(self) -> None:
        test.work(0.25)
        self.assertTrue(True)
