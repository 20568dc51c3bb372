"""Slow, end to end: tempest's own unit suite (the tempest sdist from PyPI, run as its tox ``py3`` env runs it,
``stestr --test-path ./tempest/tests run``) gives the same results through ``partitioner exec -- stestr ...``
(dynamic dispatch) as through plain stestr: the same test ids, each with the same status; and ``partitioner exec --
tempest run`` with a ``--combine --serial`` phase after it, as tempest's integrated tox envs run, stores what plain
``tempest run`` stores.

It runs only when ``PARTITIONER_SLOW_TESTS=1`` (``.ci/run`` sets it and selects the ``slow`` marker; the
default pytest run leaves it out). It needs the tempest sdist and a virtualenv with tempest and its
dependencies, built once into a cache: ``PARTITIONER_TEMPEST_CACHE`` (default ``~/.cache/partitioner/
test-tempest``), or an unpacked sdist and a venv given as ``PARTITIONER_TEMPEST_SDIST`` and
``PARTITIONER_TEMPEST_VENV``. Without network it skips, except under CI (``CI`` set), where it fails. Each
run copies the sdist, so no ``.stestr`` is shared between the two runs or with the cache.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import fixtures
import pytest
import testtools

from tests.dispatch.helpers import read_events
from tests.suites import REPO, tool

pytestmark = pytest.mark.slow

VERSION = "47.0.0"
CONCURRENCY = "2"


def _cache() -> Path:
    return Path(os.environ.get("PARTITIONER_TEMPEST_CACHE")
                or Path.home() / ".cache" / "partitioner" / "test-tempest")


class Tempest(fixtures.Fixture):
    """The unpacked tempest sdist and a venv with tempest installed (built once into the cache)."""

    def _setUp(self) -> None:
        sdist = os.environ.get("PARTITIONER_TEMPEST_SDIST")
        venv = os.environ.get("PARTITIONER_TEMPEST_VENV")
        self.sdist = Path(sdist) if sdist else self._sdist()
        self.venv = Path(venv) if venv else self._venv()

    def _need_network(self, what: str, proc: subprocess.CompletedProcess[str]) -> None:
        if proc.returncode == 0:
            return
        message = f"{what} failed (network?): {proc.stderr.strip().splitlines()[-1:] or proc.returncode}"
        if os.environ.get("CI"):
            raise AssertionError(message)
        raise testtools.TestCase.skipException(message)

    def _sdist(self) -> Path:
        where = _cache() / f"tempest-{VERSION}"
        if (where / "tempest" / "tests").is_dir():
            return where
        download = _cache() / "download"
        proc = subprocess.run([sys.executable, "-m", "pip", "download", f"tempest=={VERSION}", "--no-deps",
                               "--no-binary", ":all:", "-d", str(download)], capture_output=True, text=True,
                              check=False, timeout=600)
        self._need_network("pip download tempest", proc)
        with tarfile.open(download / f"tempest-{VERSION}.tar.gz") as archive:
            archive.extractall(_cache(), filter="data")
        return where

    def _venv(self) -> Path:
        venv = _cache() / f"venv-tempest-{VERSION}"
        python = venv / "bin" / "python"
        done = f"{VERSION} with test-requirements"  # what tox's py3 env installs: the sdist and its test deps
        if python.exists() and (venv / ".complete").exists() and (venv / ".complete").read_text() == done:
            return venv
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
        proc = subprocess.run([str(python), "-m", "pip", "install", "-q", str(self.sdist), "-r",
                               str(self.sdist / "test-requirements.txt")], capture_output=True, text=True,
                              check=False, timeout=1800)
        self._need_network("pip install tempest", proc)
        (venv / ".complete").write_text(done)
        return venv


class TempestCase(testtools.TestCase):
    """Skips unless slow tests are asked for; :attr:`tempest` is the sdist and its venv, :attr:`lent` a directory
    that makes this checkout's partitioner (and nothing else) importable in tempest's interpreter."""

    def setUp(self) -> None:
        super().setUp()
        if os.environ.get("PARTITIONER_SLOW_TESTS") != "1":
            self.skipTest("slow: set PARTITIONER_SLOW_TESTS=1 (CI does)")
        self.tempest = self.useFixture(Tempest())
        self.lent = Path(self.useFixture(fixtures.TempDir()).path)
        (self.lent / "partitioner").symlink_to(REPO / "partitioner")


class TestTempestUnitSuite(TempestCase):
    def setUp(self) -> None:
        super().setUp()
        path = self.lent  # the pull workers run in tempest's interpreter and import partitioner from here
        bin_dir = self.tempest.venv / "bin"
        self.env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
                    "PYTHON": str(bin_dir / "python"), "PYTHONPATH": str(path),
                    "PARTITIONER_CACHE_DIR": str(path / "cache")}
        self.env.pop("VIRTUAL_ENV", None)

    def run_suite(self, *prefix: str, program: str | None = None,
                  env: dict[str, str] | None = None) -> dict[str, str]:
        """Run tempest's unit tests in a fresh copy of the sdist; returns test id -> stored final status.

        :param program: how the command names stestr (default: this environment's, by its path)
        :param env: the command's environment (default :attr:`env`)
        """
        copy = Path(self.useFixture(fixtures.TempDir()).path) / "tempest"
        shutil.copytree(self.tempest.sdist, copy, ignore=shutil.ignore_patterns(".stestr"))
        stestr = tool("stestr")
        subprocess.run([stestr, "init"], cwd=copy, env=self.env, capture_output=True, check=True, timeout=60)
        proc = subprocess.run([*prefix, program or stestr, "--test-path", "./tempest/tests", "run", "--concurrency",
                               CONCURRENCY], cwd=copy, env=env or self.env, capture_output=True, text=True,
                              check=False, timeout=900, stdin=subprocess.DEVNULL)
        self.stderr = proc.stderr
        self.assertNotIn("Traceback (most recent call last):\n  File \"" + str(REPO), proc.stderr)
        last = subprocess.run([stestr, "last", "--subunit"], cwd=copy, env=self.env, capture_output=True,
                              check=False, timeout=120)
        finals = read_events(last.stdout).finals()
        self.assertEqual({}, {t: s for t, s in finals.items() if len(s) != 1}, "a test was stored twice")
        return {t: s[0] for t, s in finals.items() if t != "process-returncode"}

    def test_the_same_results_through_partitioner_exec(self) -> None:
        plain = self.run_suite()
        self.assertGreater(len(plain), 2000, "tempest's unit suite did not run")
        # as a user with tempest's venv activated runs it, partitioner installed elsewhere and no PYTHON:
        # `stestr` is tempest's, so the tests must load with tempest's interpreter, not partitioner's
        # and with nothing of partitioner's in tempest's venv: exec lends its own package to the workers
        bare = {k: v for k, v in self.env.items() if k not in ("PYTHON", "PYTHONPATH")}
        bare["VIRTUAL_ENV"] = str(self.tempest.venv)  # what `source .../bin/activate` sets
        ours = self.run_suite(tool("partitioner"), "exec", "--", program="stestr", env=bare)
        self.assertIn("the first stestr on PATH, belongs to the activated Python environment", self.stderr)
        self.assertIn("its dynamic workers import this one from", self.stderr)
        self.assertIn("dynamic dispatch (lookahead order)", self.stderr)
        self.assertNotIn("dynamic dispatch is off", self.stderr)
        self.assertEqual((set(), set()), (set(plain) - set(ours), set(ours) - set(plain)))
        self.assertEqual({}, {t: (s, ours[t]) for t, s in plain.items() if ours[t] != s})


#: the part of tempest's unit suite `tempest run` runs here (its own .stestr.conf discovers the API tests, which
#: need a cloud): the compute service clients' tests, 375 at tempest 47.0.0
SUBSET = "./tempest/tests/lib/services/compute"


class TestTempestRun(TempestCase):
    """``partitioner exec -- tempest run`` (tempest runs stestr's commands in its own process) gives plain ``tempest
    run``'s results, and ``--combine --serial`` (tempest's integrated envs run their serial phase so) adds to the
    stored run as it does without partitioner: partitioner installed in tempest's environment, as a user has it."""

    def setUp(self) -> None:
        super().setUp()
        path = self.lent
        self.bin = self.tempest.venv / "bin"
        self.env = {**os.environ, "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
                    "PYTHONPATH": str(path), "PARTITIONER_CACHE_DIR": str(path / "cache"),
                    "VIRTUAL_ENV": str(self.tempest.venv)}
        self.env.pop("PYTHON", None)

    def workspace(self) -> Path:
        """A copy of the sdist whose .stestr.conf (what `tempest run` reads for local execution) finds SUBSET."""
        copy = Path(self.useFixture(fixtures.TempDir()).path) / "tempest"
        shutil.copytree(self.tempest.sdist, copy, ignore=shutil.ignore_patterns(".stestr"))
        (copy / ".stestr.conf").write_text(f"[DEFAULT]\ntest_path={SUBSET}\ntop_dir=./\ngroup_regex=([^\\.]*\\.)*\n")
        return copy

    def tempest_run(self, where: Path, *args: str, exec_: bool) -> subprocess.CompletedProcess[str]:
        prefix = [str(self.bin / "python"), "-m", "partitioner", "exec", "--"] if exec_ else []
        proc = subprocess.run([*prefix, str(self.bin / "tempest"), "run", *args], cwd=where, env=self.env,
                              capture_output=True, text=True, check=False, timeout=600, stdin=subprocess.DEVNULL)
        self.assertEqual(0, proc.returncode, proc.stderr[-3000:])
        self.assertNotIn("Traceback", proc.stderr)
        return proc

    def stored(self, where: Path) -> dict[str, list[str]]:
        last = subprocess.run([str(self.bin / "stestr"), "last", "--subunit"], cwd=where, env=self.env,
                              capture_output=True, check=False, timeout=120)
        return {t: s for t, s in read_events(last.stdout).finals().items() if t != "process-returncode"}

    def test_tempest_run_and_its_combined_serial_phase(self) -> None:
        runs = {}
        for exec_ in (False, True):
            where = self.workspace()
            first = self.tempest_run(where, "--concurrency", CONCURRENCY, "--regex", r"\.test_[a-m]\w*$", exec_=exec_)
            if exec_:
                self.assertIn("dynamic dispatch (lookahead order)", first.stderr)
            self.tempest_run(where, "--combine", "--serial", "--regex", r"\.test_[n-z]\w*$", exec_=exec_)
            runs[exec_] = self.stored(where)
            self.assertEqual(["0"], sorted(p.name for p in (where / ".stestr").iterdir() if p.name.isdigit()),
                             "--combine adds to the run it follows")
        plain, ours = runs[False], runs[True]
        self.assertGreater(len(plain), 300, "tempest's compute client tests did not run")
        self.assertEqual({}, {t: s for t, s in ours.items() if len(s) != 1}, "a test was stored twice")
        self.assertEqual(plain, ours)
