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

The code lives in :mod:`partitioner.pipeline`, the lowest layer that prints a figure (the shard line and the
resource-group warning); the renderers import it from here.
"""

from __future__ import annotations

from partitioner.pipeline import figure, number, seconds

__all__ = ["figure", "number", "seconds"]
