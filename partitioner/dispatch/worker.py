"""The pull worker: load a suite once, the way its runner would, then run the groups it is handed.

::

    python -m partitioner.dispatch.worker [--control-fd FD] RUNNER [RUNNER ARGS ...]
    python -m partitioner.dispatch.worker --control-fd 3 subunit.run discover -t . ./tests

RUNNER is ``subunit.run``, ``stestr.subunit_runner.run`` or ``testtools.run``: that runner's own
``TestProgram`` parses the arguments and discovers the suite (so ``load_tests``, sorting and import
failures are exactly its own), and a stand-in for its test runner keeps the suite instead of running it.

Control channel (``FD``, default 0): JSON lines. In: ``{"group": KEY, "tests": [ID, ...]}`` per group
(``"fresh": true``: run it in a process that has run nothing: see :mod:`partitioner.dispatch.forks`;
``"last": true``: no group follows, so the rest of the suite is let go first: :meth:`GroupRunner.run_group`);
end of file or ``{"stop": true}`` ends the run. Out, when ``FD`` is a socket: ``{"ready": N,
"import_errors": [...]}`` once the suite is loaded (``"forks": false`` too when the suite patched the standard
library as it loaded: this process forks no fresh one, see :mod:`partitioner.dispatch.monkeypatch`; or
``{"error": TEXT}`` when it cannot be loaded), and ``{"done": KEY}`` after each group (``"stop": "failfast"`` too
when ``--failfast`` stopped the run).

The tests see the runner's ``sys.argv`` (:func:`runner_argv`), as under ``python -m RUNNER ARGS``.

stdout carries one subunit v2 stream for the whole process, written by the same python-subunit/testtools
chain ``subunit.run`` and stestr's runner use (``AutoTimingTestResultDecorator`` over
``ExtendedToStreamDecorator`` over ``StreamResultToBytes``). Each group is run like that runner run with
``--load-list`` of the group: ``exists`` for its tests, then the tests in suite order. An id the suite
does not have is written as a failed test with a ``reason`` attachment (with the import error when its
module failed to import), never dropped.

Fixtures keep unittest's semantics across groups: every group's suite is nested in one top-level run
(``result._testRunEntered``, as in CPython's ``unittest/suite.py``, unchanged from 3.10 to 3.13), so a
class is set up when a group starts it and torn down when a later group starts a different class, a module
likewise when the module changes, and the last class and module are torn down at the end of the run.
"""

from __future__ import annotations

import _thread
import contextlib
import datetime
import errno
import fcntl
import gc
import importlib.util
import io
import itertools
import json
import os
import signal
import socket
import stat
import sys
import threading
import unittest
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, NoReturn

from subunit import StreamResultToBytes
from subunit.test_results import AutoTimingTestResultDecorator
from testtools import CopyStreamResult, ExtendedToStreamDecorator, StreamResult
from testtools.testsuite import iterate_tests

from partitioner.dispatch import monkeypatch
from partitioner.dispatch.command import RUNNERS
from partitioner.dispatch.forks import message_of, serve, zombie
from partitioner.statuses import expanded, scenario_base

PROG = "partitioner.dispatch.worker"
#: the id prefix of the test unittest's loader puts in place of a module it could not import
FAILED_IMPORT = "unittest.loader._FailedTest."
_TEXT = "text/plain;charset=utf8"
#: exit status when the suite cannot be loaded (what the runners use for import errors when listing)
LOAD_FAILED = 2


class LoadError(Exception):
    """The runner could not load the suite (bad arguments, a start directory that cannot be imported)."""


class _Capture:
    """Stands in for the runner's test runner: keeps the suite and the runner options, runs nothing."""

    def __init__(self, failfast: bool | None = None, tb_locals: bool = False, **_: Any) -> None:
        self.failfast = failfast
        self.tb_locals = tb_locals
        self.test: unittest.TestSuite | unittest.TestCase | None = None

    def run(self, test: unittest.TestSuite | unittest.TestCase) -> None:
        self.test = test


