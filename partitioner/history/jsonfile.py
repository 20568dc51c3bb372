"""The portable JSON timing file (read, merged, written to a stream), for CI jobs that keep no test repository.

Format (version 1), samples oldest first, written with sorted keys, ``indent=1`` and a trailing newline so
that the same samples always give the same bytes::

    {
     "format_version": 1,
     "setup": {"pkg.mod.Class": [4.1, 3.9]},
     "startup": [1.2, 1.4],
     "tests": {"pkg.mod.Class.test_x": [0.5, 0.7]}
    }

``tests`` is keyed by canonical test id (:func:`partitioner.testids.canonical`; ids read with ``[attrs]`` are
canonicalized), ``setup`` by class key (:func:`partitioner.testids.class_key`); ``setup`` and ``startup``
may be omitted. Every sample is a number of seconds from 0 to :data:`MAX_SECONDS`. Unknown top-level keys are
ignored; any other deviation raises :class:`~partitioner.errors.HistoryError` naming the file.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any, cast

from partitioner.errors import HistoryError
from partitioner.history.model import Samples
from partitioner.testids import canonical

__all__ = ["MAX_SECONDS", "TIMING_FILE_VERSION", "all_durations", "dumps_samples", "is_duration", "merge_samples",
           "parse_samples", "read_samples", "write_samples"]

#: version of the timing file format, which partitioner reads back (independent of the version of its JSON
#: outputs, :data:`partitioner.render.FORMAT_VERSION`: a new output shape must not orphan stored files)
TIMING_FILE_VERSION = 1
#: the longest duration a reader accepts: no test, class setup or start-up takes 11 days, so a larger value
#: (1e308 sums to infinity and breaks every estimate) is damage, not a measurement
MAX_SECONDS = 1e6


def is_duration(value: object) -> bool:
    """Whether ``value`` is a stored duration the readers accept: a number (not a bool) from 0 to
    :data:`MAX_SECONDS` (NaN, infinities and negatives are not). The one rule for the JSON timing file and
    ``times.dbm``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return 0 <= value <= MAX_SECONDS  # False for NaN; an int too large for a float compares without overflow


def all_durations(values: Collection[object]) -> bool:
    """``all(map(is_duration, values))``, without a Python call per value when every value is a plain float or
    int (a repository's ``get_test_times`` and a run digest hold a million): a NaN anywhere makes the sum NaN,
    and without one ``min`` and ``max`` are exact."""
    if not {float, int}.issuperset(map(type, values)):
        return all(map(is_duration, values))  # bools, strings, None, float subclasses: one by one
    numbers = cast("Collection[float]", values)  # floats and ints only, checked above
    try:
        total = sum(numbers, 0.0)
    except OverflowError:  # an int too large for a float
        return all(map(is_duration, values))
    return not numbers or (not math.isnan(total) and min(numbers) >= 0 and max(numbers) <= MAX_SECONDS)


_EXPECTED = (
    'expected {"format_version": 1, "tests": {test_id: [seconds, ...]}, '
    '"setup": {class: [seconds, ...]}, "startup": [seconds, ...]}'
)


def dumps_samples(samples: Samples) -> str:
    """The deterministic JSON text of ``samples`` (sorted keys, ``indent=1``, trailing newline).

    :raises ValueError: when a sample is NaN or infinite (JSON cannot carry it)
    """
    document = {
        "format_version": TIMING_FILE_VERSION,
        "tests": {key: list(values) for key, values in samples.tests.items()},
        "setup": {key: list(values) for key, values in samples.setup.items()},
        "startup": list(samples.startup),
    }
    return f"{json.dumps(document, sort_keys=True, indent=1, allow_nan=False)}\n"


def write_samples(stream: IO[Any], samples: Samples) -> None:
    """Write ``samples`` as a JSON timing file to an open text or binary stream (not closed).

    Commands open the stream with :func:`partitioner.render.open_output` (``-`` or a file replaced whole).
    """
    text = dumps_samples(samples)
    try:
        stream.write(text)
    except TypeError:
        stream.write(text.encode("utf8"))


