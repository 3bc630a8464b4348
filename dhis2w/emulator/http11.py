"""HTTP/1.1 as the Tomcat inside DHIS2 2.42 speaks it, on ``h11``: limits, refusals, bodies.

DHIS2 2.42 runs in an embedded Tomcat (``Http11NioProtocol`` with its defaults). This module
holds what a request must look like to be served and what a refused one is answered:
400 for malformed framing (a request line or header line that is not HTTP, a bad or
conflicting ``Content-Length``, a missing or doubled ``Host``, a bad chunk), 400 "Request
header is too large" past ``maxHttpHeaderSize`` (8 KB; Tomcat answers 400 here, not 431),
400 past ``maxHeaderCount`` (100), 501 for a transfer coding other than chunked, 505 for an
HTTP version other than 1.0/1.1, each as Tomcat's HTML error page with ``Connection: close``.
How connections are accepted, timed out and served is :mod:`dhis2w.emulator.connector`.
"""

from __future__ import annotations

import contextlib
import html
import math
import re
import socket
import time
from dataclasses import dataclass
from email.utils import formatdate
from typing import Final

import h11

from dhis2w.emulator.exchange import phrase

__all__ = [
    "BodyEnded",
    "Limits",
    "Refusal",
    "RequestBody",
    "check_head",
    "error_page",
    "http_date",
    "refusal_for",
]

_RECV = 256 * 1024


def _positive_seconds(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number of seconds, not {value!r}")
    seconds = float(value)
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"{name} must be a finite number of seconds > 0, not {value!r}")
    return seconds


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, not {value!r}")
    return value


@dataclass(frozen=True)
class Limits:
    """Connection limits; the defaults are those of the Tomcat DHIS2 2.42 embeds.

    ``idle_timeout``: seconds a connection may wait for the first byte of its next request
    (Tomcat ``keepAliveTimeout``, which defaults to ``connectionTimeout``: 60 s when DHIS2
    starts Tomcat itself). ``request_timeout``: seconds a request head may take to arrive
    after its first byte, and that each read of a body or write of an answer may wait
    (Tomcat applies ``connectionTimeout`` per read; a whole-head deadline is stricter and
    is what stops a slow-loris). ``max_connections``: open connections (Tomcat 8192).
    ``max_header_size``: bytes of request line plus headers (Tomcat ``maxHttpHeaderSize``,
    8 KB). ``max_header_count``: Tomcat ``maxHeaderCount`` (100). ``max_threads``: requests
    served at once (Tomcat ``maxThreads``, 200).
    """

    idle_timeout: float = 60.0
    request_timeout: float = 60.0
    max_connections: int = 8192
    max_header_size: int = 8192
    max_header_count: int = 100
    max_threads: int = 200

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "idle_timeout", _positive_seconds("idle_timeout", self.idle_timeout)
        )
        object.__setattr__(
            self, "request_timeout", _positive_seconds("request_timeout", self.request_timeout)
        )
        for name in ("max_connections", "max_header_size", "max_header_count", "max_threads"):
            _positive_int(name, getattr(self, name))


# --- refusals: Tomcat's error page ---------------------------------------------------------

_DESCRIPTIONS: Final = {
    400: "The server cannot or will not process the request due to something that is "
    "perceived to be a client error (e.g., malformed request syntax, invalid request message "
    "framing, or deceptive request routing).",
    501: "The server does not support the functionality required to fulfill the request.",
    505: "The server does not support, or refuses to support, the major version of HTTP that "
    "was used in the request message.",
}


def error_page(status: int, message: str) -> bytes:
    """The whole response Tomcat's ``ErrorReportValve`` sends when its connector refuses a
    request (without the stack trace and style sheet), ending with ``Connection: close``."""
    title = f"HTTP Status {status} \u2013 {phrase(status)}"
    body = (
        f'<!doctype html><html lang="en"><head><title>{title}</title></head><body>'
        f'<h1>{title}</h1><hr class="line" /><p><b>Type</b> Exception Report</p>'
        f"<p><b>Message</b> {html.escape(message, quote=False)}</p>"
        f"<p><b>Description</b> {_DESCRIPTIONS.get(status, '')}</p>"
        '<hr class="line" /><h3>Apache Tomcat</h3></body></html>'
    ).encode()
    head = (
        f"HTTP/1.1 {status} {phrase(status)}\r\nContent-Type: text/html;charset=utf-8\r\n"
        f"Content-Language: en\r\nContent-Length: {len(body)}\r\nDate: {http_date()}\r\n"
        "Connection: close\r\n\r\n"
    ).encode("latin-1")
    return head + body


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str


