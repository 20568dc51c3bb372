"""Tests for partitioner.races.shortlist: the partner classes --confirm tries, their replay offsets, how long a
class runs."""

from __future__ import annotations

import testtools

from partitioner.races.diagnosis import Partner, Suspect
from partitioner.races.shortlist import candidates, class_seconds, offsets
from partitioner.races.windows import Timeline
from tests.builders import rec, run
from tests.races.test_confirm import P1, P2, P3, F


class TestShortlist(testtools.TestCase):
    def test_candidates_come_from_the_ranking(self) -> None:
        suspect = Suspect(f"{F}.test_1", (Partner(f"{P1}.test_1", 0.9, 1.0, 1), Partner(f"{F}.test_2", 0.9, 1.0, 1),
                                          Partner(f"{P2}.test_1", 0.7, 1.0, 1), Partner(f"{P3}.test_1", 0.7, 1.0, 1),
                                          Partner(f"{P3}.test_2", 0.6, 1.0, 1), Partner("pkg.q.QTest.t", 0.5, 1, 1)))
        (found,) = candidates([suspect], 2, {F: ["pkg.z.ZTest"]})
        self.assertEqual((f"{F}.test_1", F), (found.suspect, found.klass))
        # the best: P1, P2 and P3 tied with P2, then the configured pair; then the rest
        self.assertEqual(((P1, P2, P3, "pkg.z.ZTest"), ("pkg.q.QTest",)), (found.best, found.partners[4:]))
        (capped,) = candidates([suspect], 1, most=2)
        self.assertEqual((P1, P2), capped.partners)

    def test_offsets_come_from_the_diagnosed_run(self) -> None:
        diagnosed = run(rec(f"{P1}.test_1", "worker-1", 0.0, 2.0), rec(f"{P2}.test_1", "worker-2", 0.0, 0.5),
                        rec(f"{P2}.test_2", "worker-2", 0.9, 2.0),
                        rec(f"{P3}.test_1", "worker-0", 0.0, 0.6), rec(f"{F}.test_1", "worker-0", 0.8, 1.5, "fail"))
        found = offsets(Timeline(diagnosed, frozenset()), F, (P1, P2, "pkg.gone.GoneTest"))
        # F's window began at 0.6 (P3's stop on its worker); P1's and P2's classes began at 0.0
        self.assertEqual({P1: 0.6, P2: 0.6}, found)

    def test_class_seconds_count_from_the_previous_stop_and_keep_the_longest_run(self) -> None:
        first = run(rec(f"{P1}.test_1", "worker-0", 0.0, 1.0), rec(f"{P2}.test_1", "worker-0", 1.5, 2.0),
                    rec(f"{P2}.test_2", "worker-0", 2.0, 3.0), rec(f"{P3}.test_1", "worker-1", 0.5, 1.0),
                    run_id="a")
        second = run(rec(f"{P2}.test_1", "worker-0", 0.0, 4.0), rec("process-returncode", "worker-0", 4.0, 4.0),
                     run_id="b", order=1)
        # P2 in the first run: from P1's stop (1.0, its setUpClass time included) to 3.0; in the second, 4.0
        # from its first test's start; P1 and P3 from their first test's start
        self.assertEqual({P1: 1.0, P2: 4.0, P3: 0.5}, class_seconds([first, second]))
