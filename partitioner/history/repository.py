"""Read a testrepository (``.testrepository/``) or stestr (``.stestr/``) repository, strictly read-only.

A repository is a directory holding a ``format`` file, numbered run streams (``0``, ``1``, ...; stored as
subunit v1 by both tools), and ``times.dbm``: the last-known duration of every test, in a dbm database
(read by :mod:`partitioner.history.timesdbm`). Nothing here ever creates, modifies, repairs or deletes a
file: streams are opened for reading only.

Policy: a missing or non-repository directory raises :class:`~partitioner.errors.HistoryError`; a run
stream that cannot be parsed is skipped with a one-line warning (the other runs still load); a
``times.dbm`` that cannot be read gives a warning and an empty mapping, never an error.

:class:`Repository` is a repository read once, for commands that name its runs (``latest()``, ``run(n)``);
:func:`Repository.in_directory` chooses between a project's ``.stestr`` and ``.testrepository``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from partitioner.errors import HistoryError
from partitioner.history.cache import load_run
from partitioner.history.model import NO_RUNS_YET, Run
from partitioner.history.timesdbm import read_times_dbm, times_dbm_exists

__all__ = [
    "REPOSITORY_DIRS",
    "Repository",
    "discover",
    "find_repository",
    "read_repository",
    "repository_kind",
]

#: repository kind -> the directory name its tool creates in a project
REPOSITORY_DIRS: Mapping[str, str] = MappingProxyType({"testrepository": ".testrepository", "stestr": ".stestr"})
_RUN_NAME = re.compile(r"^[0-9]+$")


def repository_kind(path: Path) -> str | None:
    """The kind of repository ``path`` itself is (``stestr``/``testrepository``), or ``None``.

    A repository directory holds a ``format`` file. Its kind comes from its name (``.stestr`` or
    ``.testrepository``); a renamed copy counts as stestr when its ``times.dbm`` is ``dbm.dumb`` files.
    """
    if not (path / "format").is_file():
        return None
    for kind, dirname in REPOSITORY_DIRS.items():
        if path.name == dirname:
            return kind
    if (path / "times.dbm.dir").exists() and not (path / "times.dbm").exists():
        return "stestr"
    return "testrepository"


def discover(cwd: Path) -> list[str]:
    """The repositories present in ``cwd``: ``.testrepository`` and/or ``.stestr`` (both if both)."""
    return [str(cwd / dirname) for dirname in REPOSITORY_DIRS.values() if repository_kind(cwd / dirname)]


#: where a repository comes from, for a path that holds none (never "pass --history": it was just passed)
_NEVER_RAN = "a project that never ran its tests has none yet: `stestr run`, or `testr init` and `testr run`, makes it"


def find_repository(path: str | Path, kind: str | None = None) -> tuple[Path, str]:
    """Locate the repository directory ``path`` names: the repository itself or a project containing one.

    :param path: a ``.stestr``/``.testrepository`` directory, or a project directory containing one
    :param kind: ``stestr`` or ``testrepository`` to choose inside a project directory holding both
    :returns: the repository directory and its kind
    :raises HistoryError: when ``path`` is missing, not a directory, or holds no (or an ambiguous) repository
    """
    where = Path(path)
    if not where.exists():
        raise HistoryError(f"no such directory: {path}; name an existing .stestr/ or .testrepository/ directory, or "
                           f"the project directory holding one ({_NEVER_RAN})")
    if not where.is_dir():
        raise HistoryError(
            f"{path}: not a directory; pass a .stestr/.testrepository directory or a project directory containing one"
        )
    own = repository_kind(where)
    if own is not None:
        return where, own
    found = [
        (where / dirname, k)
        for k, dirname in REPOSITORY_DIRS.items()
        if (kind is None or k == kind) and repository_kind(where / dirname) is not None
    ]
    if len(found) == 1:
        return found[0]
    if found:
        raise HistoryError(
            f"{path}: holds both .testrepository and .stestr; pass one of them "
            f"(e.g. {where / '.stestr'}) or prefix the path with the kind (stestr:{path})"
        )
    wanted = REPOSITORY_DIRS.get(kind or "", ".stestr/ or .testrepository/")
    raise HistoryError(
        f"{path}: not a stestr/testr repository (no 'format' file and no {wanted} inside); name the repository "
        f"directory itself, or the project directory holding it ({_NEVER_RAN})"
    )


def numbered_streams(repo: Path) -> list[tuple[int, Path]]:
    """The repository's run files ``(number, path)``, oldest (smallest number) first."""
    runs = [(int(p.name), p) for p in repo.iterdir() if _RUN_NAME.match(p.name) and p.is_file()]
    return sorted(runs)


