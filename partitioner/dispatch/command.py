"""Recognise an inner test command the pull worker can stand in for, and build the worker and lane commands.

Pure string work. Recognised: ``[NAME=value ...] PYTHON [python options] -m RUNNER ARGS`` where RUNNER is
``subunit.run``, ``stestr.subunit_runner.run`` or ``testtools.run``. The worker drops what selects a
subset or lists (``--load-list FILE``, ``--list``/``-l``): the dispatcher decides what runs. Anything
else (a shell pipeline, a wrapper script, ``instance_execute``) is not recognised and keeps the static plan.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

#: the runners a pull worker can stand in for (module -> what it is)
RUNNERS = {
    "subunit.run": "python-subunit's runner (testr's usual test_command)",
    "stestr.subunit_runner.run": "stestr's runner",
    "testtools.run": "testtools' runner",
}
WORKER_MODULE = "partitioner.dispatch.worker"
LANE_MODULE = "partitioner.dispatch.lane"
DIRECT_MODULE = "partitioner.dispatch.direct"
#: what a lane's shell runs first when it holds SIGINT off the lane's start-up (:func:`lane_shell_command`)
TRAP_SIGINT = "trap '' INT; "
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
#: interpreter options that take a value (``-W ignore``), and ones that do not
_PY_VALUE_OPTS = frozenset({"-W", "-X", "-Q"})
_PY_FLAGS = re.compile(r"-[bBdEiIOqsSuvR]+$")
#: a word of a shell command line that makes it more than one simple command
_SHELL_OPERATORS = frozenset({";", "&&", "||", "|", "&", "(", ")", "<", ">", ">>", "2>", "2>&1", "|&"})
_SHELL_META = re.compile(r"[;&|<>`]|\$\(")
_PYTHON_WORD = re.compile(r"(.*/)?(python[0-9.]*|pypy[0-9.]*)$|\$\{?PYTHON(:-[^}]*)?\}?$")


@dataclass(frozen=True)
class WorkerCommand:
    """An inner command taken apart.

    :ivar env: ``NAME=value`` words that came before the interpreter
    :ivar python: the interpreter word
    :ivar python_options: interpreter options before ``-m``
    :ivar runner: the runner module (a key of :data:`RUNNERS`)
    :ivar args: the runner's arguments without ``--list`` and ``--load-list FILE``
    :ivar load_list: the ``--load-list`` file that was dropped, if any
    """

    env: tuple[tuple[str, str], ...]
    python: str
    python_options: tuple[str, ...]
    runner: str
    args: tuple[str, ...]
    load_list: str | None = None

    def worker_argv(self, control_fd: int) -> list[str]:
        """The pull worker's command line, reading groups from ``control_fd``."""
        return [self.python, *self.python_options, "-m", WORKER_MODULE, "--control-fd", str(control_fd),
                self.runner, *self.args]

    def serve_argv(self, listen_fd: int) -> list[str]:
        """The preloader's command line: a pull worker that loads the suite once and forks a worker for each lane
        that connects to the listening socket ``listen_fd`` (:mod:`partitioner.dispatch.preload`)."""
        return [self.python, *self.python_options, "-m", WORKER_MODULE, "--serve", str(listen_fd), self.runner,
                *self.args]

    def environ(self, base: dict[str, str] | os._Environ[str]) -> dict[str, str]:
        """``base`` with the command's ``NAME=value`` assignments applied."""
        env = dict(base)
        env.update(self.env)
        return env

    def describe(self) -> str:
        """The inner command as a shell line (without the dropped options)."""
        words = [f"{k}={v}" for k, v in self.env]
        return shlex.join([*words, self.python, *self.python_options, "-m", self.runner, *self.args])


