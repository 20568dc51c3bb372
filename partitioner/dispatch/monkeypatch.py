"""Whether a loaded suite monkey-patched the standard library as it was imported (eventlet, gevent); stdlib only.

Some suites make their whole test process green at import: ``oslo_concurrency/tests/__init__.py`` calls
``eventlet.monkey_patch()`` (tox sets ``TEST_EVENTLET``), gevent's ``monkey.patch_all()`` does the like. From then
on ``select.select``, ``socket.socket``, ``os.read``, ``os.waitpid`` and ``time.sleep`` are the library's: they
wait on its hub, and eventlet's hub is one epoll instance, created as the patching ran. A process forked from
there shares that instance with its parent and with every sibling: a descriptor one of them waits on is
reported ready to another, for its own descriptor of the same number. So it went for the preloader that served
oslo.concurrency's lanes: the green ``select`` in its serve loop woke for a child's event as if its listening
socket were readable, ``accept()`` blocked for good, nobody reaped the children, and ``partitioner exec`` waited
after the last test for ever (4 runs of 7). The tests of sibling processes cross-talk the same way.

So no test process is forked from a process whose suite patched the standard library: :func:`taken` before the
suite loads, :func:`patched` after. The preloader then declines (:mod:`partitioner.dispatch.preload`: each lane's
worker and each static worker loads the suite itself, as plain stestr's workers do, each with a hub of its own),
and a pull worker says so to its lane, which starts a new worker for a fresh process (``mono`` order) instead of
having it forked (:mod:`partitioner.dispatch.forks`). The machinery binds what it uses of ``os``, ``select``,
``socket``, ``time`` and ``_thread`` at import as well, before any suite loads.
"""

from __future__ import annotations

import _thread  # noqa: F401  # imported for taken(): what the machinery uses is watched from the start
import contextlib
import os  # noqa: F401
import select  # noqa: F401
import signal  # noqa: F401
import socket  # noqa: F401
import sys
import threading  # noqa: F401
import time  # noqa: F401
from collections.abc import Mapping

#: ``module.attribute`` names that eventlet or gevent replace when they patch, among them all that the preloader,
#: the forks and the parent watch use; a suite that puts something else there has patched the standard library
WATCHED = (
    "os.fork", "os.read", "os.write", "os.waitpid", "os.open", "select.select", "select.poll", "select.epoll",
    "selectors.DefaultSelector", "socket.socket", "socket.socketpair", "time.sleep", "_thread.start_new_thread",
    "_thread.allocate_lock", "threading.Lock", "threading.current_thread", "threading.Event", "signal.signal",
    "subprocess.Popen",
)
#: the modules eventlet's own record is asked about (``eventlet.patcher.is_monkey_patched``)
_EVENTLET = ("os", "select", "socket", "thread", "time", "subprocess")


def taken() -> dict[str, object]:
    """What each of :data:`WATCHED` is now (``selectors`` and ``subprocess`` when they are imported already): call it
    before the suite loads."""
    found: dict[str, object] = {}
    for name in WATCHED:
        module, _, attribute = name.rpartition(".")
        value = getattr(sys.modules.get(module), attribute, None)
        if value is not None:
            found[name] = value
    return found


def patched(before: Mapping[str, object]) -> list[str]:
    """What the suite patched since ``before`` (:func:`taken`): the names that now name another object, and the
    modules eventlet or gevent say they patched (when the suite imported them), sorted; empty when nothing."""
    found = set()
    for name, value in before.items():
        module, _, attribute = name.rpartition(".")
        if getattr(sys.modules.get(module), attribute, None) is not value:
            found.add(name)
    return sorted(found | _said_by_the_libraries())


def _said_by_the_libraries() -> set[str]:
    """``eventlet:MODULE`` / ``gevent:MODULE`` for each module the library records as patched (a patch of a module
    the check does not watch, or one that happened before :func:`taken`)."""
    found: set[str] = set()
    eventlet = sys.modules.get("eventlet.patcher")
    if eventlet is not None:
        for module in _EVENTLET:
            with contextlib.suppress(Exception):  # another version's API: the identities above still tell
                if eventlet.is_monkey_patched(module):
                    found.add(f"eventlet:{module}")
    gevent = sys.modules.get("gevent.monkey")
    if gevent is not None:
        with contextlib.suppress(Exception):  # the same
            found.update(f"gevent:{module}" for module in getattr(gevent, "saved", {})
                         if gevent.is_module_patched(module))
    return found
