"""Whether the runner was started by ``testr run --parallel``: testr's partitioning around the runner's own.

testr tells a ``test_command`` nothing about its partitions: no environment variable, no worker number, and
the ``--load-list $IDFILE`` each of its workers gets is the same kind of temp file ``testr run --failing`` or
a filtered ``testr run`` passes to a single one. What does tell is the process that started the runner: the
runner is testr's ``test_command`` when its parent is testr, or a shell testr started it with (testr runs the
command with ``sh -c``), and that testr's command line says ``run --parallel`` (:func:`runs_testr_parallel`;
``partitioner exec -- testr run --parallel`` runs testr in its own process, and its command line says it
too). On Linux the command lines are in ``/proc/<pid>/cmdline``; without ``/proc`` (macOS), or when testr
runs inside another program (``python setup.py testr --testr-args=--parallel``), nothing is found and
nothing is said. A runner started by anything else (a test that runs it, a script) is never taken for
testr's worker, whatever ran further up.

testr starts one runner per partition, all at once, so each would warn: only the one with the lowest pid
among the runners that testr started does (if that one has already ended, the next warns as well).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["PROC", "WARNING", "first_of_its_runners", "nested_under_testr", "runs_testr_parallel"]

PROC = Path("/proc")
#: what testr's ``sh -c`` may be (a shell that does not exec a simple command stays the runner's parent)
SHELLS = frozenset({"sh", "bash", "dash", "ash", "busybox", "zsh", "ksh"})
#: the prefixes of testr's run options that optparse takes for ``--parallel`` and ``--concurrency``
_PARALLEL_FROM = "--para"
_CONCURRENCY_FROM = "--c"

WARNING = ("started by `testr run --parallel` (pid {pid}): testr splits the tests over its own workers and "
           "starts this runner in each, which splits its part again over workers of its own (testr's workers "
           "times the runner's, each part planned alone); with the runner as test_command use a plain "
           "`testr run`: the runner runs the workers itself (docs/runner.md)")


def _argv(proc: Path, pid: int) -> list[str] | None:
    with contextlib.suppress(OSError):
        raw = (proc / str(pid) / "cmdline").read_bytes()
        return [w.decode("utf-8", "replace") for w in raw.split(b"\0") if w] or None
    return None


def _parent(proc: Path, pid: int) -> int | None:
    """``pid``'s parent, from ``/proc/<pid>/stat`` (its name, in parentheses, may hold spaces)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        stat = (proc / str(pid) / "stat").read_text(encoding="utf-8", errors="replace")
        return int(stat.rpartition(")")[2].split()[1])
    return None


def runs_testr_parallel(argv: list[str]) -> bool:
    """Whether ``argv`` runs ``testr run --parallel`` with a concurrency other than 1 (with 1, testr runs the
    command once: nothing is nested).

    ``testr`` is a word whose basename is ``testr`` (the script, or the command ``partitioner exec`` runs);
    ``run`` is the first word after it that is not an option; ``--parallel`` (or a prefix optparse takes for
    it) comes after ``run`` and before any ``--``.
    """
    at = next((i for i, word in enumerate(argv) if os.path.basename(word) == "testr"), None)
    if at is None:
        return False
    rest = argv[at + 1:]
    command = next((i for i, word in enumerate(rest) if not word.startswith("-")), None)
    if command is None or rest[command] != "run":
        return False
    options = rest[command + 1:]
    if "--" in options:
        options = options[:options.index("--")]
    parallel = any(w.startswith(_PARALLEL_FROM) and "--parallel".startswith(w) for w in options)
    return parallel and _concurrency(options) != 1


def _concurrency(options: list[str]) -> int | None:
    """testr's ``--concurrency N`` (or ``--concurrency=N``, or a prefix of the option), if given."""
    for i, word in enumerate(options):
        name, equals, value = word.partition("=")
        if name.startswith(_CONCURRENCY_FROM) and "--concurrency".startswith(name):
            if not equals:
                value = options[i + 1] if i + 1 < len(options) else ""
            with contextlib.suppress(ValueError):
                return int(value)
    return None


def _launcher(proc: Path, pid: int) -> int | None:
    """The process that started ``pid`` as a command: its parent, or the parent's parent when the parent is a
    shell (``sh -c COMMAND`` that did not exec it)."""
    parent = _parent(proc, pid)
    if parent is None or parent <= 1:
        return None
    argv = _argv(proc, parent)
    if argv is not None and os.path.basename(argv[0]).lstrip("-") in SHELLS:
        grand = _parent(proc, parent)
        return grand if grand is not None and grand > 1 else None
    return parent


def nested_under_testr(pid: int | None = None, proc: Path = PROC) -> int | None:
    """The pid of the ``testr run --parallel`` that started ``pid`` (default: this process) as its
    test_command, or ``None`` (another starter, or no ``/proc``)."""
    launcher = _launcher(proc, os.getpid() if pid is None else pid)
    if launcher is None:
        return None
    argv = _argv(proc, launcher)
    return launcher if argv is not None and runs_testr_parallel(argv) else None


def first_of_its_runners(testr: int, pid: int | None = None, proc: Path = PROC) -> bool:
    """Whether ``pid`` (default: this process) has the lowest pid of the runners ``testr`` started (processes
    running ``partitioner.run`` that ``testr`` started, directly or through a shell)."""
    me = os.getpid() if pid is None else pid
    with contextlib.suppress(OSError):
        for entry in proc.iterdir():
            if not entry.name.isdigit() or int(entry.name) >= me:
                continue
            other = int(entry.name)
            argv = _argv(proc, other)
            if argv is not None and "partitioner.run" in argv and _launcher(proc, other) == testr:
                return False
    return True
