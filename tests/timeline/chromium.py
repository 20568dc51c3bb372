"""A real headless Chromium, driven over the Chrome DevTools Protocol on a pipe, for tests and benches.

``--remote-debugging-pipe`` makes Chromium read protocol messages from its fd 3 and write to its fd 4, each
message JSON ended by a NUL byte: no port, no websocket, no dependency beyond the standard library, and no
other process can connect to it. Only the handful of protocol calls the timeline tests need are wrapped.

:class:`ChromiumFixture` finds the browser (``PARTITIONER_CHROMIUM``, else ``chromium``, ``chromium-browser``,
``google-chrome`` on ``PATH``), starts it with a fresh profile in a temp dir and the flags that keep it off
the network, and ends its whole process group in cleanup.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import fixtures

#: flags that keep a headless Chromium from stalling on a machine without outside network
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--no-default-browser-check", "--mute-audio",
    "--hide-scrollbars", "--remote-debugging-pipe",
)
#: puts its first two arguments (fds) on fds 3 and 4, then becomes the rest of its arguments
_TRAMPOLINE = "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); " \
              "os.execvp(sys.argv[3], sys.argv[3:])"
NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """The browser to drive: ``$PARTITIONER_CHROMIUM`` or the first known name on ``PATH``."""
    chosen = os.environ.get("PARTITIONER_CHROMIUM")
    if chosen:
        return chosen
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def under_ci() -> bool:
    """Whether tests run under CI, where a missing browser is a failure, not a skip."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


class ProtocolError(RuntimeError):
    """Chromium answered a call with an error, or stopped answering."""


class Chromium:
    """One browser process and its protocol pipe.

    :param executable: the browser
    :param profile: a fresh, empty directory for ``--user-data-dir``
    """

    def __init__(self, executable: str, profile: Path) -> None:
        self.profile = profile
        self.events: list[dict[str, Any]] = []
        self._next = 0
        self._buffer = b""
        # the child gets its ends as fds 3 and 4 from a tiny Python trampoline (no preexec_fn, which is unsafe
        # with threads); they are first moved to 10 and up so that placing one cannot clobber the other
        pipe_in, self._to_child = os.pipe()
        self._from_child, pipe_out = os.pipe()
        child_in, child_out = (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (pipe_in, pipe_out))
        os.close(pipe_in)
        os.close(pipe_out)
        self.log = profile / "chromium.log"
        command = [executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _TRAMPOLINE, str(child_in), str(child_out), *command],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, pass_fds=(child_in, child_out),
                start_new_session=True,
            )
        os.close(child_in)
        os.close(child_out)

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> int:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        return self._next

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_child], [], [], max(0.0, left))
            if not ready:
                raise ProtocolError(f"Chromium did not answer in time; its log: {self.log_tail()}")
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                raise ProtocolError(f"Chromium closed the protocol pipe; its log: {self.log_tail()}")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float = 60.0) -> dict[str, Any]:
        """Send one command and wait for its answer (events that arrive meanwhile go to ``events``)."""
        ident = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            message = self._read(deadline)
            if message.get("id") == ident:
                if "error" in message:
                    raise ProtocolError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            if "method" in message:
                self.events.append(message)

    def wait_event(self, method: str, session: str | None = None, timeout: float = 60.0) -> dict[str, Any]:
        """The first event ``method`` (of ``session``) not yet consumed, waiting for it if needed."""
        deadline = time.monotonic() + timeout
        while True:
            for i, event in enumerate(self.events):
                if event.get("method") == method and (session is None or event.get("sessionId") == session):
                    return self.events.pop(i)
            message = self._read(deadline)
            if "method" in message:
                self.events.append(message)

    def new_page(self, width: int = 1400, height: int = 900) -> Page:
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        page.call("Page.enable")
        page.call("Network.enable")
        page.call("Runtime.enable")
        page.viewport(width, height)
        return page

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "(no log)"
        return " | ".join(text[-lines:]) or "(empty)"

    def close(self) -> None:
        """Ask the browser to quit, then end its process group whatever it did."""
        if self.process.poll() is None:
            with contextlib.suppress(OSError, ProtocolError):
                self.call("Browser.close", timeout=5)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(5)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        for fd in (self._to_child, self._from_child):
            with contextlib.suppress(OSError):
                os.close(fd)


class Page:
    """One tab, attached in flat mode (its commands carry its session id)."""

    def __init__(self, browser: Chromium, session: str) -> None:
        self.browser = browser
        self.session = session

    def call(self, method: str, params: dict[str, Any] | None = None, timeout: float = 60.0) -> dict[str, Any]:
        return self.browser.call(method, params, self.session, timeout)

    def viewport(self, width: int, height: int, scale: float = 1.0) -> None:
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": False})

    def open(self, path: Path, timeout: float = 60.0) -> None:
        """Load a local file and wait for its load event."""
        self.browser.events.clear()
        self.call("Page.navigate", {"url": path.resolve().as_uri()})
        self.browser.wait_event("Page.loadEventFired", self.session, timeout)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (promises awaited); a thrown error raises ProtocolError."""
        answer = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True})
        if "exceptionDetails" in answer:
            details = answer["exceptionDetails"]
            raise ProtocolError(f"{expression[:60]}...: {details.get('exception', {}).get('description', details)}")
        return answer["result"].get("value")

    def mouse(self, kind: str, x: float, y: float, button: str = "none", clicks: int = 0) -> None:
        """Dispatch a real input event (``mouseMoved``, ``mousePressed``, ``mouseReleased``) at (x, y)."""
        self.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": button,
                                               "clickCount": clicks})

    def click(self, x: float, y: float) -> None:
        self.mouse("mouseMoved", x, y)
        self.mouse("mousePressed", x, y, "left", 1)
        self.mouse("mouseReleased", x, y, "left", 1)

    def screenshot(self, path: Path, full_page: bool = True) -> Path:
        """Save a PNG of the page (the whole document when ``full_page``)."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            size = self.call("Page.getLayoutMetrics")["cssContentSize"]
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", params)["data"]))
        return path

    def requests(self) -> list[str]:
        """URLs of every request the page made since it was opened (``Network.requestWillBeSent``)."""
        return [e["params"]["request"]["url"] for e in self.browser.events
                if e.get("method") == "Network.requestWillBeSent" and e.get("sessionId") == self.session]


class ChromiumFixture(fixtures.Fixture):
    """A started browser with a fresh profile; ``self.browser`` is the :class:`Chromium`.

    :param executable: the browser (see :func:`find_chromium`)
    """

    def __init__(self, executable: str) -> None:
        super().__init__()
        self.executable = executable

    def _setUp(self) -> None:
        profile = Path(self.useFixture(fixtures.TempDir()).path) / "profile"
        profile.mkdir()
        self.browser = Chromium(self.executable, profile)
        self.addCleanup(self.browser.close)
        self.browser.call("Browser.getVersion", timeout=60)
