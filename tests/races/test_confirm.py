"""Tests for partitioner.races.confirm: the trials --confirm runs, and the verdicts, against small simulated suites."""

from __future__ import annotations

from collections.abc import Callable

import testtools

from partitioner.races.confirm import Bounds, Confirmation, Search, Trial, Tried
from partitioner.races.shortlist import Candidates

F, P1, P2, P3 = "pkg.f.FTest", "pkg.p.P1Test", "pkg.p.P2Test", "pkg.p.P3Test"
World = Callable[[tuple[str, ...]], frozenset[str]]


def world(races: dict[tuple[str, str], str] | None = None, broken: frozenset[str] = frozenset()) -> World:
    """A suite: ``races`` maps a racing pair to the class that loses when both run; ``broken`` classes always fail."""
    def outcome(classes: tuple[str, ...]) -> frozenset[str]:
        failed = set(broken & set(classes))
        for (a, b), loser in (races or {}).items():
            if a in classes and b in classes:
                failed.add(loser)
        return frozenset(failed)
    return outcome


def drive(search: Search, suite: World, limit: int | None = None) -> list[Trial]:
    trials: list[Trial] = []
    while (trial := search.next_trial()) is not None:
        if limit is not None and len(trials) == limit:
            search.stop("the budget ran out")
            break
        trials.append(trial)
        search.record(trial, suite(trial.classes))
    return trials


def one(search: Search) -> Confirmation:
    (found,) = search.verdicts()
    return found


class TestSearch(testtools.TestCase):
    def test_the_candidate_that_reproduces_is_confirmed_after_one_round(self) -> None:
        search = Search([Candidates(F, F, (P1, P2, P3))])
        trials = drive(search, world({(F, P2): F}))
        self.assertEqual([((F,), "alone"), ((F,), "alone"), ((F, P1), "pair"), ((F, P2), "pair"), ((F, P3), "pair")],
                         [(t.classes, t.purpose) for t in trials])
        found = one(search)
        self.assertEqual("confirmed", found.verdict)
        self.assertEqual((Tried(P1, 0, 1), Tried(P2, 1, 1), Tried(P3, 0, 1)), found.tried)
        self.assertEqual((Tried(P2, 1, 1),), found.confirmed)
        self.assertEqual(((0, 2), ()), (found.alone, found.untried))
        self.assertEqual({(F, P1): (0, 1), (F, P2): (1, 1), (F, P3): (0, 1)}, dict(search.pairs()))

    def test_when_the_partner_loses_it_must_pass_alone_to_count(self) -> None:
        search = Search([Candidates(F, F, (P1, P2))])
        trials = drive(search, world({(F, P1): P1}))
        self.assertEqual([(F,), (F,), (F, P1), (P1,), (P1,), (F, P2)], [t.classes for t in trials])
        self.assertEqual(("confirmed", (Tried(P1, 1, 1), Tried(P2, 0, 1))), (one(search).verdict, one(search).tried))

    def test_a_partner_that_fails_alone_is_no_evidence(self) -> None:
        search = Search([Candidates(F, F, (P1,))], Bounds(tries=2))
        trials = drive(search, world(broken=frozenset({P1})))
        self.assertEqual([(F,), (F,), (F, P1), (P1,), (F, P1)], [t.classes for t in trials])  # P1 alone once
        self.assertEqual(("not reproduced", (Tried(P1, 0, 2),)), (one(search).verdict, one(search).tried))

    def test_a_class_that_fails_alone_is_no_race(self) -> None:
        search = Search([Candidates(F, F, (P1, P2))])
        trials = drive(search, world(broken=frozenset({F})))
        self.assertEqual([(F,)], [t.classes for t in trials])
        found = one(search)
        self.assertEqual(("fails alone", (1, 1), (), ()), (found.verdict, found.alone, found.tried, found.untried))

    def test_nothing_reproduces_later_rounds_try_every_candidate_side_by_side(self) -> None:
        search = Search([Candidates(F, F, (P1, P2, P3))], Bounds(tries=3))
        trials = drive(search, world())
        self.assertEqual(["alone", "alone", "pair", "pair", "pair", "side by side", "side by side"],
                         [t.purpose for t in trials])
        self.assertEqual((F, P1, P2, P3), trials[-1].classes)
        found = one(search)
        self.assertEqual(("not reproduced", (Tried(P1, 0, 3), Tried(P2, 0, 3), Tried(P3, 0, 3))),
                         (found.verdict, found.tried))

    def test_side_by_side_falls_back_to_pairs_for_what_failed(self) -> None:
        # P2 and P3 race each other, not F: side by side one of them fails, so it is tried as a pair
        search = Search([Candidates(F, F, (P1, P2, P3))], Bounds(tries=2))
        trials = drive(search, world({(P2, P3): P3}))
        self.assertEqual([((F, P1, P2, P3), "side by side"), ((F, P3), "pair")],
                         [(t.classes, t.purpose) for t in trials[5:]])
        self.assertEqual((Tried(P1, 0, 2), Tried(P2, 0, 2), Tried(P3, 0, 2)), one(search).tried)

    def test_a_later_round_that_reproduces_tries_every_candidate_as_a_pair(self) -> None:
        flaky = {"n": 0}

        def suite(classes: tuple[str, ...]) -> frozenset[str]:
            if F in classes and P3 in classes:  # reproduces from the third try on
                flaky["n"] += 1
                return frozenset({F}) if flaky["n"] >= 3 else frozenset()
            return frozenset()
        search = Search([Candidates(F, F, (P1, P2, P3))])
        trials = drive(search, suite)
        # round 3: F failed beside all three; the halves say which: P1 and P2 together are clean, P3 reproduces
        self.assertEqual([(F, P1, P2, P3), (F, P1, P2, P3), (F, P1, P2), (F, P3)], [t.classes for t in trials[5:]])
        found = one(search)
        self.assertEqual(("confirmed", (Tried(P1, 0, 3), Tried(P2, 0, 3), Tried(P3, 1, 3))),
                         (found.verdict, found.tried))

    def test_the_budget_leaves_the_rest_untried(self) -> None:
        search = Search([Candidates(F, F, (P1, P2, P3)), Candidates(f"{P1}.test_1", P1, (F,))])
        drive(search, world({(F, P2): F}), limit=3)
        first, second = search.verdicts()
        self.assertEqual(("not reproduced", (Tried(P1, 0, 1),), (P2, P3), "the budget ran out"),
                         (first.verdict, first.tried, first.untried, first.note))
        self.assertEqual(("not tried", (F,)), (second.verdict, second.untried))

    def test_known_no_race_runs_nothing(self) -> None:
        search = Search([Candidates(F, F, (P1,), no_race="it also failed in 1 serial run")])
        self.assertIsNone(search.next_trial())
        self.assertEqual(("no race", "it also failed in 1 serial run"), (one(search).verdict, one(search).note))

    def test_a_class_run_alone_once_is_not_run_alone_again(self) -> None:
        search = Search([Candidates(F, F, (P1,)), Candidates(P1, P1, (F,))])
        trials = drive(search, world({(F, P1): P1}))
        self.assertEqual([(F,), (F,), (F, P1), (P1,), (P1,), (P1, F)], [t.classes for t in trials])
        self.assertEqual(["confirmed", "confirmed"], [c.verdict for c in search.verdicts()])

    def test_when_the_best_do_not_reproduce_the_others_are_tried_side_by_side_and_halved(self) -> None:
        others = tuple(f"pkg.q.Q{i}Test" for i in range(5))
        search = Search([Candidates(F, F, (P1, P2, *others), first=2)])
        trials = drive(search, world({(F, others[3]): F}))
        self.assertEqual([((F,), "alone"), ((F,), "alone"), ((F, P1), "pair"), ((F, P2), "pair"),
                          ((F, *others), "side by side"),  # F fails: which one?
                          ((F, *others[:3]), "side by side"), ((F, *others[3:]), "side by side"),
                          ((F, others[3]), "pair"), ((F, others[4]), "pair")],
                         [(t.classes, t.purpose) for t in trials])
        found = one(search)
        self.assertEqual("confirmed", found.verdict)
        self.assertEqual((Tried(others[3], 1, 1),), found.confirmed)
        self.assertEqual([1] * 7, [t.tries for t in found.tried])  # each candidate counted once in the round
        self.assertEqual((), found.untried)  # all were needed here

    def test_side_by_side_trials_are_at_most_width_wide(self) -> None:
        others = tuple(f"pkg.q.Q{i}Test" for i in range(5))
        search = Search([Candidates(F, F, others, first=0)], Bounds(tries=1, width=2))
        trials = drive(search, world())
        self.assertEqual([(F,), (F,), (F, *others[:2]), (F, *others[2:4]), (F, others[4])], [t.classes for t in trials])
        self.assertEqual("not reproduced", one(search).verdict)

    def test_no_candidates(self) -> None:
        search = Search([Candidates(F, F, ())])
        self.assertEqual(2, len(drive(search, world())))
        self.assertEqual(("not reproduced", "no partner of another class ran beside it"),
                         (one(search).verdict, one(search).note))


