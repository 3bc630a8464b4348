"""The emulator's connector: connections held the way Tomcat's NIO connector holds them.

In Tomcat a poller owns every connection that is between requests and a worker thread is
taken only once a request head is complete, so idle and half-sent connections cost a socket,
never a thread. The same here:

* the **poller** thread accepts (at most :attr:`Limits.max_connections` open at once; past
  that, new connections wait in the kernel's backlog, as with Tomcat's ``maxConnections``),
  feeds request heads to a per-connection :class:`h11.Connection` without blocking, refuses
  malformed ones (:mod:`dhis2w.emulator.http11`), and closes connections idle longer than
  :attr:`Limits.idle_timeout` or whose head has not arrived :attr:`Limits.request_timeout`
  after its first byte;
* a **worker** (at most :attr:`Limits.max_threads`) runs the app on a complete head: it
  reads the body (each read waits at most ``request_timeout``), writes the answer (the
  faults that cut it short or close after the commit work on the raw socket, below h11),
  and gives the connection back to the poller.

A refused connection is answered, then read and dropped for a moment before it closes, so
the client sees the answer rather than a connection reset.
"""

from __future__ import annotations

import contextlib
import errno
import queue
import selectors
import socket
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from typing import Final

import h11

from dhis2w.emulator.app import App
from dhis2w.emulator.exchange import Request, Response, phrase
from dhis2w.emulator.faults import Faults, fault_response
from dhis2w.emulator.http11 import (
    Limits,
    Refusal,
    RequestBody,
    check_head,
    error_page,
    http_date,
    refusal_for,
)
from dhis2w.emulator.logsafe import redact, request_secrets, safe_target

__all__ = ["HttpServer"]

#: After a response, how long a worker waits for the client's next request on the same
#: connection before handing it back to the poller (a keep-alive client that sends at once
#: is then served without a trip through the poller).
_NEXT_REQUEST_WAIT = 0.002
#: How long a refused connection is read and dropped after the answer, before it closes.
_LINGER = 2.0
_RECV = 256 * 1024
_BACKLOG = 256


class _Conn:
    """One client connection: its socket, its h11 state and its deadline."""

    __slots__ = ("deadline", "lingering", "parser", "registered", "secrets", "sock", "started")

    def __init__(self, sock: socket.socket, limits: Limits) -> None:
        self.sock = sock
        self.parser = h11.Connection(h11.SERVER, max_incomplete_event_size=limits.max_header_size)
        self.deadline = time.monotonic() + limits.idle_timeout
        self.started = False  # bytes of the next request head have arrived
        self.lingering = False  # refused: reading and dropping until the client closes
        self.registered = False  # in the poller's selector (touched by the poller only)
        self.secrets: tuple[str, ...] = ()  # the credentials of the request being served


