"""Remote run streams and timing files, fetched from a real local HTTP server in a thread."""

from __future__ import annotations

import base64
import gzip
import http.server
import threading
import time
from collections.abc import Callable

import fixtures
import testtools

from partitioner.errors import HistoryError
from partitioner.history.jsonfile import dumps_samples
from partitioner.history.model import Samples
from partitioner.history.remote import RemoteError, fetch, is_remote, load_remote, redirect_allowed
from partitioner.history.subunit import read_stream
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


class TestFetch(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.http = self.useFixture(LocalServer())

    def error(self, path: str, **options: float) -> str:
        error = self.assertRaises(RemoteError, fetch, f"{self.http.base}{path}", **options)
        message = str(error)
        self.assertNotIn("\n", message)
        return message

    def test_a_stream_plain_gzipped_or_content_encoded_reads_the_same(self) -> None:
        expected = read_stream(STREAM, "x").records
        for path in ("/run.subunit", "/testrepository.subunit.gz", "/encoded"):
            history = load_remote(f"{self.http.base}{path}")
            self.assertEqual(expected, history.runs[0].records, path)
            self.assertIn(f"{self.http.base}{path}", history.sources[0])

    def test_a_json_timing_file(self) -> None:
        history = load_remote(f"{self.http.base}/timings.json")
        self.assertEqual(SAMPLES, history.samples[0])

    def test_404_is_one_line_naming_the_url(self) -> None:
        message = self.error("/missing.subunit.gz")
        self.assertEqual(f"{self.http.base}/missing.subunit.gz: cannot fetch (HTTP 404 Not Found); check the URL, "
                         f"or leave it out of --history", message)

    def test_a_server_slow_to_answer_times_out(self) -> None:
        started = time.monotonic()
        self.assertIn("timed out after 0.5 s", self.error("/slow-headers", timeout=0.5))
        self.assertLess(time.monotonic() - started, 2.5)

    def test_a_body_that_trickles_past_the_deadline_times_out(self) -> None:
        started = time.monotonic()
        self.assertIn("timed out after 0.5 s", self.error("/trickle", timeout=0.5))
        self.assertLess(time.monotonic() - started, 2.5)

    def test_oversize_bodies_are_refused(self) -> None:
        self.assertIn("5000 bytes, more than the 1000-byte cap", self.error("/big", max_bytes=1000))
        self.assertIn("more than the 4096-byte cap", self.error("/chunked-big", max_bytes=4096))
        error = self.assertRaises(RemoteError, load_remote, f"{self.http.base}/bomb.gz", max_expanded=100_000)
        self.assertIn("expands to more than 100000 bytes", str(error))

    def test_redirects_only_to_http(self) -> None:
        self.assertIn("redirected to a file: URL; only http(s) redirects are followed", self.error("/to-file"))
        self.assertIn("redirected to a ftp: URL", self.error("/to-ftp"))
        got = fetch(f"{self.http.base}/to-run")
        self.assertEqual(STREAM, got.data)
        self.assertEqual(f"{self.http.base}/run.subunit", got.final_url)

    def test_https_never_redirects_down_to_http(self) -> None:
        self.assertIsNotNone(redirect_allowed("https://a/x", "http://a/x"))
        self.assertIsNone(redirect_allowed("http://a/x", "https://a/x"))
        self.assertIsNone(redirect_allowed("https://a/x", "https://b/y"))

    def test_other_schemes_and_unreachable_hosts(self) -> None:
        for url in ("file:///etc/passwd", "ftp://127.0.0.1/x"):
            self.assertIn("only http:// and https:// URLs", str(self.assertRaises(RemoteError, fetch, url)))
        self.assertFalse(is_remote("file:///x"))
        self.assertTrue(is_remote("HTTPS://h/x"))
        closed = self.http.port
        self.http.server.shutdown()
        self.http.server.server_close()
        message = str(self.assertRaises(RemoteError, fetch, f"http://127.0.0.1:{closed}/run.subunit", timeout=2))
        self.assertIn("connection refused", message)

    def test_a_fetched_file_that_is_no_stream_names_the_url(self) -> None:
        error = self.assertRaises(HistoryError, load_remote, f"{self.http.base}/garbage")
        self.assertIn(f"{self.http.base}/garbage: truncated or corrupt subunit v2 packet", str(error))

    def test_credentials_go_to_the_named_host_only_and_never_into_messages(self) -> None:
        secret_url = f"http://ci:{PASSWORD}@127.0.0.1:{self.http.port}"
        fetch(f"{secret_url}/run.subunit")
        expected = f"Basic {base64.b64encode(f'ci:{PASSWORD}'.encode()).decode()}"
        self.assertEqual(("/run.subunit", expected), self.http.handler.seen[-1])
        fetch(f"{secret_url}/to-localhost")  # the redirected request goes to another host name
        self.assertEqual(("/run.subunit", None), self.http.handler.seen[-1])
        for path in ("/missing", "/to-file", "/garbage"):
            message = str(self.assertRaises(HistoryError, load_remote, f"{secret_url}{path}"))
            self.assertNotIn(PASSWORD, message)
            self.assertIn("ci:***@127.0.0.1", message)
        history = load_remote(f"{secret_url}/run.subunit")
        self.assertNotIn(PASSWORD, repr(history))
