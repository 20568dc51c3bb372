"""``partitioner exec -- PROGRAM ARGS...``: run testr, stestr, tempest... in-process with our plans.

PROGRAM is, in this order: a console script of this environment (testr, stestr, tempest, ostestr: run in
this process with the hooks of :mod:`partitioner.dispatch.tools`), ``python -m MODULE`` (the module run
likewise), a Python script on PATH (likewise), or any other program: a shell script, a pyenv shim, a
binary, ``python -c ...``, run as a subprocess with its exit status passed back, and a note that our hooks
cannot reach into it.

``--shard K/M`` runs only this CI job's shard of the suite (the tool's own selection, split by predicted
time from the pinned ``--history`` or from ``--plan FILE``); an empty shard runs nothing and exits 0. One line
on stderr says what each run was planned from (``--quiet`` silences it).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib
import inspect
import os
import re
import runpy
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from partitioner import __version__, scratch
from partitioner.cli.arguments import add_dispatch
from partitioner.cli.console import Console
from partitioner.errors import InputError, PartitionerError, UsageError
from partitioner.interpreters import PYTHON_NAME, TOOLS_OF, activated_tool, other_python, suite_python

if TYPE_CHECKING:
    from partitioner.dispatch.tools import Session
    from partitioner.run.signals import Interrupt

NAME = "exec"
HELP = "run a console script (testr, stestr, tempest, ostestr...) with partitioner's plans and dynamic dispatch"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_dispatch(parser, "the tool's workers become lanes that take whole groups from a queue, in the "
                         "--dispatch-order, as they go idle (the default where the tool's worker command is `python "
                         "-m subunit.run|stestr.subunit_runner.run|testtools.run ...`)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no notes, no summary line and no progress line on stderr")
    parser.add_argument("--history", action="append", default=[], metavar="SOURCE",
                        help="plan from these history sources (repeatable) instead of the config files' history "
                             "option and the tool's repository: a history store URL (sqlite:///PATH, "
                             "postgresql://USER@HOST/DB, ?upto=N to pin it), a repository, a subunit stream or JSON "
                             "timing file, an http(s) URL")
    parser.add_argument("--shard", metavar="K/M|auto",
                        help="run only shard K of M (K counts from 1) of the tool's selection: the suite split over M "
                             "CI jobs by predicted time; auto reads the CI's variables (PARTITIONER_SHARD, GitLab, "
                             "Buildkite, CircleCI, ...). Every job must plan from the same history: pinned stores "
                             "(?upto=N) and files, or --plan; an empty shard runs nothing and exits 0")
    parser.add_argument("--plan", metavar="FILE", dest="plan_file",
                        help="with --shard: take the split from the plan file `partitioner plan --shards M -o FILE` "
                             "wrote (the same file in every job)")
    parser.add_argument("program", metavar="PROGRAM",
                        help="a console script, e.g. testr or stestr; its tests load with $PYTHON, else, when "
                             "the PROGRAM first on PATH is the activated venv's ($VIRTUAL_ENV, $CONDA_PREFIX), with "
                             "that venv's interpreter (dynamic dispatch's workers there get this partitioner "
                             "through PYTHONPATH), else with partitioner's")
    rest = parser.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS", help="its arguments")
    rest.required = False  # argparse counts a REMAINDER as required: "required: PROGRAM, ARGS" misled


@dataclass(frozen=True)
class _Target:
    """What to run: an entry point, a module (``python -m``), a Python script, or another program."""

    kind: str
    name: str
    argv: tuple[str, ...]
    #: an entry point's module and attribute (``kind == "entry"``)
    entry: tuple[str, str] | None = None
    #: a program that is a console script of another Python environment (its tool is not installed here)
    elsewhere: bool = False


def _is_python_script(path: str) -> bool:
    """A ``.py`` file, or one whose ``#!`` line names a Python interpreter."""
    if path.endswith(".py"):
        return True
    try:
        with open(path, "rb") as handle:
            first = handle.readline(256)
    except OSError:
        return False
    if not first.startswith(b"#!"):
        return False
    return any(PYTHON_NAME.match(os.path.basename(word)) for word in first[2:].decode("latin-1").split())