def split_assignments(argv: Sequence[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """``(NAME=value assignments, the command)`` of a shell command's words, as the shell runs them (a leading
    ``exec`` dropped)."""
    words = list(argv)
    env: list[tuple[str, str]] = []
    while words and _ASSIGNMENT.match(words[0]):
        name, _, value = words.pop(0).partition("=")
        env.append((name, value))
    if words and words[0] == "exec":
        words.pop(0)
    return env, words


def recognise(argv: Sequence[str]) -> WorkerCommand | None:
    """Take an inner command's argv apart, or ``None`` when a pull worker cannot stand in for it."""
    env, words = split_assignments(argv)
    if len(words) < 3 or not _PYTHON_WORD.match(words[0]):
        return None
    python, rest = words[0], words[1:]
    options: list[str] = []
    while rest and rest[0] != "-m":
        if rest[0] in _PY_VALUE_OPTS and len(rest) > 1:
            options += rest[:2]
            rest = rest[2:]
        elif _PY_FLAGS.match(rest[0]) or rest[0][:2] in _PY_VALUE_OPTS:
            options.append(rest.pop(0))
        else:
            return None
    if len(rest) < 2 or rest[1] not in RUNNERS:
        return None
    runner, args, load_list = rest[1], [], None
    tail = rest[2:]
    while tail:
        word = tail.pop(0)
        if word in ("--list", "-l"):
            continue
        if word == "--load-list":
            if not tail:
                return None
            load_list = tail.pop(0)
            continue
        if word.startswith("--load-list="):
            load_list = word.partition("=")[2]
            continue
        args.append(word)
    return WorkerCommand(tuple(env), python, tuple(options), runner, tuple(args), load_list)


def joined_lines(command: str) -> str:
    """``command`` with its backslash-newline continuations joined, as the shell joins them.

    A ``test_command`` written over several lines of ``.testr.conf`` (pbr-era projects: ``OS_STDOUT_CAPTURE=1 \\``
    then the next assignment on the next line) reaches the shell with each line's backslash and newline, which the
    shell drops; ``shlex.split`` would keep the newline in a word instead."""
    return command.replace("\\\n", "")


def recognise_shell(command: str) -> WorkerCommand | None:
    """:func:`recognise` for a shell command line (testr's and stestr's worker commands, ``shell=True``).

    ``None`` for anything with shell operators, substitutions or quoting we cannot split, or for more than one
    line once continuations are joined (:func:`joined_lines`: the shell runs each line as a command); variables
    such as ``${PYTHON:-python}`` are left for the shell to expand.
    """
    line = joined_lines(command)
    if "\n" in line.strip():
        return None
    try:
        words = shlex.split(line)
    except ValueError:
        return None
    if any(w in _SHELL_OPERATORS for w in words) or _SHELL_META.search(line.replace("$IDFILE", "")):
        return None
    return recognise(words)


def lane_argv(python: str, address: str, lane: int, inner: Sequence[str], sigint: bool = False) -> list[str]:
    """The lane supervisor's command line for one lane in front of ``inner`` (``sigint``: it starts with SIGINT
    ignored, and handles it from its first line on: ``--sigint``)."""
    held = ["--sigint"] if sigint else []
    return [python, "-m", LANE_MODULE, "--connect", address, "--lane", str(lane), *held, "--", *inner]


def lane_shell_command(command: str, python: str, address: str, lane: int, hold_sigint: bool = False) -> str | None:
    """A testr/stestr worker command rewritten to run the lane supervisor in front of it.

    The shell still expands the original words (``${PYTHON}``, ``$IDFILE``), so they reach the lane as
    its inner command. ``None`` when :func:`recognise_shell` does not recognise ``command``.

    :param hold_sigint: the lane's interpreter starts with SIGINT ignored (``trap '' INT``), so that a Ctrl-C
        while it imports prints no traceback (Python's own handler would raise KeyboardInterrupt in the middle of
        ``site``); the lane handles SIGINT from its first line on. For a tool that handles SIGINT itself: one
        that ignores it (``nohup``, a background job) starts its lanes ignoring it anyway.
    """
    if recognise_shell(command) is None:
        return None
    head = shlex.join(lane_argv(python, address, lane, [], sigint=hold_sigint))
    return held_sigint(f"{head} {command}") if hold_sigint else f"exec {head} {command}"


def direct_shell_command(command: str, python: str, hold_sigint: bool = False) -> str | None:
    """A testr/stestr static worker command rewritten to fork its worker from the preloaded suite
    (:mod:`partitioner.dispatch.direct`); the shell still expands the original words, ``$IDFILE`` included.
    ``None`` when :func:`recognise_shell` does not recognise ``command`` or it names no ``--load-list``.

    :param hold_sigint: as for :func:`lane_shell_command`
    """
    worker = recognise_shell(command)
    if worker is None or worker.load_list is None:
        return None
    head = shlex.join([python, "-m", DIRECT_MODULE, *(["--sigint"] if hold_sigint else []), "--"])
    return held_sigint(f"{head} {command}") if hold_sigint else f"exec {head} {command}"


def direct_argv(python: str, inner: Sequence[str]) -> list[str] | None:
    """``inner`` (a static worker's argv, its share in ``--load-list``) run through
    :mod:`partitioner.dispatch.direct`, forked from the preloaded suite; ``None`` when no pull worker stands in for
    it or it names no ``--load-list``."""
    worker = recognise(inner)
    if worker is None or worker.load_list is None:
        return None
    return [python, "-m", DIRECT_MODULE, "--", *inner]


def exec_line(command: str) -> str:
    """``command`` (one simple command) as the shell's last act: ``exec COMMAND``, so the program it starts is the
    process its starter watches and signals.

    A command that starts with ``NAME=value`` words (``OS_STDOUT_CAPTURE=1 ${PYTHON:-python} -m subunit.run ...``,
    common in OpenStack's ``.testr.conf``) cannot follow ``exec`` as it is: the shell would look for a program
    named ``OS_STDOUT_CAPTURE=1``. It goes through ``env``, which sets them and replaces itself with the program,
    in the same process."""
    if _ASSIGNMENT.match(command.lstrip()):
        return f"exec env {command.lstrip()}"
    return f"exec {command}"


def held_sigint(command: str) -> str:
    """``command`` (one simple command) run by its shell with SIGINT ignored: ``trap '' INT; exec COMMAND``
    (:func:`exec_line`). The interpreter it starts cannot take a Ctrl-C in the middle of its imports; whoever
    starts it ends it, or it handles SIGINT itself once it can (a lane's ``--sigint``)."""
    return f"{TRAP_SIGINT}{exec_line(command)}"