def load(runner: str, args: Sequence[str], stdout: IO[str]) -> _Capture:
    """Discover/load the suite exactly as ``python -m RUNNER ARGS`` would, without running it.

    :raises LoadError: with one line saying what failed
    """
    captured: list[_Capture] = []

    def factory(*_: Any, **kwargs: Any) -> _Capture:
        captured.append(_Capture(**kwargs))
        return captured[-1]

    argv = [f"python -m {runner}", *args]
    try:
        if runner == "subunit.run":
            from subunit.run import SubunitTestProgram

            SubunitTestProgram(module=None, argv=argv, testRunner=factory, stdout=stdout, exit=False)
        elif runner == "stestr.subunit_runner.run":
            from stestr.subunit_runner.program import TestProgram as StestrProgram

            StestrProgram(module=None, argv=argv, testRunner=factory, exit=False)
        elif runner == "testtools.run":
            from testtools.run import TestProgram as TesttoolsProgram

            TesttoolsProgram(module=None, argv=argv, testRunner=factory, stdout=stdout,  # type: ignore[arg-type]
                             exit=False)
        else:
            raise LoadError(f"unknown runner {runner!r}; use one of: {', '.join(RUNNERS)}")
    except SystemExit as exc:
        raise LoadError(f"`python -m {runner} {' '.join(args)}` exited with status {exc.code} while loading "
                        "the suite (its output is above)") from None
    except ImportError as exc:
        raise LoadError(f"cannot load the suite with `python -m {runner} {' '.join(args)}`: {exc}") from None
    if not captured or captured[-1].test is None:
        raise LoadError(f"`python -m {runner} {' '.join(args)}` did not hand over a suite to run; "
                        "check its arguments (is it a discover or a module run?)")
    return captured[-1]


def scenarios_of(case: unittest.TestCase) -> list[unittest.TestCase] | None:
    """The tests ``case`` runs as when it is a testscenarios ``WithScenarios`` test with scenarios: one per
    scenario, under its own id ``id(name)`` (what ``WithScenarios.run`` runs: testscenarios' ``generate_scenarios``);
    None when it runs as itself, or its class runs it a way of its own (overrides ``run``).

    Looked up in ``sys.modules``, never imported: a suite with such a test imported testscenarios as it loaded.
    """
    mixin = getattr(sys.modules.get("testscenarios.testcase"), "WithScenarios", None)
    generate = getattr(sys.modules.get("testscenarios.scenarios"), "generate_scenarios", None)
    if mixin is None or generate is None or not isinstance(case, mixin) or \
            getattr(type(case), "run", None) is not getattr(mixin, "run", None):
        return None
    try:
        if not case._get_scenarios():
            return None
        return list(generate(case))
    except Exception:  # a scenario list of its own making: the test runs whole, as its run would
        return None


@dataclass
class Suite:
    """The loaded suite as the worker uses it: each id's test cases and their place in suite order.

    A testscenarios ``WithScenarios`` test is listed once (``m.C.test_x``) and reports one result per scenario
    (``m.C.test_x(thread)``): a run's ids, such as ``stestr run --failing``'s, name its scenarios. The first one asked
    for puts the listed test's scenarios in its place (:meth:`expand`), each a test of its own, so that a scenario
    runs alone, and once.
    """

    cases: dict[str, list[tuple[float, unittest.TestCase]]]
    import_errors: dict[str, str]
    #: listed id -> the ids of the scenarios :meth:`expand` put in its place
    scenarios: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, test: unittest.TestSuite | unittest.TestCase) -> Suite:
        """Index a loaded suite (custom suites are flattened to their cases, as listing does)."""
        cases: dict[str, list[tuple[float, unittest.TestCase]]] = {}
        errors: dict[str, str] = {}
        for position, case in enumerate(iterate_tests(test)):
            test_id = case.id()
            cases.setdefault(test_id, []).append((position, case))
            if test_id.startswith(FAILED_IMPORT):
                errors[test_id[len(FAILED_IMPORT):]] = str(getattr(case, "_exception", "")) or test_id
        return cls(cases, errors)

    @classmethod
    def take(cls, captured: _Capture) -> Suite:
        """Index the suite ``captured`` loaded, and let go of the loaded tree: the index is then the only holder
        of each test, so a test can be freed once it ran (:meth:`GroupRunner.run_group`), as the runner's own
        suite frees it. The tree held every test of the worker's whole run, finished or not, on the heap each
        full garbage collection walks."""
        assert captured.test is not None
        suite = cls.of(captured.test)
        captured.test = None
        return suite

    def expand(self, listed: str) -> bool:
        """Put the listed test ``listed``, not run yet, in the index as its scenarios (:func:`scenarios_of`), each
        under its own id and in its place in suite order; False, and nothing changed, when the suite lacks it or it
        does not run as testscenarios' scenarios."""
        found = self.cases.get(listed)
        if not found:
            return False
        made: list[list[unittest.TestCase]] = []
        for _, case in found:
            scenarios = scenarios_of(case)
            if scenarios is None:
                return False
            made.append(scenarios)
        del self.cases[listed]
        ids = self.scenarios.setdefault(listed, [])
        for (position, _), scenarios in zip(found, made, strict=True):
            for rank, scenario in enumerate(scenarios, 1):  # in scenario order, between the test and the next
                self.cases.setdefault(scenario.id(), []).append((position + rank / (len(scenarios) + 1), scenario))
                ids.append(scenario.id())
        return True

    def why_missing(self, test_id: str) -> str:
        """The reason an id the suite does not have is reported as failed."""
        for module, error in self.import_errors.items():
            if test_id == module or test_id.startswith(f"{module}."):
                return f"not run: its module {module} failed to import in the test process:\n{error}"
        listed = scenario_base(test_id)
        if listed is not None and listed in self.scenarios:
            names = ", ".join(t[len(listed):] for t in self.scenarios[listed])
            return (f"not run: the test process's suite has no test with this id: its test {listed} runs as the "
                    f"scenarios {names} (was the scenario renamed or removed since the test list was made?)")
        return ("not run: the test process's suite has no test with this id (was it renamed or removed "
                "since the test list was made?)")