#: the two lines of a console script as pip and uv write it that name its entry point
_SCRIPT_FROM = re.compile(r"^from ([\w.]+) import (\w+)$", re.MULTILINE)


def _own_script(program: str, bindir: str | None = None) -> tuple[str, str] | None:
    """``(module, function)`` when ``program`` is a console script pip or uv wrote beside this interpreter
    (``from MODULE import FUNC`` ... ``sys.exit(FUNC())``): read from the script, since importing
    ``importlib.metadata`` to ask for the entry point costs ~15 ms before the tool can start; ``None`` for
    anything else (the entry points are asked then)."""
    if os.path.basename(program) != program:
        return None
    try:
        with open(os.path.join(bindir or os.path.dirname(sys.executable), program), encoding="utf-8") as handle:
            text = handle.read(4096)
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    found = _SCRIPT_FROM.search(text)
    if not text.startswith("#!") or found is None or f"sys.exit({found.group(2)}())" not in text:
        return None
    return found.group(1), found.group(2)


def resolve(program: str, argv: list[str]) -> _Target:
    """How to run ``program``.

    :raises UsageError: it is neither a console script nor a program on PATH
    """
    own = _own_script(program)
    if own is not None:
        return _Target("entry", program, tuple(argv), own)
    from importlib.metadata import entry_points

    found = [ep for ep in entry_points(group="console_scripts") if ep.name == program]
    if found:
        return _Target("entry", program, tuple(argv), (found[0].module, found[0].attr))
    path = shutil.which(program)
    if path is None:
        name = os.path.basename(program)
        how = {"stestr": "pip install stestr", "testr": "pip install testrepository",
               "tempest": "pip install tempest"}.get(name)
        fix = (f"install it in this environment ({how})" if how is not None else
               "check its spelling (exec runs stestr, testr, tempest or another program on PATH), or install it in "
               "this environment")
        raise UsageError(f"{program!r} is neither a Python console script nor a program on PATH; {fix}")
    if PYTHON_NAME.match(os.path.basename(program)) and argv[:1] == ["-m"] and len(argv) > 1:
        _check_module(argv[1])
        return _Target("module", argv[1], tuple(argv[2:]))
    if not os.access(path, os.R_OK):
        raise UsageError(f"cannot read {path}; check its permissions")
    if _is_python_script(path):
        if other_python(path) is not None:  # its modules are that environment's: they cannot load in this one
            return _Target("program", path, tuple(argv), elsewhere=True)
        return _Target("script", path, tuple(argv))
    return _Target("program", path, tuple(argv))


def _check_module(name: str) -> None:
    """``python -m NAME`` can run here: runpy's ImportError for a module that cannot was a traceback.

    :raises UsageError: no such module in this environment, or a package without ``__main__``
    """
    from importlib.util import find_spec

    try:
        spec = find_spec(name)
        runnable = spec is not None and (spec.submodule_search_locations is None or
                                         find_spec(f"{name}.__main__") is not None)
    except (ImportError, ValueError):  # a parent package that is not there, or no package
        spec, runnable = None, False
    if spec is None:
        raise UsageError(f"no module named {name} in partitioner's environment ({sys.executable}); install it there, "
                         "or name a console script")
    if not runnable:
        raise UsageError(f"{name} is a package without __main__: `python -m {name}` cannot run it; name its "
                         "console script or the module that runs it")


