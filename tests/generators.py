"""Shared Hypothesis generators: test ids in every form runners produce, and histories of runs."""

from __future__ import annotations

from hypothesis import strategies as st

from partitioner.history.model import History, Run, TestRecord

_name = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=6)
_modules = st.lists(_name, min_size=1, max_size=3).map(".".join)


@st.composite
def dotted_ids(draw: st.DrawFn) -> str:
    """``pkg.mod.Class.test_x`` with optional ``[attrs]`` and ``(scenario)`` suffixes."""
    test_id = f"{draw(_modules)}.C{draw(_name)}.test_{draw(_name)}"
    if draw(st.booleans()):
        test_id += "[" + ",".join(draw(st.lists(st.sampled_from(["smoke", "id-1f", "slow"]), min_size=1,
                                                 max_size=2, unique=True))) + "]"
    if draw(st.booleans()):
        test_id += f"({draw(st.sampled_from(['v1', 'json 1.2', 'x.y']))})"
    return test_id


_param = st.text(alphabet="abcXYZ/._-+ 1()[]é中", min_size=0, max_size=8)


@st.composite
def parametrised_ids(draw: st.DrawFn) -> str:
    """Ids whose class or method names hold brackets, dots, parentheses or unicode, as parametrised classes
    (``ZoneTest[Europe/London]_Pure``), generated methods and scenario names make them, with or without
    tempest attrs and a scenario."""
    klass = f"C{draw(_name)}"
    if draw(st.booleans()):
        klass += f"[{draw(_param)}]{draw(st.sampled_from(['', '_Pure', '_Fast', 'JSON', 'é']))}"
    method = f"test_{draw(_name)}"
    if draw(st.booleans()):
        method += draw(st.sampled_from(["é", "中", "(", ")", "]", "[", "_1.2"]))
    test_id = f"{draw(_modules)}.{klass}.{method}"
    if draw(st.booleans()):
        test_id += f"[{draw(st.sampled_from(['smoke', 'id-1f,slow', 'a.b', '']))}]"
    if draw(st.booleans()):
        test_id += f"({draw(_param)})"
    return test_id


#: any string at all, plus the realistic forms
any_ids = st.one_of(dotted_ids(), parametrised_ids(), st.text(max_size=30),
                    st.text(alphabet="ab.[]() é", max_size=16),
                    st.builds(lambda m: f"setUpClass ({m}.Cls)", _modules))


@st.composite
def id_lists(draw: st.DrawFn, min_size: int = 1, max_size: int = 60) -> list[str]:
    """Distinct ids drawn from a few classes, so groups have several tests."""
    classes = draw(st.lists(st.builds(lambda m, c: f"{m}.C{c}", _modules, _name), min_size=1, max_size=8,
                            unique=True))
    return draw(st.lists(st.builds(lambda c, t: f"{c}.test_{t}", st.sampled_from(classes), _name),
                         min_size=min_size, max_size=max_size, unique=True))


@st.composite
def histories(draw: st.DrawFn, ids: list[str]) -> History:
    """A history with some of ``ids`` timed, in one serial run with class-change gaps."""
    timed = draw(st.lists(st.sampled_from(ids), unique=True, max_size=len(ids))) if ids else []
    records = []
    clock = 0.0
    for test_id in sorted(timed):
        clock += draw(st.floats(min_value=0.0, max_value=2.0))
        duration = draw(st.floats(min_value=0.0, max_value=10.0))
        records.append(TestRecord(test_id, "success", clock, clock + duration, "worker-0"))
        clock += duration
    return History(runs=(Run("mem", tuple(records)),) if records else ())
