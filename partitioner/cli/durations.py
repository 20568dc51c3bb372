"""argparse types for spans of time and moments: ``--budget 10m``, ``--window 1h``, ``--since 2024-05-01``.

A duration is a number of seconds, or numbers with units run together: ``90``, ``90s``, ``10m``, ``1h30m``,
``2d``, ``1w``. A moment is an ISO date or date-time (UTC unless it carries an offset), or a duration ago.
"""

from __future__ import annotations

import argparse
import datetime
import re
import time

UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
#: a word that is an option's value, not an option: a dash, then a digit (``-5s``, ``-1h30m``, ``-.5``)
_SIGNED = re.compile(r"^-\.?\d")


def seconds(text: str) -> float:
    """argparse type: a duration (``90``, ``90s``, ``10m``, ``1h30m``, ``2d``) in seconds, > 0.

    A negative one (``-5s``) is refused as not > 0, not as no duration: the sign is the mistake.
    """
    spelt = text.strip().lower()
    try:
        value = float(spelt)
    except ValueError:
        unsigned = spelt[1:] if spelt.startswith("-") else spelt
        parts = _PART.findall(unsigned)
        if not parts or "".join(n + u for n, u in parts) != unsigned:
            raise argparse.ArgumentTypeError(f"expected a duration such as 90, 90s, 10m, 1h30m or 2d, got {text!r}"
                                             ) from None
        value = sum(float(n) * UNITS[u] for n, u in parts) * (-1 if unsigned != spelt else 1)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a duration > 0 (such as 90s, 10m or 1h), got {text!r}")
    return value


def take_signed_values(parser: argparse.ArgumentParser) -> None:
    """Make ``parser`` take a word such as ``-5s`` as the value of the option before it, so that :func:`seconds`
    says what is wrong with it.

    argparse takes a word that starts with a dash for an option unless it is a plain negative number (``-5``),
    and then reports "expected one argument" for ``--budget -5s``, though one was given. Call it only for a
    parser with no option that starts with a digit (``-1``). It widens argparse's own matcher of negative numbers
    (a private attribute, but one that every supported Python names and uses alike).
    """
    parser._negative_number_matcher = _SIGNED


def moment(text: str, now: float | None = None) -> float:
    """argparse type: epoch seconds of an ISO date or date-time (``2024-05-01``, ``2024-05-01T12:00``; UTC
    unless it carries an offset), or of a duration ago (``7d``: seven days before now)."""
    spelt = text.strip()
    try:
        stamp = datetime.datetime.fromisoformat(spelt)
    except ValueError:
        try:
            return (time.time() if now is None else now) - seconds(spelt)
        except argparse.ArgumentTypeError:
            raise argparse.ArgumentTypeError(f"expected a date (2024-05-01), a date-time (2024-05-01T12:00) or a "
                                             f"duration ago (7d, 12h), got {text!r}") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=datetime.timezone.utc)
    return stamp.timestamp()


def spell(value: float) -> str:
    """A duration as the shortest spelling :func:`seconds` reads back (``600`` -> ``10m``)."""
    for unit in ("w", "d", "h", "m"):
        if value >= UNITS[unit] and value % UNITS[unit] == 0:
            return f"{value / UNITS[unit]:g}{unit}"
    return f"{value:g}s"
