"""Tests for partitioner.races.order: what ran before a failed class in its test process, and the search for the
fewest earlier tests that make it fail, driven against a simulated test process."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import testtools
from hypothesis import given, settings
from hypothesis import strategies as st

from partitioner.history.model import Run, TestRecord
from partitioner.history.summary import Lanes
from partitioner.races.before import OrderSuspect, order_suspects
from partitioner.races.order import Bisect, OrderBounds, OrderTrial
from tests.builders import rec, run

V = "pkg.m.VTest"
W = "pkg.m.WTest"


def k(i: int) -> str:
    return f"pkg.m.K{i}Test"


def lane(worker: str, classes: Sequence[str], start: float = 0.0, failed: Sequence[str] = (),
         tests: int = 2) -> list[TestRecord]:
    """``classes`` one after another on ``worker``, ``tests`` tests each, one second per test; the classes in
    ``failed`` fail every test."""
    records = []
    at = start
    for klass in classes:
        for n in range(tests):
            records.append(rec(f"{klass}.test_{n}", worker, at, at + 1.0, "fail" if klass in failed else "success"))
            at += 1.0
    return records


Rule = Mapping[str, frozenset[str]]


def process(rule: Rule, repairs: frozenset[str] = frozenset()) -> Callable[[OrderTrial], frozenset[str]]:
    """A simulated test process: class ``c`` fails when every test of ``rule[c]`` ran before it in the process
    (and no test of ``repairs`` ran since the last of them)."""
    def run_trial(trial: OrderTrial) -> frozenset[str]:
        ran: set[str] = set()
        failed: set[str] = set()
        for unit in trial.sequence:
            if unit.klass in rule and rule[unit.klass] <= ran:
                failed.add(unit.klass)
            for test in unit.tests:
                ran.add(test)
                if test in repairs:
                    ran.clear()
        return frozenset(failed)
    return run_trial


def search(suspects: Sequence[OrderSuspect], oracle: Callable[[OrderTrial], frozenset[str]],
           bounds: OrderBounds | None = None, most: int = 500) -> tuple[Bisect, list[OrderTrial]]:
    bisect = Bisect(suspects, bounds or OrderBounds())
    trials: list[OrderTrial] = []
    while (trial := bisect.next_trial()) is not None:
        trials.append(trial)
        assert len(trials) <= most, "the search does not end"
        bisect.record(trial, oracle(trial))
    return bisect, trials


class TestWhatRanBefore(testtools.TestCase):
    def test_the_stretches_before_a_failed_class_on_its_worker(self) -> None:
        failing = run(*lane("worker-0", [k(0), k(1), V], failed=[V]), *lane("worker-1", [k(2), k(3)]),
                      run_id=".stestr/1", order=1)
        (suspect,) = order_suspects(failing)
        self.assertEqual((V, "worker-0"), (suspect.klass, suspect.worker))
        self.assertEqual([k(0), k(1)], [s.klass for s in suspect.before])
        self.assertEqual((f"{V}.test_0", f"{V}.test_1"), suspect.failed)
        self.assertEqual((4, (k(1), k(0))), (suspect.tests, suspect.classes))  # nearest first
        self.assertEqual((), suspect.passed)

    def test_classes_before_it_where_it_passed_are_cleared(self) -> None:
        good = run(*lane("worker-0", [k(0), V]), *lane("worker-1", [k(1), k(2)]), run_id=".stestr/0", order=0)
        serial = run(*lane("worker-0", [k(2), V, k(0), k(1)]), run_id=".stestr/2", order=2)
        failing = run(*lane("worker-1", [k(0), k(1), k(2), V], failed=[V]), *lane("worker-0", [k(3)]),
                      run_id=".stestr/1", order=1)
        (suspect,) = order_suspects(failing, [good, failing, serial])
        self.assertEqual(("0", "2"), suspect.passed)
        self.assertEqual(frozenset({k(0), k(2)}), suspect.cleared)
        self.assertEqual((k(1),), suspect.fresh)

    def test_a_failed_setupclass_is_the_class_s_stretch(self) -> None:
        failing = run(*lane("worker-0", [k(0)]), rec(f"setUpClass ({V})", "worker-0", 2.0, 2.0, "fail"),
                      *lane("worker-0", [k(1)], start=2.1), *lane("worker-1", [k(2)]))
        (suspect,) = order_suspects(failing)
        self.assertEqual((V, (), (V,)), (suspect.own.klass, suspect.own.tests, suspect.own.failed))
        self.assertEqual([k(0)], [s.klass for s in suspect.before])
        passing = run(*lane("worker-0", [V, k(0)]), *lane("worker-1", [k(1)]), run_id="p")
        (suspect,) = order_suspects(failing, [passing])
        self.assertEqual(("p",), suspect.passed)

    def test_where_a_class_first_failed(self) -> None:
        # a class retried on another lane (dynamic dispatch after a crash): the stretch where it failed first counts
        both = run(*lane("worker-0", [k(0), V], failed=[V]), *lane("worker-1", [k(1), k(2), V], start=0.5))
        self.assertEqual(("worker-0", 1), Lanes(both).at(V))
        self.assertEqual(("worker-1", 1), Lanes(both).at(k(2)))


def split_run() -> Run:
    """A suite split per test (no group_regex): V's tests ran on two workers and failed on both, on worker-1 in two
    stretches."""
    return run(rec(f"{k(0)}.test_0", "worker-0", 0, 1), rec(f"{V}.test_0", "worker-0", 1, 2, "fail"),
               rec(f"{V}.test_1", "worker-0", 2, 3, "fail"),
               rec(f"{k(1)}.test_0", "worker-1", 0, 1), rec(f"{k(2)}.test_0", "worker-1", 1, 2),
               rec(f"{V}.test_2", "worker-1", 2, 3, "fail"), rec(f"{k(3)}.test_0", "worker-1", 3, 4),
               rec(f"{V}.test_3", "worker-1", 4, 5, "fail"), run_id=".stestr/1", order=1)


class TestSplitPerTest(testtools.TestCase):
    """A class whose tests ran on two workers failed in two test processes: each is judged on its own worker."""

    def test_a_class_is_a_suspect_on_each_worker_it_failed_on(self) -> None:
        on0, on1 = order_suspects(split_run())
        self.assertEqual((V, "worker-0", (f"{V}.test_0", f"{V}.test_1"), [k(0)]),
                         (on0.klass, on0.worker, on0.failed, [s.klass for s in on0.before]))
        self.assertEqual((V, "worker-1", (f"{V}.test_2", f"{V}.test_3"), [k(1), k(2)]),
                         (on1.klass, on1.worker, on1.failed, [s.klass for s in on1.before]))
        self.assertEqual(((f"{V}.test_2",), 2, (k(2), k(1))), (on1.own.tests, on1.tests, on1.classes))

    def test_a_class_is_cleared_where_it_ran_before_each_failed_test(self) -> None:
        # run p: test_2 after K1 on one worker, test_3 after K2 on the other: neither ran before both
        p = run(rec(f"{k(1)}.test_0", "worker-0", 0, 1), rec(f"{V}.test_2", "worker-0", 1, 2),
                rec(f"{k(2)}.test_0", "worker-1", 0, 1), rec(f"{V}.test_3", "worker-1", 1, 2), run_id="p")
        q = run(rec(f"{k(1)}.test_0", "worker-0", 0, 1), rec(f"{k(2)}.test_0", "worker-0", 1, 2),
                rec(f"{V}.test_2", "worker-0", 2, 3), rec(f"{V}.test_3", "worker-0", 3, 4),
                rec(f"{V}.test_0", "worker-1", 0, 1), run_id="q")
        on1 = order_suspects(split_run(), [p])[1]
        self.assertEqual((("p",), frozenset(), (k(2), k(1))), (on1.passed, on1.cleared, on1.fresh))
        on1 = order_suspects(split_run(), [p, q])[1]
        self.assertEqual((("p", "q"), frozenset({k(1), k(2)}), ()), (on1.passed, on1.cleared, on1.fresh))

    def test_each_worker_is_replayed_and_bisected_on_its_own(self) -> None:
        polluters = {f"{k(0)}.test_0", f"{k(2)}.test_0"}

        def oracle(trial: OrderTrial) -> frozenset[str]:
            ran: set[str] = set()
            for unit in trial.sequence:
                if unit.klass == V and ran & polluters:
                    return frozenset({V})
                ran.update(unit.tests)
            return frozenset()

        bisect, trials = search(order_suspects(split_run()), oracle)
        replays = [t for t in trials if t.purpose == "replay"]
        self.assertEqual([("worker-0", (V,)), ("worker-1", (V,))], [(t.worker, t.watch) for t in replays])
        self.assertEqual([("worker-0", "order-dependent", (k(0),), (1, 1)),  # a stretch of one test: its class
                          ("worker-1", "order-dependent", (k(2),), (1, 1))],
                         [(v.worker, v.outcome, v.polluters, v.replayed) for v in bisect.verdicts()])


def suspects_of(failing: Run, history: Sequence[Run] = ()) -> tuple[OrderSuspect, ...]:
    return order_suspects(failing, history)


class TestBisect(testtools.TestCase):
    def test_one_polluting_test_among_many(self) -> None:
        classes = [k(i) for i in range(40)]
        failing = run(*lane("worker-0", [*classes, V], failed=[V], tests=3), *lane("worker-1", [W]))
        oracle = process({V: frozenset({f"{k(23)}.test_1"})})
        bisect, trials = search(suspects_of(failing), oracle)
        (verdict,) = bisect.verdicts()
        self.assertEqual(("order-dependent", (f"{k(23)}.test_1",), "test"),
                         (verdict.outcome, verdict.polluters, verdict.level))
        self.assertEqual(((3, 3), (1, 1), (0, 2)), (verdict.reproduced, verdict.replayed, verdict.alone))
        self.assertEqual(["replay", "alone", "alone"], [t.purpose for t in trials[:3]])
        self.assertLess(len(trials), 30)  # ddmin: about 2 log2(40) class trials, then 2 log2(3) test trials
        self.assertTrue(all(t.sequence[-1].klass == V for t in trials))

    def test_two_tests_that_pollute_only_together(self) -> None:
        classes = [k(i) for i in range(16)]
        failing = run(*lane("worker-0", [*classes, V], failed=[V]), *lane("worker-1", [W]))
        needed = frozenset({f"{k(2)}.test_0", f"{k(11)}.test_1"})
        bisect, _ = search(suspects_of(failing), process({V: needed}))
        (verdict,) = bisect.verdicts()
        self.assertEqual(("order-dependent", (f"{k(2)}.test_0", f"{k(11)}.test_1")),
                         (verdict.outcome, verdict.polluters))

    def test_a_test_that_repairs_the_state_is_not_needed(self) -> None:
        classes = [k(i) for i in range(10)]
        failing = run(*lane("worker-0", [*classes, V], failed=[V]), *lane("worker-1", [W]))
        oracle = process({V: frozenset({f"{k(7)}.test_0"})}, repairs=frozenset({f"{k(3)}.test_0"}))
        bisect, _ = search(suspects_of(failing), oracle)
        self.assertEqual((f"{k(7)}.test_0",), bisect.verdicts()[0].polluters)

    def test_fails_alone(self) -> None:
        failing = run(*lane("worker-0", [k(0), V], failed=[V]), *lane("worker-1", [W]))
        bisect, trials = search(suspects_of(failing), process({V: frozenset()}))
        (verdict,) = bisect.verdicts()
        self.assertEqual(("fails alone", (1, 1)), (verdict.outcome, verdict.alone))
        self.assertEqual(["replay", "alone"], [t.purpose for t in trials])

    def test_a_replay_that_passes_is_not_reproduced(self) -> None:
        failing = run(*lane("worker-0", [k(0), V], failed=[V]), *lane("worker-1", [W]))
        bisect, trials = search(suspects_of(failing), process({}), OrderBounds(replays=3))
        (verdict,) = bisect.verdicts()
        self.assertEqual(("not reproduced", (0, 3)), (verdict.outcome, verdict.replayed))
        self.assertIn("passed in 3 replays of what ran before it on worker-0", verdict.note)
        self.assertEqual(["replay"] * 3, [t.purpose for t in trials])

    def test_nothing_before_it_and_it_passes_alone_is_flaky(self) -> None:
        failing = run(*lane("worker-0", [V], failed=[V]), *lane("worker-1", [W]))
        flaky = iter([frozenset({V})])
        bisect, _ = search(suspects_of(failing), lambda trial: next(flaky, frozenset()))
        (verdict,) = bisect.verdicts()
        self.assertEqual("not reproduced", verdict.outcome)
        self.assertIn("nothing ran before it on worker-0, and alone it passed 2 times", verdict.note)

    def test_a_result_that_does_not_reproduce(self) -> None:
        classes = [k(i) for i in range(4)]
        failing = run(*lane("worker-0", [*classes, V], failed=[V]), *lane("worker-1", [W]))
        real = process({V: frozenset({f"{k(1)}.test_0"})})
        bisect = Bisect(suspects_of(failing))
        while (trial := bisect.next_trial()) is not None:
            bisect.record(trial, frozenset() if trial.purpose == "check" else real(trial))
        (verdict,) = bisect.verdicts()
        self.assertEqual(("not reproduced", (0, 3)), (verdict.outcome, verdict.reproduced))
        self.assertIn(f"the search ended at {k(1)}.test_0, but that did not reproduce in 3 checks", verdict.note)

    def test_one_replay_per_worker_serves_every_suspect_on_it(self) -> None:
        failing = run(*lane("worker-0", [k(0), V, k(1), W], failed=[V, W]), *lane("worker-1", [k(2), k(3)]))
        oracle = process({V: frozenset({f"{k(0)}.test_1"}), W: frozenset({f"{k(1)}.test_0"})})
        bisect, trials = search(suspects_of(failing), oracle)
        self.assertEqual(1, sum(t.purpose == "replay" for t in trials))
        self.assertEqual((V, W), trials[0].watch)
        self.assertEqual([k(0), V, k(1), W], [u.klass for u in trials[0].sequence])
        self.assertEqual([("order-dependent", (f"{k(0)}.test_1",)), ("order-dependent", (f"{k(1)}.test_0",))],
                         [(v.outcome, v.polluters) for v in bisect.verdicts()])

    def test_a_polluter_found_once_is_tried_first_for_the_next_suspect(self) -> None:
        classes = [k(i) for i in range(30)]
        failing = run(*lane("worker-0", [*classes[:20], V, *classes[20:], W], failed=[V, W]),
                      *lane("worker-1", [k(99)]))
        polluter = frozenset({f"{k(5)}.test_0"})
        bisect, trials = search(suspects_of(failing), process({V: polluter, W: polluter}))
        after = [t for t in trials if t.watch == (W,)]
        self.assertEqual(["alone", "alone", "bisect", "check", "check", "check"], [t.purpose for t in after])
        self.assertEqual([f"{k(5)}.test_0"], [u.key for u in after[2].before])
        self.assertEqual((f"{k(5)}.test_0",), bisect.verdicts()[1].polluters)

    def test_a_polluter_found_for_many_does_not_push_the_others_out(self) -> None:
        # worker-0's suspects fail after K1, worker-1's after K7: three of worker-1's are searched between them
        w1 = [f"pkg.m.W{i}Test" for i in range(4)]
        failing = run(*lane("worker-0", [k(0), k(1), k(2), V], failed=[V]),
                      *lane("worker-1", [k(5), k(6), k(7), *w1], failed=w1),
                      *lane("worker-0", [W], start=20.0, failed=[W]))
        rule = {V: frozenset({f"{k(1)}.test_0"}), W: frozenset({f"{k(1)}.test_0"}),
                **{c: frozenset({f"{k(7)}.test_1"}) for c in w1}}
        ordered = sorted(suspects_of(failing), key=lambda s: [V, *w1, W].index(s.klass))
        bisect, trials = search(ordered, process(rule), OrderBounds(known=2))
        after = [t for t in trials if t.watch == (W,) and t.purpose == "bisect"]
        self.assertEqual([f"{k(1)}.test_0"], [u.key for u in after[0].before])
        self.assertEqual((f"{k(1)}.test_0",), bisect.verdicts()[-1].polluters)

    def test_the_fresh_classes_are_the_first_guess(self) -> None:
        classes = [k(i) for i in range(30)]
        failing = run(*lane("worker-0", [*classes, V], failed=[V]), *lane("worker-1", [W]), run_id="f", order=1)
        passing = run(*lane("worker-0", [*classes[:25], V]), *lane("worker-1", [*classes[25:]]), run_id="p")
        (suspect,) = order_suspects(failing, [passing])
        self.assertEqual(tuple(reversed(classes[25:])), suspect.fresh)
        bisect, trials = search([suspect], process({V: frozenset({f"{k(27)}.test_1"})}))
        guess = trials[3]
        self.assertEqual(("bisect", classes[25:]), (guess.purpose, [u.klass for u in guess.before]))
        self.assertEqual((f"{k(27)}.test_1",), bisect.verdicts()[0].polluters)

    def test_a_stop_leaves_the_rest_not_tried(self) -> None:
        failing = run(*lane("worker-0", [k(0), k(1), V, W], failed=[V, W]), *lane("worker-1", [k(2)]))
        bisect = Bisect(suspects_of(failing))
        oracle = process({V: frozenset({f"{k(1)}.test_0"}), W: frozenset({f"{k(1)}.test_0"})})
        for _ in range(3):
            trial = bisect.next_trial()
            assert trial is not None
            bisect.record(trial, oracle(trial))
        bisect.stop("the budget (1m) ran out")
        self.assertIsNone(bisect.next_trial())
        verdicts = bisect.verdicts()
        self.assertEqual(["not tried", "not tried"], [v.outcome for v in verdicts])
        self.assertIn("the budget (1m) ran out", verdicts[0].note)

    def test_record_takes_only_the_trial_it_gave(self) -> None:
        failing = run(*lane("worker-0", [k(0), V], failed=[V]), *lane("worker-1", [W]))
        bisect = Bisect(suspects_of(failing))
        trial = bisect.next_trial()
        assert trial is not None
        self.assertEqual(trial, bisect.next_trial())  # asked twice, the same trial
        bisect.record(trial, frozenset({V}))
        self.assertRaises(ValueError, bisect.record, trial, frozenset({V}))

    @settings(max_examples=60, deadline=None)
    @given(st.integers(min_value=1, max_value=25), st.data())
    def test_the_result_always_makes_it_fail_and_is_minimal(self, count: int, data: st.DataObject) -> None:
        classes = [k(i) for i in range(count)]
        tests = [f"{c}.test_{n}" for c in classes for n in range(2)]
        needed = frozenset(data.draw(st.sets(st.sampled_from(tests), min_size=1, max_size=3)))
        failing = run(*lane("worker-0", [*classes, V], failed=[V]), *lane("worker-1", [W]))
        oracle = process({V: needed})
        bisect, _ = search(suspects_of(failing), oracle)
        (verdict,) = bisect.verdicts()
        self.assertEqual("order-dependent", verdict.outcome)
        self.assertEqual(needed, frozenset(verdict.polluters))  # a monotone oracle: ddmin finds exactly the set
        self.assertEqual(sorted(verdict.polluters, key=tests.index), list(verdict.polluters))  # in run order
