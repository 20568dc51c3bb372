"""The one error hierarchy: every message says what went wrong, where, and how to fix it.

Only :func:`partitioner.cli.main` turns these into exit codes; a traceback always means a bug.
Each subclass also inherits the builtin exception that fits, so callers may catch either.
"""

from __future__ import annotations

#: what str.splitlines() breaks a line at, each shown escaped by :func:`one_line`
_BREAKS = {"\n": "\\n", "\r": "\\r", "\v": "\\v", "\f": "\\f", "\x1c": "\\x1c", "\x1d": "\\x1d",
           "\x1e": "\\x1e", "\x85": "\\x85", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_ESCAPES = str.maketrans(_BREAKS)


def one_line(message: str) -> str:
    """``message`` as one line: what would break it (a path or a value holding a newline, from the user) is
    shown escaped. The entry points pass every error message through it: an error is always one line."""
    return message.strip().translate(_ESCAPES)


def exception_words(exc: BaseException) -> str:
    """An exception's message on one line (every run of whitespace, line breaks included, one space), or its type's
    name when it has none: the words a parser's error gives, quoted inside one of our lines."""
    return " ".join(str(exc).split()) or type(exc).__name__


class PartitionerError(Exception):
    """Base of every error partitioner raises on purpose."""

    exit_code = 1


class UsageError(PartitionerError, ValueError):
    """A command-line option or argument is invalid (exit status 2)."""

    exit_code = 2


class ConfigError(PartitionerError, ValueError):
    """A configuration file or option value is invalid."""


class InputError(PartitionerError, ValueError):
    """The test list is unusable (empty, unreadable)."""


class HistoryError(PartitionerError, OSError):
    """A history source (stream, repository, dbm, JSON timing file) is missing or unreadable."""


class OutputError(PartitionerError, OSError):
    """A plan, a rendering or a timing file cannot be written where it was asked to go."""


class PluginError(PartitionerError, ImportError):
    """A callback or plugin named in configuration cannot be imported or called."""


class RunnerError(PartitionerError, RuntimeError):
    """The test_command runner could not start or list its workers."""
