"""A throwaway PostgreSQL server for tests and benches: a fresh cluster in a temp dir on a free local port.

Uses the server binaries of Debian's ``postgresql`` package (``/usr/lib/postgresql/*/bin``, else ``PATH``,
else ``$PARTITIONER_PG_BIN``). The cluster listens on 127.0.0.1 only, with password (SCRAM) authentication
for its superuser, so tests can also try a wrong password. initdb and the server refuse to run as root;
as root they run as the ``postgres`` user (created by the package), else as ``nobody``.

    server = ThrowawayPostgres()
    server.start()                       # raises PostgresUnavailable with the reason when it cannot
    url = server.create_database("t1")   # postgresql://partitioner:<password>@127.0.0.1:<port>/t1
    ...
    server.cleanup()                     # stops the server (immediate) and removes the directory
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["PostgresUnavailable", "ThrowawayPostgres", "find_pg_bin"]

SUPERUSER = "partitioner"


class PostgresUnavailable(RuntimeError):
    """No throwaway server can be started here (no binaries, no unprivileged user, initdb failed, ...)."""


def find_pg_bin() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``, or ``None``."""
    explicit = os.environ.get("PARTITIONER_PG_BIN")
    candidates = [Path(explicit)] if explicit else []
    root = Path("/usr/lib/postgresql")
    if root.is_dir():
        versions = sorted((p for p in root.iterdir() if p.name.isdigit()), key=lambda p: int(p.name), reverse=True)
        candidates.extend(p / "bin" for p in versions)
    found = shutil.which("pg_ctl")
    if found:
        candidates.append(Path(found).resolve().parent)
    for candidate in candidates:
        if (candidate / "initdb").is_file() and (candidate / "pg_ctl").is_file():
            return candidate
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ThrowawayPostgres:
    """One throwaway cluster (see the module docstring).

    :ivar port: the port it listens on (after :meth:`start`)
    :ivar password: the superuser's password
    """

    def __init__(self, password: str | None = None) -> None:
        self.password = password or f"pw-{secrets.token_hex(8)}"
        self.port = 0
        self.root: Path | None = None
        self.bin: Path | None = None
        self._user: pwd.struct_passwd | None = None
        self.running = False

    # --- helpers -------------------------------------------------------------------------------------------

    def _as_user(self) -> dict[str, Any]:
        if self._user is None:
            return {}
        return {"user": self._user.pw_uid, "group": self._user.pw_gid, "extra_groups": []}

    def _run(self, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        assert self.root is not None
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C",
               "HOME": str(self.root), "PGTZ": "UTC"}
        return subprocess.run(list(argv), cwd=self.root, env=env, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False, **self._as_user())

    def url(self, database: str = "postgres", password: str | None = None, user: str = SUPERUSER) -> str:
        """The URL of ``database`` on this server (the superuser's password unless another is given)."""
        return f"postgresql://{user}:{self.password if password is None else password}@127.0.0.1:{self.port}/{database}"

    # --- life cycle ----------------------------------------------------------------------------------------

    def start(self) -> str:
        """Create the cluster (first time) and start the server; returns the URL of database ``postgres``.

        :raises PostgresUnavailable: with the reason, when it cannot be done here
        """
        if self.root is None:
            self._create()
        assert self.root is not None and self.bin is not None
        for _attempt in range(3):
            self.port = free_port()
            options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                       f"-c max_connections=60 -c shared_buffers=32MB")
            done = self._run(str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), "-l", str(self.root / "log"),
                             "-w", "-t", "60", "-o", options, "start")
            if done.returncode == 0:
                self.running = True
                return self.url()
        log = (self.root / "log").read_text(errors="replace")[-600:] if (self.root / "log").exists() else ""
        raise PostgresUnavailable(f"pg_ctl start failed: {' '.join((done.stderr + log).split())[-600:]}")

    def _create(self) -> None:
        self.bin = find_pg_bin()
        if self.bin is None:
            raise PostgresUnavailable("no PostgreSQL server binaries (initdb, pg_ctl): install Debian's postgresql "
                                      "package (bash .ci/postgres.sh) or set PARTITIONER_PG_BIN")
        if os.geteuid() == 0:
            for name in ("postgres", "nobody"):
                try:
                    self._user = pwd.getpwnam(name)
                    break
                except KeyError:
                    continue
            if self._user is None:
                raise PostgresUnavailable("running as root and neither a 'postgres' nor a 'nobody' user exists "
                                          "to run initdb as")
        root = Path(tempfile.mkdtemp(prefix="partitioner-pg-"))
        self.root = root
        root.chmod(0o755)
        if self._user is not None:
            os.chown(root, self._user.pw_uid, self._user.pw_gid)
        secret = root / "pwfile"
        secret.write_text(f"{self.password}\n")
        secret.chmod(0o600)
        if self._user is not None:
            os.chown(secret, self._user.pw_uid, self._user.pw_gid)
        done = self._run(str(self.bin / "initdb"), "-D", str(root / "data"), "-U", SUPERUSER, f"--pwfile={secret}",
                         "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync")
        secret.unlink()
        if done.returncode != 0:
            self.cleanup()
            raise PostgresUnavailable(f"initdb failed: {' '.join(done.stderr.split())[-600:]}")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``immediate`` is a crash: no shutdown checkpoint, recovery at the next start)."""
        if self.running and self.root is not None and self.bin is not None:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), "-m", mode, "-w", "stop")
            self.running = False

    def restart(self) -> str:
        """Start a stopped server again (on a new free port); returns the ``postgres`` database URL."""
        self.stop()
        return self.start()

    def cleanup(self) -> None:
        """Stop the server at once and remove its directory."""
        try:
            self.stop("immediate")
        finally:
            if self.root is not None:
                shutil.rmtree(self.root, ignore_errors=True)
                self.root = None

    # --- databases -----------------------------------------------------------------------------------------

    def execute(self, sql: str, database: str = "postgres") -> None:
        """Run one statement as the superuser, outside a transaction (CREATE/DROP DATABASE)."""
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, password=self.password,
                             dbname=database, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.encode())

    def create_database(self, name: str) -> str:
        """Create an empty database; returns its URL."""
        self.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, closing its connections."""
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
