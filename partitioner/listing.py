"""List the test ids to plan: from a file, stdin, testr's test_command, or stestr's listing."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import IO, TYPE_CHECKING

from subunit import ByteStreamToStreamResult
from testtools import StreamResult

from partitioner.errors import InputError
from partitioner.interpreters import suite_python
from partitioner.statuses import EXISTS

if TYPE_CHECKING:  # the runner reads listings before it needs any setting
    from partitioner.config import Settings


class _Collect(StreamResult):
    """Collect a listing's ids (``exists`` events, in order, once each), the bytes that were not subunit, and
    the runner's ``import errors`` attachment (the tracebacks of the test modules it could not import)."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: dict[str, None] = {}
        self.text: list[bytes] = []
        self.import_errors: list[bytes] = []

    def status(self, test_id: str | None = None, test_status: str | None = None,  # type: ignore[override]
               file_name: str | None = None, file_bytes: bytes | None = None, **_: object) -> None:
        if test_id and test_status == EXISTS:
            self.ids[test_id] = None
        elif test_id is None and file_name == "stdout" and file_bytes:
            self.text.append(file_bytes)
        elif test_id is None and file_name == "import errors" and file_bytes:
            self.import_errors.append(bytes(file_bytes))


#: bytes no test id holds: C0 controls but tab and the line ends, and DEL (a binary file has them; no byte of a
#: UTF-8 sequence for another character is below 0x80)
_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1f\x7f]")


def decode_ids(data: bytes, what: str) -> str:
    """The text of an id list or listing: UTF-8 (a BOM is dropped), without control characters.

    :param what: the input, for messages (``test list ids.txt``)
    :raises InputError: naming ``what`` and the line, for a control character (a binary file) or bytes that are
        not UTF-8 (a Latin-1 file): ids are never changed silently
    """
    bad = _CONTROL.search(data)
    if bad is not None:
        line = data.count(b"\n", 0, bad.start()) + 1
        raise InputError(f"{what}: line {line} holds the control character {bad.group().decode()!r}, so it is no "
                         "list of test ids (a binary file?); pass a text file with one test id per line")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        line = data.count(b"\n", 0, start) + 1
        column = start - data.rfind(b"\n", 0, start)
        raise InputError(f"{what}: line {line} is not UTF-8 text (byte 0x{data[start]:02x} at column {column}); "
                         "test ids are UTF-8: save the file as UTF-8") from None


def _collect(data: bytes) -> _Collect:
    sink = _Collect()
    ByteStreamToStreamResult(io.BytesIO(data), non_subunit_name="stdout").run(sink)
    return sink


def ids_from_listing_stream(data: bytes) -> list[str]:
    """Ids from a subunit v2 listing (what ``subunit.run --list`` prints)."""
    return list(_collect(data).ids)


def parse_listing(data: bytes) -> list[str]:
    """The runner's listing: subunit v2 ``exists`` events, else one id per line of plain text."""
    sink = _collect(data)
    if sink.ids:
        return list(sink.ids)
    return parse_id_list(b"".join(sink.text), "the test listing")


def parse_id_list(data: bytes, what: str = "the --load-list file") -> list[str]:
    """Ids from a testr ``--load-list`` file: one per line, blank lines ignored, duplicates dropped.

    Unlike :func:`ids_from_lines` (files people write), ``#`` is not a comment here: testr wrote the file.

    :raises InputError: for bytes that are not UTF-8 text (:func:`decode_ids`)
    """
    text = decode_ids(data, what)
    return list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))


def ids_from_lines(lines: Iterable[str]) -> list[str]:
    """One id per line; blank lines and ``#`` comments skipped; surrounding whitespace stripped."""
    return [s for s in (line.strip() for line in lines) if s and not s.startswith("#")]


