"""What a lane's relay costs per event: worker stream -> ``read_worker_stream`` -> ``Relay`` -> pipe (run by hand).

    .venv/bin/python bench/relay_cost.py                    # 20,000 tests, 5 repeats
    .venv/bin/python bench/relay_cost.py --tests 5000 --repeat 3 --burst 1

Writes a worker-like subunit v2 stream with python-subunit (per test ``inprogress`` and a final status with
timestamps; every 10th test a ``traceback`` attachment and ``fail``; a line of text that is not subunit every
100 tests), and feeds it into a pipe from a thread, ``--burst`` tests per write (1: the worker flushes each
test, as a pull worker does; more: a lane that lags behind its worker). The relay's reader runs in the main
thread, its ``before`` sends a progress message per start and end over a ``multiprocessing`` pipe as a lane
does, and its output goes into a pipe a thread drains. Two arms, interleaved:

* ``encode``: each event goes to ``Relay.status`` and is encoded again, written and flushed on its own (the
  relay before 2026-12-02);
* ``packets``: the relay as it is: each sound packet passed on as read, packets read together written together.

Prints the reader thread's CPU time (``time.thread_time``) per event, the median of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import statistics
import threading
import time
from multiprocessing import Pipe
from typing import Any

import subunit
import testtools

from partitioner.dispatch import protocol
from partitioner.dispatch.relay import Relay
from partitioner.run.stream import MergedOutput, read_worker_stream


def worker_stream(tests: int, burst: int) -> tuple[list[bytes], int]:
    """The stream in writes of ``burst`` tests each, and its number of events."""
    writes, events = [], 0
    buf = io.BytesIO()
    out = subunit.StreamResultToBytes(buf)
    start = datetime.datetime(2026, 12, 2, tzinfo=datetime.timezone.utc)
    for n in range(tests):
        test_id = f"pkg.tests.test_mod.TestCase{n // 50}.test_{n}"
        now = start + datetime.timedelta(milliseconds=2 * n)
        out.status(test_id=test_id, test_status="inprogress", timestamp=now)
        events += 1
        if n % 10 == 9:
            out.status(test_id=test_id, file_name="traceback", file_bytes=b"Traceback: boom\n" * 5,
                       mime_type="text/x-traceback;charset=utf8", eof=True, timestamp=now)
            out.status(test_id=test_id, test_status="fail", timestamp=now)
            events += 2
        else:
            out.status(test_id=test_id, test_status="success", timestamp=now)
            events += 1
        if n % 100 == 99:
            buf.write(b"some text a test printed\n")
            events += 1
        if n % burst == burst - 1 or n == tests - 1:
            writes.append(buf.getvalue())
            buf.seek(0)
            buf.truncate()
    return writes, events


class _Encode(testtools.StreamResult):
    def __init__(self, relay: Relay) -> None:
        super().__init__()
        self.relay = relay

    def status(self, **event: Any) -> None:
        self.relay.status(**event)


def run(writes: list[bytes], encode: bool) -> float:
    """One pass; the reader thread's CPU seconds."""
    source_r, source_w = os.pipe()
    out_r, out_w = os.pipe()
    lane, dispatcher = Pipe()

    def feed() -> None:
        with os.fdopen(source_w, "wb", 0) as worker:
            for chunk in writes:
                worker.write(chunk)

    def drain() -> None:
        with os.fdopen(out_r, "rb", 0) as tool:
            while tool.read(65536):
                pass

    def serve() -> None:
        try:
            while True:
                dispatcher.recv_bytes()
        except EOFError:
            pass

    threads = [threading.Thread(target=f) for f in (feed, drain, serve)]
    for thread in threads:
        thread.start()
    output = os.fdopen(out_w, "wb")
    relay = Relay(MergedOutput(output))

    def before(test_id: str, status: str) -> None:
        protocol.send(lane, "progress", **{"started" if status == "inprogress" else "finished": [test_id]})

    relay.before = before
    began = time.thread_time()
    with os.fdopen(source_r, "rb") as source:
        read_worker_stream(source, _Encode(relay) if encode else relay)
    spent = time.thread_time() - began
    output.close()
    lane.close()
    for thread in threads:
        thread.join()
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--burst", type=int, default=1, help="tests per write of the worker (default 1)")
    args = parser.parse_args()
    writes, events = worker_stream(args.tests, max(1, args.burst))
    spent: dict[str, list[float]] = {"encode": [], "packets": []}
    for _ in range(args.repeat):
        for arm, times in spent.items():
            times.append(run(writes, arm == "encode"))
    for arm, times in spent.items():
        print(f"{arm:8} {statistics.median(times) / events * 1e6:6.1f} us per event "
              f"({events} events, {args.tests} tests, burst {args.burst}, median of {args.repeat})")


if __name__ == "__main__":
    main()
