"""Tests for partitioner.dispatch.choice: when a queue of single small tests runs the static plan instead."""

from __future__ import annotations

import testtools

from partitioner.config import DEFAULT, Choice
from partitioner.dispatch.choice import MEASURED_SHARE, SMALL_TEST_S, off_note, small_tests_reason
from partitioner.dispatch.queue import BATCH_ABOVE_PER_LANE


class TestSmallTestsRule(testtools.TestCase):
    def test_single_small_measured_tests_keep_the_static_plan_and_say_why(self) -> None:
        reason = small_tests_reason([1] * 1000, [0.0016] * 1000, measured=1000, has_history=True)
        assert reason is not None
        self.assertIn("1,000 tests one at a time", reason)
        self.assertIn("median 1.6 ms", reason)

    def test_one_test_reads_in_the_singular(self) -> None:
        # `stestr run --failing` with one failing test, as a sweep of OpenStack suites saw it ("1 tests")
        reason = small_tests_reason([1], [0.001], measured=1, has_history=True)
        self.assertEqual("the queue would hand out 1 test and the history prices it small (1.0 ms, under 50 ms): a "
                         "hand-out would cost about as much as the test, so its worker is fixed before the run "
                         "instead", reason)

    def test_the_median_decides_not_a_few_long_tests(self) -> None:
        costs = [0.002] * 99 + [30.0]
        self.assertIsNotNone(small_tests_reason([1] * 100, costs, measured=100, has_history=True))

    def test_tests_at_or_above_the_threshold_stay_dynamic(self) -> None:
        self.assertIsNone(small_tests_reason([1] * 10, [SMALL_TEST_S] * 10, measured=10, has_history=True))
        self.assertIsNotNone(small_tests_reason([1] * 10, [SMALL_TEST_S * 0.99] * 10, measured=10,
                                                has_history=True))

    def test_groups_of_several_tests_stay_dynamic(self) -> None:
        self.assertIsNone(small_tests_reason([1, 1, 2], [0.001, 0.001, 0.002], measured=4, has_history=True))

    def test_without_history_it_cannot_judge_and_stays_dynamic(self) -> None:
        self.assertIsNone(small_tests_reason([1] * 10, [1.0] * 10, measured=0, has_history=False))

    def test_without_history_a_per_test_queue_of_batches_runs_static(self) -> None:
        many = BATCH_ABOVE_PER_LANE * 2 + 1  # more than the queue hands out one by one on 2 lanes
        reason = small_tests_reason([1] * many, [1.0] * many, measured=0, has_history=False, lanes=2)
        assert reason is not None
        self.assertIn(f"{many} tests", reason)
        self.assertIn("no history", reason)
        self.assertIsNone(small_tests_reason([1] * (many - 1), [1.0] * (many - 1), measured=0, has_history=False,
                                             lanes=2))  # few enough to hand out one at a time: dynamic
        self.assertIsNone(small_tests_reason([1] * many, [1.0] * many, measured=0, has_history=False, lanes=3))

    def test_without_history_classes_and_serial_groups_stay_dynamic(self) -> None:
        many = BATCH_ABOVE_PER_LANE * 4
        self.assertIsNone(small_tests_reason([2] * many, [2.0] * many, measured=0, has_history=False, lanes=2))
        self.assertIsNone(small_tests_reason([1] * many, [1.0] * many, measured=0, has_history=False, lanes=2,
                                             serial_groups=1))

    def test_new_tests_the_history_never_saw_keep_dynamic_dispatch(self) -> None:
        # a new user's debtcollector: 54 measured tests of 0.2 ms, 10 new ones of a second each (priced at the
        # suite's mean, so the static plan put all ten on one worker)
        costs = [0.0002] * 54 + [0.0002] * 10
        self.assertIsNone(small_tests_reason([1] * 64, costs, measured=54, has_history=True))
        # a change under review in a large suite: a few new tests among thousands keep the static plan
        self.assertIsNotNone(small_tests_reason([1] * 18242, [0.0016] * 18242, measured=18237, has_history=True))

    def test_a_history_that_measured_too_few_tests_stays_dynamic(self) -> None:
        few = int(MEASURED_SHARE * 100) - 1
        self.assertIsNone(small_tests_reason([1] * 100, [0.001] * 100, measured=few, has_history=True))
        self.assertIsNotNone(small_tests_reason([1] * 100, [0.001] * 100, measured=few + 1, has_history=True))

    def test_serial_groups_keep_dynamic_dispatch_which_runs_them_alone(self) -> None:
        self.assertIsNone(small_tests_reason([1] * 10, [0.001] * 10, measured=10, has_history=True,
                                             serial_groups=1))

    def test_an_empty_queue_has_nothing_to_decide(self) -> None:
        self.assertIsNone(small_tests_reason([], [], measured=0, has_history=True))

    def test_the_note_gives_the_reason_and_names_the_flag_and_the_option(self) -> None:
        note = off_note("the tests are small")
        self.assertTrue(note.startswith("dynamic dispatch is off: the tests are small ("), note)
        self.assertIn("--dispatch dynamic", note)
        self.assertIn("dispatch = dynamic", note)

    def test_an_order_the_user_chose_is_said_not_to_apply_to_the_static_plan(self) -> None:
        # `--dispatch-order cost` was silently ignored when a queue of small single tests kept the static plan
        for where in ("--dispatch-order", "[partitioner] in /p/tox.ini"):
            note = off_note("the tests are small", Choice("cost", where))
            self.assertEqual(f"dynamic dispatch is off: the tests are small; so the dispatch order cost ({where}) "
                             "does not apply, as it orders dynamic dispatch's queue (`--dispatch dynamic` or "
                             "`dispatch = dynamic` forces dynamic dispatch, and the order with it)", note)
        # the default order was nobody's choice: nothing to say about it
        self.assertEqual(off_note("the tests are small"), off_note("the tests are small", Choice("lookahead", DEFAULT)))
