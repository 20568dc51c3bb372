"""Remote run streams and timing files, fetched from a real local HTTP server in a thread."""

from __future__ import annotations

import base64
import time

import testtools

from partitioner.errors import HistoryError
from partitioner.history.remote import RemoteError, fetch, is_remote, load_remote, redirect_allowed
from partitioner.history.subunit import read_stream
from tests.history.httpserver import PASSWORD, SAMPLES, STREAM, LocalServer


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
