"""Where ``partitioner exec`` hooks into testr and stestr: the patch points, each a thin wrapper that calls the
:class:`~partitioner.dispatch.tools.Session` (see :mod:`partitioner.dispatch.tools` for what each does).

stestr: ``scheduler.partition_tests``, ``TestProcessorFixture.run_tests`` (which shows the worker command),
``_start_process`` (one partition's worker), ``setUp`` (shards), ``list_tests`` (the history read meanwhile) and the
repositories' ``get_inserter``. testr: ``TestListingFixture.partition_tests``, ``run_tests`` (of a one-partition
fixture: its worker), ``setUp``, ``list_tests`` and ``get_inserter``. A static run's workers are started with our
``preexec_fn`` chained onto the tool's own (:func:`_static_workers_die_with_us`).

Where each tool reads its own config file (stestr: ``TestrConf.__init__`` and ``get_run_command``, with the
command line's ``--test-path`` seen in ``StestrCLI.prepare_to_run_command``; testr: ``TestCommand.get_parser``
and ``get_run_command``), a file it cannot run from is one error line and exit 1 (:mod:`partitioner.dispatch.toolconf`).

The patch points are those of every release from :data:`OLDEST` on (stestr 2.6, 3.x and 4.x; testrepository
0.0.20 to 0.0.22, as OpenStack's stable branches pin them): an older release, or one without a patch point, is one
error line (:func:`check_release`) before the tool starts, not a traceback or a run partitioner half hooked.
"""

from __future__ import annotations

import configparser
import contextlib
import importlib
import inspect
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from partitioner.dispatch import toolconf
from partitioner.errors import ConfigError, PartitionerError, one_line
from partitioner.run.parentdeath import dying_with_us

if TYPE_CHECKING:
    from partitioner.dispatch.tools import Session


#: the oldest release of each tool ``exec`` hooks: pyproject.toml's floors, on which ``.ci/run`` runs exec's tests
#: (``tests/dispatch/test_patches.py`` keeps the two in step)
OLDEST = {"stestr": "2.6", "testrepository": "0.0.20"}

#: each tool's patch points, by module (what :func:`_require` checks is there)
NEEDS: dict[str, dict[str, tuple[str, ...]]] = {
    "stestr": {
        "stestr.scheduler": ("partition_tests",),
        "stestr.repository.abstract": ("AbstractRepository.get_inserter",),
        "stestr.test_processor": tuple(f"TestProcessorFixture.{name}"
                                       for name in ("run_tests", "_start_process", "setUp", "list_tests")),
        "stestr.cli": ("StestrCLI.prepare_to_run_command",),
        "stestr.config_file": ("TestrConf.__init__", "TestrConf.get_run_command"),
    },
    "testrepository": {
        "testrepository.repository": ("AbstractRepository.get_inserter",),
        "testrepository.testcommand": (*(f"TestListingFixture.{name}"
                                         for name in ("partition_tests", "run_tests", "setUp", "list_tests")),
                                       "TestCommand.get_parser", "TestCommand.get_run_command"),
    },
}


def release(version: object) -> tuple[int, ...]:
    """A version's leading release numbers: ``"3.2.1"`` -> ``(3, 2, 1)``, ``"4.0.0rc1"`` -> ``(4, 0, 0)``, and
    testrepository's ``__version__`` tuples alike (``(0, 0, 20, 'final', 0)`` -> ``(0, 0, 20)``)."""
    parts = version.split(".") if isinstance(version, str) else list(version) if isinstance(version, tuple) else []
    numbers: list[int] = []
    for part in parts:
        found = re.match(r"\d+", str(part))
        if found is None:
            break
        numbers.append(int(found.group()))
        if found.end() != len(str(part)):  # "0rc1": a pre-release of 0
            break
    return tuple(numbers)


def installed_version(dist: str, package: Any) -> str | None:
    """The release of ``dist`` whose top-level module ``package`` is: its ``__version__`` (testrepository's
    tuple, stestr 4.2's string), else the installed distribution's metadata; ``None`` when neither says (a
    source tree on ``sys.path``)."""
    own = getattr(package, "__version__", None)
    if release(own):
        return ".".join(str(n) for n in release(own))
    from importlib.metadata import PackageNotFoundError, version  # loaded by stestr's cliff anyway

    try:
        return version(dist)
    except (PackageNotFoundError, ValueError):
        return None