def read_id_file(path: str, stdin: IO[bytes] | None = None, *, load_list: bool = False) -> list[str]:
    """Ids from a file, one per line (``-`` is stdin).

    :param load_list: the file is a testr ``--load-list`` file, parsed by :func:`parse_id_list` (testr wrote
        it: ``#`` is no comment, duplicates dropped); otherwise by :func:`ids_from_lines` (people write it)
    :raises InputError: when the file cannot be read, or is not UTF-8 text (:func:`decode_ids`)
    """
    try:
        data = (stdin or sys.stdin.buffer).read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        what, alternative = ("the --load-list file", "") if load_list else ("test list", ", or - for stdin")
        raise InputError(f"cannot read {what} {path}: {exc.strerror or exc}; pass a readable file of test ids, "
                         f"one per line{alternative}") from exc
    if load_list:
        return parse_id_list(data, f"the --load-list file {path}")
    what = "the test list on stdin" if path == "-" else f"test list {path}"
    return ids_from_lines(io.StringIO(decode_ids(data, what), newline=None))


#: the seconds a listing may take before it counts as hung and is stopped: nova's 17,000 tests list in about
#: 20 s; a runner that waits forever (python-subunit's under eventlet, :func:`stestr_runner`) writes nothing at all
LISTING_S = 300.0
#: the seconds a stopped listing's output pipes may take to close (a process that left its group holds them)
_DRAIN_S = 5.0


def _run(command: str | list[str], cwd: Path, what: str, python: tuple[str, str], top_dir: str = ".",
         timeout: float = LISTING_S, lister: str = "stestr list") -> bytes:
    """Run a listing command with ``$PYTHON`` set to ``python`` (the interpreter and where it came from).

    :param top_dir: where discovery imports the test modules from (stestr's ``top_dir``, relative to ``cwd``)
    :param timeout: the seconds it may take; then its process group is killed (:func:`_hung`)
    :param lister: the tool's own listing command, for the way out of a hung listing

    :raises InputError: one line: the interpreter, and why the listing failed (:func:`_why_listing_failed`), or
        that it did not finish in time
    """
    env = dict(os.environ)
    env["PYTHON"] = python[0]
    try:  # a session of its own: a hung listing is stopped with everything it started (the shell's children)
        proc = subprocess.Popen(command, cwd=cwd, shell=isinstance(command, str), env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, start_new_session=True)
    except OSError as exc:
        raise InputError(f"cannot run {what}: {python[0]} ({python[1]}): {exc.strerror}; set PYTHON to the "
                         "suite's interpreter, or pass --tests FILE") from exc
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        try:
            stdout, _ = proc.communicate(timeout=_DRAIN_S)
        except subprocess.TimeoutExpired:  # a process that left the group holds them: what came is lost
            stdout = b""
        raise InputError(_hung(command, cwd, what, python, timeout, stdout, lister)) from None
    finally:
        if proc.returncode is None:  # interrupted (Ctrl-C): leave nothing running
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if proc.returncode != 0:
        why, fix = _why_listing_failed(stdout, stderr, python[0], cwd, top_dir)
        raise ListingFailed(f"{what} failed with exit status {proc.returncode} in {cwd} under {python[0]} "
                            f"({python[1]}): {why}; {fix}, or pass --tests FILE", why, fix, python)
    return stdout


class ListingFailed(InputError):
    """A listing that ran and exited with an error.

    :ivar why: what it said, in a few words (the modules it could not import, where, and the error)
    :ivar fix: the way out (:func:`_why_listing_failed`): the environment only where it may be the cause
    :ivar python: the interpreter it ran under, and where that came from
    """

    def __init__(self, message: str, why: str, fix: str, python: tuple[str, str]) -> None:
        super().__init__(message)
        self.why = why
        self.fix = fix
        self.python = python