class TestReplay(testtools.TestCase):
    def test_pairs_replay_the_runs_offsets_first_then_start_at_once(self) -> None:
        # in the diagnosed run F's window began 0.5s after P1's class and 0.3s before P2's
        search = Search([Candidates(F, F, (P1, P2), offsets={P1: 0.5, P2: -0.3})], Bounds(tries=3))
        trials = drive(search, world())
        self.assertEqual([((F, P1), (0.5, 0.0)), ((F, P2), (0.0, 0.3)),  # round 1: pairs, replayed
                          ((F, P1, P2), ()),  # round 2: side by side, at once
                          ((F, P1, P2), (0.5, 0.0, 0.8))],  # round 3: side by side, replayed
                         [(t.classes, t.delays) for t in trials[2:]])
        self.assertTrue(trials[2].replay)
        self.assertFalse(trials[4].replay)

    def test_a_replay_reproduces_what_a_start_at_once_does_not(self) -> None:
        timed: list[Trial] = []
        search = Search([Candidates(F, F, (P1,), offsets={P1: 0.4})], Bounds(tries=2))
        while (trial := search.next_trial()) is not None:
            timed.append(trial)
            # F fails only when it starts about 0.4s after P1, as in the run
            search.record(trial, frozenset({F}) if trial.delays and trial.delays[0] - trial.delays[1] > 0.3
                          else frozenset())
        self.assertEqual("confirmed", one(search).verdict)
        self.assertEqual(((F, P1), (0.4, 0.0)), (timed[-1].classes, timed[-1].delays))
