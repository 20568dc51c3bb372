"""One preloaded suite that forks every lane's pull worker; stdlib only (plus the pure command and scratch modules).

Without it each lane starts an interpreter that loads the whole suite: N loads at once on the run's cores,
before any test starts (8 loads of a 140-module suite take 1.4 s of wall time on 2 cores, one takes 0.3 s).
The lanes' first tests then start up to a second apart, and every lane that starts late is time the lower
bound does not have: at N=8 on 2 cores, about 3 % of a 16 s run. So the dispatcher's side starts **one**
pull worker in *serve* mode (``python -m partitioner.dispatch.worker --serve FD RUNNER ARGS``, the
:class:`Preloader`): it loads the suite once, then serves an AF_UNIX socket that the dispatcher's side bound
in its 0700 directory before starting it (:func:`listen`; lanes that come while the suite loads wait in its
backlog), and for each lane that connects forks a child that is that lane's worker. A fork of a process
that loaded the suite and ran nothing is what :mod:`partitioner.dispatch.forks` starts for a fresh process
already; it costs a few milliseconds.

The lane hands over its ends (:func:`request`): the write end of the pipe it reads the subunit stream from,
its stderr, and the worker's end of the control socket, passed with ``SCM_RIGHTS``, plus its working
directory, its environment and its pid, in one JSON line. The child leads a session of its own (the lane
signals its process group, as it does a worker it started), takes those as its stdout, stderr and control
channel, the lane's directory and environment, and runs groups exactly as a worker that loaded the suite
itself (:func:`partitioner.dispatch.worker.main`). It watches the lane's pid as a started worker watches its
parent. The preloader replies ``{"pid": N}`` at once and ``{"status": WAIT_STATUS}`` when the child ends, so
the lane sees a :class:`ForkedProc` with ``subprocess.Popen``'s face: ``pid``, ``stdout``, ``poll``,
``wait``, ``returncode``.

Nothing depends on it: a lane that cannot reach the preloader, or whose preloader could not load the suite
(it closes its socket and exits; the lanes' own workers then report the error as before), starts its own
worker on the same pipe and socket. ``PARTITIONER_PRELOAD=0`` in the environment turns it off (each lane
loads the suite itself, as before). A suite that patches the standard library as it loads (eventlet's
``monkey_patch()``, gevent's ``patch_all()``) makes it decline the same way, without a word: children forked
from there would share one hub of the patching library (:mod:`partitioner.dispatch.monkeypatch` says what went
wrong), so each lane's worker loads the suite itself, as plain stestr's do. The serve loop uses ``select``,
``socket``, ``os.waitpid`` and ``os.fork`` as bound at import, before the suite loaded, and notices within
0.2 s that its parent (the dispatcher's process) is gone.

What the child cannot share with a worker of its own: imports happened once, in the preloader, with the
dispatcher's environment (the child gets the lane's environment before its first test; under testr and stestr
the two differ only in what the shell between them sets). Its ``sys.argv`` is what the runner's process has
(:func:`partitioner.dispatch.worker.runner_argv`, with the share's ``--load-list`` for a static worker).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO

from partitioner import scratch
from partitioner.dispatch.command import WorkerCommand, recognise
from partitioner.dispatch.forks import child_exit, zombie
from partitioner.dispatch.protocol import KEY_ENV
from partitioner.dispatch.spawn import PRELOAD_ENV

PROG = "partitioner.dispatch.preload"
#: seconds a lane waits for the preloader to fork its worker (it may still be loading the suite) before it
#: starts its own
REPLY_S = 120.0
#: seconds the preloader gives a connecting lane to send its request
REQUEST_S = 5.0
_POLL_S = 0.05
#: bound at import, before the preloader loads the suite: a suite that patches the standard library as it loads
#: (eventlet, gevent) makes the preloader decline (:mod:`partitioner.dispatch.monkeypatch`), and should a patch
#: escape that check, the serve loop still never waits on the patching library's hub
_select, _waitpid, _getppid, _os_fork, _socket = select.select, os.waitpid, os.getppid, os.fork, socket.socket


#: the pid of the process that started the preloader, which the preloader watches (set by :func:`start` and
#: :func:`start_shell`): read once the preloader's interpreter is up, ``getppid()`` is 1 when that process was
#: killed meanwhile (a second SIGTERM from ``timeout`` while the tool listed its tests), and a preloader that
#: took 1 for its parent served nobody, for good
PARENT_ENV = "PARTITIONER_PRELOAD_PARENT"


def expected_parent(environ: dict[str, str] | os._Environ[str]) -> int:
    """The preloader's parent as its starter named it (removed from ``environ``: the tests have no business with
    it), else ``getppid()``."""
    named = environ.pop(PARENT_ENV, "")
    return int(named) if named.isdigit() else os.getppid()


def worker_env(command: WorkerCommand, environ: Mapping[str, str]) -> dict[str, str]:
    """The environment a pull worker gets: ``environ`` with the command's assignments, without the dispatcher's
    key and the preloader's address (the tests have no business with either)."""
    env = command.environ(dict(environ))
    env.pop(KEY_ENV, None)
    env.pop(PRELOAD_ENV, None)
    return env


