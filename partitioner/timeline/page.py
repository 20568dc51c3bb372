"""Draw a :class:`~partitioner.timeline.model.Timeline` as ONE self-contained HTML file.

The page holds everything inline: its CSS, its script (``assets/``, package data) and the timeline as JSON
in a ``<script type="application/json">`` element. It makes no request of any kind (no CDN, no font, no
image, no link), so it opens from a CI log server or a laptop offline. The script draws the lanes on a
``<canvas>`` (only what is in view), so 20,000 bars stay responsive; the facts and the per-lane table are
plain HTML, readable without the script.

The JSON (``format_version`` 1) is column-oriented to stay small: times in integer microseconds from the
origin, class keys in one shared table (a bar keeps the rest of its id), statuses as indexes. Every ``/``
and ``<`` in it is escaped, so no string from a test id can close the element or read as a URL. Each lane
says its ``unit``: ``s``, or ``tests`` for a plan's predicted lane priced without timing history, whose
figures the page then gives in test-count units (:func:`amount`), never as seconds.
"""

from __future__ import annotations

import datetime
import html
import json
import math
import re
from collections.abc import Callable, Sequence
from importlib import resources
from typing import Any

from partitioner.costmodel import SECONDS, TEST_UNITS, TESTS
from partitioner.plan import Plan
from partitioner.timeline.model import Bar, Lane, Timeline
from partitioner.timeline.predicted import SERIAL_LANE, Costs, plan_timeline

__all__ = ["FORMAT_VERSION", "amount", "render_plan", "render_timeline", "timeline_data"]

FORMAT_VERSION = 1
#: bar flags in the JSON (bits)
FULL_ID, FIXTURE, OVERLAPPED, PSEUDO, PARTNERS = 1, 2, 4, 8, 16


def _asset(name: str) -> str:
    return (resources.files("partitioner.timeline") / "assets" / name).read_text(encoding="utf-8")


def _us(seconds: float) -> int:
    """Integer microseconds (JSON stays short and byte-stable)."""
    return round(seconds * 1_000_000)


class _Table:
    """An index for repeated strings (class keys, statuses)."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self._index: dict[str, int] = {}

    def __call__(self, item: str) -> int:
        found = self._index.get(item)
        if found is None:
            found = self._index[item] = len(self.items)
            self.items.append(item)
        return found


def _bars(bars: Sequence[Bar], classes: _Table, statuses: _Table) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {"s": [], "d": [], "st": [], "c": [], "n": [], "f": [],
                                     "oi": [], "ov": [], "pi": [], "pv": []}
    for i, bar in enumerate(bars):
        klass = bar.klass
        prefix = f"{klass}."
        flags = 0
        if bar.test_id.startswith(prefix) and len(bar.test_id) > len(prefix):
            name = bar.test_id[len(prefix):]
        else:
            name, flags = bar.test_id, FULL_ID
        flags |= (FIXTURE if bar.fixture else 0) | (PSEUDO if bar.pseudo else 0)
        if bar.overlapped:
            flags |= OVERLAPPED
            columns["oi"].append(i)
            columns["ov"].append(list(bar.overlapped))
        if bar.partners:
            flags |= PARTNERS
            columns["pi"].append(i)
            columns["pv"].append(list(bar.partners))
        columns["s"].append(_us(bar.start))
        columns["d"].append(_us(bar.duration))
        columns["st"].append(statuses(bar.status))
        columns["c"].append(classes(klass))
        columns["n"].append(name)
        columns["f"].append(flags)
    return columns


def _lane(lane: Lane, classes: _Table, statuses: _Table) -> dict[str, Any]:
    gaps = lane.gaps
    return {
        "worker": lane.worker,
        "kind": lane.kind,
        "section": lane.section,
        "unit": lane.unit,
        "finish": _us(lane.finish),
        "idle": _us(lane.idle),
        "summary": _summary(lane),
        "bars": _bars(lane.bars, classes, statuses),
        "gaps": {
            "s": [_us(g.start) for g in gaps],
            "d": [_us(g.seconds) for g in gaps],
            "k": [1 if g.kind == "lead-in" else 0 for g in gaps],
            "c": [classes(g.klass) for g in gaps],
            "p": [classes(g.previous) if g.previous else -1 for g in gaps],
        },
    }


def _summary(lane: Lane) -> dict[str, Any]:
    return {
        "tests": sum(1 for b in lane.bars if not b.pseudo),
        "failed": lane.count("fail", "uxsuccess"),
        "skipped": lane.count("skip"),
        "busy": _us(lane.busy),
        "setup": _us(lane.setup),
        "lead_in": _us(lane.lead_in),
    }


def timeline_data(timeline: Timeline) -> dict[str, Any]:
    """The JSON document the page's script draws (``format_version`` 1; see the module docstring)."""
    classes, statuses = _Table(), _Table()
    lanes = [_lane(lane, classes, statuses) for lane in (*timeline.lanes, *timeline.predicted)]
    return {
        "format_version": FORMAT_VERSION,
        "title": timeline.title,
        "origin": timeline.origin,
        "end": _us(timeline.end),
        "classes": classes.items,
        "statuses": statuses.items,
        "lanes": lanes,
        "unplaced": [[u.test_id, u.status, u.reason] for u in timeline.unplaced],
    }


