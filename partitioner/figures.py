"""How the text outputs print a time: one rule, so a fast suite's plan never reads ``0.0s`` anywhere.

Figures of a second and more keep one decimal (``3.1s``); under a second a plan's figure is shown to the
millisecond (``0.034s``) and under 10 ms to two significant digits (``0.0068s``), so a suite that runs in tens of
milliseconds still shows which worker is longer. Test-count units (no history) are whole counts and keep one
decimal. A true zero stays short (``0.0s``).

- :func:`figure`: a value with its unit (``3.1s``, ``0.034s``, ``5.0 units``): a plan's predicted times, makespans
  and bounds in every text output;
- :func:`number`: the same without the unit suffix, for a table column (the caller adds
  ``costmodel.UNIT_SUFFIX[unit]``);
- :func:`seconds`: seconds always to the millisecond (``0.027s``, ``2.500s``), under 10 ms to two significant
  digits (``0.00068s``, not ``0.001s``), so a test's share of a cheap class setup is never a rounded ``0.000s``
  (``partitioner explain``'s figures).

A pure module in the core layer: the pipeline's shard line and resource-group warning print figures too.
"""

from __future__ import annotations

import math

from partitioner.costmodel import SECONDS, UNIT_SUFFIX


def _small(value: float) -> str:
    """A figure under a second: to the millisecond, and under 10 ms to two significant digits."""
    if abs(value) >= 0.01:
        return f"{value:.3f}"
    digits = 1 - math.floor(math.log10(abs(value)))
    return f"{value:.{digits}f}".rstrip("0")


def number(value: float, unit: str = SECONDS) -> str:
    """``value`` without its unit suffix, for a table column."""
    if unit == SECONDS and value != 0.0 and math.isfinite(value) and abs(value) < 1.0:
        return _small(value)
    return f"{value:.1f}"


def figure(value: float, unit: str = SECONDS) -> str:
    """``value`` with its unit (``3.1s``, ``0.034s``, ``5.0 units``)."""
    return number(value, unit) + UNIT_SUFFIX[unit]


def seconds(value: float) -> str:
    """Seconds always to the millisecond (``0.027s``), under 10 ms to two significant digits."""
    if value == 0.0 or not math.isfinite(value) or abs(value) >= 0.01:
        return f"{value:.3f}s"
    return _small(value) + "s"
