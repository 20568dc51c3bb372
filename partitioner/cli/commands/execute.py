"""``partitioner exec -- PROGRAM ARGS...``: run testr, stestr, tempest... in-process with our plans."""

from __future__ import annotations

import argparse
import inspect
import os
import runpy
import shutil
import sys
from importlib.metadata import entry_points

from partitioner import hooks
from partitioner.cli.console import Console
from partitioner.errors import UsageError

NAME = "exec"
HELP = "run a Python console script (testr, stestr, tempest, ostestr...) with partitioner's hook installed"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("program", metavar="PROGRAM", help="a console script, e.g. testr or stestr")
    parser.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS", help="its arguments")


def _exit_status(code: object, console: Console) -> int:
    """The exit status a console script's return value or ``SystemExit`` code means (a message means 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    console.stderr.write(f"{code}\n")
    return 1


def run(args: argparse.Namespace, console: Console) -> int:
    program, argv = args.program, list(args.args)
    if argv[:1] == ["--"]:
        argv = argv[1:]
    found = [ep for ep in entry_points(group="console_scripts") if ep.name == program]
    script = None if found else shutil.which(program)
    if not found and not script:
        raise UsageError(f"{program!r} is neither a Python console script nor a program on PATH; "
                         "install it in this environment (e.g. pip install stestr)")
    saved_argv = sys.argv
    sys.argv = [program, *argv]
    hooked = hooks.install(hooks.TOOLS_OF.get(os.path.basename(program), ("stestr", "testr")))
    if not hooked:
        console.warn("neither stestr nor testrepository is importable: nothing to hook, running as is")
    try:
        if found:
            func = found[0].load()
            params = list(inspect.signature(func).parameters.values())
            takes_argv = bool(params) and params[0].name in ("argv", "args")
            result = func(argv) if takes_argv else func()
            return _exit_status(result, console)
        if script and not os.access(script, os.R_OK):
            raise UsageError(f"cannot read {script}")
        runpy.run_path(str(script), run_name="__main__")
        return 0
    except SystemExit as exc:
        return _exit_status(exc.code, console)
    finally:
        hooks.uninstall()
        sys.argv = saved_argv