def read_repository(
    path: str | Path, kind: str | None = None, newest: int | None = None
) -> tuple[tuple[Run, ...], Mapping[str, float], tuple[str, ...]]:
    """Read the stored runs and ``times.dbm`` of a repository, without changing anything in it.

    :param path: a ``.stestr``/``.testrepository`` directory, or a project directory containing one
    :param kind: ``stestr`` or ``testrepository`` to choose inside a project directory holding both
    :param newest: read only this many of the newest runs (default: every run)
    :returns: ``(runs, times, warnings)``: runs oldest first (``run_id`` like ``.stestr/12``, ``order`` the
        run number), ``times.dbm`` durations keyed by canonical id, and one line per problem skipped over
    :raises HistoryError: when ``path`` is not (and holds no) repository
    """
    repo, _ = find_repository(path, kind)
    warnings: list[str] = []
    fmt = _read_format(repo)
    if fmt != "1":
        warnings.append(f"{repo / 'format'}: unexpected repository format {fmt!r} (expected '1'); reading anyway")
    runs: list[Run] = []
    try:
        streams = numbered_streams(repo)
    except OSError as error:
        raise HistoryError(f"{repo}: cannot list directory ({error.strerror or error}); check permissions") from None
    from partitioner.history.subunit import read_stream_file  # python-subunit: only when runs are read

    for number, stream in streams[-newest:] if newest else streams:
        try:
            runs.append(load_run(stream, number, read_stream_file))
        except HistoryError as error:
            warnings.append(f"{error} [run skipped; the other runs still load]")
    if not streams:
        warnings.append(f"{repo}: {NO_RUNS_YET}")
    times: Mapping[str, float] = MappingProxyType({})
    base = repo / "times.dbm"
    if times_dbm_exists(base):
        times, dbm_warnings = read_times_dbm(base)
        warnings.extend(dbm_warnings)
    return tuple(runs), times, tuple(warnings)


def _read_format(repo: Path) -> str:
    try:
        return (repo / "format").read_text(encoding="utf8", errors="replace").strip()
    except OSError as error:
        raise HistoryError(f"{repo / 'format'}: cannot read ({error.strerror or error}); check permissions") from None


@dataclass(frozen=True)
class Repository:
    """A repository's stored runs, read once (damaged runs skipped, with a warning each).

    :ivar path: the repository directory
    :ivar runs: the readable runs, oldest first; ``order`` is the run's number
    :ivar times: ``times.dbm`` durations by canonical id
    :ivar warnings: one line per problem skipped over
    """

    path: Path
    runs: tuple[Run, ...]
    times: Mapping[str, float]
    warnings: tuple[str, ...]

    @classmethod
    def read(cls, path: str | Path, kind: str | None = None) -> Repository:
        """Read the repository ``path`` names (see :func:`read_repository`)."""
        repo, _ = find_repository(path, kind)
        runs, times, warnings = read_repository(repo)
        return cls(repo, runs, times, warnings)

    @classmethod
    def in_directory(cls, cwd: Path) -> Repository | None:
        """The repository in project directory ``cwd``: the one written to last when it holds both, or ``None``."""
        found = [Path(p) for p in discover(cwd)]
        if not found:
            return None
        return cls.read(max(found, key=_newest_run_mtime))

    @property
    def name(self) -> str:
        """The directory's name (``.stestr`` or ``.testrepository``)."""
        return self.path.name

    def numbers(self) -> str:
        """The stored run numbers, as ranges: ``0-5`` or ``0-3, 5``."""
        found = sorted(r.order for r in self.runs)
        parts: list[str] = []
        start = previous = found[0]
        for number in [*found[1:], None]:
            if number is not None and number == previous + 1:
                previous = number
                continue
            parts.append(f"{start}" if start == previous else f"{start}-{previous}")
            if number is not None:
                start = previous = number
        return ", ".join(parts)

    def latest(self) -> Run:
        """The newest readable run.

        :raises HistoryError: when no run is readable
        """
        self._require_runs()
        return max(self.runs, key=lambda r: r.order)

    def run(self, number: int) -> Run:
        """Run ``number``.

        :raises HistoryError: when it is not stored, or stored but damaged
        """
        self._require_runs()
        for run in self.runs:
            if run.order == number:
                return run
        if (self.path / str(number)).is_file():
            reason = next((w for w in self.warnings if f"{self.path / str(number)}:" in w), "it cannot be parsed")
            raise HistoryError(f"run {number} in {self.name} is damaged ({reason}); pass another run id "
                               f"(stored: {self.numbers()})")
        raise HistoryError(f"run {number} not found in {self.name} (runs {self.numbers()}); pass an existing run id")

    def _require_runs(self) -> None:
        if not self.runs:
            stored = len(numbered_streams(self.path))
            damaged = f" ({stored} damaged runs skipped)" if stored else ""
            raise HistoryError(f"{self.path} holds no readable runs{damaged}; run the tests first "
                               f"({self._run_command()})")

    def _run_command(self) -> str:
        """What stores a run here: ``testr run`` alone when the project's testr runs partitioner's runner
        (``--parallel`` would nest testr's partitioning around it), else the tools' usual."""
        from partitioner.config import project_runs_the_runner
        from partitioner.run.advice import PARALLEL

        if repository_kind(self.path) == "testrepository" and project_runs_the_runner(self.path.parent):
            return PARALLEL
        return "testr run --parallel, or stestr run"


def _newest_run_mtime(repo: Path) -> float:
    stamps = [p.stat().st_mtime for p in repo.iterdir() if p.name.isdigit() and p.is_file()]
    return max(stamps, default=0.0)
