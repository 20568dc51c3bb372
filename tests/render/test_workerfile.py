"""Tests for partitioner.render.workerfile: stestr worker files whose regexes select exactly each group."""

from __future__ import annotations

import io
import re

import testtools
import yaml

from partitioner.grouping import Group
from partitioner.render import group_regex, render_worker_file
from tests.builders import IDS, plan_for


class TestWorkerFile(testtools.TestCase):
    def test_one_anchored_regex_per_group_selecting_exactly_its_tests(self) -> None:
        ids = [*IDS, "m.A2.t1", "m.Ax.t(a.b)[smoke]"]
        plan = plan_for(ids, 2)
        groups = [Group(k, tuple(t for t in ids if t.startswith(k + "."))) for p in plan.workers for k in p.groups]
        out = io.StringIO()
        render_worker_file(plan, out, groups)
        doc = yaml.safe_load(out.getvalue())
        self.assertEqual(2, len(doc))
        for entry, part in zip(doc, plan.workers, strict=True):
            self.assertEqual(len(part.groups), len(entry["worker"]))
            selected = [t for t in ids if any(re.search(r, t) for r in entry["worker"])]
            self.assertEqual(sorted(part.tests), sorted(selected))

    def test_regex_falls_back_to_exact_ids_when_a_prefix_is_shared(self) -> None:
        group = Group("m.A", ("m.A.t1",))
        self.assertEqual(r"^m\.A\.", group_regex(group, ["m.A.t1"]))
        self.assertEqual(r"^m\.A\.t1$", group_regex(group, ["m.A.t1", "m.A.t2"]))
        quoted = Group("x", ("it's odd", "x y"))
        regex = group_regex(quoted, ["it's odd", "x y"])
        self.assertTrue(all(re.search(regex, t) for t in quoted.tests))
