"""Fetch a run stream or JSON timing file that an earlier job published (a CI log server, an artifact URL).

``fetch`` returns the bytes for the existing readers (:func:`partitioner.history.subunit.read_stream`,
:func:`partitioner.history.jsonfile.parse_samples`); ``load_remote`` does both steps and returns a
:class:`~partitioner.history.model.History`. The rules:

* only ``http://`` and ``https://``; a redirect is followed only to http(s) and never from https down to
  http (urllib alone would follow one to ``ftp:``);
* one overall ``timeout`` (connect, headers and body together);
* at most ``max_bytes`` read (a larger ``Content-Length`` is refused before the body is read), and at most
  ``max_expanded`` bytes after gunzip (``Content-Encoding: gzip`` or a ``.gz`` file alike);
* ``https://user:password@host/...`` sends HTTP basic auth to that host only (never along a redirect), and
  the password appears in no message (:func:`partitioner.history.store.url.redact`);
* every failure is one :class:`RemoteError` line: the URL (password hidden), what happened, what to do.
"""

from __future__ import annotations

import base64
import gzip
import http.client
import io
import socket
import ssl
import time
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from typing import IO, Any, Literal
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from partitioner.errors import HistoryError
from partitioner.history.jsonfile import parse_samples
from partitioner.history.model import History
from partitioner.history.store.url import redact
from partitioner.history.subunit import read_stream

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_EXPANDED",
    "DEFAULT_TIMEOUT",
    "Fetched",
    "RemoteError",
    "check_url",
    "fetch",
    "gunzip",
    "is_remote",
    "load_remote",
]

#: seconds for the whole fetch
DEFAULT_TIMEOUT = 30.0
#: bytes read from the server at most (a tempest run's testrepository.subunit.gz is a few MiB)
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
#: bytes after decompression at most
DEFAULT_MAX_EXPANDED = 1024 * 1024 * 1024
_SCHEMES = ("http", "https")
_CHUNK = 64 * 1024
_HINT = "check the URL, or leave it out of --history"


class RemoteError(HistoryError):
    """A remote history source cannot be had (refused, missing, too slow, too large, bad redirect)."""


@dataclass(frozen=True)
class Fetched:
    """What a fetch got.

    :ivar url: the URL asked for, password hidden
    :ivar final_url: where the body came from after redirects, password hidden
    :ivar data: the body (``Content-Encoding: gzip`` already undone; a ``.gz`` file is still gzip)
    :ivar content_type: the ``Content-Type`` header, if any
    """

    url: str
    final_url: str
    data: bytes
    content_type: str | None


def is_remote(text: str) -> bool:
    """Whether ``text`` is an ``http://`` or ``https://`` URL."""
    return urlsplit(text).scheme.lower() in _SCHEMES and "://" in text


class _Refused(Exception):
    """Raised out of urllib's redirect handling (it lets other exceptions through unchanged)."""


def redirect_allowed(old: str, new: str) -> str | None:
    """Why a redirect from ``old`` to ``new`` is refused, or ``None`` when it may be followed."""
    before, after = urlsplit(old).scheme.lower(), urlsplit(new).scheme.lower()
    if after not in _SCHEMES:
        return f"redirected to a {after or 'relative'}: URL; only http(s) redirects are followed"
    if before == "https" and after == "http":
        return "redirected from https down to http; only http(s) redirects that keep https are followed"
    return None


class _Redirects(urllib.request.HTTPRedirectHandler):
    max_redirections = 5

    def http_error_302(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                       headers: http.client.HTTPMessage) -> Any:
        location = headers.get("location") or headers.get("uri")
        if location:  # checked before urllib's own check, which would name no rule
            reason = redirect_allowed(req.full_url, urljoin(req.full_url, location))
            if reason is not None:
                raise _Refused(reason)
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: http.client.HTTPMessage, newurl: str) -> urllib.request.Request | None:
        reason = redirect_allowed(req.full_url, newurl)
        if reason is not None:
            raise _Refused(reason)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _request(url: str) -> tuple[urllib.request.Request, list[str]]:
    """The request for ``url`` with its credentials moved into an auth header that redirects do not carry."""
    parts = urlsplit(url)
    secrets = [unquote(parts.password)] if parts.password else []
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    clean = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    request = urllib.request.Request(clean, headers={"User-Agent": "partitioner", "Accept-Encoding": "gzip"})
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        request.add_unredirected_header("Authorization", f"Basic {base64.b64encode(pair).decode('ascii')}")
    return request, secrets


def _reason(error: BaseException, timeout: float) -> str:
    """A short, single-line description of a fetch failure."""
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        error = error.reason if isinstance(error.reason, BaseException) else OSError(str(error.reason))
    if isinstance(error, socket.timeout | TimeoutError):
        return f"timed out after {timeout:g} s"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, socket.gaierror):
        return f"cannot resolve the host ({error.strerror or error})"
    if isinstance(error, ssl.SSLError):
        return f"TLS error ({error.reason or error})"
    if isinstance(error, ConnectionError):
        return f"connection lost ({error.strerror or error})"
    text = " ".join(str(error).split())
    return text or type(error).__name__


