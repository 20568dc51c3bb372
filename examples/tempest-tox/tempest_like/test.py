"""The suite's base class and decorators, shaped like tempest's (``tempest.test``, ``tempest.lib.decorators``).

Test ids carry their attributes, as tempest's do::

    tempest_like.api.compute.test_servers.ServersTestJSON.test_list_servers[id-3f6a...,smoke]
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

import testtools
from testtools.testcase import attr as _attr

F = TypeVar("F", bound=Callable[..., Any])


def idempotent_id(uuid: str) -> Callable[[F], F]:
    """Tag a test with its stable id: it shows in the test id as ``[id-UUID]``."""
    return _attr(f"id-{uuid}")


def attr(type: str) -> Callable[[F], F]:  # "type" as in tempest.lib.decorators.attr
    """Tag a test with a type such as ``smoke`` or ``slow``: it shows in the test id."""
    return _attr(type)


def work(seconds: float) -> None:
    """Stand in for talking to a cloud."""
    time.sleep(seconds)


class BaseTestCase(testtools.testcase.WithAttributes, testtools.TestCase):
    """tempest's class life cycle in short: ``resource_setup`` once per class, then the tests."""

    #: seconds the class's shared resources take to create (a server, a network...)
    setup_seconds = 0.0

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.resource_setup()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.resource_cleanup()
        super().tearDownClass()

    @classmethod
    def resource_setup(cls) -> None:
        work(cls.setup_seconds)

    @classmethod
    def resource_cleanup(cls) -> None:
        pass


class GlobalQuotaTestCase(BaseTestCase):
    """Admin tests that change the cloud-wide quotas: two such classes must never run at the same time.

    Each class holds an exclusive lock for as long as it runs and fails at once when another worker holds
    it. The ``resources`` line in tox.ini's ``[partitioner]`` section keeps all of them on one worker.
    """

    _lock: IO[str] | None = None

    @classmethod
    def resource_setup(cls) -> None:
        path = Path(os.environ.get("QUOTA_LOCK", ".global-quota.lock"))
        handle = path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise AssertionError(f"{cls.__name__}: another worker is changing the global quotas right now; "
                                 "tests of the 'quota' resource ran concurrently") from None
        cls._lock = handle
        super().resource_setup()

    @classmethod
    def resource_cleanup(cls) -> None:
        if cls._lock is not None:
            cls._lock.close()  # closing releases the lock
            cls._lock = None
        super().resource_cleanup()
