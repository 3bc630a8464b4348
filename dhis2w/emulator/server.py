"""The HTTP/1.1 front of the emulator: a small threaded keep-alive server on stdlib sockets.

``http.server`` parses headers with the ``email`` package and buffers responses in ways that
get in the way of the faults we need (a response cut short, a connection closed after the
commit), so this module reads request lines and headers itself. One thread per connection,
``TCP_NODELAY``, no reverse DNS, no access log unless asked.

``workers=N`` serves one port from N processes sharing one SQLite file (``SO_REUSEPORT``;
see :mod:`dhis2w.emulator.workers`), so the server's CPU is not bound to one GIL.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import socketserver
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Sequence
from email.utils import formatdate
from types import TracebackType
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from dhis2w.emulator.app import DEFAULT_STORAGE_DELAY, App
from dhis2w.emulator.exchange import Request, Response, encode, envelope, phrase, web_message
from dhis2w.emulator.faults import FailSpec, Faults
from dhis2w.emulator.logsafe import redact, request_secrets, safe_target
from dhis2w.emulator.store import Store

if TYPE_CHECKING:  # imported when workers > 1 (``python -m`` runs that module as __main__)
    from dhis2w.emulator.workers import WorkerPool

__all__ = ["EmulatorServer"]

_MAX_LINE = 65536
_MAX_HEADERS = 100


class _BadRequest(Exception):
    pass


_BAD_REQUEST = (
    b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain;charset=UTF-8\r\n"
    b"Content-Length: 11\r\nConnection: close\r\n\r\nBad Request"
)


class _LengthReader:
    """Reads at most ``remaining`` bytes of a request body from the connection."""

    def __init__(self, rfile: BinaryIO, length: int) -> None:
        self.rfile = rfile
        self.remaining = length

    def read(self, n: int = -1, /) -> bytes:
        if self.remaining <= 0:
            return b""
        if n < 0 or n > self.remaining:
            n = self.remaining
        data = self.rfile.read(n)
        if not data:
            raise ConnectionError("client closed the connection mid-body")
        self.remaining -= len(data)
        return data

    def drain(self) -> None:
        while self.remaining > 0:
            self.read(256 * 1024)


class _ChunkedReader:
    """Decodes a ``Transfer-Encoding: chunked`` request body."""

    def __init__(self, rfile: BinaryIO) -> None:
        self.rfile = rfile
        self.left = 0
        self.done = False

    def _next_chunk(self) -> None:
        line = self.rfile.readline(_MAX_LINE)
        if not line:
            raise ConnectionError("client closed the connection mid-body")
        size = int(line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while True:  # trailers
                trailer = self.rfile.readline(_MAX_LINE)
                if trailer in (b"\r\n", b"\n", b""):
                    break
            self.done = True
        self.left = size

    def read(self, n: int = -1, /) -> bytes:
        out: list[bytes] = []
        want = n if n >= 0 else sys.maxsize
        while want > 0 and not self.done:
            if self.left == 0:
                self._next_chunk()
                if self.done:
                    break
            take = min(want, self.left, 256 * 1024)
            data = self.rfile.read(take)
            if not data:
                raise ConnectionError("client closed the connection mid-body")
            out.append(data)
            self.left -= len(data)
            want -= len(data)
            if self.left == 0:
                self.rfile.readline(_MAX_LINE)  # CRLF after the chunk
        return b"".join(out)

    def drain(self) -> None:
        while not self.done:
            self.read(256 * 1024)


_date_cache: tuple[int, str] = (0, "")


def _http_date() -> str:
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]


class _Handler(socketserver.BaseRequestHandler):
    server: _TCPServer
    # the credentials of the request being served, kept out of anything printed
    _secrets: tuple[str, ...] = ()

    def handle(self) -> None:
        sock: socket.socket = self.request
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        srv = self.server
        srv.track(sock, True)
        rfile = cast(BinaryIO, sock.makefile("rb", buffering=65536))
        try:
            while not srv.closing:
                if not self._one(sock, rfile):
                    break
        except _BadRequest:
            # Tomcat answers a malformed request line, header or length with 400 and closes
            with contextlib.suppress(OSError):
                sock.sendall(_BAD_REQUEST)
        except (OSError, ConnectionError, ValueError):
            pass
        except Exception as exc:  # a bug: say so on stderr, without the request's secrets
            if srv.app.debug:
                text = traceback.format_exc()
            else:
                text = f"dhis2w emulator: connection failed ({type(exc).__name__})\n"
            sys.stderr.write(redact(text, self._secrets))
            sys.stderr.flush()
        finally:
            srv.track(sock, False)
            with contextlib.suppress(OSError):
                rfile.close()

    def _one(self, sock: socket.socket, rfile: BinaryIO) -> bool:
        """Serve one request; False when the connection must close."""
        line = rfile.readline(_MAX_LINE)
        while line in (b"\r\n", b"\n"):
            line = rfile.readline(_MAX_LINE)
        if not line:
            return False
        try:
            method, target, version = line.decode("latin-1").split()
        except ValueError:
            raise _BadRequest() from None
        headers: dict[str, str] = {}
        for _ in range(_MAX_HEADERS):
            raw = rfile.readline(_MAX_LINE)
            if raw in (b"\r\n", b"\n", b""):
                break
            key, _, value = raw.decode("latin-1").partition(":")
            k = key.strip().lower()
            v = value.strip()
            headers[k] = f"{headers[k]}, {v}" if k in headers else v
        else:
            raise _BadRequest()
        self._secrets = tuple(request_secrets(headers))
        conn_hdr = headers.get("connection", "").lower()
        keep_alive = (version == "HTTP/1.1" and "close" not in conn_hdr) or (
            version == "HTTP/1.0" and "keep-alive" in conn_hdr
        )
        if "chunked" in headers.get("transfer-encoding", "").lower():
            reader: _LengthReader | _ChunkedReader = _ChunkedReader(rfile)
        else:
            raw_length = headers.get("content-length", "0").strip() or "0"
            if not raw_length.isdigit():
                raise _BadRequest()
            reader = _LengthReader(rfile, int(raw_length))
        if headers.get("expect", "").lower() == "100-continue":
            sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        path, _, query = target.partition("?")
        if path.startswith(("http://", "https://")):
            path = "/" + path.split("/", 3)[3] if path.count("/") >= 3 else "/"
        req = Request(method, path, query, headers, reader)
        srv = self.server
        faults = srv.faults
        if faults.active:
            delay = faults.delay()
            if delay:
                time.sleep(delay)
            failure = faults.take_failure(method)
            if failure is not None:
                reader.drain()
                self._send(sock, method, _fault_response(failure), keep_alive, truncate=False)
                return keep_alive
        resp = srv.app.handle(req)
        reader.drain()
        if faults.active and faults.take_drop(method.upper()):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            return False
        truncate = faults.active and faults.take_truncate()
        self._send(sock, method, resp, keep_alive, truncate=truncate)
        if srv.log_requests:  # never a credential: see logsafe.safe_target
            print(f"{method} {safe_target(target)} -> {resp.status}", file=sys.stderr, flush=True)
        return keep_alive and not truncate

    def _send(
        self, sock: socket.socket, method: str, resp: Response, keep_alive: bool, *, truncate: bool
    ) -> None:
        length = resp.length if resp.stream is not None else len(resp.body)
        lines = [f"HTTP/1.1 {resp.status} {phrase(resp.status)}", f"Date: {_http_date()}"]
        has_length = False
        for k, v in resp.headers:
            if k.lower() == "content-length":
                has_length = True
            lines.append(f"{k}: {v}")
        if not has_length:
            lines.append(f"Content-Length: {length}")
        if not keep_alive:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        if method.upper() == "HEAD":
            if resp.stream is not None:
                with contextlib.suppress(Exception):
                    resp.stream.close()  # type: ignore[attr-defined]
            sock.sendall(head)
            return
        if resp.stream is None:
            body = resp.body
            if truncate:
                body = body[: len(body) // 2]
            sock.sendall(head + body if len(body) < 65536 else head)
            if len(body) >= 65536:
                sock.sendall(body)
            if truncate:
                sock.shutdown(socket.SHUT_RDWR)
            return
        sock.sendall(head)
        sent = 0
        limit = (length or 0) // 2 if truncate else None
        try:
            for chunk in resp.stream:
                if limit is not None and sent + len(chunk) > limit:
                    sock.sendall(chunk[: limit - sent])
                    sock.shutdown(socket.SHUT_RDWR)
                    return
                sock.sendall(chunk)
                sent += len(chunk)
            if truncate:
                sock.shutdown(socket.SHUT_RDWR)
        finally:
            with contextlib.suppress(Exception):
                resp.stream.close()  # type: ignore[attr-defined]


#: What a single-sign-on proxy in front of DHIS2 answers once its session has ended.
_LOGIN_PAGE = (
    b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>"
    b'<form method="post" action="/sso/login"><input name="username">'
    b'<input type="password" name="password"><button>Sign in</button></form></body></html>'
)


def _fault_response(failure: FailSpec) -> Response:
    if failure.kind == "unauthorized":
        return web_message(401, "Unauthorized")
    if failure.kind == "login_page":
        return Response(200, [("Content-Type", "text/html;charset=UTF-8")], _LOGIN_PAGE)
    extra = []
    if failure.retry_after is not None:
        extra.append(("Retry-After", _fmt_retry(failure.retry_after)))
    return Response(
        failure.status,
        [
            ("Content-Type", "application/json;charset=UTF-8"),
            ("Cache-Control", "no-cache, private"),
            *extra,
        ],
        encode(envelope(failure.status, "Injected fault (dhis2w emulator)")),
    )


def _fmt_retry(value: float | int) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class _TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    request_queue_size = 256

    def __init__(
        self, address: tuple[str, int], app: App, faults: Faults, *, reuse_port: bool = False
    ) -> None:
        self.app = app
        self.faults = faults
        self.log_requests = False
        self.closing = False
        self.reuse_port = reuse_port
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        self.peak_conns = 0
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        if self.reuse_port:
            # before bind: sibling processes bind the same host:port, the kernel balances
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        super().server_bind()

    def track(self, sock: socket.socket, add: bool) -> None:
        with self._conns_lock:
            if add:
                self._conns.add(sock)
                self.peak_conns = max(self.peak_conns, len(self._conns))
            else:
                self._conns.discard(sock)

    def open_count(self) -> int:
        with self._conns_lock:
            return len(self._conns)

    def reset_peak(self) -> None:
        with self._conns_lock:
            self.peak_conns = len(self._conns)

    def close_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
        for sock in conns:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class EmulatorServer:
    """A DHIS2 2.42 look-alike on a loopback port.

    ``db=None`` keeps state in memory; ``db=path`` persists it in SQLite (seeded only when
    the file is new). ``port=0`` picks a free port; the socket is bound here, so
    :attr:`url` is known before :meth:`start`.

    ``workers=N`` (N > 1) serves the port from N processes: this one plus N-1 started by
    :meth:`start` / :meth:`serve_forever` and ended by :meth:`stop`, all on one SQLite
    file (with ``db=None``, a file in a temporary directory removed on :meth:`stop`).
    Fault switches reach every worker, but counts ("the next N requests") are per process.
    ``reuse_port=True`` only sets ``SO_REUSEPORT`` (what each worker does). Linux, or
    another system with ``SO_REUSEPORT`` load balancing.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        db: str | Any | None = None,
        seed: str = "demo",
        max_upload_size: int = 10_000_000,
        storage_delay: float = DEFAULT_STORAGE_DELAY,
        *,
        log_requests: bool = False,
        debug: bool = False,
        workers: int = 1,
        reuse_port: bool = False,
    ) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be an integer >= 1, not {workers!r}")
        if (workers > 1 or reuse_port) and not hasattr(socket, "SO_REUSEPORT"):
            raise OSError("workers > 1 and reuse_port need SO_REUSEPORT (Linux, BSD, macOS)")
        self.workers = workers
        self._temp_dir: str | None = None
        if workers > 1 and db is None:
            self._temp_dir = tempfile.mkdtemp(prefix="dhis2w-emulator-")
            db = os.path.join(self._temp_dir, "emulator.sqlite3")
        try:
            self.store = Store(db, seed=seed)
        except BaseException:
            self._remove_temp_dir()
            raise
        shared = None
        if workers > 1:
            from dhis2w.emulator.workers import SharedFaults, WorkerPool

            shared = SharedFaults()
        self.faults: Faults = Faults() if shared is None else shared
        self.app = App(
            self.store,
            max_upload_size=max_upload_size,
            storage_delay=storage_delay,
            debug=debug,
            faults=self.faults,
        )
        try:
            self._server = _TCPServer(
                (host, port), self.app, self.faults, reuse_port=reuse_port or workers > 1
            )
        except BaseException:
            self.store.close()
            self._remove_temp_dir()
            raise
        self._server.log_requests = log_requests
        self._thread: threading.Thread | None = None
        self._stopped = False
        self.host = host
        self.port: int = self._server.server_address[1]
        self._pool: WorkerPool | None = None
        if shared is not None:
            assert self.store.path is not None
            config = {
                "host": host,
                "port": self.port,
                "db": os.path.abspath(self.store.path),
                "seed": self.store.seed_name,
                "max_upload_size": max_upload_size,
                "storage_delay": storage_delay,
                "log_requests": log_requests,
                "debug": debug,
            }
            self._pool = WorkerPool(workers - 1, config, shared)

    @property
    def bound_address(self) -> tuple[str, int]:
        """``(host, port)`` of this process's listening socket, as the kernel reports it."""
        name = self._server.socket.getsockname()
        return str(name[0]), int(name[1])

    @property
    def open_connections(self) -> int:
        """Client connections this process is serving right now (not the other workers')."""
        return self._server.open_count()

    @property
    def peak_connections(self) -> int:
        """The most connections this process served at once since
        :meth:`reset_peak_connections` (or since it started)."""
        return self._server.peak_conns

    def reset_peak_connections(self) -> None:
        """Start counting :attr:`peak_connections` again from the connections open now."""
        self._server.reset_peak()

    @property
    def worker_pids(self) -> list[int]:
        """Process ids of the extra workers (empty with ``workers=1`` or before start)."""
        return [] if self._pool is None else self._pool.pids

    @property
    def db_path(self) -> str | None:
        """The SQLite file (``None`` when in memory)."""
        return self.store.path

    def _remove_temp_dir(self) -> None:
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None

    def start_workers(self) -> None:
        """Start the extra worker processes now (:meth:`start` and :meth:`serve_forever`
        do it otherwise); a no-op with ``workers=1`` or when they run."""
        if self._pool is not None:
            try:
                self._pool.start()
            except BaseException:
                self.stop()
                raise

    @property
    def url(self) -> str:
        """``http://host:port`` (no trailing slash, no ``/api``)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def seed_name(self) -> str:
        return self.store.seed_name

    def start(self) -> EmulatorServer:
        """Serve in a background daemon thread (and start the extra workers, if any)."""
        if self._thread is None:
            self.start_workers()
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"dhis2w-emulator-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the foreground until Ctrl-C (then stop cleanly)."""
        try:
            self.start_workers()
            self._server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._server.closing = True
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()
        self._server.close_connections()
        if self._pool is not None:
            self._pool.stop()
        self.store.close()
        self._remove_temp_dir()

    close = stop

    def reset(self, seed: str = "demo") -> None:
        """Wipe state back to a fresh ``seed`` (faults are left alone)."""
        self.store.reset(seed)
        self.app.auth.clear()
        if self._pool is not None:
            self._pool.reload()

    def bulk_create_conversations(
        self,
        n: int,
        *,
        sender: str = "admin",
        recipients: Sequence[str] = (),
        messages_per_conversation: int = 1,
        text_size: int = 80,
        subject_prefix: str = "Bulk conversation",
        message_type: str = "PRIVATE",
    ) -> list[str]:
        """Insert ``n`` conversations directly into the store; returns their UIDs."""
        return self.store.bulk_create_conversations(
            n,
            sender=sender,
            recipients=recipients,
            messages_per_conversation=messages_per_conversation,
            text_size=text_size,
            subject_prefix=subject_prefix,
            message_type=message_type,
        )

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"EmulatorServer(url={self.url!r}, seed={self.store.seed_name!r})"
