"""Tests for partitioner.races.windows: extended windows, the forward reach of an empty window, the indexes."""

from __future__ import annotations

import testtools

from partitioner.races import diagnose
from partitioner.races.windows import Timeline
from tests.builders import A, B, C, D, rec, run


class TestWindows(testtools.TestCase):
    def test_stestr_setupclass_failure_at_a_workers_start_gets_the_window_up_to_its_next_test(self) -> None:
        # stestr records a failed setUpClass as a pseudo-test whose start equals its stop; here it is the
        # run's first event, so the window behind it is empty. B (the holder) started its first test just
        # after and ran on: it must be a partner; D ran after B, once C had started on worker-0.
        failed = run(rec(f"setUpClass ({A})", "worker-0", 1.0, 1.0, "fail"),
                     rec(f"{C}.test_1", "worker-0", 1.5, 2.0),
                     rec(f"{B}.test_1", "worker-1", 1.05, 1.6),
                     rec(f"{D}.test_1", "worker-1", 1.7, 1.9))
        timeline = Timeline(failed, frozenset())
        (span,) = timeline.of(A, "class")
        self.assertEqual((1.0, 1.5), (span.start, span.stop))
        diagnosis = diagnose(failed)
        (klass,) = diagnosis.classes
        self.assertEqual(A, klass.test)
        self.assertEqual([B], [p.test for p in klass.partners])
        self.assertAlmostEqual(0.5, klass.partners[0].overlap_s)
        (test,) = diagnosis.tests
        self.assertEqual(f"setUpClass ({A})", test.test)
        self.assertEqual([f"{B}.test_1"], [p.test for p in test.partners])

    def test_an_empty_window_with_nothing_after_it_reaches_to_the_end_of_the_run(self) -> None:
        failed = run(rec(f"setUpClass ({A})", "worker-0", 1.0, 1.0, "fail"),
                     rec(f"{B}.test_1", "worker-1", 1.05, 3.0))
        (span,) = Timeline(failed, frozenset()).of(A, "class")
        self.assertEqual((1.0, 3.0), (span.start, span.stop))

    def test_lookups_by_test_class_and_overlap(self) -> None:
        parallel = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0), rec(f"{A}.test_2", "worker-0", 1.0, 2.0, "fail"),
                       rec(f"{B}.test_1", "worker-1", 0.0, 0.5), rec(f"{B}.test_2", "worker-1", 2.5, 3.0),
                       rec(f"{C}.test_1", "worker-2", 0.2, 1.1))
        timeline = Timeline(parallel, frozenset())
        self.assertEqual([f"{A}.test_1", f"{A}.test_2"], [s.test for s in timeline.of(A, "class")])
        self.assertEqual((), tuple(timeline.of(D, "class")))
        self.assertTrue(timeline.has(f"{A}.test_2", "test"))
        self.assertFalse(timeline.has(D, "class"))
        window = timeline.window(A, "class", frozenset())
        self.assertEqual([f"{A}.test_2"], [s.test for s in window])  # where the failures began
        # A.test_2's window is 1.0-2.0: B.test_2's (0.5-3.0) covers it, C.test_1's (0.0-1.1) touches 0.1 of it
        near = timeline.beside(window, "class")
        self.assertEqual({B, C}, set(near))
        self.assertAlmostEqual(1.0, near[B])
        self.assertAlmostEqual(0.1, near[C])
