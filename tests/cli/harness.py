"""Run ``partitioner`` in-process with injected streams, on projects written to a temp dir."""

from __future__ import annotations

import io
import json
from pathlib import Path

import fixtures
import testtools

from partitioner.cli.main import ERROR, USAGE, main
from partitioner.history.jsonfile import dumps_samples
from partitioner.history.model import Run, Samples
from tests.builders import stream

IDS = "m.A.t1\nm.A.t2\nm.B.t1\nm.C.t1[smoke]\n"


class CLICase(testtools.TestCase):
    """A temp project directory ``self.dir`` and :meth:`cli`, which runs a command line and returns
    ``(exit status, stdout, stderr)``."""

    def setUp(self) -> None:
        super().setUp()
        self.dir = Path(self.useFixture(fixtures.TempDir()).path)
        # `exec -- python3 -m ...` with another python3 first on PATH sets PYTHON in this process, as it must in
        # the real one (follow_named_python): it must not outlive the test
        self.useFixture(fixtures.EnvironmentVariable("PYTHON"))

    def cli(self, *argv: str, stdin: bytes = b"") -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), stdout=out, stderr=err, stdin=io.BytesIO(stdin))
        return code, out.getvalue(), err.getvalue()

    def assertOneLineError(self, argv: list[str], code: int, fragment: str, stdin: bytes = b"") -> None:
        """``argv`` exits with ``code``, says ``fragment`` on stderr (one line, for errors and usage errors alike)
        and nothing on stdout."""
        got, out, err = self.cli(*argv, stdin=stdin)
        self.assertEqual(code, got, err)
        self.assertIn(fragment, err)
        self.assertEqual("", out)  # nothing half-written on stdout
        self.assertNotIn("Traceback", err)
        if code in (ERROR, USAGE):
            self.assertEqual(1, len(err.strip().splitlines()), err)


class PlanCase(CLICase):
    """A project with an id list (``ids.txt``: :data:`IDS`) and a JSON timing file (``t.json``)."""

    def setUp(self) -> None:
        super().setUp()
        (self.dir / "ids.txt").write_text(IDS)
        self.timings = self.dir / "t.json"
        self.timings.write_text(dumps_samples(Samples(tests={"m.A.t1": (3.0,), "m.B.t1": (2.0,), "m.C.t1": (1.0,)},
                                                      setup={"m.A": (1.0,)})))

    def plan_args(self, *extra: str, command: str = "plan") -> list[str]:
        return [command, "-C", str(self.dir), "--tests", str(self.dir / "ids.txt"), "--history", str(self.timings),
                *extra]

    def plan_json(self, *extra: str) -> dict[str, object]:
        code, out, err = self.cli(*self.plan_args("--format", "json", *extra))
        self.assertEqual(0, code, err)
        doc: dict[str, object] = json.loads(out)
        return doc


class RepositoryCase(CLICase):
    """A project whose ``.testrepository`` (or ``.stestr``) holds given runs; :meth:`cli` adds ``-C``."""

    def repository(self, runs: list[Run], name: str = ".testrepository") -> Path:
        repo = self.dir / name
        repo.mkdir()
        (repo / "format").write_text("1\n")
        for number, r in enumerate(runs):
            (repo / str(number)).write_bytes(stream(list(r.records)))
        (repo / "next-stream").write_text(f"{len(runs)}\n")
        return repo

    def cli(self, *argv: str, stdin: bytes = b"") -> tuple[int, str, str]:
        return super().cli(*argv, "-C", str(self.dir), stdin=stdin)