def check_release(dist: str, version: str | None, where: str) -> PartitionerError | None:
    """The error for a release of ``dist`` older than ``exec`` hooks (:data:`OLDEST`), or ``None`` (also for a
    release it cannot tell: what that lacks, :func:`_require` finds).

    :param where: its package directory, named in the error
    """
    oldest = OLDEST[dist]
    if version is None or not release(version) or release(version) >= release(oldest):
        return None
    return PartitionerError(f"{dist} {version} ({where}) is older than partitioner exec hooks ({dist} >= {oldest} is "
                            f"needed): upgrade it, `{sys.executable} -m pip install '{dist}>={oldest}'`, or run "
                            "the tool without partitioner exec")


def _require(dist: str) -> None:
    """Check that the installed ``dist`` is a release ``exec`` hooks: :func:`check_release`, and every patch point
    of :data:`NEEDS` there.

    :raises ImportError: ``dist`` is not installed (or a dependency of it is missing: the tool says which as it starts)
    :raises PartitionerError: a release ``exec`` does not hook, in one line naming it
    """
    package = importlib.import_module(dist)
    where = os.path.dirname(os.path.abspath(getattr(package, "__file__", None) or dist))
    version = installed_version(dist, package)
    problem = check_release(dist, version, where)
    if problem is not None:
        raise problem
    for module_name, paths in NEEDS[dist].items():
        try:
            module: Any = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if not (exc.name or "").startswith(f"{dist}."):
                raise
            raise _unhooked(dist, version, where, f"module {module_name}") from None
        for path in paths:
            owner = module
            for name in path.split("."):
                owner = getattr(owner, name, None)
            if owner is None:
                raise _unhooked(dist, version, where, f"{module_name}.{path}")


def _unhooked(dist: str, version: str | None, where: str, missing: str) -> PartitionerError:
    return PartitionerError(f"{dist} {version or '(release unknown)'} ({where}) has no {missing}, where partitioner "
                            f"exec hooks in: install a release it hooks ({dist} >= {OLDEST[dist]}, up to the newest "
                            "this partitioner knows), or run the tool without partitioner exec")


def stestr_patches(session: Session) -> list[tuple[Any, str, Any]]:
    """``(owner, name, replacement)`` for each of stestr's patch points (:raises ImportError: no stestr;
    :raises PartitionerError: a release it does not hook, :func:`_require`)."""
    _require("stestr")
    from stestr import scheduler
    from stestr.repository import abstract
    from stestr.test_processor import TestProcessorFixture

    run_tests = TestProcessorFixture.run_tests
    start = TestProcessorFixture._start_process
    set_up = TestProcessorFixture.setUp
    get_inserter = abstract.AbstractRepository.get_inserter
    current: list[Any] = []

    def partition_tests(test_ids: Sequence[str], concurrency: int, repository: object = None,
                        group_callback: Callable[[str], object] | None = None,
                        randomize: bool = False) -> list[list[str]]:
        fixture = current[-1] if current else None
        why = "a randomized order (--random)" if randomize or getattr(fixture, "randomize", False) else None
        try:
            return session.partition(test_ids, concurrency, repository, group_callback,
                                     getattr(fixture, "cmd", None), why)
        except PartitionerError as exc:
            _fail(exc, 1)

    def fixture_run_tests(self: Any) -> Any:
        current.append(self)
        try:
            return run_tests(self)
        finally:
            current.pop()

    def start_process(self: Any, cmd: str) -> Any:
        index = None
        worker = cmd == getattr(self, "cmd", None) and getattr(self, "concurrency", 1) == 1  # not the listing
        held = False
        if worker:
            cmd, index = session.worker_command(session.current(), self.test_ids, cmd)
        elif cmd == getattr(self, "list_cmd", None):
            listing = session.listing_command(cmd)
            cmd, held = listing, listing != cmd
        with _static_workers_die_with_us(session, self if worker else None):
            proc = start(self, cmd)
        if worker:
            session.started(session.current(), index, proc)
        elif held:
            session.listing_started(proc)
        return proc

    inserter, fixture_set_up, listing = _common(session, current, get_inserter, set_up,
                                                TestProcessorFixture.list_tests)

    return [(scheduler, "partition_tests", partition_tests), (TestProcessorFixture, "run_tests", fixture_run_tests),
            (TestProcessorFixture, "_start_process", start_process), (TestProcessorFixture, "setUp", fixture_set_up),
            (abstract.AbstractRepository, "get_inserter", inserter), (TestProcessorFixture, "list_tests", listing),
            *_stestr_config_patches(session)]