_TOO_LARGE = "Request header is too large"
_ILLEGAL_HEADER = (
    "The HTTP header line does not conform to RFC 7230. The request has been rejected."
)
# h11's message for a framing error -> the message Tomcat's connector gives the same error
_TOMCAT_MESSAGES: Final = (
    ("Missing mandatory Host", "The HTTP/1.1 request did not provide a host header"),
    ("multiple Host", "The request contained multiple host headers"),
    ("conflicting Content-Length", "The request contained multiple content-length headers"),
    ("bad Content-Length", "The request contained a content-length header with a non-numeric "
     "value"),
    ("illegal header line", _ILLEGAL_HEADER),
    ("illegal request line", "The HTTP request line is not valid"),
    ("illegal chunk header", "Invalid chunk header"),
    ("malformed chunk footer", "Invalid end of line sequence (character other than CR or LF "
     "found)"),
    ("Receive buffer too long", _TOO_LARGE),
)  # fmt: skip


def refusal_for(exc: h11.RemoteProtocolError) -> Refusal:
    text = str(exc)
    if exc.error_status_hint == 501:  # a transfer coding other than chunked
        return Refusal(501, "Error preparing request, unsupported transfer encoding")
    for needle, message in _TOMCAT_MESSAGES:
        if needle in text:
            return Refusal(400, message)
    return Refusal(400, text)


# Tomcat refuses a header value holding a control character other than tab (h11 lets them by)
_CONTROL: Final = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


def check_head(head: h11.Request, limits: Limits) -> Refusal | None:
    """What Tomcat checks on a head that h11 accepts."""
    if head.http_version not in (b"1.1", b"1.0"):
        return Refusal(505, "Error preparing request, unsupported HTTP version")
    items = head.headers.raw_items()
    if len(items) > limits.max_header_count:
        return Refusal(
            400,
            f"More than the maximum allowed number of headers, [{limits.max_header_count}], "
            "were detected.",
        )
    # h11 bounds a head that arrives in pieces; one that arrives whole is measured here
    size = len(head.method) + len(head.target) + 12
    for name, value in items:
        size += len(name) + len(value) + 4
        if _CONTROL.search(value):
            return Refusal(400, _ILLEGAL_HEADER)
    if size > limits.max_header_size:
        return Refusal(400, _TOO_LARGE)
    return None


_date_cache: tuple[int, str] = (0, "")


def http_date() -> str:
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]


class BodyEnded(ConnectionError):
    """The request body cannot be read to its end (client gone, timed out, bad framing)."""


class RequestBody:
    """The request body as the app reads it: bounded ``read(n)``, decoded by h11."""

    def __init__(self, sock: socket.socket, parser: h11.Connection) -> None:
        self.sock = sock
        self.parser = parser
        self.done = False
        self.refusal: Refusal | None = None  # malformed framing: answer 400
        self.failed = False  # no way to read on: close without an answer
        self._pending = b""

    def read(self, n: int = -1, /) -> bytes:
        if n < 0:
            chunks = []
            while chunk := self._next(_RECV):
                chunks.append(chunk)
            return b"".join(chunks)
        return self._next(n) if n else b""

    def _next(self, limit: int) -> bytes:
        if self._pending:
            data, self._pending = self._pending[:limit], self._pending[limit:]
            return data
        if self.done:
            return b""
        if self.failed:
            raise BodyEnded("the request body could not be read")
        parser = self.parser
        while True:
            try:
                event = parser.next_event()
            except h11.RemoteProtocolError as exc:
                self.failed = True
                self.refusal = refusal_for(exc)
                raise BodyEnded(self.refusal.message) from None
            if isinstance(event, h11.Data):
                data = bytes(event.data)
                if len(data) > limit:
                    data, self._pending = data[:limit], data[limit:]
                return data
            if isinstance(event, h11.EndOfMessage):
                self.done = True
                return b""
            if event is not h11.NEED_DATA:
                self.failed = True
                raise BodyEnded(f"unexpected {event!r} in a request body")
            try:
                received = self.sock.recv(_RECV)
            except OSError:  # timed out, reset, or shut down by stop()
                received = b""
            if not received:
                self.failed = True
                raise BodyEnded("client closed the connection mid-body")
            parser.receive_data(received)

    def drain(self) -> None:
        """Read the rest of the body and drop it (Tomcat swallows it the same way)."""
        self._pending = b""
        with contextlib.suppress(BodyEnded):
            while self._next(_RECV):
                self._pending = b""