def why_listing_fails(cwd: Path, settings: Settings, timeout: float = 60.0) -> ListingFailed | InputError | None:
    """List the suite in ``cwd`` as ``plan`` does, to say why a tool's own listing failed (``exec``'s note).

    :returns: the :class:`ListingFailed` (what failed and the way out), another :class:`InputError` when the
        listing could not be run or judged (no test_path, it hung), or ``None`` when it lists: then the listing
        is not what failed
    """
    try:
        default_ids(cwd, settings, timeout)
    except InputError as error:
        return error
    return None


def _hung(command: str | list[str], cwd: Path, what: str, python: tuple[str, str], timeout: float, stdout: bytes,
          lister: str) -> str:
    """The one line for a listing stopped after ``timeout`` seconds: what ran, where, what it wrote, the way out."""
    shown = command if isinstance(command, str) else shlex.join(command)
    wrote = f"{len(stdout):,} bytes" if stdout else "nothing"
    why = ""
    if SUBUNIT_RUNNER in shown.split() and not stdout:
        way = f"install stestr for {python[0]}" if lister.startswith("stestr") else "list with it in test_command"
        why = (" (once eventlet has monkey-patched a suite, python-subunit's runner waits forever to write into a "
               f"pipe; stestr's runner, {STESTR_RUNNER}, does not: {way})")
    return (f"{what} did not finish within {timeout:g}s in {cwd} under {python[0]} ({python[1]}) and was stopped: "
            f"`{shown}` wrote {wrote} to its stdout{why}; pass --tests FILE (one test id per line, e.g. from "
            f"`{lister} > FILE`)")


#: how unittest names a module it could not import, in a listing
_FAILED_IMPORT = "unittest.loader._FailedTest."
#: the way out of a failed listing when nothing says it is the suite's own code: it may be the environment
_FIX_ANY = "fix it, set PYTHON to the suite's interpreter"
#: a traceback's frame line, and the module a ModuleNotFoundError names
_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)')
_NO_MODULE = re.compile(r"^ModuleNotFoundError: No module named '(?P<module>[^']+)'")
#: the seconds a probe of another interpreter may take (it only starts Python and looks a name up)
_PROBE_S = 20


def _why_listing_failed(stdout: bytes, stderr: bytes, python: str, cwd: Path,
                        top_dir: str = ".") -> tuple[str, str]:
    """What a failed listing says, in a few words, and the way out to suggest (the caller adds ``--tests``).

    The modules discovery could not import (python-subunit's runner lists them as
    ``unittest.loader._FailedTest.MODULE`` ids, without the error: importing the first one again says why, and
    where; stestr's attaches each traceback as ``import errors``, which says it at once), else the last line of text it
    printed (stdout is a subunit stream: its text parts only). The environment is suggested only where it may
    be the cause (:func:`_import_fix`): a failed import in the suite's own code (a typo, a module it lacks, a
    syntax error) is the suite's to fix, whichever interpreter runs it.
    """
    try:
        sink = _collect(stdout)
        ids, text, reported = list(sink.ids), b"".join(sink.text), b"".join(sink.import_errors)
    except Exception:  # not a stream at all: its bytes as text
        ids, text, reported = [], stdout, b""
    tracebacks = _import_errors(reported.decode("utf-8", "replace"))
    failed = [i[len(_FAILED_IMPORT):] for i in ids if i.startswith(_FAILED_IMPORT)] or list(tracebacks)
    if not failed:
        return _last_line(stderr) or _last_line(text) or "no output", _FIX_ANY
    named = ", ".join(failed[:3]) + (f" and {len(failed) - 3} more" if len(failed) > 3 else "")
    modules = "1 test module" if len(failed) == 1 else f"{len(failed)} test modules"
    said, fix = "", _FIX_ANY
    if tracebacks.get(failed[0]):  # stestr's runner attaches each traceback: no need to import it again
        said, fix = _import_fix(failed[0], tracebacks[failed[0]], python, cwd)
    else:
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            probe = subprocess.run([python, "-c", f"import {failed[0]}"], cwd=cwd / top_dir, capture_output=True,
                                   stdin=subprocess.DEVNULL, timeout=60, check=False)
            if probe.returncode != 0 and _last_line(probe.stderr):
                said, fix = _import_fix(failed[0], probe.stderr.decode("utf-8", "replace"), python, cwd)
    return f"{modules} could not be imported: {named}{f' ({said})' if said else ''}", fix


