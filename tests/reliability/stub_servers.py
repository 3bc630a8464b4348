"""Tiny real servers on loopback for what the emulator is not: a TLS endpoint with a
certificate nobody trusts, a server that redirects elsewhere, and one that records requests.

Hand-written and thread-based (no async), shared by both twins of the security tests.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import trustme

ME = {
    "id": "xE7jOejl9FI",
    "username": "admin",
    "displayName": "John Traore",
    "firstName": "John",
    "surname": "Traore",
    "authorities": ["ALL"],
}


@dataclass
class Recorder:
    """What a stub server saw: one (method, path, Authorization header) per request."""

    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, method: str, path: str, authorization: str | None) -> None:
        with self.lock:
            self.requests.append((method, path, authorization))


@dataclass
class Stub:
    url: str
    recorder: Recorder

    @property
    def requests(self) -> list[tuple[str, str, str | None]]:
        return list(self.recorder.requests)


def _handler(recorder: Recorder, answer: Any) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            recorder.add(self.command, self.path, self.headers.get("Authorization"))
            status, headers, body = answer(self.command, self.path)
            self.send_response(status)
            for key, value in headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return Handler


@contextmanager
def serve(answer: Any, *, tls: ssl.SSLContext | None = None) -> Iterator[Stub]:
    """Run a stub server answering with ``answer(method, path) -> (status, headers, body)``."""
    recorder = Recorder()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(recorder, answer))
    server.daemon_threads = True
    scheme = "http"
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Stub(f"{scheme}://127.0.0.1:{server.server_address[1]}", recorder)
    finally:
        server.shutdown()
        server.server_close()


def json_answer(method: str, path: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """A DHIS2-shaped ``/api/me`` (enough for ``system.me``); 404 JSON for anything else."""
    if path.split("?")[0].rstrip("/").endswith("/api/me"):
        return 200, [("Content-Type", "application/json")], json.dumps(ME).encode()
    body = {"httpStatus": "Not Found", "httpStatusCode": 404, "status": "ERROR", "message": "no"}
    return 404, [("Content-Type", "application/json")], json.dumps(body).encode()


def redirect_answer(location: str, status: int = 302) -> Any:
    def answer(method: str, path: str) -> tuple[int, list[tuple[str, str]], bytes]:
        return status, [("Location", location), ("Content-Type", "text/html")], b""

    return answer


def untrusted_tls() -> ssl.SSLContext:
    """A server context whose certificate comes from a CA no client trusts (trustme)."""
    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context
