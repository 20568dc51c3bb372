"""Shards: the split (Hypothesis properties), which shard a job is (K/M, CI variables), the plan file, and M
jobs that agree because they read the same pinned store."""

from __future__ import annotations

import dataclasses
import json
import math
import random
import re
from pathlib import Path

import fixtures
import testtools
from hypothesis import given, settings
from hypothesis import strategies as st

from partitioner.errors import ConfigError, UsageError
from partitioner.estimate import build_cost_model
from partitioner.grouping import Group, GroupTable, group_tests, make_grouper, merge_by_resources, split_serial
from partitioner.grouping.constraints import serial_matcher
from partitioner.history import load_history
from partitioner.history.load import pin_sources
from partitioner.history.model import History, Run, TestRecord
from partitioner.history.store import open_store, redact
from partitioner.pipeline import plan_ids
from partitioner.render.json import plan_to_dict
from partitioner.render.shards import render_shards_table
from partitioner.shards import CI_VARIABLES, SHARD_VARIABLE, ShardedPlan, parse_shard, shard_from_env, split_shards
from partitioner.shards.planfile import (
    SHARD_FILE_VERSION,
    PlanFileError,
    dumps_plan_file,
    parse_plan_file,
    read_plan_file,
)
from partitioner.strategies import get_strategy
from tests.generators import histories, id_lists
from tests.history.store.helpers import make_run

EPS = 1e-6


def split(ids: list[str], history: History, shards: int, workers: int, serial: str | None = None,
          strategy: str = "lpt", resources: tuple[str, ...] = ()) -> tuple[ShardedPlan, GroupTable, GroupTable]:
    """What a shard job computes: group, cost, merge, split serial, then split into shards."""
    grouper = make_grouper("class")
    table = group_tests(ids, grouper)
    model = build_cost_model(table, history)
    merged_table, merges = merge_by_resources(table, [(name, re.compile(name)) for name in resources])
    parallel, serial_groups = split_serial(merged_table, serial_matcher(serial) if serial else None)
    sharded = split_shards(parallel, serial_groups, model, shards, workers, get_strategy(strategy), grouper.spec,
                           merged=merges)
    return sharded, parallel, serial_groups


class TestSplitProperties(testtools.TestCase):
    @settings(max_examples=80, deadline=None)
    @given(st.data(), st.integers(min_value=1, max_value=6), st.integers(min_value=1, max_value=4))
    def test_every_test_in_exactly_one_shard_groups_whole_balanced_and_order_free(
            self, data: st.DataObject, m: int, n: int) -> None:
        ids = data.draw(id_lists())
        history = data.draw(histories(ids))
        serial = data.draw(st.sampled_from([None, "test_a", "C[a-m]"]))
        sharded, parallel, serial_groups = split(ids, history, m, n, serial)
        # exactly M shards, numbered 1..M; union = suite; no overlap
        self.assertEqual(list(range(1, m + 1)), [s.index for s in sharded.shards])
        every = [t for s in sharded.shards for t in s.tests]
        self.assertEqual(sorted(set(ids)), sorted(every))
        self.assertEqual(len(every), len(set(every)))
        # groups whole: each group's tests all in the shard that lists the group
        where = {k: s.index for s in sharded.shards for k in s.groups}
        groups: list[Group] = [*parallel, *serial_groups]
        self.assertEqual(sorted(g.key for g in groups), sorted(where))
        for group in groups:
            shard = sharded.shard(where[group.key])
            self.assertTrue(set(group.tests) <= set(shard.tests), group.key)
        # balanced within Graham's bound on wall-time weights (parallel cost / N, serial cost)
        model = build_cost_model(group_tests(ids, make_grouper("class")), history)
        weight = {g.key: model.group_cost(g).cost / n for g in parallel}
        weight.update({g.key: model.group_cost(g).cost for g in serial_groups})
        loads = [math.fsum(weight[k] for k in s.groups) for s in sharded.shards]
        self.assertLessEqual(max(loads), math.fsum(weight.values()) / m + max(weight.values()) + EPS)
        # the lower bound is a bound; each shard's plan has N workers
        self.assertGreaterEqual(sharded.predicted_makespan_s + EPS, sharded.lower_bound_s)
        self.assertTrue(all(s.plan.concurrency == n for s in sharded.shards))
        # the same result, byte for byte, for the ids in any order
        shuffled = list(ids)
        random.Random(data.draw(st.integers())).shuffle(shuffled)
        again, _, _ = split(shuffled, history, m, n, serial)
        self.assertEqual(dumps_plan_file(sharded), dumps_plan_file(again))
        self.assertEqual(sharded.digest, again.digest)

    @settings(max_examples=40, deadline=None)
    @given(st.data(), st.integers(min_value=1, max_value=5), st.integers(min_value=1, max_value=3))
    def test_the_plan_file_round_trips(self, data: st.DataObject, m: int, n: int) -> None:
        ids = data.draw(id_lists())
        sharded, _, _ = split(ids, data.draw(histories(ids)), m, n, data.draw(st.sampled_from([None, "test_a"])))
        text = dumps_plan_file(sharded)
        back = parse_plan_file(text, "plan.json")
        self.assertEqual(text, dumps_plan_file(back))
        self.assertEqual([s.tests for s in sharded.shards], [s.tests for s in back.shards])
        self.assertEqual(sharded.digest, back.digest)