#: how a runner's ``import errors`` attachment opens each module's traceback (unittest's loader says it)
_FAILED_MODULE = re.compile(r"^Failed to import test module: (?P<module>\S+)\s*$", re.MULTILINE)


def _import_errors(text: str) -> dict[str, str]:
    """The test modules a runner's ``import errors`` text names, in order, each with its traceback."""
    found = list(_FAILED_MODULE.finditer(text))
    return {m.group("module"): text[m.end():found[i + 1].start() if i + 1 < len(found) else len(text)].strip()
            for i, m in enumerate(found)}


def _import_fix(module: str, traceback: str, python: str, cwd: Path) -> tuple[str, str]:
    """Why importing the test module ``module`` under ``python`` failed (``traceback``, its stderr), with the
    file and line where it failed, and the way out.

    The environment is the way out only when it plausibly is the cause: the module the import names is
    installed for another interpreter found here (:func:`_other_pythons`), or it is the suite's own package (the
    test module's top package, or a package in the project directory or its ``src``), which the interpreter
    has not installed. Else -- a module no Python here has, a syntax error, any other exception -- the suite's
    own code is to fix, where it failed.
    """
    error = _last_line(traceback.encode())
    frames = [(m.group("file"), m.group("line")) for m in map(_FRAME.match, traceback.splitlines()) if m]
    ours = [f for f in frames if _inside(f[0], cwd)]
    where = ""
    if ours or frames:
        file, line = (ours or frames)[-1]
        where = f"{_shown(file, cwd)}, line {line}: "
    said = f"importing {module}: {where}{error}"
    missing = _NO_MODULE.match(error)
    if missing is None:
        if error.startswith("ImportError"):  # a name missing from an installed module: perhaps its version
            return said, _FIX_ANY
        return said, "fix the error there"
    name = missing.group("module")
    top = name.partition(".")[0]
    # a dotted name: its package imported, a module in it did not (a namespace package's part may be installed apart)
    if "." not in name and (top == module.partition(".")[0] or any(
            (cwd / base / top).is_dir() or (cwd / base / f"{top}.py").is_file() for base in (".", "src"))):
        return said, (f"{top} is the suite's own package, which {python} does not have: install it ({python} -m "
                      "pip install -e .), or activate the environment that has it (or set PYTHON to its python)")
    for other in _other_pythons(python, cwd):
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):  # from /: the project's files are not theirs
            found = subprocess.run([other, "-c", "import importlib.util, sys\n"
                                    "sys.exit(importlib.util.find_spec(sys.argv[1]) is None)", name], cwd=os.sep,
                                   capture_output=True, stdin=subprocess.DEVNULL, timeout=_PROBE_S, check=False)
            if found.returncode == 0:
                return said, f"{name} is installed for {other}: activate its environment or set PYTHON to it"
    declared = _declared(name, cwd)
    if declared is not None:
        return said, (f"{name} is a requirement the project declares ({declared}) that {python} does not have: "
                      "install the requirements for it, or activate the environment that has them (or set PYTHON "
                      "to its python)")
    return said, (f"no Python found here has {name}, and the project declares no such requirement: fix the import "
                  f"there (a typo?), or install {name} for {python}")


#: a requirement line's distribution name (requirements files, setup.cfg's install_requires, pyproject's lists)
_REQUIREMENT = re.compile(r"""^\s*["']?([A-Za-z0-9][A-Za-z0-9._-]*)""")


