"""The wire between lanes and the dispatcher: JSON messages over ``multiprocessing.connection``.

An AF_UNIX socket in a private (0700) directory, authenticated with a random key that reaches the lanes
in the environment (:data:`KEY_ENV`; never on a command line, where ``ps`` shows it). Messages are JSON
objects sent with ``send_bytes`` (no pickle), each with an ``op``:

lane -> dispatcher: ``hello`` (lane, pid), ``next`` (done: the key it finished, or null), ``crash`` (key,
unstarted, why), ``interrupt`` (why), ``leave`` (why), and when the welcome asked for it ``progress``
(started, finished: test ids), sent before the lane writes those events, with no reply.
dispatcher -> lane: ``welcome`` (track: whether to send ``progress``); for ``next``: ``group`` (key, tests,
attempt, fresh: run it in a fresh test process), ``idle`` (nothing now, other lanes still hold groups:
end the test process and ask again), ``report`` (items: [[id, reason], ...]) or ``stop`` (reason); for
``leave``: ``report``; ``error`` (message) before it drops a lane that broke the protocol.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from partitioner.errors import PartitionerError

#: the environment variable that carries the dispatcher's key (hex) to the lanes
KEY_ENV = "PARTITIONER_DISPATCH_KEY"
FAMILY = "AF_UNIX"


class ProtocolError(PartitionerError, ValueError):
    """A message on the dispatch wire is not what the protocol allows."""


class Wire(Protocol):
    """**Protocol:** the part of ``multiprocessing.connection.Connection`` the messages use."""

    def send_bytes(self, buf: bytes) -> None: ...

    def recv_bytes(self) -> bytes: ...


def send(conn: Wire, op: str, **fields: Any) -> None:
    """Send one message."""
    conn.send_bytes(json.dumps({"op": op, **fields}).encode())


def recv(conn: Wire) -> dict[str, Any]:
    """Receive one message.

    :raises ProtocolError: it is not a JSON object with an ``op``
    :raises EOFError: the other end closed
    """
    data = conn.recv_bytes()
    try:
        message = json.loads(data)
    except ValueError as exc:
        raise ProtocolError(f"a dispatch message is not JSON ({exc}): {data[:120]!r}") from None
    if not isinstance(message, dict) or not isinstance(message.get("op"), str):
        raise ProtocolError(f"a dispatch message has no op: {data[:120]!r}")
    return message