def read_samples(path: str | os.PathLike[str]) -> Samples:
    """Read and validate a JSON timing file.

    :raises HistoryError: when the file is missing or unreadable, not JSON, of another version, or misshapen
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise HistoryError(f"{path}: no such file; pass an existing JSON timing file") from None
    except OSError as error:
        raise HistoryError(f"{path}: cannot read ({error.strerror or error}); check permissions") from None
    return parse_samples(data, str(path))


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a valid sample")


def parse_samples(data: bytes | str, name: str) -> Samples:
    """Validate JSON timing-file content (e.g. read from stdin).

    :param data: the file's content
    :param name: where it came from, for error messages
    :raises HistoryError: when the content is not a valid version-1 timing file
    """
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        document = json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError as error:
        raise HistoryError(f"{name}: not UTF-8 text (byte {error.start}); {_EXPECTED}") from None
    except json.JSONDecodeError as error:
        raise HistoryError(
            f"{name}: invalid JSON at line {error.lineno} column {error.colno} ({error.msg}); {_EXPECTED}"
        ) from None
    except (ValueError, RecursionError) as error:
        raise HistoryError(f"{name}: invalid JSON ({error}); {_EXPECTED}") from None
    if not isinstance(document, dict):
        raise HistoryError(f"{name}: top level is {_kind(document)}, not an object; {_EXPECTED}")
    if "format_version" not in document:
        raise HistoryError(f"{name}: no format_version, so not a partitioner timing file; {_EXPECTED}")
    version = document["format_version"]
    if type(version) is not int or version != TIMING_FILE_VERSION:
        raise HistoryError(
            f"{name}: unsupported format_version {version!r} (this partitioner reads {TIMING_FILE_VERSION}); "
            f"rewrite it with this partitioner or upgrade partitioner"
        )
    raw_tests = _series_map(document.get("tests"), name, "tests")
    tests: dict[str, tuple[float, ...]] = {}
    for key in sorted(raw_tests):
        ident = canonical(key)
        tests[ident] = tests.get(ident, ()) + raw_tests[key]
    setup = _series_map(document.get("setup", {}), name, "setup")
    startup = _series(document.get("startup", []), name, "startup")
    return Samples(
        tests=MappingProxyType(dict(sorted(tests.items()))),
        setup=MappingProxyType(dict(sorted(setup.items()))),
        startup=startup,
    )


def _kind(value: object) -> str:
    """A JSON type name for ``value``, for messages."""
    return {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }.get(type(value), "null")


def _series_map(value: object, name: str, field: str) -> dict[str, tuple[float, ...]]:
    if not isinstance(value, dict):
        raise HistoryError(f"{name}: '{field}' is {_kind(value)}, not an object of arrays; {_EXPECTED}")
    return {str(key): _series(item, name, f"{field}[{key!r}]") for key, item in value.items()}


def _series(value: object, name: str, field: str) -> tuple[float, ...]:
    if not isinstance(value, list):
        raise HistoryError(f"{name}: '{field}' is {_kind(value)}, not an array of seconds; {_EXPECTED}")
    out: list[float] = []
    for index, item in enumerate(value):
        if not is_duration(item):
            raise HistoryError(
                f"{name}: '{field}' item {index} is {item!r}, not a number of seconds from 0 to {MAX_SECONDS:g}; "
                f"{_EXPECTED}"
            )
        out.append(float(item))
    return tuple(out)


def _keep_newest(series: Mapping[str, list[float]], keep: int) -> Mapping[str, tuple[float, ...]]:
    return MappingProxyType({key: tuple(series[key][-keep:]) for key in sorted(series)})


def merge_samples(items: Sequence[Samples], keep: int = 20) -> Samples:
    """Concatenate samples per key in the order given (oldest first) and keep the newest ``keep`` of each.

    :param items: samples, oldest first
    :param keep: how many samples to keep per test, per class and for startup (at least 1)
    :raises ValueError: when ``keep`` is less than 1
    """
    if keep < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
    tests: dict[str, list[float]] = {}
    setup: dict[str, list[float]] = {}
    startup: list[float] = []
    for item in items:
        for key, values in item.tests.items():
            tests.setdefault(key, []).extend(values)
        for key, values in item.setup.items():
            setup.setdefault(key, []).extend(values)
        startup.extend(item.startup)
    return Samples(
        tests=_keep_newest(tests, keep),
        setup=_keep_newest(setup, keep),
        startup=tuple(startup[-keep:]),
    )
