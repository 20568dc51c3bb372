"""The streams a command reads and writes, injected so that tests need no patching."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO


@dataclass(frozen=True)
class Console:
    """A command's stdin (bytes: streams and id lists arrive there), stdout and stderr (text)."""

    stdin: IO[bytes]
    stdout: IO[str]
    stderr: IO[str]

    def warn(self, *messages: str) -> None:
        """Print one ``partitioner: warning: ...`` line to stderr per message."""
        for message in messages:
            self.stderr.write(f"partitioner: warning: {message}\n")