class _Started(StreamResult):
    """Remembers which tests reported anything beyond ``exists``."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.scenarios: set[str] = set()

    def status(self, test_id: str | None = None, test_status: str | None = None,
               test_tags: set[str] | None = None, runnable: bool = True, file_name: str | None = None,
               file_bytes: bytes | None = None, eof: bool = False, mime_type: str | None = None,
               route_code: str | None = None, timestamp: datetime.datetime | None = None) -> None:
        if test_id is not None and test_status not in (None, "exists"):
            self.ids.add(test_id)
            listed = scenario_base(test_id)  # testscenarios' WithScenarios runs a listed id as id(scenario) ids
            if listed is not None:
                self.scenarios.add(listed)


#: the most room a worker asks for in its stdout pipe (Linux gives a pipe 64 KiB; an unprivileged process may
#: ask for up to ``/proc/sys/fs/pipe-max-size``, 1 MiB by default)
PIPE_MAX_BYTES = 1 << 20
_PIPE_DEFAULT_BYTES = 1 << 16


def make_room(stdout: IO[bytes], size: int) -> None:
    """Let the worker write ``size`` bytes ahead of the tool that reads its stream: grow its stdout pipe to the
    power of two that holds them (at most :data:`PIPE_MAX_BYTES`).

    A group's run begins with an ``exists`` record for each of its tests, about 80 bytes each: a static share of
    9,000 oslo.utils tests writes 730 KB of them before its first test. In a pipe of 64 KiB the worker waited on
    the tool, which parses every record of every worker on one core, and its first test started 0.4-0.9 s
    later; with the room it goes on at once (60 ms). The bytes stay in the kernel, so a worker that dies loses
    none of what it wrote. The room follows the group: a class's few records need none, so the pipe memory a
    run asks for is about 80 bytes per test of the suite, whatever the number of workers, and stays far from
    the user's pipe quota (``fs.pipe-user-pages-soft``, 64 MiB by default, past which the kernel gives every new
    pipe of the user 8 KiB). Where the pipe cannot grow (not a pipe, not Linux, the quota reached) it stays as
    it is.
    """
    grow, size_of = getattr(fcntl, "F_SETPIPE_SZ", None), getattr(fcntl, "F_GETPIPE_SZ", None)
    if grow is None or size_of is None or size <= _PIPE_DEFAULT_BYTES:
        return
    wanted = min(PIPE_MAX_BYTES, 1 << (size - 1).bit_length())
    try:
        if fcntl.fcntl(stdout.fileno(), size_of) < wanted:
            fcntl.fcntl(stdout.fileno(), grow, wanted)
    except OSError as exc:
        if exc.errno not in (errno.EBADF, errno.EINVAL, errno.EPERM, errno.EBUSY, errno.ENOMEM):
            raise


class GroupRunner:
    """Runs groups in one persistent unittest run that writes one subunit v2 stream.

    :param suite: the loaded suite
    :param stream: where the subunit v2 bytes go
    :param failfast: the runner's ``--failfast``
    :param tb_locals: the runner's ``--locals``
    """

    def __init__(self, suite: Suite, stream: IO[bytes], failfast: bool | None = None,
                 tb_locals: bool = False) -> None:
        self.suite = suite
        self.stream = stream
        self.writer = StreamResultToBytes(stream)
        self._started = _Started()
        self.result = AutoTimingTestResultDecorator(
            ExtendedToStreamDecorator(CopyStreamResult([self.writer, self._started])))
        if failfast is not None:
            self.result.failfast = failfast
            self.result.tb_locals = tb_locals
        self._ran: set[str] = set()

    def start(self) -> None:
        """Begin the run; from now on every group's suite is nested in it."""
        self.result.startTestRun()
        # unittest's TestSuite.run treats the first suite to enter a result as the top level and does the
        # final class/module teardown when it leaves; claiming the top level here makes every group's
        # suite a nested one, so fixtures carry over between groups as between classes of one suite
        self.result._testRunEntered = True

    def run_group(self, test_ids: Sequence[str], last: bool = False) -> None:
        """Run one group's tests (in suite order); ids the suite lacks are reported as failed.

        An id the suite lacks that names a scenario of a listed test it has (``m.C.test_x(thread)``, as a run
        reported it: :func:`~partitioner.statuses.scenario_base`) runs that scenario alone
        (:meth:`Suite.expand`), or, when its scenarios are not testscenarios' own, the listed test whole, once for
        all the scenarios of it the group asks for.

        :param last: no group follows (a static share handed over whole): the rest of the suite is let go before
            the group runs, as the runner's own ``--load-list`` filter drops the tests it will not run, so the
            heap every full garbage collection walks holds this share alone, not the whole suite
        """
        chosen: list[tuple[float, unittest.TestCase]] = []
        later: list[str] = []  # ids the suite lacks: failed, unless a test the group runs reports them
        whole: dict[str, str] = {}  # a scenario asked for -> the listed test that runs it whole
        asked = dict.fromkeys(test_ids)
        for test_id in asked:
            found = self._find(test_id, whole)
            if found is not None:
                chosen.extend(found)
                self._ran.add(test_id)
            elif test_id in self._ran:
                self._fail(test_id, "not run again: this test process already ran it in an earlier group")
            else:
                later.append(test_id)
        if last and self.suite.cases:
            self.suite.cases.clear()
            gc.collect()  # held in cycles (a testtools case refers to itself): a full collection frees them
        chosen.sort(key=lambda pair: pair[0])
        group = unittest.TestSuite(case for _, case in chosen)
        # the ids and classes only: the suite lets go of each test once it ran (unittest's _cleanup), as the
        # runner's does, so a long group's finished tests, with their fixtures and details, do not pile up on
        # the heap every garbage collection walks (a share of 9,000 oslo.utils tests ran 1 s slower that way)
        ran = [(case.id(), type(case)) for _, case in chosen]
        del chosen
        if later:
            self._missing(later, {test_id for test_id, _ in ran}, whole, expanded(asked))
        self._exists(test_id for test_id, _ in ran)
        group.run(self.result)
        for test_id, klass in ran:  # unittest skips a class whose setUpClass failed without a word: say so
            if test_id not in self._started.ids and test_id not in self._started.scenarios:
                self._fail(test_id, self._why_not_run(klass))
        for test_id, listed in whole.items():
            if test_id not in self._started.ids and (listed in self._started.ids or
                                                     listed in self._started.scenarios):
                self._fail(test_id, f"not run: its test {listed} ran, and reported no result under this id (was "
                                    "the scenario renamed or removed since the test list was made?)")
            elif test_id not in self._started.ids:
                self._fail(test_id, self._why_not_run(dict(ran)[listed]))

    def _find(self, test_id: str, whole: dict[str, str]) -> list[tuple[float, unittest.TestCase]] | None:
        """The cases that run ``test_id``, taken out of the suite; None when it has none to run now.

        A scenario the suite lists only as its test puts the test's scenarios in its place (:meth:`Suite.expand`)
        and takes its own; when they are not testscenarios' own, the listed test is taken whole (``whole`` notes
        it). A listed test asked for after one of its scenarios takes the scenarios not taken yet.
        """
        found = self.suite.cases.pop(test_id, None)
        if found is not None:
            return found
        scenarios = self.suite.scenarios.get(test_id)
        if scenarios is not None and test_id not in self._ran:
            rest = [t for t in scenarios if t in self.suite.cases]
            self._ran.update(rest)
            return [pair for t in rest for pair in self.suite.cases.pop(t)]
        listed = scenario_base(test_id)
        if listed is None or test_id in self._ran:
            return None
        if self.suite.expand(listed):
            return self.suite.cases.pop(test_id, None)
        found = self.suite.cases.pop(listed, None)
        if found is not None:
            self._ran.add(listed)
            whole[test_id] = listed
        return found

    def _missing(self, test_ids: Iterable[str], ran: set[str], whole: dict[str, str], beside: set[str]) -> None:
        """Fail each of ``test_ids``, ids the suite lacks, with the reason, unless the group reports it otherwise: a
        scenario whose listed test runs whole in the group (``ran``; noted in ``whole``), or a listed id asked for
        beside scenarios of it (``beside``: a rerun asks for both, :func:`partitioner.hooks.scenario_reruns`),
        which report on their own, run or failed (a suite using ``load_tests_apply_scenarios`` lists them as tests
        of their own, and has no test by the listed id)."""
        for test_id in test_ids:
            listed = scenario_base(test_id)
            if listed is not None and listed in ran:
                whole[test_id] = listed
            elif test_id in beside:
                continue
            elif listed is not None and listed in self._ran:
                self._fail(test_id, f"not run again: this test process already ran it, with its test {listed}, in "
                                    "an earlier group")
            else:
                self._fail(test_id, self.suite.why_missing(test_id))

    def _exists(self, test_ids: Iterable[str]) -> None:
        """What the runner writes first when it runs a ``--load-list``: an ``exists`` record per test, here in one
        write, into a pipe with room for all of them (:func:`make_room`)."""
        batch = io.BytesIO()
        writer = StreamResultToBytes(batch)
        for test_id in test_ids:
            writer.status(test_id=test_id, test_status="exists")
        data = memoryview(batch.getbuffer())
        make_room(self.stream, len(data))
        while data:
            written = self.stream.write(data)
            data = data[written or 0:]

    def _why_not_run(self, klass: type) -> str:
        if getattr(klass, "_classSetupFailed", False):
            return (f"not run: setUpClass of {klass.__module__}.{klass.__qualname__} failed (its error is "
                    f"reported as 'setUpClass ({klass.__module__}.{klass.__qualname__})')")
        if getattr(self.result, "_moduleSetUpFailed", False):
            return f"not run: setUpModule of {klass.__module__} failed (its error is reported as 'setUpModule')"
        if self.should_stop:
            return "not run: the run stopped at the first failure (--failfast)"
        return "not run: unittest did not run it (its suite skipped it without a result)"

    @property
    def should_stop(self) -> bool:
        """``--failfast`` stopped the run."""
        return bool(self.result.shouldStop)

    def finish(self, teardown: bool = True) -> None:
        """End the run: tear down the last class and module (unless interrupted), then stopTestRun."""
        try:
            if teardown:
                self.result._testRunEntered = False
                unittest.TestSuite().run(self.result)  # the top level leaving: last class and module down
        finally:
            self.result.stopTestRun()

    def _fail(self, test_id: str, reason: str) -> None:
        now = datetime.datetime.now(datetime.timezone.utc)
        self.writer.status(test_id=test_id, test_status="inprogress", timestamp=now)
        self.writer.status(test_id=test_id, test_status="fail", file_name="reason", file_bytes=reason.encode(),
                           mime_type=_TEXT, eof=True, timestamp=now)