#: characters escaped inside every JSON string: none can end the script element, and no test id or run name
#: can spell ``http:``, ``//``, ``src=`` or ``url(`` in the file (a page without external references says so
#: literally, whatever the ids)
_JSON_ESCAPES = str.maketrans({c: f"\\u{ord(c):04x}" for c in "<>&/:=("})
#: the same for HTML text: entities the browser shows as the characters themselves
_HTML_ESCAPES = str.maketrans({"/": "&#47;", ":": "&#58;", "=": "&#61;", "(": "&#40;"})
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _json_for_html(document: object) -> str:
    """Compact ASCII JSON whose strings hold none of ``< > & / : = (`` (escaped as ``\\uXXXX``)."""
    text = json.dumps(document, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return _JSON_STRING.sub(lambda m: m.group(0).translate(_JSON_ESCAPES), text)


def _text(value: str) -> str:
    """HTML-escaped text that cannot read as a URL either (see ``_HTML_ESCAPES``)."""
    return html.escape(value).translate(_HTML_ESCAPES)


def _seconds(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f} s"
    if value >= 1:
        return f"{value:.1f} s"
    return f"{value * 1000:.0f} ms"


def amount(value: float, unit: str) -> str:
    """A figure in its unit: seconds (``16.1 s``, ``350 ms``), or test-count units (``22.0 units``)."""
    if unit == TESTS:
        return f"{value:,.0f} units" if value >= 100 else f"{value:.1f} units"
    return _seconds(value)


def wall_time(timeline: Timeline) -> str:
    """A run's wall time as the page and ``partitioner timeline``'s line give it: ``16.1 s``; ``at least 16.1 s
    (2 tests unfinished)`` when the stream ended inside tests; ``unknown (why)`` when its timestamps cannot
    tell it (:attr:`~partitioner.timeline.model.Timeline.wall_unknown`), never a made-up 0."""
    wall = timeline.wall
    if wall is None:
        return f"unknown ({timeline.wall_unknown})"
    if timeline.unfinished:
        n = timeline.unfinished
        return f"at least {amount(wall, SECONDS)} ({n} test{'' if n == 1 else 's'} unfinished)"
    return amount(wall, SECONDS)


def _share(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole > 0 else "-"


def _workers(lanes: Sequence[Lane]) -> int:
    """How many workers ``lanes`` show (a plan's serial phase is not one more worker)."""
    return len({x.worker for x in lanes if x.worker != SERIAL_LANE})


def _section_facts(timeline: Timeline) -> list[tuple[str, str]]:
    """A page of several predicted sections (plans side by side): each one's makespan against the best."""
    lanes = {name: [x for x in timeline.predicted if x.section == name] for name in timeline.sections}
    ends = {name: max((x.finish for x in found), default=0.0) for name, found in lanes.items()}
    best = min(ends.values())
    first = next(iter(lanes.values()))
    facts = [("workers", str(max(_workers(found) for found in lanes.values()))),
             ("tests", f"{sum(1 for x in first for b in x.bars if not b.pseudo):,}")]
    for name, end in ends.items():
        behind = f" (+{end / best - 1:.0%})" if best > 0 and end > best * 1.005 else ""
        facts.append((name, f"{amount(end, lanes[name][0].unit)}{behind}"))
    return facts


def _facts(timeline: Timeline) -> list[tuple[str, str]]:
    """The headline numbers, as (label, value) pairs."""
    if not timeline.lanes and len(timeline.sections) > 1:
        return _section_facts(timeline)
    facts: list[tuple[str, str]] = []
    lanes = timeline.lanes or timeline.predicted
    end = max((lane.finish for lane in lanes), default=0.0)
    worker_time = end * len(lanes)
    tests = sum(1 for lane in lanes for b in lane.bars if not b.pseudo)
    facts.append(("wall time", wall_time(timeline)) if timeline.lanes else
                 ("predicted makespan", amount(end, timeline.predicted_unit)))
    facts.append(("workers", str(_workers(lanes))))
    facts.append(("tests", f"{tests:,}"))
    if timeline.lanes:
        facts.append(("failed", f"{sum(lane.count('fail', 'uxsuccess') for lane in lanes):,}"))
        facts.append(("skipped", f"{sum(lane.count('skip') for lane in lanes):,}"))
    setup = math.fsum(lane.setup + lane.lead_in for lane in lanes)
    idle = math.fsum(lane.idle for lane in lanes)
    facts.append(("in tests", _share(math.fsum(lane.busy for lane in lanes), worker_time)))
    facts.append(("class setup + start-up", _share(setup, worker_time)))
    facts.append(("idle", _share(idle, worker_time)))
    if timeline.lanes and timeline.predicted:
        predicted = max(lane.finish for lane in timeline.predicted)
        unit = timeline.predicted_unit
        # seconds against test counts would be a meaningless percentage
        # and a run whose wall time is unknown is no figure to compare
        known = timeline.wall is not None
        delta = f" ({(end - predicted) / predicted:+.0%})" if predicted > 0 and unit != TESTS and known else ""
        facts.append(("predicted", f"{amount(predicted, unit)}{delta}"))
    if timeline.unplaced:
        facts.append(("not drawn", f"{len(timeline.unplaced):,}"))
    return facts


def _lane_table(timeline: Timeline) -> str:
    """One row per drawn worker: what it ran, its setup, finish and idle tail (and its predicted finish)."""
    actual = bool(timeline.lanes)
    predicted = {(lane.section, lane.worker): lane for lane in timeline.predicted}
    heads = ["worker", "tests", *(["failed", "skipped"] if actual else []), "in tests", "setup", "finish", "idle",
             *(["predicted"] if actual and predicted else [])]
    rows = []
    section = ""
    for lane in timeline.lanes or timeline.predicted:
        if lane.section != section:
            section = lane.section
            rows.append(f"<tr class=\"section-row\"><th colspan=\"{len(heads)}\">{_text(section)}</th></tr>")
        plan = predicted.get((lane.section, lane.worker))
        cells = [lane.worker, f"{sum(1 for b in lane.bars if not b.pseudo):,}"]
        if actual:
            cells += [f"{lane.count('fail', 'uxsuccess'):,}", f"{lane.count('skip'):,}"]
        cells += [amount(lane.busy, lane.unit), amount(lane.setup + lane.lead_in, lane.unit),
                  amount(lane.finish, lane.unit), amount(lane.idle, lane.unit)]
        if actual and predicted:
            cells.append(amount(plan.finish, plan.unit) if plan else "-")
        rows.append("<tr class=\"lane-row\">" + "".join(f"<td>{_text(c)}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{_text(h)}</th>" for h in heads)
    return f"<table class=\"lanes\">\n<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(rows) + \
        "\n</tbody>\n</table>"


#: legend entries: (swatch class, label, whether the timeline shows it)
_LEGEND: tuple[tuple[str, str, Callable[[Sequence[Lane]], bool]], ...] = (
    ("pass", "passed", lambda lanes: _any_bar(lanes, "success")),
    ("fail", "failed", lambda lanes: _any_bar(lanes, "fail", "uxsuccess")),
    ("skip", "skipped", lambda lanes: _any_bar(lanes, "skip")),
    ("xfail", "expected failure", lambda lanes: _any_bar(lanes, "xfail")),
    ("running", "unfinished", lambda lanes: _any_bar(lanes, "inprogress")),
    ("plan", "predicted", lambda lanes: _any_bar(lanes, "predicted")),
    ("setup", "class setup / teardown", lambda lanes: any(g.kind == "setup" for x in lanes for g in x.gaps)),
    ("lead", "start-up + first setUpClass", lambda lanes: any(g.kind == "lead-in" for x in lanes for g in x.gaps)),
    ("idle", "idle tail", lambda lanes: any(x.idle > 0 for x in lanes)),
    ("mark", "ran beside a failure", lambda lanes: any(b.overlapped for x in lanes for b in x.bars)),
)


def _any_bar(lanes: Sequence[Lane], *statuses: str) -> bool:
    return any(b.status in statuses for x in lanes for b in x.bars)


def _legend(timeline: Timeline) -> str:
    lanes = (*timeline.lanes, *timeline.predicted)
    return "".join(f"<span><i class=\"sw {swatch}\"></i>{_text(label)}</span>"
                   for swatch, label, shown in _LEGEND if shown(lanes))


def _when(timeline: Timeline) -> str:
    """The line under the title: when the run started (or that it is a plan), and what predicted figures are
    in when they are not seconds."""
    if timeline.subtitle:
        when = timeline.subtitle
    elif timeline.origin is None:
        when = "predicted, before it runs"
    else:
        stamp = datetime.datetime.fromtimestamp(timeline.origin, tz=datetime.timezone.utc)
        when = f"started {stamp:%Y-%m-%d %H:%M:%S} UTC"
    if timeline.predicted and timeline.predicted_unit == TESTS:
        when += f"; no timing history for the plan, so its predictions are in {TEST_UNITS}"
    return when


def _unplaced(timeline: Timeline) -> str:
    if not timeline.unplaced:
        return ""
    items = "\n".join(f"<li><code>{_text(u.test_id)}</code> ({_text(u.status)}): {_text(u.reason)}</li>"
                      for u in timeline.unplaced)
    return (f"<details class=\"unplaced\"><summary>{len(timeline.unplaced):,} results not drawn</summary>"
            f"<ul>{items}</ul></details>")


def render_timeline(timeline: Timeline) -> str:
    """The whole page for ``timeline``: one HTML document with no external reference.

    :returns: the HTML text (write it as UTF-8)
    """
    title = _text(timeline.title)
    facts = "".join(f"<div><dt>{_text(k)}</dt><dd>{_text(v)}</dd></div>" for k, v in _facts(timeline))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="partitioner timeline {FORMAT_VERSION}">
<title>{title}: timeline</title>
<style>
{_asset("timeline.css")}
</style>
</head>
<body>
<header>
<h1>{title}</h1>
<p class="when">{_text(_when(timeline))}</p>
<dl class="facts">{facts}</dl>
</header>
<div class="legend" aria-label="legend">{_legend(timeline)}</div>
<main>
<div id="chart" class="chart"><canvas id="canvas" tabindex="0" aria-label="worker lanes"></canvas>
<div id="tip" class="tip" role="tooltip" hidden></div></div>
<p class="hint">Hover a bar for its test; click it for its details below (a failure then outlines what ran
beside it). Scroll to zoom, drag to pan, double-click or press 0 to reset.</p>
<div id="details" class="details" aria-live="polite" hidden></div>
{_lane_table(timeline)}
{_unplaced(timeline)}
</main>
<script type="application/json" id="timeline-data">{_json_for_html(timeline_data(timeline))}</script>
<script>
{_asset("timeline.js")}
</script>
</body>
</html>
"""


def render_plan(plan: Plan, costs: Costs, title: str | None = None) -> str:
    """A plan's predicted lanes as a page, in the same visual language as a run's (``plan --format html``).

    :param costs: the cost model the plan was made with (``Planned.model``)
    """
    return render_timeline(plan_timeline(plan, costs, title))