def worker_problem(python: str, environ: Mapping[str, str] | None = None) -> str | None:
    """Why the dynamic workers cannot run under ``python`` (they are ``python -m partitioner.dispatch.worker``
    and talk to this process), or ``None`` when they can.

    :param environ: the environment they would run in (default this process's)
    """
    probe = "import partitioner, partitioner.dispatch.worker; print(partitioner.__version__)"
    try:
        done = subprocess.run([python, "-c", probe], capture_output=True, stdin=subprocess.DEVNULL, timeout=60,
                              check=False, env=None if environ is None else dict(environ))
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"tests under {python}, which could not be started ({exc}); set PYTHON to the suite's interpreter"
    if done.returncode != 0:
        return (f"tests under {python}, which cannot import partitioner (its workers would run there; "
                f"`{python} -m pip install {_install_source()}` lets the run dispatch dynamically)")
    theirs = done.stdout.decode("utf-8", "replace").strip()
    if theirs != __version__:
        return (f"tests under {python}, whose partitioner {theirs} is not this one ({__version__}, under "
                f"{sys.executable}); `{python} -m pip install {_install_source()}` installs this one there")
    return None


def _lent_directory() -> Path | None:
    """A directory that holds only ``partitioner``, a link to this package (made once per package, in the cache
    directory, else a temporary one), or ``None`` when none can be made."""
    import partitioner

    package = Path(partitioner.__file__).resolve().parent
    from partitioner.history.cache import cache_dir

    cache = cache_dir()
    tag = hashlib.sha256(str(package).encode()).hexdigest()[:12]
    try:
        if cache is not None:
            where = cache / "lent" / f"{__version__}-{tag}"
            where.mkdir(parents=True, exist_ok=True)
        else:
            where = Path(scratch.make("lent"))  # removed by the next run once this one has ended
        link = where / "partitioner"
        with contextlib.suppress(FileExistsError):  # another exec made it: the same link
            link.symlink_to(package, target_is_directory=True)
        return where if link.resolve() == package else None
    except OSError:
        return None


def wants_dynamic(flag: str | None) -> bool:
    """Whether dynamic dispatch may run: neither ``--dispatch static`` nor the ``dispatch`` option says static
    (then nothing needs lending)."""
    from partitioner.config import load_settings

    return bool(load_settings(Path.cwd()).choose("dispatch", flag, "dynamic").value != "static")


def lend_package(python: str, environ: MutableMapping[str, str]) -> str | None:
    """When the tests' interpreter cannot run partitioner's workers (:func:`worker_problem`): put this partitioner
    package, and nothing else of its environment, first on their ``PYTHONPATH``, if that lets them.

    :returns: the note saying so (``PYTHONPATH`` is then set in ``environ``), or ``None`` (nothing changed)
    """
    where = _lent_directory()
    if where is None:
        return None
    path = os.pathsep.join(p for p in (str(where), environ.get("PYTHONPATH", "")) if p)
    if worker_problem(python, {**environ, "PYTHONPATH": path}) is not None:
        return None
    environ["PYTHONPATH"] = path
    return (f"{python} has no partitioner {__version__}: its dynamic workers import this one from {where} on "
            f"PYTHONPATH, a directory that holds only partitioner (`{python} -m pip install {_install_source()}` "
            "makes it unnecessary)")