class Control:
    """The control channel: groups in (JSON lines), acknowledgements out when it is a socket.

    :param fd: where the lines come from
    :param reply: where acknowledgements go (default: ``fd`` itself, when it is a socket); a forked child
        reads its groups from a pipe and replies on the socket it inherited
    """

    def __init__(self, fd: int, reply: socket.socket | None = None) -> None:
        os.set_inheritable(fd, False)  # the tests' own child processes must not hold it open
        self.fd = fd
        self.sock: socket.socket | None = None
        if stat.S_ISSOCK(os.fstat(fd).st_mode):
            self.sock = _socket(fileno=fd)
        self._reply = reply if reply is not None else self.sock
        #: bytes read past the last line :meth:`lines` gave
        self.buffer = b""

    def lines(self) -> Iterator[bytes]:
        """The channel's lines (newline included), until end of file."""
        while True:
            end = self.buffer.find(b"\n")
            while end < 0:  # a long group line arrives in many reads: look for its end in the new bytes only
                data = _read(self.fd, 65536)
                if not data:
                    if self.buffer:
                        line, self.buffer = self.buffer, b""
                        yield line
                    return
                seen = len(self.buffer)
                self.buffer += data
                end = self.buffer.find(b"\n", seen)
            line, self.buffer = self.buffer[:end + 1], self.buffer[end + 1:]
            yield line

    @staticmethod
    def groups(lines: Iterable[bytes]) -> Iterator[tuple[str, list[str], bool]]:
        """``(key, ids, last)`` per group line until the lines end or a stop message; ``last``: the group was
        marked ``"last": true`` (no other follows)."""
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                message = json.loads(line)
                if message.get("stop"):
                    return
                key, tests, last = str(message["group"]), message["tests"], message.get("last") is True
                if not isinstance(tests, list) or not all(isinstance(t, str) for t in tests):
                    raise TypeError("tests is not a list of strings")
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise LoadError(f"control message {number} is not a group ({exc}): {line[:200]!r}; "
                                'send {"group": KEY, "tests": [ID, ...]} per line') from None
            yield key, tests, last

    def send(self, **message: object) -> None:
        """Write one JSON line back, if the channel can carry it (a lost lane is ignored here)."""
        if self._reply is not None:
            with contextlib.suppress(OSError):
                self._reply.sendall(json.dumps(message).encode() + b"\n")


