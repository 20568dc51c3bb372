"""Tests for the public API (partitioner/__init__.py): the names it promises, and that importing it is cheap."""

from __future__ import annotations

import subprocess
import sys

import testtools

import partitioner
from partitioner import hooks, pipeline, plan


def loaded_after(statement: str) -> list[str]:
    """The partitioner modules a fresh interpreter holds after ``statement``."""
    code = f"{statement}; import sys; print(' '.join(sorted(m for m in sys.modules if m.startswith('partitioner'))))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()


class TestPublicApi(testtools.TestCase):
    def test_the_drop_in_and_the_planner_are_importable_from_the_package(self) -> None:
        from partitioner import Partition, Plan, partition_tests, plan_ids

        self.assertIs(hooks.partition_tests, partition_tests)
        self.assertIs(pipeline.plan_ids, plan_ids)
        self.assertEqual((plan.Plan, plan.Partition), (Plan, Partition))
        self.assertEqual([["a.B.t1", "a.B.t2"], ["c.D.t"]],
                         sorted(partition_tests(["c.D.t", "a.B.t1", "a.B.t2"], 2, None, lambda t: t[:3])))

    def test_every_promised_name_resolves_and_is_listed(self) -> None:
        for name in partitioner.__all__:
            self.assertIsNotNone(getattr(partitioner, name), name)
            self.assertIn(name, dir(partitioner))
        self.assertTrue(issubclass(partitioner.OutputError, partitioner.PartitionerError))
        self.assertRaises(AttributeError, getattr, partitioner, "no_such_name")

    def test_importing_the_package_loads_only_the_errors_and_the_lazy_loader(self) -> None:
        self.assertEqual(["partitioner", "partitioner.errors", "partitioner.lazy"], loaded_after("import partitioner"))

    def test_the_runner_starts_without_the_planner(self) -> None:
        loaded = loaded_after("import partitioner.run")
        for heavy in ("partitioner.pipeline", "partitioner.estimate", "partitioner.history", "partitioner.config"):
            self.assertNotIn(heavy, loaded)

    def test_the_hook_plans_from_digests_without_python_subunit(self) -> None:
        # issue 9: the hook runs inside every stestr run; python-subunit is for streams not digested yet
        code = ("import sys, partitioner.hooks, partitioner.history; "
                "print(sorted(m for m in ('subunit', 'testtools', 'sqlalchemy', 'partitioner.history.load') "
                "if m in sys.modules))")
        loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        self.assertEqual("[]", loaded.strip())