def _install_source() -> str:
    """What to ``pip install`` for this partitioner: the checkout it runs from, else its name and version."""
    import partitioner

    root = Path(partitioner.__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file():
        return str(root)
    return f"testr-partitioner=={__version__}"


def check_python(environ: MutableMapping[str, str]) -> None:
    """``$PYTHON``, when set, must be an interpreter the tool can start: else one line now, not the shell's
    ``not found`` from inside the tool's run.

    :raises InputError: naming it
    """
    python = environ.get("PYTHON")
    if not python:
        return
    found = shutil.which(python, path=environ.get("PATH"))
    if found is None:
        raise InputError(f"PYTHON={python} is not an interpreter that can be started (not found, or not "
                         "executable); set PYTHON to the suite's interpreter, or unset it")


def _other_python(environ: Mapping[str, str]) -> str | None:
    """``$PYTHON`` as found on PATH, when it is set and not partitioner's own interpreter's environment."""
    python = environ.get("PYTHON")
    if not python:
        return None
    found = shutil.which(python, path=environ.get("PATH")) or python
    if os.path.dirname(os.path.abspath(found)) == os.path.dirname(os.path.abspath(sys.executable)):
        return None
    return found


def python_problem(environ: MutableMapping[str, str]) -> str | None:
    """Why the dynamic workers cannot run under a ``$PYTHON`` the user set to another environment's
    interpreter (:func:`worker_problem`), or ``None``: such a run once failed every test, its workers
    unable to import partitioner there."""
    python = _other_python(environ)
    return worker_problem(python) if python is not None else None


def follow_path_python(program: str, environ: MutableMapping[str, str]) -> tuple[str, str | None] | None:
    """When ``program`` first on PATH is a console script of the activated environment and that is not
    partitioner's (tempest's venv activated, partitioner installed elsewhere), its tests must load with that
    environment's interpreter: set ``PYTHON`` to it (testr's and stestr's commands use it), as the tool run
    there would.

    :returns: ``None`` when nothing changed (``PYTHON`` set, or no such tool); else the note to print and why
        dynamic dispatch cannot run (:func:`worker_problem`)
    """
    if environ.get("PYTHON"):
        return None
    activated = activated_tool(program, environ)
    if activated is None:
        return None
    python, found = activated
    environ["PYTHON"] = python
    note = (f"{found}, the first {Path(program).name} on PATH, belongs to the activated Python environment: the "
            f"tests load with its interpreter, {python} (set PYTHON to choose another); "
            f"{Path(program).name} itself runs under {sys.executable} with partitioner's hooks")
    differ = other_release(program, found)
    if differ is not None:
        note += f": {differ}"
    return note, worker_problem(python)


def follow_named_python(program: str, target: _Target,
                        environ: MutableMapping[str, str]) -> tuple[str, str | None] | None:
    """When the command names an interpreter of another environment than partitioner's (``/venv/bin/python -m
    stestr run``, or a ``python`` first on PATH that is not this one), stestr, run by it, would load the tests with
    it (its command is ``sys.executable -m stestr.subunit_runner.run`` where ``PYTHON`` is unset): set ``PYTHON``
    to it, since the module runs here, under partitioner's interpreter, with its hooks.

    :returns: ``None`` when nothing changed (``PYTHON`` set, a module of testr's, whose command names ``python``
        itself, or this interpreter); else the note to print and why dynamic dispatch cannot run
        (:func:`worker_problem`)
    """
    if environ.get("PYTHON") or target.kind != "module" or target.name.split(".")[0] in ("testrepository", "testr"):
        return None
    found = shutil.which(program, path=environ.get("PATH"))
    if found is None or os.path.dirname(os.path.abspath(found)) == os.path.dirname(os.path.abspath(sys.executable)):
        return None
    environ["PYTHON"] = found
    note = (f"{found} is another Python environment's interpreter than partitioner's: the tests load with it, as "
            f"`python -m {target.name}` run by it would load them (set PYTHON to choose another); {target.name} "
            f"itself runs under {sys.executable} with partitioner's hooks")
    return note, worker_problem(found)


#: the distribution each tool ``exec`` hooks comes in
DISTRIBUTIONS = {"stestr": "stestr", "testr": "testrepository"}


def release_in(prefix: Path, dist: str) -> str | None:
    """The release of ``dist`` installed in the Python environment at ``prefix`` (read from its ``.dist-info``
    directory, without starting its interpreter), or ``None`` when none is found."""
    for info in sorted(prefix.glob(f"lib/python*/site-packages/{dist}-*.dist-info")):
        return info.name[len(dist) + 1:-len(".dist-info")]
    return None


def other_release(program: str, found: str) -> str | None:
    """When the activated environment's ``program`` (``found``, its console script) is another release of the
    tool than the one installed beside partitioner, which runs: what that means, else ``None``."""
    from importlib.metadata import PackageNotFoundError, version

    for tool in TOOLS_OF.get(Path(program).name, ()):
        dist = DISTRIBUTIONS.get(tool, tool)
        theirs = release_in(Path(found).resolve().parent.parent, dist) or release_in(Path(found).parent.parent, dist)
        try:
            ours = version(dist)
        except PackageNotFoundError:
            continue
        if theirs is not None and theirs != ours:
            return (f"{dist} {ours} of partitioner's environment runs, not the activated environment's {dist} "
                    f"{theirs} (an option only {theirs} knows is refused; `{Path(found).parent / 'python'} -m pip "
                    f"install {_install_source()}` lets partitioner run that one)")
    return None


def _exit_status(code: object, console: Console) -> int:
    """The exit status a console script's return value or ``SystemExit`` code means (a message means 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    console.stderr.write(f"{code}\n")
    return 1


def _call(target: _Target, program: str) -> object:
    """Run a Python target in this process; returns what it returned (or raises SystemExit)."""
    if target.kind == "entry":
        assert target.entry is not None
        module, attribute = target.entry
        func: Any = importlib.import_module(module)
        for name in attribute.split("."):
            func = getattr(func, name)
        params = list(inspect.signature(func).parameters.values())
        takes_argv = bool(params) and params[0].name in ("argv", "args")
        return func(list(target.argv)) if takes_argv else func()
    if target.kind == "module":
        sys.argv = [target.name, *target.argv]
        runpy.run_module(target.name, run_name="__main__", alter_sys=True)
        return 0
    runpy.run_path(target.name, run_name="__main__")
    return 0


def _recorded(session: Session) -> Interrupt:
    """From the moment the tool returned until exec has its exit status: SIGINT and SIGTERM are recorded as the
    session's signal (exec exits 128+N), not raised. The tool has stored its run by then (a signal while it
    stored or printed its summary reached :meth:`Session.signals`, which recorded it too); a
    ``KeyboardInterrupt`` here cut short the closing (the dispatcher, the preloader, the plan record's wait)."""
    from partitioner.run.signals import Interrupt

    def record(signum: int) -> None:
        if session.signum is None:
            session.signum = signum

    return Interrupt(then=record)


def _interruption(session: Session, stopped: bool) -> str | None:
    """Why exec exits 128+N for the session's signal, or ``None`` where the account of the run said it already
    (tests it was given never reported: :meth:`Session.account` warned).

    A signal after every test had reported leaves a whole, often green, run behind: without a line the exit
    status alone said something went wrong."""
    assert session.signum is not None
    if not session.runs:  # a new user read a bare "interrupted" here as "what of my run?"
        return "interrupted before the tool asked for a plan (as it started or listed its tests, or ran them unsplit)"
    if stopped or not all(run.done for run in session.runs):
        return "interrupted"  # before a run was stored (the tool may catch the KeyboardInterrupt)
    if session.interrupt_said:
        return None
    name, status = signal.Signals(session.signum).name, 128 + session.signum
    if session.injected:  # the tests the account failed were not the signal's: it came after the run was stored
        return f"{name} arrived after the run was stored: exec exits {status} because it was interrupted"
    return (f"{name} arrived after every test had reported: the run is stored complete, and exec exits {status} "
            "because it was interrupted")


_AT_EXIT: list[bool] = []


def _ignore_signals_at_exit() -> None:
    """At the interpreter's exit (its ``atexit`` callbacks run first), SIGINT and SIGTERM are ignored: exec has
    its exit status by then and the tool has stored its run. Python's finalization resets the handlers of both
    to the default action before it collects the heap and unloads the modules (~0.1 s after a large run), and a
    Ctrl-C in that time killed exec by SIGINT: status -2 to a parent that waits for it, not an exit code."""
    if _AT_EXIT:
        return
    import atexit

    def ignore() -> None:
        if threading.current_thread() is threading.main_thread():
            for s in (signal.SIGINT, signal.SIGTERM):
                if signal.getsignal(s) is not None:  # a handler Python set (None: one it did not, left as it is)
                    signal.signal(s, signal.SIG_IGN)

    atexit.register(ignore)
    _AT_EXIT.append(True)


def run(args: argparse.Namespace, console: Console) -> int:
    program, argv = args.program, list(args.args)
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if args.plan_file and not args.shard:
        raise UsageError("--plan FILE needs --shard K: which of its shards this job runs")
    target = resolve(program, argv)
    if args.history:  # a missing source is said now, not after the tool has listed its tests
        from partitioner.history.load import check_sources

        check_sources(args.history, Path.cwd())
    if target.kind == "program" and args.shard:
        raise UsageError(f"--shard needs testr or stestr installed in this environment: {Path(target.name).name} runs "
                         "as a subprocess, where partitioner cannot choose its tests")
    if target.kind == "program":
        name = Path(target.name).name
        if target.elsewhere:
            console.stderr.write(f"partitioner: warning: {target.name} belongs to another Python environment and "
                                 f"{name} is not installed in partitioner's ({sys.executable}): it runs as a "
                                 f"subprocess, without partitioner's plans (`{sys.executable} -m pip install "
                                 f"{name}` puts them in its run)\n")
        elif not args.quiet:
            console.stderr.write(f"partitioner: note: {name} is not a Python console script of "
                                 "this environment: it runs as a subprocess, where partitioner's hooks cannot "
                                 "reach (install the tool into this environment to use them)\n")
        try:
            code = subprocess.run([target.name, *target.argv], check=False).returncode
        except OSError as exc:
            raise UsageError(f"cannot run {target.name}: {exc.strerror or exc}") from None
        return 128 - code if code < 0 else code
    from partitioner.dispatch.tools import NothingToRun, Session  # the planner itself loads while the tool lists

    session = Session(args.dispatch, args.quiet, console.stderr, args.dispatch_order, args.history, args.shard,
                      args.plan_file)
    check_python(os.environ)
    followed = follow_path_python(program, os.environ) or follow_named_python(program, target, os.environ)
    if followed is not None:
        session.note(followed[0])
        session.why_static = followed[1]
    else:
        session.why_static = python_problem(os.environ)
    other = _other_python(os.environ)  # PYTHON is set whenever the workers cannot run
    if session.why_static is not None and other is not None and wants_dynamic(args.dispatch):
        lent = lend_package(other, os.environ)
        if lent is not None:
            session.note(lent)
            session.why_static = None
    session.records_aside = True  # the plan record is written while the tool stores its run
    session.preload_early = "run" in target.argv  # `stestr list` lists too, and runs no worker
    session.check_shardable(target.argv)
    saved_argv = sys.argv
    sys.argv = [program, *target.argv]
    try:
        hooked = _install(session, TOOLS_OF.get(os.path.basename(program), ("stestr", "testr")), console)
    except PartitionerError:  # a release of the tool exec does not hook: said in one line, nothing left patched
        session.uninstall()
        sys.argv = saved_argv
        raise
    if not hooked:
        if args.shard:
            session.uninstall()
            sys.argv = saved_argv
            raise UsageError("--shard needs testr or stestr importable in this environment; install the tool here")
        console.warn("neither stestr nor testrepository is importable: nothing to hook, running as is")
    stopped, code = False, 1  # the code of a tool a signal stopped is the signal's (:func:`_explained`)
    _ignore_signals_at_exit()
    with contextlib.ExitStack() as closing:
        try:
            with session.signals():
                try:
                    code = _exit_status(_call(target, program), console)
                except SystemExit as exc:
                    code = _exit_status(exc.code, console)
                except NothingToRun:
                    return 0
                except KeyboardInterrupt:  # a signal stopped the tool (before it planned a run, or the third)
                    if session.signum is None:
                        raise
                    stopped = True
        finally:  # the tool returned: a signal from here on is recorded, not raised (:func:`_recorded`)
            closing.enter_context(_recorded(session))
            session.uninstall()
            sys.argv = saved_argv
        return _explained(session, code, stopped, program, target, args, console)


def _install(session: Session, tools: tuple[str, ...], console: Console) -> list[str]:
    """Hook ``tools`` (:meth:`Session.install`). A release ``exec`` does not hook
    (:func:`partitioner.dispatch.patches.check_release`) is an error where the program is that tool; where it may
    be either (``python -m ...``, a script), the other is hooked and a warning says this one runs unhooked.

    :raises PartitionerError: the tool the program is cannot be hooked
    """
    if len(tools) == 1:
        return session.install(tools)
    hooked = []
    for tool in tools:
        try:
            hooked += session.install((tool,))
        except PartitionerError as exc:
            console.warn(f"{exc}; {tool} runs without partitioner's hooks")
    return hooked


def _listing_note(program: str, code: int) -> str | None:
    """Why ``program`` exited with ``code`` before it asked for a plan, when its test listing is what failed.

    The suite is listed again as ``plan`` lists it (:func:`partitioner.listing.why_listing_fails`), so the note
    says what failed to import, where, and the way out -- the environment only where it may be the cause (a
    dependency the project declares, or that another environment here has), not for a module nothing here has
    or an error in the suite's own code. ``None`` when that listing works: the listing is not what failed, and
    the tool said what did. Where it cannot tell (no config to list with), the environment stays the guess.
    """
    from partitioner.config import CONFIG_FILES, load_settings
    from partitioner.listing import ListingFailed, why_listing_fails

    python, where = suite_python()
    guess = (f"{program} exited with status {code} before it asked for a plan (its test listing failed?); its tests "
             f"load with {python} ({where}): if the suite's dependencies are in another environment, activate it or "
             "set PYTHON")
    if not any((Path.cwd() / name).exists() for name in CONFIG_FILES):
        return None  # no configuration to list with: the tool said what it missed ("No repository found", ...)
    try:
        failed = why_listing_fails(Path.cwd(), load_settings(Path.cwd()))
    except PartitionerError:
        return guess
    if failed is None:
        return None
    if not isinstance(failed, ListingFailed):
        return guess
    return (f"{program} exited with status {code} before it asked for a plan: its test listing fails under "
            f"{failed.python[0]} ({failed.python[1]}): {failed.why}; {failed.fix}")


def _explained(session: Session, code: int, stopped: bool, program: str, target: _Target, args: argparse.Namespace,
               console: Console) -> int:
    """Exec's exit status once the tool returned, and the line that explains it, if any."""
    if session.signum is not None:
        said = _interruption(session, stopped)
        if said is not None:
            console.stderr.write(f"partitioner: {said}\n")
        return 128 + session.signum
    # it failed before a plan and stored nothing (a serial run stores one without asking for a plan); status 2 is
    # the tool's own usage error (stestr's and testr's option parsers), which it explained itself
    if code not in (0, 2) and not session.runs and not session.stored and not session.refused and \
            "run" in target.argv and not args.quiet:
        note = _listing_note(program, code)
        if note is not None:
            console.stderr.write(f"partitioner: note: {note}\n")
    if code == 2 and not session.runs and not args.quiet and target.kind == "entry":
        activated = activated_tool(os.path.basename(program), os.environ)
        differ = other_release(program, activated[1]) if activated is not None else None
        if differ is not None:  # its usage error may be an option the activated environment's release has
            console.stderr.write(f"partitioner: note: {program} exited with status 2 (its usage error): {differ}\n")
    if args.shard and session.shard_run is None and code == 0:
        console.stderr.write(f"partitioner: error: {program} ran without listing its tests where partitioner could "
                             "choose this shard's: every test may have run; run `stestr run` or `testr run`\n")
        return 1
    return 1 if session.injected and code == 0 else code