#: bound once, at import: the tests this process runs may patch ``os`` and ``time`` (``mock.patch("time.sleep")``
#: is common), and the watch thread must neither see their fakes nor show up in their call records; the suite may
#: patch the standard library as it loads (eventlet, gevent: :mod:`partitioner.dispatch.monkeypatch`), and the
#: control channel and the watch must not wait on its hub
_getppid, _getpgrp, _getpid, _killpg, _kill, _exit = os.getppid, os.getpgrp, os.getpid, os.killpg, os.kill, os._exit
_read, _socket = os.read, socket.socket
_start_thread, _allocate_lock = _thread.start_new_thread, _thread.allocate_lock


def _alive(pid: int) -> bool:
    """``pid`` still runs (a process of another user counts as running; a zombie does not: a lane killed with its
    tool is adopted by an init that may never reap it, and its worker must still end)."""
    try:
        _kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not zombie(pid)[0]


def watch_parent(parent: int, poll_s: float = 0.2, alive: Callable[[int], bool] | None = None) -> None:
    """Start a thread that ends this process (and its process group, when it leads one) once its parent is
    gone, so a lane killed with SIGKILL leaves no test process behind, even a hung one.

    A bare ``_thread`` thread, which ``threading`` does not know of: ``threading.enumerate()`` and
    ``active_count()`` show the tests what the runner's process shows them (a suite that checks for leaked threads
    finds none of ours; the thread still counts for the operating system). It waits on a lock of its own (not
    ``time.sleep``) and calls functions bound at import, so tests that patch ``time``, ``os`` or ``threading``
    neither break it nor see its calls.

    :param alive: how to tell ``parent`` still runs (default: it is still our parent); a worker the preloader
        forked watches its lane, which is not its parent
    """
    pause = _allocate_lock()
    pause.acquire()  # never released: each acquire below waits ``poll_s``, a sleep no test can patch
    check = alive if alive is not None else (lambda pid: _getppid() == pid)

    def watch() -> None:
        while check(parent):
            pause.acquire(timeout=poll_s)
        if _getpgrp() == _getpid():
            _killpg(_getpid(), signal.SIGKILL)
        _exit(1)

    _start_thread(watch, ())


