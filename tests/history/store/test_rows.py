"""What a run becomes in the store: exact round trips, the content key, samples as the estimator takes them."""

from __future__ import annotations

import dataclasses

import testtools
from hypothesis import given, settings
from hypothesis import strategies as st

from partitioner.history.model import History, Run, Samples, TestRecord
from partitioner.history.samples import collect_samples, first_offsets, setup_gaps
from partitioner.history.store.rows import decode_record, encode_run, encode_samples
from partitioner.history.store.values import PlanHistory
from tests.history.store.helpers import make_run

_micros = st.one_of(st.none(), st.integers(1_000_000_000_000_000, 2_000_000_000_000_000))
_records = st.lists(st.tuples(st.sampled_from(["a.B.test_1", "a.B.test_2[x,y]", "c.D.test(s)"]),
                              st.sampled_from(["success", "fail", "skip", "xfail", "inprogress", "exists"]),
                              _micros, _micros, st.sampled_from([None, "worker-0", "worker-12"]),
                              st.frozensets(st.sampled_from(["smoke", "worker-0", "tag-x"]), max_size=2)),
                    max_size=12)


def _record(test_id: str, status: str, start: int | None, stop: int | None, worker: str | None,
            tags: frozenset[str]) -> TestRecord:
    """A record as python-subunit gives it: microsecond timestamps, the worker tag among the tags."""
    return TestRecord(test_id, status, None if start is None else start / 10**6,
                      None if stop is None else stop / 10**6, worker, tags | ({worker} if worker else set()))


class TestRoundTrip(testtools.TestCase):
    @settings(max_examples=80, deadline=None)
    @given(_records)
    def test_records_come_back_bit_identical(self, items: list[tuple]) -> None:  # type: ignore[type-arg]
        run = Run("r", tuple(_record(*item) for item in items))
        encoded = encode_run(run)
        back = tuple(decode_record(r.test_id, r.status, r.start_us, r.stop_us, r.worker, r.tags, encoded.t0_us)
                     for r in encoded.results)
        self.assertEqual(run.records, back)


class TestContentKey(testtools.TestCase):
    def test_same_results_in_another_order_or_name_are_one_run(self) -> None:
        run = make_run(3)
        shuffled = Run("elsewhere", tuple(reversed(run.records)), order=9)
        self.assertEqual(encode_run(run).content_key, encode_run(shuffled).content_key)

    def test_any_change_of_a_result_is_another_run(self) -> None:
        run = make_run(3)
        first = run.records[0]
        for changed in (dataclasses.replace(first, status="fail"), dataclasses.replace(first, stop=first.stop + 1e-6),
                        dataclasses.replace(first, worker="worker-9"), dataclasses.replace(first, test_id="x.Y.z")):
            other = Run(run.run_id, (changed, *run.records[1:]))
            self.assertNotEqual(encode_run(run).content_key, encode_run(other).content_key)

    def test_timing_files_are_keyed_by_content(self) -> None:
        a = Samples({"a.B.t": (1.0,)}, {}, ())
        self.assertEqual(encode_samples(a).content_key, encode_samples(Samples({"a.B.t": (1.0,)})).content_key)
        self.assertNotEqual(encode_samples(a).content_key, encode_samples(Samples({"a.B.t": (2.0,)})).content_key)


class TestSamples(testtools.TestCase):
    def test_the_samples_are_the_estimators_own(self) -> None:
        run = make_run(5, classes=8, workers=3)
        rows = encode_run(run).samples
        by_kind: dict[str, list[tuple[str, float]]] = {}
        for row in rows:
            by_kind.setdefault(row.kind, []).append((row.key, row.seconds))
        expected = collect_samples(History(runs=(run,)))
        passing: dict[str, list[float]] = {}
        for key, seconds in by_kind["test"]:
            passing.setdefault(key, []).append(seconds)
        self.assertEqual({k: tuple(v) for k, v in passing.items()}, dict(expected.tests))
        self.assertEqual(setup_gaps(run), by_kind["setup"])
        self.assertEqual(first_offsets(run), by_kind["first"])
        self.assertTrue(by_kind["other"])

    def test_plan_history_folds_what_samples_cannot_hold(self) -> None:
        got = PlanHistory(passing={"a.B.t1": (1.0,)}, other={"a.B.t2": (0.1,)}, setup={"a.B": (2.0,)},
                          first={"a.C": (0.5,)}, startup=(0.3,), upto=4, runs=4, source="sqlite:////x.db")
        samples = got.samples()
        self.assertEqual({"a.B.t1": (1.0,), "a.B.t2": (0.1,)}, dict(samples.tests))
        self.assertEqual({"a.B": (2.0,), "a.C": (0.5,)}, dict(samples.setup))
        history = got.to_history()
        self.assertEqual((samples,), history.samples)
        self.assertIn("store:sqlite:////x.db (runs up to 4: 4 runs", history.sources[0])
        self.assertTrue(PlanHistory(source="s").to_history().empty)
