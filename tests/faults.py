"""Helpers of the fault-injection suites (``tests/e2e/test_faults_*.py``, ``tests/test_properties*.py``): what
the suites assert about any run or any error, in one place.

* :func:`assert_one_line_error`: a command that fails says so in one line, exit 1 (2 for usage), no traceback;
* :func:`survivors`: the processes of a run still alive (scanned in ``/proc`` by working directory), to prove
  that none outlives the run by more than the grace period;
* :func:`unprivileged`: a ``preexec_fn`` that makes permission bits count for a child even under root (CI runs
  as root), so that "permission denied" can be produced for real;
* :func:`start_job` and :func:`signal_job_when`: a command run as a terminal's job, signalled as a Ctrl-C or
  ``timeout`` signals it (its whole process group) once the run reached a given moment.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import testtools

from tests.suites import tool, tool_env

#: what starts every error line of the CLI and of the runner
ERROR_LINE = re.compile(r"^partitioner(\.run)?( [a-z]+)*: error: \S.*$")
#: how long a process of an ended run may live on: the runner's and the lanes' SIGKILL grace (3 s), a worker's
#: 2 s after closing its control socket, and the scan's own latency
GRACE_S = 6.0
#: command-line fragments of the processes a run starts (tool, runner, lane, worker, inner command)
RUN_MARKERS = (b"partitioner.run", b"partitioner.dispatch", b"subunit.run", b"stestr", b"testr", b"partitioner")


def assert_one_line_error(test: testtools.TestCase, proc: subprocess.CompletedProcess[str], code: int,
                          fragment: str = "") -> str:
    """``proc`` failed with ``code`` (1 or 2), wrote one error line (holding ``fragment``) to stderr, besides
    warnings and notes, and no traceback; nothing on stdout.

    :returns: the error line
    """
    lines = proc.stderr.strip().splitlines()
    test.assertEqual(code, proc.returncode, proc.stderr)
    test.assertNotIn("Traceback", proc.stderr)
    errors = [line for line in lines if ": error: " in line]
    test.assertEqual(1, len(errors), proc.stderr)
    test.assertRegex(errors[0], ERROR_LINE)
    test.assertIn(fragment, errors[0])
    test.assertEqual([], [line for line in lines if line not in errors and ": warning: " not in line
                          and ": note: " not in line], "stderr holds more than the error (and warnings)")
    test.assertEqual("", proc.stdout)
    return errors[0]


def partitioner(*argv: str, cwd: Path, stdin: bytes | None = None, unprivileged_: bool = False,
                timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the installed ``partitioner`` console script (the real entry point, as users start it)."""
    return subprocess.run([tool("partitioner"), *argv], cwd=cwd, env=tool_env(**env), capture_output=True,
                          text=True, check=False, timeout=timeout, input=stdin.decode() if stdin else None,
                          stdin=None if stdin else subprocess.DEVNULL,
                          preexec_fn=unprivileged if unprivileged_ else None)


_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE = 1
_CAP_DAC_READ_SEARCH = 2


def unprivileged() -> None:
    """``preexec_fn``: under root, drop the capabilities that ignore file permissions (from the bounding set, so
    that the program exec'd next has none of them); a no-op for other users, whom permissions already bind."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    for capability in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


@functools.cache
def permissions_bind() -> bool:
    """Whether a child started with :func:`unprivileged` is refused a file with mode 0 (not when the container
    forbids dropping capabilities, or a user namespace makes root all-powerful anyway)."""
    with tempfile.TemporaryDirectory() as where:
        locked = Path(where) / "locked"
        locked.write_text("x")
        locked.chmod(0)
        try:
            proc = subprocess.run([sys.executable, "-c", f"open({str(locked)!r}).read()"], capture_output=True,
                                  check=False, timeout=60, preexec_fn=unprivileged)
        except (OSError, subprocess.SubprocessError):
            return False
        return proc.returncode != 0 and b"PermissionError" in proc.stderr


def processes_in(directory: Path, markers: Sequence[bytes] = RUN_MARKERS) -> dict[int, str]:
    """Live processes (not zombies) whose working directory is ``directory`` and whose command line holds one
    of ``markers``: pid -> command line."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            cwd = os.readlink(entry / "cwd")
            state = (entry / "stat").read_text().split(") ", 1)[1][:1]
        except OSError:
            continue
        if Path(cwd) == directory and state != "Z" and any(m in cmdline for m in markers):
            found[int(entry.name)] = cmdline.replace(b"\0", b" ").decode(errors="replace").strip()
    return found


def survivors(directory: Path, grace: float = GRACE_S) -> dict[int, str]:
    """The run's processes in ``directory`` still alive ``grace`` seconds from now (empty as soon as none is)."""
    deadline = time.monotonic() + grace
    while True:
        alive = processes_in(directory)
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


def kill_all(directory: Path) -> None:
    """SIGKILL every run process left in ``directory`` (a cleanup, after the assertion has been made)."""
    for pid in processes_in(directory):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


#: run a command as a terminal's job is run: SIGINT back to its default (a shell's background job inherits it ignored)
SIGINT_RESET = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                "os.execvp(sys.argv[1], sys.argv[1:])")


def start_job(argv: Sequence[str], cwd: Path, env: dict[str, str], stderr: Path) -> subprocess.Popen[bytes]:
    """Start ``argv`` in a session (and process group) of its own, as a terminal's job, SIGINT reset, stdin closed,
    stdout dropped and stderr into the file ``stderr`` (a process outliving the command cannot hold up a wait)."""
    with stderr.open("wb") as err:
        return subprocess.Popen([sys.executable, "-c", SIGINT_RESET, *argv], cwd=cwd, env=env, start_new_session=True,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)


def signal_job_when(proc: subprocess.Popen[bytes], ready: Callable[[], bool], signum: signal.Signals, what: str,
                    stderr: Path, timeout: float, settle: float = 0.0) -> int:
    """Wait until ``ready()``, ``settle`` seconds more, then send ``signum`` to the job's process group and wait for
    it to end; its exit status. A job that ends first, or never gets ready within ``timeout``, is killed and fails
    the test with ``what`` and its stderr; one that outlives the signal by ``timeout`` is killed and fails it too."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline or proc.poll() is not None:
            os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError(f"{what} (exit {proc.wait()}): {stderr.read_text()[-3000:]}")
        time.sleep(0.02)
    time.sleep(settle)
    os.killpg(proc.pid, signum)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise AssertionError(f"the job did not end within {timeout:.0f} s of the {signum.name}") from None