def _usage(message: str) -> NoReturn:
    sys.stderr.write(f"{PROG}: error: {message}; usage: python -m {PROG} [--control-fd FD] RUNNER [ARGS ...] "
                     f"(RUNNER: {', '.join(RUNNERS)})\n")
    raise SystemExit(2)


def parse_args(argv: Sequence[str]) -> tuple[int, str, list[str], int | None]:
    """``(control fd, runner, runner args, the preloader's listening socket or None)`` from the command line
    (exits 2 on bad usage)."""
    words = list(argv)
    fd = 0
    serve: int | None = None
    if words[:1] == ["--control-fd"]:
        if len(words) < 2 or not words[1].isdigit():
            _usage("--control-fd wants a file descriptor number")
        fd, words = int(words[1]), words[2:]
    elif words[:1] == ["--serve"]:
        if len(words) < 2 or not words[1].isdigit():
            _usage("--serve wants the file descriptor of a listening socket")
        serve, words = int(words[1]), words[2:]
    if not words or words[0] not in RUNNERS:
        _usage(f"the first argument must name the runner, got {words[0] if words else 'nothing'!r}")
    runner, args = words[0], words[1:]
    for word in args:
        if word in ("--list", "-l") or word.startswith("--load-list"):
            _usage(f"{word} selects tests, but the dispatcher hands out the groups; drop it")
    return fd, runner, args, serve