def timed(ids: list[str], seconds: dict[str, float]) -> History:
    clock, records = 0.0, []
    for test_id in ids:
        records.append(TestRecord(test_id, "success", clock, clock + seconds.get(test_id, 1.0), "worker-0"))
        clock += seconds.get(test_id, 1.0)
    return History(runs=(Run("r", tuple(records)),))


class TestSplitCases(testtools.TestCase):
    IDS = [f"p.m.C{c}.test_{t}" for c in range(8) for t in range(3)]

    def test_balanced_shards_and_each_shards_workers(self) -> None:
        history = timed(self.IDS, {t: 1.0 + i % 5 for i, t in enumerate(self.IDS)})
        sharded, _, _ = split(self.IDS, history, 3, 2)
        self.assertEqual(3, sharded.count)
        # class costs 12, 10, 10, 9, 9, 8, 7, 6 over 3 x 2 workers: two workers must take two classes, and
        # the best pairs ({6, 9}, {7, 8}) make 15 s: the optimum, although the lower bound says 12 s
        self.assertEqual([12.0, 14.0, 15.0], sorted(s.predicted_s for s in sharded.shards))
        self.assertEqual(12.0, sharded.lower_bound_s)
        for shard in sharded.shards:
            self.assertEqual(sorted(shard.tests), sorted(t for p in shard.plan.workers for t in p.tests))

    def test_more_shards_than_groups_leaves_empty_shards_with_a_note(self) -> None:
        sharded, _, _ = split(self.IDS[:6], History(), 4, 2)  # two classes
        self.assertEqual([False, False, True, True], [s.empty for s in sharded.shards])
        self.assertEqual((), sharded.shards[3].tests)
        self.assertEqual(0.0, sharded.shards[3].predicted_s)
        self.assertIn("2 of 4 shards have nothing to run: only 2 groups", sharded.warnings)
        back = parse_plan_file(dumps_plan_file(sharded), "p.json")
        self.assertTrue(back.shards[3].empty)

    def test_each_shards_notes_name_the_history_it_was_planned_from(self) -> None:
        # each shard's plan said "pass --history" though the split was planned from a given history
        table = group_tests(self.IDS, make_grouper("class"))
        model = build_cost_model(table, History())

        def notes(planned_from: History | None = None, history: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
            sharded = split_shards(table, (), model, 2, 2, get_strategy(None), "class", history=history,
                                   planned_from=planned_from)
            return [s.plan.warnings for s in sharded.shards]

        said = ("no timing history: json:t.json (0 tests) timed none of these tests: balanced by test count and "
                "class structure; give the history of a run of this suite",)
        self.assertEqual([said, said], notes(planned_from=History(sources=("json:t.json (0 tests)",))))
        # the history's own warning (a store that cannot be read) has said why: nothing more per shard
        unread = History(sources=("store:sqlite:///h.db (unreadable)",), warnings=("sqlite:///h.db: ...",))
        self.assertEqual([(), ()], notes(planned_from=unread, history=("sqlite:///h.db",)))
        # from the pinned sources alone (an API caller without the History)
        pinned = notes(history=("sqlite:///h.db?upto=3",))
        self.assertIn("no timing history: sqlite:///h.db?upto=3 timed none of these tests", pinned[0][0])
        # nothing given: then, and only then, the advice to give one
        self.assertTrue(all("pass --history" in n[0] for n in notes()))
        self.assertFalse(any("pass --history" in w for n in notes(history=("t.json",)) for w in n))

    def test_a_serial_group_weighs_its_whole_time(self) -> None:
        seconds = {t: 4.0 if ".C0." in t else 1.0 for t in self.IDS}
        sharded, _, serial = split(self.IDS, timed(self.IDS, seconds), 2, 4, serial=r"\.C0\.")
        [holder] = [s for s in sharded.shards if "p.m.C0" in s.groups]
        self.assertEqual(tuple(serial.tests), holder.plan.serial)
        other = sharded.shard(3 - holder.index)
        # 12 s serial alone vs 21 s of parallel work over 4 workers: the serial shard gets little else
        self.assertGreater(len(other.groups), len(holder.groups))

    def test_resource_merges_stay_on_one_shard_and_show_in_its_plan(self) -> None:
        sharded, _, _ = split(self.IDS, History(), 3, 2, resources=(r"C[12]\.",))
        holders = [s for s in sharded.shards if s.plan.merged]
        self.assertEqual(1, len(holders))
        self.assertEqual(("p.m.C1", "p.m.C2"), holders[0].plan.merged[0].members)

    def test_bad_counts_and_unknown_shards(self) -> None:
        table = group_tests(self.IDS, make_grouper("class"))
        model = build_cost_model(table, History())
        for m, n, fragment in ((0, 2, "number of shards must be at least 1"), (2, 0, "concurrency must be")):
            error = self.assertRaises(UsageError, split_shards, table, (), model, m, n, get_strategy(None), "class")
            self.assertIn(fragment, str(error))
        sharded = split_shards(table, (), model, 2, 2, get_strategy(None), "class")
        self.assertIn("the split has 2 shards", str(self.assertRaises(UsageError, sharded.shard, 3)))

    def test_coverage_names_what_a_job_would_lose(self) -> None:
        sharded, _, _ = split(self.IDS, History(), 2, 2)
        self.assertTrue(sharded.coverage(self.IDS).exact)
        found = sharded.coverage([*self.IDS[1:], "p.m.New.test_x"])
        self.assertEqual((("p.m.New.test_x",), (self.IDS[0],)), (found.missing, found.stale))

    def test_the_table_shows_every_shards_predicted_time(self) -> None:
        import io

        sharded, _, _ = split(self.IDS, timed(self.IDS, {}), 3, 2)
        out = io.StringIO()
        render_shards_table(sharded, out)
        lines = out.getvalue().splitlines()
        self.assertEqual(["1/3", "2/3", "3/3"], [line.split()[0] for line in lines[1:4]])
        self.assertIn(f"split {sharded.digest}", out.getvalue())


class TestShardSpec(testtools.TestCase):
    def test_k_over_m(self) -> None:
        self.assertEqual((2, 4), (parse_shard("2/4").index, parse_shard(" 2 / 4 ").count))
        self.assertEqual("3/3", str(parse_shard("3", count=3)))
        for text, fragment in (("0/4", "between 1 and 4"), ("5/4", "between 1 and 4"), ("1/0", "at least 1"),
                               ("two/4", "is not K/M"), ("2", "no shard count"), ("-1/4", "is not K/M")):
            self.assertIn(fragment, str(self.assertRaises(UsageError, parse_shard, text)))
        self.assertIn("the split has 3 shards, not 4",
                      str(self.assertRaises(UsageError, parse_shard, "1/4", count=3)))

    def test_auto_reads_each_ci(self) -> None:
        cases = {
            "CI_NODE_INDEX": ({"CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "3"}, (2, 3)),
            "BUILDKITE_PARALLEL_JOB": ({"BUILDKITE_PARALLEL_JOB": "0", "BUILDKITE_PARALLEL_JOB_COUNT": "4"}, (1, 4)),
            "CIRCLE_NODE_INDEX": ({"CIRCLE_NODE_INDEX": "3", "CIRCLE_NODE_TOTAL": "4"}, (4, 4)),
            "SYSTEM_JOBPOSITIONINPHASE": ({"SYSTEM_JOBPOSITIONINPHASE": "1", "SYSTEM_TOTALJOBSINPHASE": "2"}, (1, 2)),
            "SEMAPHORE_JOB_INDEX": ({"SEMAPHORE_JOB_INDEX": "2", "SEMAPHORE_JOB_COUNT": "2"}, (2, 2)),
            "BITBUCKET_PARALLEL_STEP": ({"BITBUCKET_PARALLEL_STEP": "1", "BITBUCKET_PARALLEL_STEP_COUNT": "5"},
                                        (2, 5)),
        }
        self.assertEqual({c.index for c in CI_VARIABLES}, set(cases))
        for name, (env, expected) in cases.items():
            spec = parse_shard("auto", env)
            self.assertEqual(expected, (spec.index, spec.count), name)
            self.assertIn(name, spec.where)

    def test_auto_prefers_the_explicit_variable_and_skips_gitlabs_lone_total(self) -> None:
        env = {SHARD_VARIABLE: "2/5", "CIRCLE_NODE_INDEX": "0", "CIRCLE_NODE_TOTAL": "2"}
        self.assertEqual("2/5", str(shard_from_env(env)))
        self.assertEqual("1/2", str(shard_from_env({"CI_NODE_TOTAL": "1", "CIRCLE_NODE_INDEX": "0",
                                                     "CIRCLE_NODE_TOTAL": "2"})))

    def test_auto_without_ci_variables_or_with_bad_ones(self) -> None:
        message = str(self.assertRaises(UsageError, parse_shard, "auto", {"CI_NODE_TOTAL": "1"}))
        self.assertIn("no CI shard variables are set", message)
        self.assertIn("BUILDKITE_PARALLEL_JOB", message)
        for env, fragment in (({"CI_NODE_INDEX": "x", "CI_NODE_TOTAL": "2"}, "not a whole number"),
                              ({"CI_NODE_INDEX": "1"}, "CI_NODE_TOTAL is not"),
                              ({"CIRCLE_NODE_INDEX": "2", "CIRCLE_NODE_TOTAL": "2"}, "outside 0..1"),
                              ({SHARD_VARIABLE: "9/2"}, "between 1 and 2"),
                              ({SHARD_VARIABLE: "auto"}, "set it to K/M")):
            message = str(self.assertRaises(ConfigError, shard_from_env, env))
            self.assertIn(fragment, message)
            self.assertNotIn("\n", message)


class TestPlanFile(testtools.TestCase):
    IDS = [f"p.m.C{c}.test_{t}" for c in range(5) for t in range(2)]

    def setUp(self) -> None:
        super().setUp()
        self.dir = Path(self.useFixture(fixtures.TempDir()).path)
        self.sharded, _, _ = split(self.IDS, timed(self.IDS, {}), 2, 2)
        self.doc = json.loads(dumps_plan_file(self.sharded))

    def refused(self, doc: object, fragment: str) -> None:
        message = str(self.assertRaises(PlanFileError, parse_plan_file, json.dumps(doc), "plan.json"))
        self.assertIn(f"plan.json: {fragment}", message)
        self.assertNotIn("\n", message)

    def test_the_document(self) -> None:
        doc = self.doc
        self.assertEqual((SHARD_FILE_VERSION, "partitioner-shards", 2, 2),
                         (doc["format_version"], doc["kind"], doc["shard_count"], doc["concurrency"]))
        self.assertEqual(self.sharded.digest, self.doc["digest"])
        self.assertEqual([1, 2], [s["shard"] for s in self.doc["shards"]])
        self.assertTrue(dumps_plan_file(self.sharded).endswith("}\n"))

    def test_a_plain_plan_a_newer_version_and_garbage_are_refused(self) -> None:
        plain = plan_to_dict(plan_ids(self.IDS, 2, History(), make_grouper("class")).plan)
        self.refused(plain, "this is a plan for one machine")
        self.refused({**self.doc, "format_version": 2}, "format_version 2 is not 1")
        self.refused([1, 2], "the file is list")
        message = str(self.assertRaises(PlanFileError, parse_plan_file, b"{nope", "plan.json"))
        self.assertIn("plan.json: not JSON", message)

    def test_an_edited_split_is_refused(self) -> None:
        moved = json.loads(json.dumps(self.doc))
        stolen = moved["shards"][0]["plan"]["workers"][0]["tests"][0]
        moved["shards"][1]["plan"]["workers"][0]["tests"].append(stolen)
        self.refused(moved, f"{stolen} is in shard 1 and in shard 2")
        dropped = json.loads(json.dumps(self.doc))
        dropped["shards"][0]["plan"]["workers"][0]["tests"].pop()
        self.refused(dropped, "its digest does not match its shards")
        renumbered = json.loads(json.dumps(self.doc))
        renumbered["shards"][1]["shard"] = 3
        self.refused(renumbered, "shard 2 is numbered 3")
        wrong_type = json.loads(json.dumps(self.doc))
        wrong_type["concurrency"] = "2"
        self.refused(wrong_type, "the file: 'concurrency' is str, expected int")

    def test_no_password_reaches_the_file(self) -> None:
        sharded = dataclasses.replace(self.sharded, history=("postgresql://ci:Pw-9@db/h?upto=3", "t.json"))
        text = dumps_plan_file(sharded)
        self.assertNotIn("Pw-9", text)
        self.assertEqual(("postgresql://ci:***@db/h?upto=3", "t.json"), parse_plan_file(text, "p").history)

    def test_read_from_disk(self) -> None:
        path = self.dir / "plan.json"
        path.write_text(dumps_plan_file(self.sharded))
        self.assertEqual(self.sharded.digest, read_plan_file(path).digest)
        missing = str(self.assertRaises(PlanFileError, read_plan_file, self.dir / "none.json"))
        self.assertIn("no such plan file", missing)


def slow_class0(ids: list[str], start: float) -> Run:
    """A serial run where Class0's tests take 50 s each and the others 1 s."""
    clock, records = start, []
    for test_id in ids:
        seconds = 50.0 if ".Class0." in test_id else 1.0
        records.append(TestRecord(test_id, "success", clock, clock + seconds, "worker-0", frozenset({"worker-0"})))
        clock += seconds
    return Run(f"slow-{start}", tuple(records))


class TestJobsAgree(testtools.TestCase):
    """M jobs that each plan the whole split from the same pinned store agree, while others push."""

    def test_pinned_store_jobs_agree_shard_for_shard(self) -> None:
        tmp = Path(self.useFixture(fixtures.TempDir()).path)
        url = f"sqlite:///{tmp / 'history.db'}"
        ids = [f"pkg.mod{c % 2}.Class{c}.test_{t}" for c in range(6) for t in range(4)]
        with open_store(url) as store:
            store.push_run(make_run(1, start=1_700_000_000.0))
        [pinned] = pin_sources([url])
        digests, unions = set(), []
        for job in range(3):
            with open_store(url) as store:  # another job pushes between the jobs' reads: Class0 got slow
                store.push_run(slow_class0(ids, 1_700_000_000.0 + 1000 * (job + 1)))
            history = load_history([pinned], purpose="plan", strict=True)
            planned = plan_ids(ids, 2, history, make_grouper("class"))
            sharded = split_shards(planned.groups, planned.serial_groups, planned.model, 3, 2, get_strategy(None),
                                   "class", history=(redact(pinned),))
            digests.add(sharded.digest)
            unions.extend(sharded.shard(job + 1).tests)
        self.assertEqual(1, len(digests))
        self.assertEqual(sorted(ids), sorted(unions))
        unpinned = [split_shards(p.groups, p.serial_groups, p.model, 3, 2, get_strategy(None), "class").digest
                    for p in (plan_ids(ids, 2, load_history([u], purpose="plan"), make_grouper("class"))
                              for u in (pinned, url))]
        self.assertNotEqual(unpinned[0], unpinned[1])  # without the pin a later job may split differently
