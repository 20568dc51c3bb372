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


def seconds(text: str) -> float:
    """argparse type: a duration (``90``, ``90s``, ``10m``, ``1h30m``, ``2d``) in seconds, > 0."""
    spelt = text.strip().lower()
    try:
        value = float(spelt)
    except ValueError:
        parts = _PART.findall(spelt)
        if not parts or "".join(n + u for n, u in parts) != spelt:
            raise argparse.ArgumentTypeError(f"expected a duration such as 90, 90s, 10m, 1h30m or 2d, got {text!r}"
                                             ) from None
        value = sum(float(n) * UNITS[u] for n, u in parts)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a duration > 0, got {text!r}")
    return value


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