def runner_argv(runner: str, args: Sequence[str]) -> list[str]:
    """``sys.argv`` as ``python -m RUNNER ARGS`` sets it: the runner module's file, then the runner's arguments.

    The tests see the runner's command line, not this worker's: keystoneauth1's user agent is the basename of
    ``sys.argv[0]`` (``run.py`` under stestr), and its test expects the one its process has.
    """
    try:
        spec = importlib.util.find_spec(runner)
    except (ImportError, ValueError):
        spec = None
    return [spec.origin if spec is not None and spec.origin else runner, *args]


def main(argv: Sequence[str] | None = None) -> int:
    """Load, then run groups until the control channel ends; returns the exit status.

    0 when the run ended normally (failed tests do not change it: ``subunit.run`` exits 0 too),
    2 when the suite could not be loaded, 130 when interrupted by SIGINT. When the first group is marked
    ``fresh`` (``mono`` order), this process only loads: it forks a child per chain of groups
    (:mod:`partitioner.dispatch.forks`) and ends as its last child ended, unless the suite patched the standard
    library as it loaded (:mod:`partitioner.dispatch.monkeypatch`: it runs the groups itself and its ``ready``
    says ``"forks": false``, so that its lane starts a new worker for the next fresh process). With ``--serve FD``
    it is the preloader: it loads the suite once and forks the worker of each lane that connects to the listening
    socket FD (:mod:`partitioner.dispatch.preload`), or exits at once when the suite patched the standard library.

    ``sys.argv`` is the runner's (:func:`runner_argv`) from before the suite loads.
    """
    fd, runner, args, serve = parse_args(sys.argv[1:] if argv is None else argv)
    sys.argv = runner_argv(runner, args)
    if threading.current_thread() is threading.main_thread():
        _inherit_sigint()
        signal.signal(signal.SIGINT, interrupt_once)  # a Ctrl-C while the suite loads: see the end of this file
    # what subunit.run's main does: an unbuffered binary stdout, with sys.stdout a text wrapper on it
    binary = open(sys.stdout.fileno(), "wb", 0)  # noqa: SIM115  # lives as long as the process
    sys.stdout = io.TextIOWrapper(binary, encoding=sys.stdout.encoding)
    if serve is not None:
        return _preload(serve, runner, args, binary)
    if os.getppid() != 1:
        watch_parent(os.getppid())
    control = Control(fd)
    before = monkeypatch.taken()
    try:
        captured = load(runner, args, sys.stdout)
    except LoadError as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        control.send(error=str(exc))
        return LOAD_FAILED
    forks = not monkeypatch.patched(before)
    return _serve_lane(fd, control, Suite.take(captured), binary, captured, forks)


#: the preloader's exit status when it declined to fork from the suite it loaded (the suite patched the standard
#: library: :mod:`partitioner.dispatch.monkeypatch`)
DECLINED = 3


def _preload(listen_fd: int, runner: str, args: Sequence[str], binary: IO[bytes]) -> int:
    """Be the preloader: load the suite once, then fork a worker for each lane that asks; decline (close the socket,
    exit :data:`DECLINED`) when the suite patched the standard library as it loaded."""
    from partitioner.dispatch.preload import Preloader, expected_parent, held_stderr

    parent = expected_parent(os.environ)  # gone already: getppid() differs, and serve() returns at once
    preloader = Preloader.adopt(listen_fd)
    before = monkeypatch.taken()
    try:
        with held_stderr() as keep:
            captured = load(runner, args, sys.stdout)
            # what it printed is said again by each worker that loads the suite itself
            keep[0] = not monkeypatch.patched(before)
    except (LoadError, KeyboardInterrupt):
        preloader.close()  # the lanes start workers of their own, which report the error
        return LOAD_FAILED
    if not keep[0]:  # its children would share the patching library's hub: each lane loads the suite itself
        preloader.close()
        return DECLINED
    suite = Suite.take(captured)

    def child(fd: int, lane: int) -> int:
        watch_parent(lane, alive=_alive)
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, interrupt_once)
        return _serve_lane(fd, Control(fd), suite, binary, captured)

    return preloader.serve(child, parent)


