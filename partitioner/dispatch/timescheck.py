"""The tool's ``times.dbm`` opened before a run of ours starts, so that a damaged one stops the run, not its store.

:func:`check_times` opens it as the tool does; :class:`TimesCheck` runs that in a thread while the tool lists its
tests (:meth:`partitioner.dispatch.tools.Session.listing`), and the plan waits for its outcome.
"""

from __future__ import annotations

import glob
import os
import threading

from partitioner.errors import HistoryError, PartitionerError


def check_times(repository: object) -> None:
    """Open the repository's timings file as the tool does before a run of ours starts.

    The tool writes every run's timings into ``times.dbm`` as it stores the run. Plain stestr and testr open it
    at their start too, to partition; our plan need not (the stored runs price the suite), so a file they cannot
    open would fail the store only after the whole run, its results lost. The tool's own ``get_test_times``
    opens it here, with the tool's own recovery (stestr replaces a file ``dbm`` reports damaged).

    :raises HistoryError: it cannot be opened: one line, what to do
    """
    get_times, base = getattr(repository, "get_test_times", None), getattr(repository, "base", None)
    if get_times is None or not isinstance(base, str):
        return
    if not glob.glob(os.path.join(glob.escape(base), "times.dbm*")):
        return  # none yet (the tool makes one as it stores the run): opening it would create an empty one now
    try:
        get_times([])
    except Exception as exc:  # whatever the dbm module raises for a damaged file (dumb dbm: ValueError, SyntaxError)
        path = os.path.join(base, "times.dbm")
        text = str(exc).splitlines()[0] if str(exc) else ""
        raise HistoryError(f"{path} cannot be opened ({type(exc).__name__}{': ' + text if text else ''}): the tool "
                           "would fail to store the run after every test ran, so none was started; move the damaged "
                           f"file aside (`mv {path}* /tmp/`: it holds only test timings, and a new one is made) and "
                           "run again") from None


class TimesCheck:
    """:func:`check_times` in a thread while the tool lists its tests (a dumb-dbm ``times.dbm`` of 18,000 tests
    takes 0.15 s to open), so that the run's start does not wait for it."""

    def __init__(self, repository: object) -> None:
        self.repository = repository
        self._error: PartitionerError | None = None
        self._thread = threading.Thread(target=self._run, name="partitioner-times-check", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            check_times(self.repository)
        except PartitionerError as exc:
            self._error = exc

    def result(self) -> None:
        """Wait for the check; :raises HistoryError: the file cannot be opened."""
        self._thread.join()
        if self._error is not None:
            raise self._error


def checked(check: TimesCheck | None, repository: object) -> None:
    """:func:`check_times` for ``repository``: the outcome of ``check`` when it ran for that repository beside the
    listing, else checked now.

    :raises HistoryError: the file cannot be opened
    """
    if check is not None and check.repository is repository:
        check.result()
    else:
        check_times(repository)