def _declared(module: str, cwd: Path) -> str | None:
    """The project file (its name) that declares a requirement whose distribution name is the module ``module``
    (``oslo.concurrency`` for ``oslo_concurrency`` or ``oslo.concurrency``, ``python-subunit`` for ``subunit``), or
    ``None``."""

    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "_", name).lower()

    wanted = norm(module)
    with contextlib.suppress(OSError):
        files = [*sorted(cwd.glob("*requirements*.txt")), cwd / "setup.cfg", cwd / "pyproject.toml"]
        for path in files:
            if not path.is_file():
                continue
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                found = _REQUIREMENT.match(line)
                if found and wanted in (norm(found.group(1)), norm(found.group(1)).removeprefix("python_")):
                    return path.name
    return None


def _inside(path: str, cwd: Path) -> bool:
    """Whether ``path`` (a traceback's file) is in the project directory ``cwd``, not in an environment there."""
    try:
        relative = Path(path).resolve().relative_to(cwd.resolve())
    except (OSError, ValueError):
        return False
    return not any(part in ("site-packages", "dist-packages") for part in relative.parts)


def _shown(path: str, cwd: Path) -> str:
    """A traceback's file as the user finds it: relative to the project directory when inside it."""
    return str(Path(path).resolve().relative_to(cwd.resolve())) if _inside(path, cwd) else path


def _other_pythons(python: str, cwd: Path) -> list[str]:
    """Interpreters found here other than ``python``, one per environment (a ``bin`` directory): partitioner's
    own, the activated environment's (``$VIRTUAL_ENV``, ``$CONDA_PREFIX``), those of the first ``stestr``,
    ``testr`` and ``python3`` on PATH, and the project's own environments (``.venv``, ``venv``, ``.tox/*``)."""
    from partitioner.interpreters import script_python

    found: list[str] = [sys.executable]
    for variable in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        prefix = os.environ.get(variable)
        if prefix:
            found.append(os.path.join(os.path.abspath(prefix), "bin", "python"))
    for tool in ("stestr", "testr"):
        script = shutil.which(tool)
        interpreter = script_python(script) if script else None
        if interpreter:
            found.append(interpreter)
    python3 = shutil.which("python3")
    if python3:
        found.append(python3)
    with contextlib.suppress(OSError):
        tox = sorted((cwd / ".tox").iterdir()) if (cwd / ".tox").is_dir() else []
        found.extend(str(env.absolute() / "bin" / "python") for env in (cwd / ".venv", cwd / "venv", *tox))

    def home(path: str) -> str:
        return os.path.realpath(os.path.dirname(os.path.abspath(path)))

    def binary(path: str) -> bool:  # an interpreter, not a wrapper script (a pyenv shim says nothing of the env)
        try:
            with open(path, "rb") as handle:
                return handle.read(2) != b"#!" and os.access(path, os.X_OK)
        except OSError:
            return False

    seen = {home(python)}
    others: list[str] = []
    for candidate in found:
        if home(candidate) not in seen and binary(candidate):
            seen.add(home(candidate))
            others.append(candidate)
    return others[:8]


def _last_line(data: bytes) -> str:
    lines = [line.strip() for line in data.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1] if lines else ""


def list_testr(cwd: Path, settings: Settings, timeout: float = LISTING_S) -> list[str]:
    """List through ``.testr.conf``'s test_command with ``$LISTOPT`` (what ``testr list-tests`` does).

    :param timeout: the seconds the listing may take (:func:`_run`)
    """
    command = settings.test_command or ""
    command = command.replace("$LISTOPT", settings.test_list_option or "--list")
    for var in ("$IDOPTION", "$IDFILE", "$IDLIST"):
        command = command.replace(var, "")
    data = _run(command, cwd, f"test_command from {cwd / '.testr.conf'}", suite_python("testr"), timeout=timeout,
                lister="testr list-tests")
    return ids_from_listing_stream(data)


#: what in a test_path the shell stestr runs discovery in may change inside its double quotes, or end them
_SHELL_SYNTAX = re.compile(r'[$`"\\]')