def _serve_lane(fd: int, control: Control, suite: Suite, binary: IO[bytes], captured: _Capture,
                forks: bool = True) -> int:
    """Tell the lane the suite is loaded, then run its groups (forking per chain when the first is fresh, unless
    ``forks`` is False: the suite patched the standard library, and this process, which has run nothing yet, is
    the fresh one; its lane starts a new worker for the next)."""
    ready: dict[str, object] = {"ready": len(suite.cases), "import_errors": sorted(suite.import_errors)}
    if not forks:
        ready["forks"] = False
    control.send(**ready)
    lines = control.lines()
    try:
        first = next(lines, None)
    except KeyboardInterrupt:
        return 128 + signal.SIGINT
    if forks and first is not None and message_of(first).get("fresh"):
        def child(pipe: int) -> int:
            watch_parent(os.getppid())
            mine = Control(pipe, reply=control.sock)
            return run_groups(mine.lines(), mine, suite, binary, captured)

        return serve(fd, first, control.buffer, child)
    return run_groups(itertools.chain([first] if first is not None else [], lines), control, suite, binary,
                      captured)


def run_groups(lines: Iterable[bytes], control: Control, suite: Suite, binary: IO[bytes],
               captured: _Capture) -> int:
    """Run the groups ``lines`` carry in this process, one unittest run; the exit status (see :func:`main`).

    The first SIGINT ends it with 130 wherever it lands: in a test, between groups, or as the teardown
    begins (the lane passes a Ctrl-C on just after it ended the queue, so the loop may have ended normally).
    While tests run, SIGINT is handled as under the runner itself (:func:`_inherit_sigint`): code under test
    looks at it (Twisted's reactor installs a handler of its own only over ``signal.default_int_handler``, and
    testtools' own tests send SIGINT to themselves through it). The worker leads a session of its own, so a
    Ctrl-C reaches it once, passed on by its lane; later ones are ignored from the moment the first one
    surfaces here.
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _TESTS_SIGINT[0])
    try:
        return _run_groups(lines, control, suite, binary, captured)
    except KeyboardInterrupt:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        with contextlib.suppress(OSError):
            sys.stdout.flush()
        return 128 + signal.SIGINT


def _run_groups(lines: Iterable[bytes], control: Control, suite: Suite, binary: IO[bytes],
                captured: _Capture) -> int:
    runner_ = GroupRunner(suite, binary, captured.failfast, captured.tb_locals)
    runner_.start()
    teardown = False
    try:
        for key, tests, last in control.groups(lines):
            runner_.run_group(tests, last=last)
            sys.stdout.flush()
            if runner_.should_stop:
                control.send(done=key, stop="failfast")
                break
            control.send(done=key)
        teardown = True
    except (BrokenPipeError, ConnectionResetError):
        _gone()
    except LoadError as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        teardown = True
        return 1
    finally:  # interrupted or not: stopTestRun (the stream's end); tear down only after a normal end
        try:
            runner_.finish(teardown)
            sys.stdout.flush()
        except (BrokenPipeError, ConnectionResetError):
            _gone()
    return 0


#: SIGINT's handler while tests run: the runner's (Python's ``default_int_handler``), or ``SIG_IGN`` when this
#: process started with SIGINT ignored (``nohup``, a background job), as a worker the tool started would run them
_TESTS_SIGINT: list[Any] = [signal.default_int_handler]


def _inherit_sigint() -> None:
    """Note how the tests' SIGINT is to be handled: as this process inherited it (a forked child inherits the note
    from the preloader, started as the tool starts its workers)."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        _TESTS_SIGINT[0] = signal.SIG_IGN


def interrupt_once(signum: int, frame: object) -> NoReturn:
    """SIGINT stops the run as Python's default does (``KeyboardInterrupt``), once: a Ctrl-C reaches a worker
    twice (the terminal signals its process group, and its lane passes the signal on), and a second
    ``KeyboardInterrupt`` could land while the first one's teardown runs, outside any handler (a traceback on
    the tool's stderr). Later ones are ignored; a worker that does not end is the lane's to kill."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def _gone() -> NoReturn:
    """Our stdout's reader (the lane) is gone: nobody can record anything more, so end without a word, as the
    parent watch would a moment later (and without the flush at exit that would fail again)."""
    if os.getpgrp() == os.getpid():
        with contextlib.suppress(OSError):
            os.killpg(os.getpid(), signal.SIGKILL)
    os._exit(1)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # while loading (run_groups handles its own): 130 as documented, no traceback
        sys.exit(128 + signal.SIGINT)
