"""The house's import rules, checked on the source: imports only go down the layers of docs/development.md.

Layers, lowest first (a module may import its own layer and the ones below):

0 foundation   errors, statuses, testids, sortedids, columns, lazy, interpreters, run.advice
1 pure core    grouping/, strategies/, costmodel, figures, estimate, plan, races/, shards/ (split, spec), and history's
               pure part (model, samples, summary)
2 edges        history/ readers (load, repository, timesdbm, subunit, jsonfile, cache, cachefiles, the package), config,
               listing, shards.planfile
3 pipeline     pipeline
4 outputs      render/, hooks
5 entry points run/, cli/, clidoc, __main__, the package's public face (partitioner/__init__)
"""

from __future__ import annotations

import ast
from pathlib import Path

import testtools

PACKAGE = Path(__file__).resolve().parent.parent / "partitioner"

#: module name prefix -> layer (the longest matching prefix wins)
LAYERS = {
    "partitioner.errors": 0, "partitioner.statuses": 0, "partitioner.testids": 0, "partitioner.sortedids": 0,
    "partitioner.columns": 0, "partitioner.lazy": 0, "partitioner.interpreters": 0, "partitioner.run.advice": 0,
    "partitioner.grouping": 1, "partitioner.strategies": 1, "partitioner.costmodel": 1, "partitioner.estimate": 1,
    "partitioner.plan": 1, "partitioner.figures": 1, "partitioner.races": 1, "partitioner.history.model": 1,
    "partitioner.history.samples": 1, "partitioner.history.summary": 1,
    "partitioner.history": 2, "partitioner.config": 2, "partitioner.listing": 2,
    "partitioner.pipeline": 3,
    "partitioner.render": 4, "partitioner.hooks": 4,
    "partitioner.dispatch.queue": 1, "partitioner.dispatch.simulate": 1, "partitioner.dispatch.state": 1,
    "partitioner.dispatch.protocol": 1, "partitioner.dispatch.command": 1, "partitioner.dispatch.lookahead": 1,
    "partitioner.dispatch": 5,
    "partitioner.timeline.model": 1, "partitioner.timeline.predicted": 1, "partitioner.timeline": 4,
    "partitioner.shards": 1, "partitioner.shards.planfile": 2,
    "partitioner.run": 5, "partitioner.cli": 5, "partitioner.clidoc": 5, "partitioner.__main__": 5, "partitioner": 5,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int | None:
    matches = [prefix for prefix in LAYERS if module == prefix or module.startswith(prefix + ".")]
    return LAYERS[max(matches, key=len)] if matches else None


def imports(path: Path) -> set[str]:
    """Every partitioner module ``path`` imports, anywhere in it (functions and TYPE_CHECKING blocks too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("partitioner"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("partitioner"):
            for alias in node.names:  # "from partitioner.x import y": y may be a module itself
                sub = f"{node.module}.{alias.name}"
                is_module = (PACKAGE.parent / sub.replace(".", "/")).with_suffix(".py").exists() or \
                    (PACKAGE.parent / sub.replace(".", "/") / "__init__.py").exists()
                found.add(sub if is_module else node.module)
    return found


def runtime_imports(path: Path) -> set[str]:
    """The partitioner modules ``path`` imports outside ``if TYPE_CHECKING:`` blocks (what it loads when run)."""
    found: set[str] = set()
    pending: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8"))]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            pending.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("partitioner"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("partitioner"):
            found.update(f"{node.module}.{a.name}" for a in node.names)
            found.add(node.module)
        pending.extend(ast.iter_child_nodes(node))
    return found


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}

#: partitioner exec's session (dispatch.tools) and the modules it hands its jobs to: they import the session only
#: for typing (it calls them, never the reverse), so each is read, and tested, without it
SESSION = "partitioner.dispatch.tools"
SESSION_PIECES = ("partitioner.dispatch.toolmode", "partitioner.dispatch.toolpreload",
                  "partitioner.dispatch.timescheck", "partitioner.dispatch.toolaccount",
                  "partitioner.dispatch.toolsignals", "partitioner.dispatch.toolprogress",
                  "partitioner.dispatch.toolrun", "partitioner.dispatch.toolshard", "partitioner.dispatch.toolconf",
                  "partitioner.dispatch.patches", "partitioner.dispatch.staticstreams")


class TestLayers(testtools.TestCase):
    def test_every_module_has_a_layer(self) -> None:
        self.assertEqual([], [m for m in MODULES if layer(m) is None], "add new modules to LAYERS")

    def test_no_module_imports_from_a_higher_layer(self) -> None:
        upward = [f"{m} (layer {layer(m)}) imports {target} (layer {layer(target)})"
                  for m, path in MODULES.items() for target in sorted(imports(path))
                  if (layer(target) or 0) > (layer(m) or 0)]
        self.assertEqual([], upward)

    def test_the_sessions_pieces_do_not_import_the_session_when_run(self) -> None:
        self.assertEqual([], [m for m in SESSION_PIECES if m not in MODULES], "a piece was renamed: update the list")
        self.assertEqual([], [m for m in SESSION_PIECES if SESSION in runtime_imports(MODULES[m])])
        self.assertIn(SESSION, imports(MODULES["partitioner.dispatch.toolsignals"]))  # for typing: the checker sees it

    def test_commands_import_neither_the_cli_wiring_nor_each_other(self) -> None:
        found = []
        for m, path in MODULES.items():
            if not m.startswith("partitioner.cli.commands."):
                continue
            found += [f"{m} imports {t}" for t in imports(path)
                      if t == "partitioner.cli.main" or (t.startswith("partitioner.cli.commands.") and t != m)]
        self.assertEqual([], found)

    def test_the_checker_sees_imports(self) -> None:
        self.assertIn("partitioner.pipeline", imports(MODULES["partitioner.hooks"]))
        self.assertIn("partitioner.testids", imports(MODULES["partitioner.estimate"]))  # from partitioner import x
        self.assertEqual(1, layer("partitioner.history.samples"))
        self.assertEqual(2, layer("partitioner.history.load"))