def _stestr_config_patches(session: Session) -> list[tuple[Any, str, Any]]:
    """stestr's config file, checked as stestr reads it (:mod:`partitioner.dispatch.toolconf`): a file its parser
    rejects, and a run or listing without test_path (none in the file, none given with ``--test-path``)."""
    from stestr import cli
    from stestr.config_file import TestrConf

    conf_init = TestrConf.__init__
    get_run_command = TestrConf.get_run_command
    prepare = cli.StestrCLI.prepare_to_run_command
    #: the command stestr's CLI runs: its global options (``--test-path``), and whether it needs a test_path
    command: list[tuple[Any, bool]] = []

    def prepare_to_run_command(self: Any, cmd: Any) -> Any:
        command[:] = [(getattr(cmd, "app_args", None), type(cmd).__name__ in ("Run", "List"))]
        return prepare(self, cmd)

    def init(self: Any, config_file: Any, *args: Any, **kwargs: Any) -> None:
        try:  # stestr < 3.1 takes no section
            conf_init(self, config_file, *args, **kwargs)
        except (configparser.Error, ValueError) as exc:  # not FileNotFoundError or KeyError: load_from_file's to take
            _refuse(session, toolconf.read_error(str(config_file), exc))
        # load_from_file returns the first file that loads: this one. Both commands that read it need a test_path.
        app_args, needs = command[-1] if command else (None, False)
        if needs and app_args is not None and not getattr(app_args, "test_path", None) and not _conf_test_path(self):
            _refuse(session, toolconf.stestr_without_test_path(self.config_file, _section(self)))

    def run_command(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            bound = inspect.signature(get_run_command).bind(self, *args, **kwargs).arguments
        except TypeError:  # stestr raises its own
            return get_run_command(self, *args, **kwargs)
        test_path = bound.get("test_path")
        configured = _conf_test_path(self)
        if not test_path and not configured:  # stestr would exit with its own message
            _refuse(session, toolconf.stestr_without_test_path(self.config_file, _section(self)))
        # the discovery stestr is about to list with would fail with unittest's traceback (after stestr 4.2 made a
        # missing repository, as 4.0 makes one before reading its config at all)
        problem = toolconf.stestr_missing_test_path(self.config_file, _section(self), str(test_path or configured),
                                                    given=bool(test_path))
        if problem is not None:
            _refuse(session, problem)
        try:
            return get_run_command(self, *args, **kwargs)
        except re.error as exc:  # stestr compiles the group_regex here: its traceback, under plain stestr too
            where = ("--group-regex" if bound.get("group_regex") else
                     f"group_regex in {os.path.abspath(self.config_file)}")
            _refuse(session, ConfigError(f"{where}: {exc.pattern!r} is not a valid regular expression ({exc}); fix "
                                         "it (`partitioner plan` checks it the same way)"))

    return [(cli.StestrCLI, "prepare_to_run_command", prepare_to_run_command), (TestrConf, "__init__", init),
            (TestrConf, "get_run_command", run_command)]


def _conf_test_path(conf: Any) -> str | None:
    """The test_path stestr's ``TestrConf`` read from its file: an attribute in stestr 4.2, read from its parser
    only when the run starts in stestr 4.0 (the floor CI tests)."""
    if hasattr(conf, "test_path"):
        return conf.test_path  # type: ignore[no-any-return]
    parser, section = getattr(conf, "parser", None), _section(conf)
    if parser is not None and parser.has_option(section, "test_path"):
        return parser.get(section, "test_path")  # type: ignore[no-any-return]
    return None


def _section(conf: Any) -> str:
    """The section of its file stestr reads: ``DEFAULT``, or ``stestr`` in tox.ini (stestr < 3.1 reads only
    ``DEFAULT`` and keeps no ``section``)."""
    return str(getattr(conf, "section", "DEFAULT"))


def _testr_config_patches(session: Session) -> list[tuple[Any, str, Any]]:
    """testr's ``.testr.conf``, checked as testr reads it (:mod:`partitioner.dispatch.toolconf`): a file its
    parser rejects, no file, and no test_command (or no option for its ``$IDOPTION``/``$LISTOPT``)."""
    from testrepository.testcommand import TestCommand

    get_parser = TestCommand.get_parser
    get_run_command = TestCommand.get_run_command

    def parser(self: Any) -> Any:
        path = os.path.join(str(getattr(self.ui, "here", ".")), ".testr.conf")
        if session.refused:  # testr's cleanup reads it again as it exits: said once
            return configparser.ConfigParser()
        try:
            return get_parser(self)
        except configparser.Error as exc:
            _refuse(session, toolconf.read_error(path, exc))
        except ValueError as exc:  # UnicodeDecodeError, or testr's "No .testr.conf config file"
            if isinstance(exc, UnicodeDecodeError):
                _refuse(session, toolconf.read_error(path, exc))
            if not os.path.isfile(path):
                _refuse(session, toolconf.testr_missing(path))
            raise

    def run_command(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self._instances is not None and getattr(self.ui, "here", None) != "memory:":  # else testr raises
            problem = toolconf.testr_problem(self.get_parser(), os.path.join(self.ui.here, ".testr.conf"))
            if problem is not None:
                _refuse(session, problem)
        return get_run_command(self, *args, **kwargs)

    return [(TestCommand, "get_parser", parser), (TestCommand, "get_run_command", run_command)]


@contextlib.contextmanager
def _static_workers_die_with_us(session: Session, owner: Any) -> Iterator[None]:
    """While the tool starts a worker of a static run: the ``preexec_fn`` it passes (``owner._clear_SIGPIPE``,
    stestr's fixture's or testr's UI's) also ties the worker to our process (:mod:`partitioner.run.parentdeath`),
    so that a SIGKILLed ``partitioner exec`` leaves none running. Lanes are left alone: a lane that loses us ends
    its worker itself, cleanly."""
    run = session.current()
    original = getattr(owner, "_clear_SIGPIPE", None)
    preexec = dying_with_us(original)
    if owner is None or original is None or preexec is original or (run is not None and run.dispatcher is not None):
        yield
        return
    own = owner.__dict__.get("_clear_SIGPIPE") if hasattr(owner, "__dict__") else None
    try:
        owner._clear_SIGPIPE = preexec
    except AttributeError:  # a slotted object: start the worker as the tool would
        yield
        return
    try:
        yield
    finally:
        if own is None:
            del owner._clear_SIGPIPE
        else:
            owner._clear_SIGPIPE = own


def _common(session: Session, current: list[Any], get_inserter: Callable[..., Any], set_up: Callable[[Any], Any],
            list_tests: Callable[[Any], Any],
            hold_listing: bool = False) -> tuple[Callable[..., Any], Callable[[Any], Any], Callable[[Any], Any]]:
    """The three patches both tools get alike: the repository's ``get_inserter`` (watched by the session), the
    top-level fixture's ``setUp`` (restricted to this job's shard; ``current`` holds the fixtures running) and
    its ``list_tests`` (the tool waits for its listing subprocess; the session loads the planner and reads the
    history meanwhile: :meth:`Session.listing`; ``hold_listing``: testr's listing starts as
    :func:`_held_listing` says)."""

    def inserter(self: Any, *args: Any, **kwargs: Any) -> Any:
        return session.inserter(get_inserter(self, *args, **kwargs))

    def fixture_set_up(self: Any) -> Any:
        if session.shard is None or current:  # a partition's own fixture, or no shard
            return set_up(self)
        return _restricting(session, self, set_up)

    def listing(self: Any) -> Any:
        session.listing(getattr(self, "repository", None), self)
        with _held_listing(session, self) if hold_listing else contextlib.nullcontext():
            return list_tests(self)

    return inserter, fixture_set_up, listing


@contextlib.contextmanager
def _held_listing(session: Session, fixture: Any) -> Iterator[None]:
    """While testr lists its tests: its listing command is :meth:`Session.listing_command`'s (SIGINT held off the
    interpreter's imports, ended by the session at a signal), as stestr's is in ``_start_process``. testr starts
    it itself, through its UI's ``subprocess_Popen``, which is watched meanwhile for the listing's process. A
    Ctrl-C there printed the listing's ``KeyboardInterrupt`` traceback under ``exec`` (plain testr prints it
    too, and its own); an instance-provisioned listing (``instance_execute``) is left as it is."""
    command, ui = getattr(fixture, "list_cmd", None), getattr(fixture, "ui", None)
    held = session.listing_command(command) if isinstance(command, str) and not per_instance(fixture) else command
    if held == command or ui is None:
        yield
        return
    popen = ui.subprocess_Popen
    own = ui.__dict__.get("subprocess_Popen") if hasattr(ui, "__dict__") else None

    def started(*args: Any, **kwargs: Any) -> Any:
        proc = popen(*args, **kwargs)
        if (args[0] if args else kwargs.get("args")) == held:
            session.listing_started(proc)
        return proc

    try:
        ui.subprocess_Popen = started
    except AttributeError:  # a slotted UI: the listing runs as testr starts it
        yield
        return
    fixture.list_cmd = held
    try:
        yield
    finally:
        fixture.list_cmd = command
        if own is None:
            del ui.subprocess_Popen
        else:
            ui.subprocess_Popen = own


def _refuse(session: Session, exc: PartitionerError) -> NoReturn:
    """Inside the tool: our error line for its input, and the tool exits 1 (with no note blaming its listing)."""
    session.refused = True
    _fail(exc, 1)


def _fail(exc: PartitionerError, code: int) -> NoReturn:
    """Inside the tool: one error line (:func:`partitioner.errors.one_line`), and the tool exits ``code``."""
    sys.stderr.write(f"partitioner: error: {one_line(str(exc))}\n")
    raise SystemExit(code) from None


def _restricting(session: Session, fixture: Any, set_up: Callable[[Any], Any]) -> Any:
    """:meth:`Session.restrict` inside the tool: a bad shard or plan file is one error line and exit 1."""
    try:
        return session.restrict(fixture, set_up)
    except PartitionerError as exc:
        _fail(exc, exc.exit_code)


def per_instance(fixture: Any) -> bool:
    """testr runs each worker on an instance of its own (``instance_execute``): testr always has an instance source
    (the test command itself), so only the configuration tells."""
    parser = getattr(fixture, "_parser", None)
    return getattr(fixture, "_instance_source", None) is not None and parser is not None and \
        parser.has_option("DEFAULT", "instance_execute")


def testr_patches(session: Session) -> list[tuple[Any, str, Any]]:
    """``(owner, name, replacement)`` for each of testr's patch points (:raises ImportError: no testrepository;
    :raises PartitionerError: a release it does not hook, :func:`_require`)."""
    _require("testrepository")
    from testrepository import repository
    from testrepository.testcommand import TestListingFixture

    run_tests = TestListingFixture.run_tests
    set_up = TestListingFixture.setUp
    get_inserter = repository.AbstractRepository.get_inserter
    current: list[Any] = []

    def partition_tests(self: Any, test_ids: Sequence[str], concurrency: int) -> list[list[str]]:
        why = "instance_execute (testr's per-instance commands)" if per_instance(self) else None
        try:
            return session.partition(test_ids, concurrency, self.repository, self._group_callback,
                                     getattr(self, "cmd", None), why)
        except PartitionerError as exc:
            _fail(exc, 1)

    def fixture_run_tests(self: Any) -> Any:
        index = None
        run = session.current()
        if self.concurrency == 1 and self.test_ids and not per_instance(self):
            self.cmd, index = session.worker_command(run, self.test_ids, self.cmd)
        current.append(self)
        try:
            with _static_workers_die_with_us(session, getattr(self, "ui", None) if self.concurrency == 1 else None):
                procs = run_tests(self)
        finally:
            current.pop()
        if self.concurrency == 1 and procs:  # a partition's worker, or the one test command (our runner?)
            session.started(run, index, procs[0])
        return procs

    inserter, fixture_set_up, listing = _common(session, current, get_inserter, set_up,
                                                TestListingFixture.list_tests, hold_listing=True)

    return [(TestListingFixture, "partition_tests", partition_tests), (TestListingFixture, "run_tests",
                                                                        fixture_run_tests),
            (TestListingFixture, "setUp", fixture_set_up), (repository.AbstractRepository, "get_inserter", inserter),
            (TestListingFixture, "list_tests", listing), *_testr_config_patches(session)]