# -- the lane's side ---------------------------------------------------------------------------------


class ForkedProc:
    """A pull worker the preloader forked for this lane, with ``subprocess.Popen``'s face.

    Until the preloader has replied with the child's pid, the lane still holds the write end of the stdout
    pipe and the worker's end of the control socket: should the preloader fail (it could not load the suite,
    it died), :attr:`fallback` starts the lane's own worker on them, and this object stands for that one.
    """

    def __init__(self, conn: socket.socket, stdout: IO[bytes] | None, held: list[int],
                 fallback: Callable[[list[int]], subprocess.Popen[bytes]] | None) -> None:
        self.stdout: IO[bytes] | None = stdout
        self.returncode: int | None = None
        self.args = "(forked by the preloader)"
        #: the preloader forked no worker and there is no fallback (``fallback`` None): the caller starts one
        self.declined = False
        self._conn: socket.socket | None = conn
        self._held = held
        self._fallback = fallback
        self._pid: int | None = None
        self._popen: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        # settled at once in the background: until then this process holds the stream's write end, and a
        # reader of the stream would wait for its end forever
        self._settling = threading.Lock()
        threading.Thread(target=self._settle, args=(REPLY_S,), name="partitioner-preload-reply",
                         daemon=True).start()

    @property
    def pid(self) -> int:
        """The worker's pid (waits for the preloader's reply, at most :data:`REPLY_S`)."""
        self._settle(REPLY_S)
        if self._popen is not None:
            return self._popen.pid
        assert self._pid is not None
        return self._pid

    @property
    def forked(self) -> bool:
        """The preloader forked the worker (False: the lane started its own, or it is not known yet)."""
        return self._pid is not None

    def settled(self, timeout: float) -> bool:
        """Whether the worker exists (the preloader forked it, or this process started its own), waiting at most
        ``timeout`` seconds to learn it."""
        return self._settle(timeout)

    def poll(self) -> int | None:
        """Its return code when it has ended (``-N``: killed by signal N), else ``None``."""
        if self.returncode is None and self._settle(0.0):
            self._status(0.0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for it to end; its return code.

        :raises subprocess.TimeoutExpired: ``timeout`` seconds passed first
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            if self._settle(REPLY_S if left is None else min(left, REPLY_S)):
                self._status(left)
            if self.returncode is None and deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
        return self.returncode

    def _settle(self, timeout: float) -> bool:
        """Learn who runs the worker: the preloader's child, or (it failed) a worker of the lane's own; False
        when that is not known within ``timeout`` seconds."""
        if not self._settling.acquire(timeout=timeout if timeout > 0 else 0):
            return False
        try:
            return self._settle_locked(timeout)
        finally:
            self._settling.release()

    def _settle_locked(self, timeout: float) -> bool:
        if self._pid is not None or self._popen is not None or self.declined:
            return True
        message = self._receive(timeout)
        if message is None:
            if timeout < REPLY_S:
                return False
            message = {}  # no reply in all that time: the preloader is stuck
        pid = message.get("pid")
        if isinstance(pid, int):
            self._pid = pid
        else:
            self._close_conn()
            if self._fallback is None:
                self.declined = True
            else:
                self._popen = self._fallback(self._held)
        for fd in self._held:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._held = []
        return True

    def _status(self, timeout: float | None) -> None:
        if self._popen is not None:
            if timeout is None:
                self.returncode = self._popen.wait()
            else:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.returncode = self._popen.wait(timeout) if timeout > 0 else self._popen.poll()
            return
        wait = _POLL_S if timeout is None else min(timeout, _POLL_S)
        message = self._receive(wait)
        status = message.get("status") if message else None
        if isinstance(status, int):
            self.returncode = os.waitstatus_to_exitcode(status)
            self._close_conn()
            return
        # no word from the preloader (yet): it may be gone, or stuck, and the child a zombie nobody reaps
        assert self._pid is not None
        ended, status = process_ended(self._pid)
        if ended and (status is not None or self._conn is None):  # gone with no status: the preloader's, if any
            self.returncode = os.waitstatus_to_exitcode(status) if status is not None else 1
            self._close_conn()
        elif message is not None and wait > 0:  # the connection closed: nothing to wait on but time
            time.sleep(wait)

    def _receive(self, timeout: float | None) -> dict[str, object] | None:
        """The next reply line; ``{}`` when the preloader closed the connection; ``None`` on timeout."""
        while b"\n" not in self._buffer:
            if self._conn is None:
                return {}
            try:
                if not select.select([self._conn], [], [], timeout)[0]:
                    return None
                data = self._conn.recv(4096)
            except (OSError, ValueError):
                data = b""
            if not data:
                self._close_conn()
                return {}
            self._buffer += data
        line, _, self._buffer = self._buffer.partition(b"\n")
        with contextlib.suppress(ValueError):
            message = json.loads(line)
            if isinstance(message, dict):
                return message
        return {}

    def _close_conn(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def process_ended(pid: int) -> tuple[bool, int | None]:
    """Whether process ``pid`` has ended, and its wait status when that is known.

    ``kill(pid, 0)`` alone says a zombie runs: it succeeds until the zombie is reaped, and a worker the preloader
    forked is not our child, so it is reaped by the preloader or, once that is gone, by whoever adopted it: an
    init that does not reap (a container's PID 1 that is not an init, this sandbox's) leaves it a zombie for
    good, and a lane or static worker waiting for it waited forever. So: ``waitpid(pid, WNOHANG)`` first, which
    reaps it when it is ours after all (we adopted it as a subreaper) and raises ``ChildProcessError`` when it
    is not (it never reaps another's child); then ``kill(pid, 0)`` (``ESRCH``: gone, status unknown); then its
    state in ``/proc``, where a zombie is ``Z`` and still holds the status its parent would read (field 52,
    ``exit_code``, Linux 3.5+).
    """
    try:
        done, status = _waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    except OSError:
        return False, None
    else:
        return (True, status) if done else (False, None)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True, None
    except PermissionError:
        pass
    return zombie(pid)  # no /proc: taken as running, as before


def request(path: str, command: WorkerCommand, control_fd: int, cwd: str | None = None,
            environ: Mapping[str, str] | None = None, output_fd: int | None = None,
            own_worker: bool = True) -> ForkedProc:
    """Ask the preloader at ``path`` for a worker whose stream this lane reads; the returned process's stdout is
    that stream, and ``control_fd`` (the worker's end of the control socket) is handed over.

    ``control_fd`` stays open in this process until the preloader replied (or this process started its own
    worker on it); the caller closes its own copy as after starting a worker. The worker's ``sys.argv`` is the
    runner's, with ``command``'s ``--load-list`` when it has one.

    :param output_fd: the worker writes its stream to this fd instead (a copy is handed over), and the returned
        process has no ``stdout``: a static worker's stream goes straight to the tool
        (:mod:`partitioner.dispatch.direct`)
    :param own_worker: when the preloader forks none (it could not load the suite, or declined), start a pull
        worker here; False: the returned process is :attr:`~ForkedProc.declined`, for the caller to start one

    :raises OSError: the preloader cannot be reached (the caller starts its own worker)
    """
    env = worker_env(command, os.environ if environ is None else environ)
    directory = cwd if cwd is not None else os.getcwd()
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    read, write = os.pipe() if output_fd is None else (None, os.dup(output_fd))
    control = os.dup(control_fd)
    try:
        conn.connect(path)
        message = {"cwd": directory, "env": env, "lane": os.getpid(), "load_list": command.load_list}
        payload = json.dumps(message).encode() + b"\n"
        socket.send_fds(conn, [b"F"], [write, control, 2])
        conn.sendall(payload)
    except BaseException:
        conn.close()
        for fd in (read, write, control):
            if fd is not None:
                os.close(fd)
        raise

    def fallback(held: list[int]) -> subprocess.Popen[bytes]:
        out, theirs = held
        return subprocess.Popen(command.worker_argv(theirs), stdin=subprocess.DEVNULL, stdout=out, env=env,
                                cwd=directory, start_new_session=True, pass_fds=(theirs,))

    stdout = None if read is None else open(read, "rb")  # noqa: SIM115  # Popen's stdout too
    return ForkedProc(conn, stdout, [write, control], fallback if own_worker else None)


# -- the preloader's side ----------------------------------------------------------------------------


@dataclass
class _Kid:
    conn: socket.socket
    pidfd: int | None


@dataclass
class Preloader:
    """The serve loop of a pull worker that loaded the suite (in the worker's own interpreter).

    :ivar listener: the listening socket (lanes that come while the suite loads wait in its backlog)
    """

    listener: socket.socket
    kids: dict[int, _Kid] = field(default_factory=dict)

    @classmethod
    def adopt(cls, fd: int) -> Preloader:
        """Serve on the listening socket ``fd`` that the dispatcher's side bound (so that lanes which connect
        before this process has started wait in its backlog, rather than finding no socket)."""
        listener = _socket(fileno=fd)
        listener.set_inheritable(False)
        listener.setblocking(False)  # a connection that is gone by the time it is accepted never blocks the loop
        return cls(listener)

    def close(self) -> None:
        self.listener.close()  # lanes still waiting in its backlog start workers of their own

    def serve(self, child: Callable[[int, int], int], parent: int) -> int:
        """Fork a worker per lane that connects, until ``parent`` (the dispatcher's process) is gone or a
        SIGTERM ends this process; children outlive it (each watches its own lane).

        :param child: what a forked child runs, given its control fd and its lane's pid; its exit status
        """
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is the lanes' to pass on to their workers
        try:
            while _getppid() == parent:
                watched: list[int | socket.socket] = [self.listener]
                watched.extend(k.pidfd for k in self.kids.values() if k.pidfd is not None)
                polled = any(k.pidfd is None for k in self.kids.values())
                try:
                    ready = _select(watched, [], [], _POLL_S if polled else 0.2)[0]
                except InterruptedError:  # pragma: no cover - PEP 475 retries select
                    continue
                if self.listener in ready:
                    with contextlib.suppress(OSError):  # BlockingIOError: the lane gave up meanwhile
                        self._fork(self._accept(), child)
                self._reap()
        finally:
            self.close()
        return 0

    def _accept(self) -> socket.socket:
        """The next connection, as a socket of the class bound at import (``accept()`` makes one of the class
        ``socket.socket`` names now, which a patching suite replaced)."""
        fd, _ = self.listener._accept()  # type: ignore[attr-defined]
        return _socket(self.listener.family, self.listener.type, self.listener.proto, fileno=fd)

    def _fork(self, conn: socket.socket, child: Callable[[int, int], int]) -> None:
        conn.settimeout(REQUEST_S)
        fds: list[int] = []
        try:
            _, fds, _, _ = socket.recv_fds(conn, 1, 3)
            line = b""
            while not line.endswith(b"\n"):
                data = conn.recv(65536)
                if not data:
                    raise OSError("the lane closed its connection before its request ended")
                line += data
            message = json.loads(line)
            out, control, err = fds
            cwd, env, lane = str(message["cwd"]), dict(message["env"]), int(message["lane"])
            load_list = message.get("load_list")
        except (OSError, ValueError, KeyError, TypeError):
            conn.close()
            for fd in fds:
                os.close(fd)
            return
        for stream in (sys.stdout, sys.stderr):  # nothing buffered twice
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        pid = _os_fork()
        if pid == 0:  # pragma: no cover - the child; tested through the streams of the workers it becomes
            def body() -> int:
                os.setsid()
                self.listener.close()
                for kid in self.kids.values():
                    kid.conn.close()
                    if kid.pidfd is not None:
                        os.close(kid.pidfd)
                conn.close()
                null = os.open(os.devnull, os.O_RDONLY)
                os.dup2(null, 0)
                os.dup2(out, 1)
                os.dup2(err, 2)
                for fd in (null, out, err):
                    os.close(fd)
                with contextlib.suppress(OSError):
                    os.chdir(cwd)
                adopt_environ({str(k): str(v) for k, v in env.items()})
                if isinstance(load_list, str):  # the runner's arguments as the tool gave them (a static share)
                    sys.argv = [*sys.argv, "--load-list", load_list]
                signal.signal(signal.SIGINT, signal.default_int_handler)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                return child(control, lane)

            child_exit(body)
        for fd in fds:
            os.close(fd)
        pidfd: int | None = None
        with contextlib.suppress(AttributeError, OSError):  # Linux 5.3+; else children are polled
            pidfd = os.pidfd_open(pid)  # type: ignore[attr-defined,unused-ignore]
        self.kids[pid] = _Kid(conn, pidfd)
        with contextlib.suppress(OSError):
            conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")

    def _reap(self) -> None:
        for pid in list(self.kids):
            try:
                done, status = _waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done, status = pid, 0
            if not done:
                continue
            kid = self.kids.pop(pid)
            with contextlib.suppress(OSError):
                kid.conn.sendall(json.dumps({"status": status}).encode() + b"\n")
            kid.conn.close()
            if kid.pidfd is not None:
                os.close(kid.pidfd)


@contextlib.contextmanager
def held_stderr() -> Iterator[list[bool]]:
    """While the suite loads in the preloader: its stderr (import warnings, a load error) is held, and written
    once it loaded; when it cannot load, dropped, since each lane's own worker says it again."""
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.flush()
        os.dup2(held.fileno(), 2)
        keep = [False]
        try:
            yield keep
        finally:
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            if keep[0]:
                held.seek(0)
                with contextlib.suppress(OSError):
                    os.write(2, held.read())


# -- starting one ------------------------------------------------------------------------------------


@dataclass
class Started:
    """A preloader process started for a run: its socket path and process."""

    path: str
    proc: subprocess.Popen[bytes]
    #: a directory of its own that holds ``path`` (removed by :meth:`stop`), or None when the dispatcher's holds it
    owned: str | None = None

    def stop(self) -> None:
        """End it (the lanes are done with it); children it forked are their lanes' to end."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            self.proc.terminate()
        try:
            self.proc.wait(5.0)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.owned is not None:
            shutil.rmtree(self.owned, ignore_errors=True)



def adopt_environ(wanted: Mapping[str, str]) -> None:
    """Make ``os.environ`` (and the C ``environ`` under it) ``wanted``, changing only what differs.

    Not ``clear()`` then ``update()``: emptied, the C ``environ`` array is rebuilt out of new strings, and a test
    that asks setproctitle for the process title (neutron-lib's worker tests) got ``''``, since setproctitle
    finds the memory of ``argv`` through the ``environ`` strings that follow it. A lane's environment is the
    preloader's but for what the shell between them set, so the original strings mostly stay."""
    for key in [k for k in os.environ if k not in wanted]:
        del os.environ[key]
    for key, value in wanted.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


def listen(path: str) -> socket.socket:
    """The preloader's listening socket, bound at ``path`` by the dispatcher's side before the preloader starts."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(path)
        listener.listen(256)
    except BaseException:
        listener.close()
        raise
    return listener


def start(command: WorkerCommand, path: str | None, cwd: str | None = None,
          environ: Mapping[str, str] | None = None) -> Started | None:
    """Start the preloader for ``command``'s pull workers at ``path`` (the runner's lanes; ``None``: a socket in a
    directory of its own); ``None`` when it cannot be started (the lanes start their own workers)."""
    base = os.environ if environ is None else environ

    def at(where: str) -> Started | None:
        try:
            with listen(where) as listener:
                env = {**worker_env(command, base), PARENT_ENV: str(os.getpid())}
                proc = subprocess.Popen(command.serve_argv(listener.fileno()), stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, env=env, cwd=cwd,
                                        start_new_session=True, pass_fds=(listener.fileno(),))
        except OSError:
            return None
        return Started(where, proc)

    return _bound(at, path)


def start_shell(shell_command: str, python: str, path: str | None) -> Started | None:
    """Start the preloader for a tool's worker command line (testr's or stestr's, run by the shell, as the
    tool runs it, so ``${PYTHON:-python}`` and the like expand alike) at ``path`` (``None``: a socket in a
    directory of its own); ``None`` when it cannot be started."""

    def at(where: str) -> Started | None:
        try:
            with listen(where) as listener:
                line = f"exec {shlex.quote(python)} -m {__name__} --listen-fd {listener.fileno()} -- {shell_command}"
                proc = subprocess.Popen(line, shell=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        env={**os.environ, PARENT_ENV: str(os.getpid())},
                                        start_new_session=True, pass_fds=(listener.fileno(),))
        except OSError:
            return None
        return Started(where, proc)

    return _bound(at, path)


def _bound(at: Callable[[str], Started | None], path: str | None) -> Started | None:
    """``at(path)``; for ``path=None``, at a socket in a new 0700 directory that :meth:`Started.stop` removes (a
    preloader started before its dispatcher exists: while the tool lists its tests, or the runner plans)."""
    if path is not None:
        return at(path)
    where = scratch.make("preload")
    started = at(os.path.join(where, "socket"))
    if started is None:
        shutil.rmtree(where, ignore_errors=True)
        return None
    started.owned = where
    return started


def main(argv: list[str] | None = None) -> int:
    """``python -m partitioner.dispatch.preload --listen-fd FD -- INNER``: become the preloader of INNER's pull
    workers on the listening socket FD (the shell expanded INNER's words; this process replaces itself with
    the worker in serve mode)."""
    words = list(sys.argv[1:] if argv is None else argv)
    if len(words) < 3 or words[0] != "--listen-fd" or not words[1].isdigit() or words[2] != "--":
        sys.stderr.write(f"{PROG}: error: usage: python -m {PROG} --listen-fd FD -- INNER COMMAND\n")
        return 2
    command = recognise(words[3:])
    if command is None:
        sys.stderr.write(f"{PROG}: error: cannot stand in for `{' '.join(words[3:])}`\n")
        return 2
    argv_ = command.serve_argv(int(words[1]))
    try:
        os.execvpe(argv_[0], argv_, worker_env(command, os.environ))
    except OSError:
        return 1  # the lanes start their own workers, which say why
    return 1  # pragma: no cover - execvpe does not return


if __name__ == "__main__":
    sys.exit(main())
