"""A real local HTTP server in a thread, serving the routes the remote-history tests fetch."""

from __future__ import annotations

import gzip
import http.server
import threading
from collections.abc import Callable

import fixtures

from partitioner.history.jsonfile import dumps_samples
from partitioner.history.model import Samples
from tests.suites import subunit_v2

STREAM = subunit_v2([("a.B.test_1", "success", 1.0, 2.0, "worker-0"), ("a.C.test_2", "fail", 1.0, 1.5, "worker-1")])
SAMPLES = Samples({"a.B.test_1": (1.0, 2.0)}, {"a.B": (3.0,)}, (0.5,))
PASSWORD = "pa55-w0rd"


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, Callable[[_Handler], None]] = {}
    seen: list[tuple[str, str | None]] = []

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("Authorization")))
        route = self.routes.get(self.path.split("?")[0])
        if route is None:
            self.send_error(404, "Not Found")
            return
        route(self)

    def log_message(self, *args: object) -> None:
        return

    def body(self, data: bytes, content_type: str = "application/octet-stream", **headers: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(data)

    def redirect(self, where: str) -> None:
        self.send_response(302)
        self.send_header("Location", where)
        self.send_header("Content-Length", "0")
        self.end_headers()


class LocalServer(fixtures.Fixture):
    """A threaded HTTP server on 127.0.0.1 with the test routes; ``base`` is its URL."""

    def _setUp(self) -> None:
        handler = type("Handler", (_Handler,), {"routes": {}, "seen": []})
        self.handler = handler
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        self.addCleanup(thread.join, 5)
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.stop_trickle = threading.Event()
        self.addCleanup(self.stop_trickle.set)
        routes = handler.routes
        routes["/run.subunit"] = lambda h: h.body(STREAM)
        routes["/testrepository.subunit.gz"] = lambda h: h.body(gzip.compress(STREAM), "application/gzip")
        routes["/encoded"] = lambda h: h.body(gzip.compress(STREAM), Content_Encoding="gzip")
        routes["/timings.json"] = lambda h: h.body(dumps_samples(SAMPLES).encode(), "application/json")
        routes["/big"] = lambda h: h.body(b"x" * 5000)
        routes["/bomb.gz"] = lambda h: h.body(gzip.compress(b"\0" * 200_000))
        routes["/to-file"] = lambda h: h.redirect("file:///etc/passwd")
        routes["/to-ftp"] = lambda h: h.redirect("ftp://127.0.0.1/x")
        routes["/to-run"] = lambda h: h.redirect("/run.subunit")
        routes["/to-localhost"] = lambda h: h.redirect(f"http://localhost:{self.port}/run.subunit")
        routes["/garbage"] = lambda h: h.body(b"\xb3 not a stream")
        routes["/slow-headers"] = self._slow_headers
        routes["/trickle"] = self._trickle
        routes["/chunked-big"] = self._chunked_big

    def _slow_headers(self, h: _Handler) -> None:
        self.stop_trickle.wait(3)
        h.body(STREAM)

    def _trickle(self, h: _Handler) -> None:
        h.send_response(200)
        h.end_headers()
        for _ in range(60):  # a byte every 50 ms: every read succeeds, the whole takes 3 s
            if self.stop_trickle.wait(0.05):
                return
            try:
                h.wfile.write(b"x")
                h.wfile.flush()
            except OSError:
                return

    @staticmethod
    def _chunked_big(h: _Handler) -> None:
        h.send_response(200)
        h.end_headers()  # no Content-Length: the cap must hold while reading
        try:
            for _ in range(10):
                h.wfile.write(b"y" * 1000)
        except OSError:
            return
