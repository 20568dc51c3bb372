"""Parse a history store URL, and hide passwords in anything shown (imports no database library).

Accepted forms (SQLAlchemy's conventions)::

    sqlite:///relative/path/history.db      three slashes: a path relative to the working directory
    sqlite:////absolute/path/history.db     four slashes: an absolute path
    postgresql://user[:password]@host[:port]/database[?libpq-option=value&...]   (or ?password=...)

``postgres://`` and ``postgresql+psycopg://`` mean ``postgresql://``. Either kind takes ``?upto=N``: every
read is pinned to the runs with id <= N (see :meth:`partitioner.history.store.Store.head`), so jobs that
share N plan from the same history while others push. A password is kept only to connect: it never
appears in :attr:`StoreURL.display`, ``repr``, errors or anything stored (:func:`redact`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from partitioner.history.store.errors import StoreError

__all__ = ["MASK", "StoreURL", "is_store_url", "parse_store_url", "redact"]

#: what a password is replaced with wherever a URL is shown
MASK = "***"
_SCHEMES: Mapping[str, Literal["sqlite", "postgresql"]] = MappingProxyType({
    "sqlite": "sqlite",
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "postgresql+psycopg": "postgresql",
})
_FORMS = "sqlite:///PATH (relative), sqlite:////PATH (absolute) or postgresql://USER[:PASSWORD]@HOST[:PORT]/DB"
#: ``scheme://user:password@``: the password part of any URL in free text
_USERINFO = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@]*:)(?P<password>[^\s@/]+)@")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with the password of every ``scheme://user:password@`` URL in it, and every one of
    ``secrets`` (raw or percent-encoded), replaced by ``***``."""
    out = _USERINFO.sub(lambda m: f"{m.group('head')}{MASK}@", text)
    for secret in secrets:
        if secret:
            for form in {secret, quote(secret, safe=""), quote(secret)}:
                out = out.replace(form, MASK)
    return out


def is_store_url(text: str) -> bool:
    """Whether ``text`` names a history store (``sqlite:``/``postgresql:``/``postgres:``), not a path."""
    scheme, colon, _ = text.partition(":")
    return bool(colon) and scheme.lower() in _SCHEMES


@dataclass(frozen=True)
class StoreURL:
    """A parsed store URL.

    :ivar kind: ``sqlite`` or ``postgresql``
    :ivar display: the URL as given, password replaced by ``***`` (what messages and labels show)
    :ivar upto: the pin from ``?upto=N``, or ``None`` for the newest runs
    :ivar path: the SQLite database file (``None`` for PostgreSQL)
    :ivar username, host, port, database: PostgreSQL connection parts
    :ivar options: further ``?key=value`` pairs, handed to the driver (PostgreSQL only)
    :ivar password: only for connecting; left out of ``repr`` and comparisons
    """

    kind: Literal["sqlite", "postgresql"]
    display: str
    upto: int | None = None
    path: Path | None = None
    username: str | None = None
    host: str | None = None
    port: int | None = None
    database: str | None = None
    options: tuple[tuple[str, str], ...] = ()
    password: str | None = field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        return self.display

    @property
    def secrets(self) -> tuple[str, ...]:
        """What :func:`redact` must hide in text about this store."""
        return (self.password,) if self.password else ()

    def redact(self, text: str) -> str:
        """``text`` with this store's password (and any URL password) hidden."""
        return redact(text, self.secrets)


def _fail(display: str, problem: str) -> StoreError:
    return StoreError(f"{display}: {problem}; write the store as {_FORMS}")


def parse_store_url(text: str, base: Path | None = None) -> StoreURL:
    """Parse a store URL.

    :param text: the URL
    :param base: the directory a relative SQLite path is taken from (default: the working directory)
    :raises StoreError: for another scheme, a SQLite URL with a host or no path, a bad ``upto`` or port,
        a PostgreSQL URL without a host or database, or an unknown option for SQLite
    """
    parts = urlsplit(text.strip())
    query_password = next((v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k == "password"), None)
    display = redact(text.strip(), [query_password] if query_password else ())
    kind = _SCHEMES.get(parts.scheme.lower())
    if kind is None:
        raise _fail(display, f"unknown store kind {parts.scheme!r}")
    upto: int | None = None
    options: list[tuple[str, str]] = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "password":  # libpq's ?password=: kept like the one before the @
            continue
        if key == "upto":
            if not value.isdigit():
                raise StoreError(f"{display}: upto={value!r} is not a run id; write ?upto=N with N from "
                                 f"the store's newest run id (0 or more)")
            upto = int(value)
        else:
            options.append((key, value))
    if kind == "sqlite":
        if parts.netloc:
            raise _fail(display, f"a SQLite store has no host ({parts.netloc!r})")
        name = parts.path[1:] if parts.path.startswith("/") else parts.path
        if not name or name == ":memory:":
            raise _fail(display, "no database file (an in-memory SQLite store cannot be shared)")
        if options:
            raise StoreError(f"{display}: unknown SQLite store option {options[0][0]!r}; the only option is "
                             f"?upto=N")
        path = Path(unquote(name))
        if not path.is_absolute():
            path = (base or Path.cwd()) / path
        return StoreURL(kind, display, upto, path=path)
    try:
        port = parts.port
    except ValueError:
        raise _fail(display, "the port is not a number") from None
    if not parts.hostname:
        raise _fail(display, "no host")
    database = unquote(parts.path.lstrip("/"))
    if not database:
        raise _fail(display, "no database name")
    return StoreURL(
        kind, display, upto,
        username=unquote(parts.username) if parts.username else None,
        host=parts.hostname, port=port, database=database, options=tuple(options),
        password=unquote(parts.password) if parts.password is not None else query_password,
    )