def missing_test_path(test_path: str, cwd: Path, where: str, alternative: str = "") -> str | None:
    """Why stestr's test discovery cannot start at ``test_path``, in one line; ``None`` when it may.

    stestr runs ``discover -t TOP_DIR TEST_PATH`` from ``cwd``. unittest starts at a directory, or at a dotted module
    name it imports (``pkg.tests``), and fails with "Start directory is not importable" otherwise. A value holding a
    path separator is no module name, so it must be a directory; a value without one may be a module name, and one
    with shell syntax (``$HOME/tests``: stestr's command line expands it inside its double quotes) may become a
    directory: those two are left to the tool, so a value it accepts is never refused.

    ``plan`` checks its listing's test_path with this (:func:`list_stestr`), ``exec`` the one stestr runs with
    (:mod:`partitioner.dispatch.toolconf`).

    :param where: where the value was set: ``[DEFAULT] in /p/.stestr.conf``, ``--test-path``
    :param alternative: another way out, said after pointing test_path at the tests (``pass --tests FILE``)
    """
    separators = [sep for sep in ("/", os.sep, os.altsep) if sep]
    if not any(sep in test_path for sep in separators) or _SHELL_SYNTAX.search(test_path):
        return None
    path = cwd / test_path  # an absolute value stays itself
    try:
        if path.is_dir():
            return None
        what = "is not a directory" if path.exists() else "does not exist"
    except OSError:  # cannot tell (a directory on the way that cannot be searched): the tool will say
        return None
    also = f", or {alternative}" if alternative else ""
    return (f"test_path {test_path} ({where}) names {os.path.abspath(path)}, which {what}: stestr discovers the "
            f"tests from there; point it at the directory holding the tests{also}")


#: the runner stestr itself lists and runs with (its config_file.py), and python-subunit's
STESTR_RUNNER = "stestr.subunit_runner.run"
SUBUNIT_RUNNER = "subunit.run"


@lru_cache(maxsize=8)
def stestr_runner(python: str) -> str:
    """The runner module a stestr project's tests are listed and run with under ``python``: stestr's own
    (:data:`STESTR_RUNNER`, as ``stestr list`` and ``stestr run`` do) when ``python`` can import stestr, else
    python-subunit's (:data:`SUBUNIT_RUNNER`).

    They differ where it matters: ``subunit.run`` reopens its stdout with ``os.fdopen`` after the test modules
    are imported, and then probes whether it is a text stream with ``read(0)``. A suite that calls
    ``eventlet.monkey_patch()`` as it is imported (oslo.messaging's tests package) has made ``os.fdopen`` return
    eventlet's green pipe, whose ``read`` first waits for the descriptor to be readable unless it is a regular
    file: stdout a pipe's write end never is, so the listing waits forever without writing a byte. stestr's
    runner writes to ``sys.stdout`` as Python opened it at start-up, which monkey-patching leaves alone: not a
    guard against eventlet, but it never reopens the descriptor, so it never meets the green pipe.
    """
    if python == sys.executable:
        return STESTR_RUNNER if importlib.util.find_spec("stestr") is not None else SUBUNIT_RUNNER
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):  # from /: the project's files are not stestr
        found = subprocess.run([python, "-c", "import importlib.util, sys\n"
                                "sys.exit(importlib.util.find_spec('stestr') is None)"], cwd=os.sep,
                               capture_output=True, stdin=subprocess.DEVNULL, timeout=_PROBE_S, check=False)
        if found.returncode == 0:
            return STESTR_RUNNER
    return SUBUNIT_RUNNER


