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
"""

from __future__ import annotations

import configparser
import contextlib
import inspect
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from partitioner.dispatch import toolconf
from partitioner.errors import PartitionerError, one_line
from partitioner.run.parentdeath import dying_with_us

if TYPE_CHECKING:
    from partitioner.dispatch.tools import Session


def stestr_patches(session: Session) -> list[tuple[Any, str, Any]]:
    """``(owner, name, replacement)`` for each of stestr's patch points (:raises ImportError: no stestr)."""
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

    def init(self: Any, config_file: Any, section: str = "DEFAULT") -> None:
        try:
            conf_init(self, config_file, section)
        except (configparser.Error, ValueError) as exc:  # not FileNotFoundError or KeyError: load_from_file's to take
            _refuse(session, toolconf.read_error(str(config_file), exc))
        # load_from_file returns the first file that loads: this one. Both commands that read it need a test_path.
        app_args, needs = command[-1] if command else (None, False)
        if needs and app_args is not None and not getattr(app_args, "test_path", None) and not _conf_test_path(self):
            _refuse(session, toolconf.stestr_without_test_path(self.config_file, self.section))

    def run_command(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            test_path = inspect.signature(get_run_command).bind(self, *args, **kwargs).arguments.get("test_path")
        except TypeError:  # stestr raises its own
            return get_run_command(self, *args, **kwargs)
        configured = _conf_test_path(self)
        if not test_path and not configured:  # stestr would exit with its own message
            _refuse(session, toolconf.stestr_without_test_path(self.config_file, self.section))
        # the discovery stestr is about to list with would fail with unittest's traceback (after stestr 4.2 made a
        # missing repository, as 4.0 makes one before reading its config at all)
        problem = toolconf.stestr_missing_test_path(self.config_file, self.section, str(test_path or configured),
                                                    given=bool(test_path))
        if problem is not None:
            _refuse(session, problem)
        return get_run_command(self, *args, **kwargs)

    return [(cli.StestrCLI, "prepare_to_run_command", prepare_to_run_command), (TestrConf, "__init__", init),
            (TestrConf, "get_run_command", run_command)]


def _conf_test_path(conf: Any) -> str | None:
    """The test_path stestr's ``TestrConf`` read from its file: an attribute in stestr 4.2, read from its parser
    only when the run starts in stestr 4.0 (the floor CI tests)."""
    if hasattr(conf, "test_path"):
        return conf.test_path  # type: ignore[no-any-return]
    parser, section = getattr(conf, "parser", None), getattr(conf, "section", "DEFAULT")
    if parser is not None and parser.has_option(section, "test_path"):
        return parser.get(section, "test_path")  # type: ignore[no-any-return]
    return None


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
    """``(owner, name, replacement)`` for each of testr's patch points (:raises ImportError: no testrepository)."""
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