def gunzip(data: bytes, name: str, limit: int = DEFAULT_MAX_EXPANDED) -> bytes:
    """Decompress gzip ``data`` (every member), refusing more than ``limit`` bytes of output.

    :raises RemoteError: for corrupt data or output over ``limit``
    """
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            out = stream.read(limit + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise RemoteError(f"{name}: corrupt gzip data ({' '.join(str(error).split())}); {_HINT}") from None
    if len(out) > limit:
        raise RemoteError(f"{name}: expands to more than {limit} bytes after gunzip; refusing it ({_HINT})")
    return out


def check_url(url: str) -> None:
    """Refuse a URL that no fetch could use (another scheme, no host, a port that is not a number), before
    anything is fetched: such a URL is a typo to fix, not a server that is down.

    :raises RemoteError: naming the URL (password hidden)
    """
    shown = redact(url)
    if not is_remote(url):
        raise RemoteError(f"{shown}: only http:// and https:// URLs can be fetched; pass a URL or a local path")
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - urllib checks the port when it is read
    except ValueError:
        raise RemoteError(f"{shown}: not a valid URL (the port is not a number); fix the URL") from None
    if not parts.hostname:
        raise RemoteError(f"{shown}: not a valid URL (no host); write it as https://HOST/PATH")


def fetch(url: str, timeout: float = DEFAULT_TIMEOUT, max_bytes: int = DEFAULT_MAX_BYTES,
          max_expanded: int = DEFAULT_MAX_EXPANDED, opener: urllib.request.OpenerDirector | None = None) -> Fetched:
    """Fetch ``url`` within ``timeout`` seconds and ``max_bytes`` bytes.

    :param opener: the urllib opener (default: proxies from the environment, the redirect rules above)
    :raises RemoteError: for another scheme, a refused redirect, an HTTP error status, a timeout, a body over
        ``max_bytes`` (or over ``max_expanded`` after ``Content-Encoding: gzip``), or any network error
    """
    shown = redact(url)
    check_url(url)
    try:
        request, secrets = _request(url)
    except ValueError as error:  # e.g. a port that is not a number
        raise RemoteError(f"{shown}: not a valid URL ({error}); {_HINT}") from None

    def fail(reason: str) -> RemoteError:
        return RemoteError(redact(f"{shown}: cannot fetch ({reason}); {_HINT}", secrets))

    handler = opener or urllib.request.build_opener(_Redirects)
    deadline = time.monotonic() + timeout
    try:
        with handler.open(request, timeout=timeout) as response:
            final = redact(response.geturl(), secrets)
            length = response.headers.get("Content-Length")
            if length is not None and length.isdigit() and int(length) > max_bytes:
                raise fail(f"{int(length)} bytes, more than the {max_bytes}-byte cap")
            body = bytearray()
            while True:
                if time.monotonic() > deadline:
                    raise fail(f"timed out after {timeout:g} s")
                chunk = response.read1(_CHUNK)  # what has arrived: the deadline is checked between reads
                if not chunk:
                    break
                body += chunk
                if len(body) > max_bytes:
                    raise fail(f"more than the {max_bytes}-byte cap")
            encoding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
            content_type = response.headers.get("Content-Type")
    except RemoteError:
        raise
    except _Refused as refused:
        raise fail(str(refused)) from None
    except (OSError, urllib.error.URLError, ValueError, http.client.HTTPException) as error:
        raise fail(_reason(error, timeout)) from None
    data = bytes(body)
    if encoding in ("gzip", "x-gzip"):
        data = gunzip(data, shown, max_expanded)
    elif encoding != "identity":
        raise fail(f"unsupported Content-Encoding {encoding!r}")
    return Fetched(shown, final, data, content_type)


def load_remote(url: str, order: int = 0, timeout: float = DEFAULT_TIMEOUT, max_bytes: int = DEFAULT_MAX_BYTES,
                max_expanded: int = DEFAULT_MAX_EXPANDED, kind: Literal["json", "subunit"] | None = None,
                **fetch_options: Any) -> History:
    """Fetch ``url`` and read it as a JSON timing file (content starting with ``{``) or a subunit stream.

    :param order: the run's position among loaded runs (as for a local stream)
    :param kind: read it as this kind whatever it looks like (``json:URL``, ``subunit:URL``)
    :raises RemoteError: when it cannot be fetched (see :func:`fetch`)
    :raises HistoryError: when it is fetched but is neither a timing file nor a readable stream
    """
    got = fetch(url, timeout, max_bytes, max_expanded, **fetch_options)
    data = got.data
    if data[:2] == b"\x1f\x8b":
        data = gunzip(data, got.url, max_expanded)
    if kind == "json" or (kind is None and data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"):
        samples = parse_samples(data, got.url)
        return History(samples=(samples,), sources=(f"json:{got.url} ({len(samples.tests)} tests)",))
    run = read_stream(data, got.url, order)
    return History(runs=(run,), sources=(f"subunit:{got.url} ({len(run.records)} tests)",))