def list_stestr(cwd: Path, settings: Settings, timeout: float = LISTING_S) -> list[str]:
    """List what ``stestr list`` would, without needing (or creating) a ``.stestr`` repository.

    stestr lists by running its runner's discovery over ``test_path`` from ``top_dir``; so do we
    (:func:`stestr_runner`), since ``stestr list`` itself refuses to run before ``stestr init``.

    :param timeout: the seconds the listing may take (:func:`_run`)
    :raises InputError: no test_path, one that names no directory (:func:`missing_test_path`: the same line as
        ``exec`` says), or a listing that failed or did not finish in time
    """
    if not settings.test_path:
        raise InputError(f"{cwd / '.stestr.conf'} has no test_path; add test_path=./tests under [DEFAULT] "
                         "or pass --tests FILE")
    where = settings.where.get("test_path", f"[DEFAULT] in {cwd.resolve() / '.stestr.conf'}")  # or --test-path
    python = suite_python("stestr")
    test_path, top_dir = discovery_paths(cwd, settings, python[0])
    if test_path != settings.test_path:
        where = f"expanded from {settings.test_path}, {where}"
    problem = missing_test_path(test_path, cwd, where, "pass --tests FILE")
    if problem is not None:
        raise InputError(problem)
    runner = stestr_runner(python[0])
    command: str | list[str] = [python[0], "-m", runner, "discover", "-t", top_dir, test_path, "--list"]
    if _SHELL_SYNTAX.search(top_dir) or _SHELL_SYNTAX.search(test_path):  # the shell refused to expand them:
        command = f'"$PYTHON" -m {runner} discover -t "{top_dir}" "{test_path}" --list'  # let it say why
    return ids_from_listing_stream(_run(command, cwd, f"test discovery for {cwd / '.stestr.conf'}", python,
                                        top_dir if not _SHELL_SYNTAX.search(top_dir) else ".", timeout))


def expand_shell_word(value: str, cwd: Path, python: str) -> str:
    """``value`` as the shell makes it inside double quotes, from ``cwd`` with ``$PYTHON`` set to ``python``:
    stestr puts its test_path and top_dir in double quotes on the shell command line it discovers with, so
    python-novaclient's ``${OS_TEST_PATH:-./novaclient/tests/unit}`` is ``./novaclient/tests/unit`` unless
    ``OS_TEST_PATH`` is set. A value without shell syntax is itself; so is one the shell refuses (an unbalanced
    quote, ``${X:?unset}``): the listing then runs it through the shell, which says why.
    """
    if not _SHELL_SYNTAX.search(value):
        return value
    env = dict(os.environ)
    env["PYTHON"] = python
    try:
        done = subprocess.run(["/bin/sh", "-c", f'printf "%s" "{value}"'], cwd=cwd, env=env, capture_output=True,
                              stdin=subprocess.DEVNULL, timeout=_PROBE_S, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return value
    return os.fsdecode(done.stdout) if done.returncode == 0 else value


def discovery_paths(cwd: Path, settings: Settings, python: str | None = None) -> tuple[str, str]:
    """The test_path and top_dir stestr's discovery really starts from: expanded as its shell does
    (:func:`expand_shell_word`); top_dir ``./`` when none is set. ``plan`` and ``explain`` show these, and list
    with them.

    :param python: the suite's interpreter (``$PYTHON`` for the expansion); default: :func:`suite_python`'s
    """
    python = python or suite_python("stestr")[0]
    return (expand_shell_word(settings.test_path or "", cwd, python),
            expand_shell_word(settings.top_dir or "./", cwd, python))


def default_ids(cwd: Path, settings: Settings, timeout: float = LISTING_S) -> list[str]:
    """The suite's ids when no ``--tests`` is given: testr's listing, else stestr's discovery.

    :param timeout: the seconds the listing may take; a listing still running then is stopped, and is an
        :class:`InputError` saying what hung, where, and to pass ``--tests FILE``
    """
    if settings.test_command:
        return list_testr(cwd, settings, timeout)
    if settings.stestr:
        return list_stestr(cwd, settings, timeout)
    raise InputError(f"no test list: {cwd} has neither .testr.conf (with test_command) nor .stestr.conf; "
                     "pass --tests FILE (one id per line) or --tests - for stdin")
