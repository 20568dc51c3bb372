"""Which Python interpreter a suite's tests load with: ``$PYTHON``, the activated environment's, or ours.

Stdlib only and cheap to import (``partitioner exec`` asks before the tool starts): a console script's ``#!``
line (:func:`script_python`), whether it is another environment's (:func:`other_python`), and the rule
:func:`suite_python` that ``exec``, ``plan`` and ``explain`` share.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Mapping

#: an interpreter's file name: python, python3.11, pypy3
PYTHON_NAME = re.compile(r"(python|pypy)[0-9.]*$")
#: how a test_command names the interpreter: ${PYTHON:-python}, ${PYTHON}, $PYTHON
PYTHON_VARIABLE = re.compile(r"\$\{PYTHON(?::-[^}]*)?\}|\$PYTHON\b")
#: the tools a console script drives, where it is not both (``partitioner exec`` hooks only those)
TOOLS_OF = {"testr": ("testr",), "stestr": ("stestr",), "tempest": ("stestr",), "ostestr": ("stestr",)}
#: pip's launcher when the interpreter's path is too long for a ``#!`` line: ``#!/bin/sh`` then this line
_SH_EXEC = re.compile(r"""^'''exec' (?:"([^"]+)"|(\S+)) """)


def script_python(path: str) -> str | None:
    """The interpreter a Python console script runs under (the ``#!`` line pip or setuptools wrote), or
    ``None`` when ``path`` is not such a script."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(1024).decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    if not head or not head[0].startswith("#!"):
        return None
    words = head[0][2:].split()
    if words and os.path.basename(words[0]) == "sh" and len(head) > 1:
        match = _SH_EXEC.match(head[1])
        words = [match.group(1) or match.group(2)] if match else []
    elif words and os.path.basename(words[0]) == "env":
        found = shutil.which(words[1]) if len(words) > 1 else None
        words = [found] if found and not _is_script(found) else []  # a pyenv shim says nothing of the env
    if not words or not PYTHON_NAME.match(os.path.basename(words[0])):
        return None
    return words[0]


def _is_script(path: str) -> bool:
    """A file that starts with ``#!`` (a shell wrapper such as a pyenv shim), not an interpreter binary."""
    try:
        with open(path, "rb") as handle:
            return handle.read(2) == b"#!"
    except OSError:
        return False


def suite_python(tool: str | None = None, environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """The interpreter the suite's test processes run under, and where that came from.

    ``$PYTHON`` when set (testr's and stestr's commands use it); else, when ``tool`` (``stestr``, ``testr``)
    first on PATH is a console script of an activated environment other than partitioner's
    (:func:`activated_tool`: tempest's venv activated, partitioner installed elsewhere), that environment's
    interpreter, as the tool run there would load the tests; else this interpreter.
    """
    env = os.environ if environ is None else environ
    if env.get("PYTHON"):
        return env["PYTHON"], "$PYTHON"
    activated = activated_tool(tool, env) if tool else None
    if activated:
        return activated[0], f"the interpreter of {activated[1]}, the first {tool} on PATH"
    return sys.executable, "partitioner's own interpreter"


#: what an activated environment sets: a venv's ``activate`` and tox (``VIRTUAL_ENV``), conda (``CONDA_PREFIX``)
_ACTIVATED = ("VIRTUAL_ENV", "CONDA_PREFIX")


def activated_tool(tool: str, environ: Mapping[str, str]) -> tuple[str, str] | None:
    """``(its interpreter, its path)`` when ``tool`` first on PATH is a console script of the activated
    environment (``$VIRTUAL_ENV``/``$CONDA_PREFIX``'s ``bin``) and that is not partitioner's; else ``None``:
    a tool found elsewhere (a system package's ``/usr/bin/stestr`` while partitioner's venv runs it) says
    nothing of the suite's interpreter."""
    found = shutil.which(tool, path=environ.get("PATH"))
    python = other_python(found) if found else None
    if found is None or python is None:
        return None
    where = os.path.realpath(os.path.dirname(found))
    for name in _ACTIVATED:
        prefix = environ.get(name)
        if prefix and os.path.realpath(os.path.join(prefix, "bin")) == where:
            return python, found
    return None


def other_python(script: str) -> str | None:
    """The interpreter of the Python console script ``script`` when it is another environment's than this
    one (its ``bin`` directory is not this interpreter's), else ``None``."""
    python = script_python(script)
    if python and os.path.dirname(os.path.abspath(python)) != os.path.dirname(os.path.abspath(sys.executable)):
        return python
    return None
