"""The times testr keeps: the runner writes a test it fails for not running to its end so that testr stores, in
``.testrepository/times.dbm``, the time it held before the run.

testrepository times every test it stores (the timestamp of its result less that of its first event) into
``times.dbm``, and as it stores the run it writes its ``failing`` file through a second inserter that times each
failure again, from the stored run. A failure with no timestamps is no way out: testr then times it by its own clock
as it reads the events, and either way the entry becomes about 0 s, which testr's own scheduler (``testr run
--parallel``, a plain testr without the runner) takes for a measurement and piles such tests onto one worker. The
one thing both inserters write back unchanged is the time they find: so a test that never started (reason ``not
run: ...``) is written spanning its earlier time and ending when it was failed, and a test that started and was cut
short (a signal, its worker's death, a Ctrl-C in its own process: :func:`partitioner.statuses.unfinished`) spans its
earlier time from its start, or from as late as that still ends when it was failed. A test ``times.dbm`` holds no
time for (or 0 s) keeps its own timestamps: testr's failing inserter gives it an entry in any case (0 s for one that
never started, which partitioner's reader takes for no measurement; the time it ran for one cut short).

:class:`KeptTimes` reads the database once, read-only, on first use: only a run that fails tests for not running to
their end pays for it. partitioner's own history readers know these failures by their reasons
(:mod:`partitioner.history.samples`), not by their spans.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from partitioner.statuses import FAIL, NOT_RUN, reason_line, unfinished

#: where testr keeps its repository, in the directory it runs the test command in
REPOSITORY = ".testrepository"


class KeptTimes:
    """The durations a testr repository's ``times.dbm`` holds, by test id, read once on first use (see the module
    docstring); nothing when there is no database or it cannot be read."""

    def __init__(self, repository: Path) -> None:
        self.base = repository / "times.dbm"
        self._times: Mapping[str, float] | None = None
        self._lock = threading.Lock()

    def seconds(self, test_id: str) -> float | None:
        """The time ``times.dbm`` holds for ``test_id`` (more than 0 s), or ``None``."""
        with self._lock:
            if self._times is None:
                self._times = self._read()
            times = self._times
        from partitioner.testids import canonical

        return times.get(canonical(test_id))

    def _read(self) -> Mapping[str, float]:
        from partitioner.history.timesdbm import read_times_dbm, times_dbm_exists

        if not times_dbm_exists(self.base):
            return {}
        times, _ = read_times_dbm(self.base)  # an unreadable database: the tests keep their own timestamps
        return times

    def retimed(self, events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """One test's events, its first to its final status (``StreamResult.status`` keywords), with the timestamps
        that make testr store the time it holds for the test when the final status is a failure for not running to
        its end; otherwise (or with no time held) ``events`` unchanged."""
        events = list(events)
        final = events[-1] if events else {}
        end = final.get("timestamp")
        if final.get("test_status") != FAIL or not isinstance(end, datetime.datetime):
            return events
        line = reason_line(*_texts(events))
        if not unfinished(line):
            return events
        seconds = self.seconds(str(final.get("test_id")))
        if seconds is None:
            return events
        span = datetime.timedelta(microseconds=round(seconds * 1e6))
        began = next((e["timestamp"] for e in events if isinstance(e.get("timestamp"), datetime.datetime)), end)
        if line.startswith(NOT_RUN):  # it never started: its span ends when it was failed
            start = end - span
        elif began < end:  # it ran from ``began``: not before that, and ending no earlier than it was failed
            start = max(began, end - span)
        else:  # one instant, and no reason says it never started: as it was written
            return events
        return [{**event, "timestamp": start} for event in events[:-1]] + [{**final, "timestamp": start + span}]


def _texts(events: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    """The ``reason`` and ``traceback`` attachments of a test's events, as text."""
    found = {"reason": b"", "traceback": b""}
    for event in events:
        name, data = event.get("file_name"), event.get("file_bytes")
        if name in found and data:
            found[name] += bytes(data)
    return found["reason"].decode("utf-8", "replace"), found["traceback"].decode("utf-8", "replace")