class _Pool:
    """Daemon worker threads, started as needed up to ``size``; extra work waits in line."""

    def __init__(self, size: int, run: Callable[[_Conn, h11.Request], None]) -> None:
        self.size = size
        self.run = run
        self._queue: queue.SimpleQueue[tuple[_Conn, h11.Request] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0

    def submit(self, conn: _Conn, head: h11.Request) -> None:
        with self._lock:
            if self._idle:
                self._idle -= 1  # that thread takes this item
            elif self._threads < self.size:
                self._threads += 1
                threading.Thread(
                    target=self._work, name="dhis2w-emulator-worker", daemon=True
                ).start()
        self._queue.put((conn, head))

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            self.run(*item)
            with self._lock:
                self._idle += 1

    def stop(self) -> None:
        with self._lock:
            threads = self._threads
        for _ in range(threads):
            self._queue.put(None)


_LISTENER: Final = object()
_WAKE: Final = object()


class HttpServer:
    """A listening socket, its poller and its workers, serving ``app`` with ``faults``."""

    def __init__(
        self,
        address: tuple[str, int],
        app: App,
        faults: Faults,
        limits: Limits,
        *,
        reuse_port: bool = False,
    ) -> None:
        self.app = app
        self.faults = faults
        self.limits = limits
        self.log_requests = False
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if reuse_port:
                # before bind: sibling processes bind the same host:port, the kernel balances
                self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            self.socket.bind(address)
            self.socket.listen(_BACKLOG)
            self.socket.setblocking(False)
        except BaseException:
            self.socket.close()
            raise
        self.server_address: tuple[str, int] = self.socket.getsockname()[:2]
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, _WAKE)
        self._lock = threading.Lock()
        self._conns: set[_Conn] = set()
        self._returned: deque[_Conn] = deque()
        self._registered: set[_Conn] = set()
        self._accepting = False
        self._accept_again_at = 0.0
        self._closing = False
        self._running = False
        self._poller_ident = 0
        self._scan_at = 0.0
        self._finished = threading.Event()
        self.peak_conns = 0
        self._pool = _Pool(limits.max_threads, self._serve)

    # --- counting ---------------------------------------------------------------------------

    def open_count(self) -> int:
        with self._lock:
            return len(self._conns)

    def reset_peak(self) -> None:
        with self._lock:
            self.peak_conns = len(self._conns)

    # --- lifetime ---------------------------------------------------------------------------

    def serve_forever(self) -> None:
        """Run the poller in this thread until :meth:`shutdown`."""
        with self._lock:
            if self._closing or self._running:
                return
            self._running = True
            self._poller_ident = threading.get_ident()
        self._finished.clear()
        try:
            while not self._closing:
                self._poll()
        finally:
            with self._lock:
                self._running = False
                waiting = list(self._registered) + list(self._returned)
                self._returned.clear()
            for conn in waiting:
                self._unregister(conn)
                self._close(conn)
            self._stop_accepting()
            self._finished.set()

    def shutdown(self) -> None:
        """Stop the poller (and wait for it, unless called from the poller's own thread)."""
        self._closing = True
        self._wake()
        with self._lock:
            running = self._running
        if running and threading.get_ident() != self._poller_ident:
            self._finished.wait(5)

    def server_close(self) -> None:
        """Close the listening socket and let the worker threads end."""
        self._closing = True
        with contextlib.suppress(OSError):
            self.socket.close()
        self._pool.stop()
        with contextlib.suppress(OSError):
            self._wake_w.close()
        if not self._running:
            with contextlib.suppress(OSError, KeyError, ValueError):
                self._selector.close()
            with contextlib.suppress(OSError):
                self._wake_r.close()

    def close_connections(self) -> None:
        """Cut every open connection (the workers' reads and writes then fail and end)."""
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    # --- the poller -------------------------------------------------------------------------

    def _poll(self) -> None:
        now = time.monotonic()
        if not self._accepting and now >= self._accept_again_at:
            with self._lock:
                room = len(self._conns) < self.limits.max_connections
            if room:
                self._start_accepting()
        timeout = 0.25 if self._registered or not self._accepting else None
        for key, _ in self._selector.select(timeout):
            tag = key.data
            if tag is _LISTENER:
                self._accept()
            elif tag is _WAKE:
                with contextlib.suppress(OSError):
                    while self._wake_r.recv(4096):
                        pass
            else:
                self._readable(tag)
        self._take_back()
        self._expire()

    def _start_accepting(self) -> None:
        if not self._accepting and not self._closing:
            self._selector.register(self.socket, selectors.EVENT_READ, _LISTENER)
            self._accepting = True

    def _stop_accepting(self) -> None:
        if self._accepting:
            with contextlib.suppress(KeyError, ValueError, OSError):
                self._selector.unregister(self.socket)
            self._accepting = False

    def _accept(self) -> None:
        for _ in range(64):
            with self._lock:
                full = len(self._conns) >= self.limits.max_connections
            if full:  # like Tomcat's maxConnections: the rest wait in the backlog
                self._stop_accepting()
                return
            try:
                sock, _ = self.socket.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    # out of file descriptors: stop accepting for a moment instead of spinning
                    self._stop_accepting()
                    self._accept_again_at = time.monotonic() + 0.1
                return
            sock.setblocking(False)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = _Conn(sock, self.limits)
            with self._lock:
                self._conns.add(conn)
                self.peak_conns = max(self.peak_conns, len(self._conns))
            self._register(conn)

    def _register(self, conn: _Conn) -> None:
        try:
            self._selector.register(conn.sock, selectors.EVENT_READ, conn)
        except (OSError, ValueError, KeyError):
            self._close(conn)
            return
        conn.registered = True
        self._registered.add(conn)

    def _unregister(self, conn: _Conn) -> None:
        if conn.registered:
            conn.registered = False
            self._registered.discard(conn)
            with contextlib.suppress(OSError, ValueError, KeyError):
                self._selector.unregister(conn.sock)

    def _take_back(self) -> None:
        while True:
            with self._lock:
                if not self._returned:
                    return
                conn = self._returned.popleft()
            self._register(conn)

    def _expire(self) -> None:
        now = time.monotonic()
        if now < self._scan_at:
            return
        self._scan_at = now + 0.1
        for conn in [c for c in self._registered if c.deadline <= now]:
            # Tomcat closes a connection whose request does not arrive in time, unanswered
            self._unregister(conn)
            self._close(conn)

    def _readable(self, conn: _Conn) -> None:
        try:
            data = conn.sock.recv(_RECV)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data or conn.lingering:
            if not data:  # the client went away (a half-sent head gets no answer)
                self._unregister(conn)
                self._close(conn)
            return
        if not conn.started:
            conn.started = True
            conn.deadline = time.monotonic() + self.limits.request_timeout
        conn.parser.receive_data(data)
        try:
            event = conn.parser.next_event()
        except h11.RemoteProtocolError as exc:
            self._unregister(conn)
            self._refuse(conn, refusal_for(exc))
            return
        if event is h11.NEED_DATA:
            return
        self._unregister(conn)
        if not isinstance(event, h11.Request):  # ConnectionClosed
            self._close(conn)
            return
        refusal = check_head(event, self.limits)
        if refusal is not None:
            self._refuse(conn, refusal)
            return
        self._pool.submit(conn, event)

    # --- shared by poller and workers -------------------------------------------------------

    def _close(self, conn: _Conn) -> None:
        with self._lock:
            if conn not in self._conns:
                return
            self._conns.discard(conn)  # before the descriptor goes: counts never lag behind
            paused = not self._accepting
        with contextlib.suppress(OSError):
            conn.sock.close()
        if paused:
            self._wake()

    def _hand_back(self, conn: _Conn) -> None:
        """Give a connection with no request in progress back to the poller."""
        with contextlib.suppress(OSError):
            conn.sock.setblocking(False)
        with self._lock:
            taken = self._running and not self._closing
            if taken:
                self._returned.append(conn)
        if taken:
            self._wake()
        else:
            self._close(conn)

    def _refuse(self, conn: _Conn, refusal: Refusal, *, blocking: bool = False) -> None:
        """Answer Tomcat's error page, then read and drop what the client still sends for
        a moment, so it sees the answer instead of a connection reset.

        The poller never blocks on a client: it sends without waiting (the page is small,
        and a connection that has not been answered yet has room for it)."""
        sock = conn.sock
        page = error_page(refusal.status, refusal.message)
        try:
            if blocking:
                sock.sendall(page)
            else:
                sock.send(page)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._close(conn)
            return
        conn.lingering = True
        conn.deadline = time.monotonic() + _LINGER
        self._hand_back(conn)

    # --- the workers ------------------------------------------------------------------------

    def _serve(self, conn: _Conn, head: h11.Request) -> None:
        """Serve ``head`` and any request that follows at once on the same connection."""
        try:
            conn.sock.settimeout(self.limits.request_timeout)
            next_head: h11.Request | None = head
            while next_head is not None:
                if not self._exchange(conn, next_head):
                    return
                next_head = self._next_request(conn)
        except OSError:  # the client went away or stalled past the timeout
            self._close(conn)
        except Exception as exc:  # a bug: say so on stderr, without the request's secrets
            if self.app.debug:
                text = traceback.format_exc()
            else:
                text = f"dhis2w emulator: connection failed ({type(exc).__name__})\n"
            sys.stderr.write(redact(text, conn.secrets))
            sys.stderr.flush()
            self._close(conn)

    def _next_request(self, conn: _Conn) -> h11.Request | None:
        """The next request head if it is (or arrives at once) on the connection; otherwise
        the connection goes back to the poller and this returns None."""
        parser = conn.parser
        parser.start_next_cycle()
        waited = False
        while True:
            try:
                event = parser.next_event()
            except h11.RemoteProtocolError as exc:
                self._refuse(conn, refusal_for(exc), blocking=True)
                return None
            if isinstance(event, h11.Request):
                refusal = check_head(event, self.limits)
                if refusal is not None:
                    self._refuse(conn, refusal, blocking=True)
                    return None
                return event
            if event is not h11.NEED_DATA:  # ConnectionClosed
                self._close(conn)
                return None
            if waited:
                break
            waited = True
            try:
                conn.sock.settimeout(_NEXT_REQUEST_WAIT)
                data = conn.sock.recv(_RECV)
            except TimeoutError:
                break
            except OSError:
                self._close(conn)
                return None
            finally:
                with contextlib.suppress(OSError):
                    conn.sock.settimeout(self.limits.request_timeout)
            if not data:
                self._close(conn)
                return None
            parser.receive_data(data)
        conn.started = bool(parser.trailing_data[0])
        timeout = self.limits.request_timeout if conn.started else self.limits.idle_timeout
        conn.deadline = time.monotonic() + timeout
        self._hand_back(conn)
        return None

    def _exchange(self, conn: _Conn, head: h11.Request) -> bool:
        """One request and its answer; False when the connection is finished with."""
        method = head.method.decode("ascii")
        target = head.target.decode("latin-1")
        headers: dict[str, str] = {}
        for raw_name, raw_value in head.headers:
            name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        conn.secrets = tuple(request_secrets(headers))
        # Tomcat drops Content-Length next to chunked and closes after the answer
        close = "transfer-encoding" in headers and "content-length" in headers
        sock = conn.sock
        if conn.parser.they_are_waiting_for_100_continue:
            interim = h11.InformationalResponse(status_code=100, headers=[], reason=b"Continue")
            sock.sendall(conn.parser.send(interim) or b"")
        path, _, query = target.partition("?")
        if path.startswith(("http://", "https://")):
            path = "/" + path.split("/", 3)[3] if path.count("/") >= 3 else "/"
        body = RequestBody(conn.sock, conn.parser)
        faults = self.faults
        resp: Response | None = None
        if faults.active:
            delay = faults.delay()
            if delay:
                time.sleep(delay)
            failure = faults.take_failure(method)
            if failure is not None:
                resp = fault_response(failure)
        truncate = False
        if resp is None:
            resp = self.app.handle(Request(method, path, query, headers, body))
            body.drain()
            if not body.failed and faults.active and faults.take_drop(method.upper()):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                self._close(conn)
                return False
            truncate = faults.active and faults.take_truncate()
        else:
            body.drain()
        if body.refusal is not None:
            self._refuse(conn, body.refusal, blocking=True)
            return False
        if body.failed:  # the client is gone or stalled: nobody to answer
            self._close(conn)
            return False
        try:
            sent = self._send(conn, method, resp, close=close, truncate=truncate)
        except OSError:
            sent = False
        if self.log_requests:  # never a credential: see logsafe.safe_target
            print(f"{method} {safe_target(target)} -> {resp.status}", file=sys.stderr, flush=True)
        if not sent or conn.parser.our_state is not h11.DONE:
            self._close(conn)
            return False
        return True

    def _send(
        self, conn: _Conn, method: str, resp: Response, *, close: bool, truncate: bool
    ) -> bool:
        """Write ``resp``; False when the connection must close after it."""
        sock, parser = conn.sock, conn.parser
        length = resp.length if resp.stream is not None else len(resp.body)
        headers: list[tuple[bytes, bytes]] = [(b"Date", http_date().encode())]
        has_length = False
        for name, value in resp.headers:
            if name.lower() == "content-length":
                has_length = True
            headers.append((name.encode("latin-1"), value.encode("latin-1", "replace")))
        if not has_length:
            headers.append((b"Content-Length", str(length or 0).encode()))
        if close:
            headers.append((b"Connection", b"close"))
        head = parser.send(
            h11.Response(
                status_code=resp.status, headers=headers, reason=phrase(resp.status).encode()
            )
        )
        assert head is not None
        if method.upper() == "HEAD":
            _close_stream(resp)
            sock.sendall(head)
            parser.send(h11.EndOfMessage())
            return True
        if resp.stream is None:
            data = resp.body
            if truncate:  # announce the full length, send half, cut the connection
                sock.sendall(head + data[: len(data) // 2])
                sock.shutdown(socket.SHUT_RDWR)
                return False
            out = parser.send(h11.Data(data=data)) if data else b""
            end = parser.send(h11.EndOfMessage())  # nothing, with Content-Length framing
            if out is not None and len(out) < 65536:
                sock.sendall(head + out + (end or b""))
            else:
                sock.sendall(head)
                sock.sendall(out or b"")
                sock.sendall(end or b"")
            return True
        sock.sendall(head)
        sent = 0
        limit = (length or 0) // 2 if truncate else None
        try:
            for chunk in resp.stream:
                if limit is not None and sent + len(chunk) > limit:
                    sock.sendall(chunk[: limit - sent])
                    sock.shutdown(socket.SHUT_RDWR)
                    return False
                out = parser.send(h11.Data(data=chunk))
                if out:
                    sock.sendall(out)
                sent += len(chunk)
            if limit is not None:
                sock.shutdown(socket.SHUT_RDWR)
                return False
            parser.send(h11.EndOfMessage())
        finally:
            _close_stream(resp)
        return True


def _close_stream(resp: Response) -> None:
    if resp.stream is not None:
        with contextlib.suppress(Exception):
            resp.stream.close()  # type: ignore[attr-defined]
