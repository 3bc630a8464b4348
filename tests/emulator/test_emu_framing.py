"""HTTP/1.1 framing: what the emulator answers to malformed requests, sent over raw sockets.

DHIS2 2.42 runs in an embedded Tomcat (``Http11NioProtocol``); the expected answers are
Tomcat 10.1's (``Http11InputBuffer``, ``Http11Processor.prepareRequest``/``prepareInputFilters``,
``ChunkedInputFilter``, with DHIS2's connector defaults: ``maxHttpHeaderSize`` 8 KB,
``maxHeaderCount`` 100, ``rejectIllegalHeader`` on). A refused request gets Tomcat's HTML
error page and ``Connection: close``; a request Tomcat accepts is served as usual.

Then the connection limits: idle and half-sent connections are closed after their timeout,
connections past the cap wait to be accepted, and a slow-loris of 500 half-open connections
does not keep a normal client from being served. No test here measures time: each waits for
an outcome (an answer, a closed socket) with a generous ceiling.
"""

from __future__ import annotations

import base64
import resource
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from dhis2w.emulator import EmulatorServer, seed

BASIC = "Basic " + base64.b64encode(b"admin:district").decode()
AUTH = f"Authorization: {BASIC}\r\n"
ME = "GET /api/me?fields=id"


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    srv = EmulatorServer(seed="demo").start()
    try:
        yield srv
    finally:
        srv.stop()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def exchange(port: int, data: bytes) -> Answer:
    """Send ``data``, read until the server closes (ceiling: 30 s), parse the one answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(data)
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith("HTTP/1.1 "), raw[:200]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", len(body)))
    assert len(body) == length, "one complete answer, then the connection closes"
    return Answer(int(lines[0].split(" ", 2)[1]), headers, body)


TOO_LARGE = "Request header is too large"
ILLEGAL_HEADER = "The HTTP header line does not conform to RFC 7230. The request has been rejected."
CHUNKED_POST = (
    f"POST /api/messageConversations HTTP/1.1\r\nHost: x\r\n{AUTH}"
    "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
)

#: (request, status, the Message on Tomcat's error page; None for a request that is served)
REFUSED = {
    "header line without a colon": (
        f"{ME} HTTP/1.1\r\nHost: x\r\nno-colon-here\r\n\r\n", 400, ILLEGAL_HEADER),
    "space before the colon": (f"{ME} HTTP/1.1\r\nHost : x\r\n\r\n", 400, ILLEGAL_HEADER),
    "control character in a value": (
        f"{ME} HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n", 400, ILLEGAL_HEADER),
    "NUL in a value": (f"{ME} HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400, ILLEGAL_HEADER),
    "not a request line": ("GARBAGE\r\n\r\n", 400, "The HTTP request line is not valid"),
    "space inside the target": (
        "GET /api/me x HTTP/1.1\r\nHost: x\r\n\r\n", 400, "The HTTP request line is not valid"),
    # Tomcat would serve this as HTTP/0.9 (a bare body); the emulator refuses it (BUGS.md T4)
    "HTTP/0.9 request line": ("GET /api/me\r\n\r\n", 400, "The HTTP request line is not valid"),
    "70 KB header line": (
        f"{ME} HTTP/1.1\r\nHost: x\r\nX-Big: {'a' * 70_000}\r\n\r\n", 400, TOO_LARGE),
    "9 KB request target": (f"GET /api/me?q={'a' * 9000} HTTP/1.1\r\nHost: x\r\n\r\n", 400,
                            TOO_LARGE),
    "101 headers": (
        f"{ME} HTTP/1.1\r\nHost: x\r\n" + "".join(f"X-{i}: v\r\n" for i in range(100)) + "\r\n",
        400, "More than the maximum allowed number of headers, [100], were detected."),
    "HTTP/1.1 without Host": (
        f"{ME} HTTP/1.1\r\n{AUTH}\r\n", 400, "The HTTP/1.1 request did not provide a host header"),
    "two Host headers": (f"{ME} HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400,
                         "The request contained multiple host headers"),
    "Content-Length: abc": (
        "POST /api/me HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400,
        "The request contained a content-length header with a non-numeric value"),
    "Content-Length: -1": (
        "POST /api/me HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400,
        "The request contained a content-length header with a non-numeric value"),
    "two different Content-Lengths": (
        "POST /api/me HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        400, "The request contained multiple content-length headers"),
    "chunk size zz": (CHUNKED_POST + "zz\r\n{}\r\n0\r\n\r\n", 400, "Invalid chunk header"),
    "chunk without its CRLF": (CHUNKED_POST + "2\r\n{}XX0\r\n\r\n", 400,
                               "Invalid end of line sequence (character other than CR or LF "
                               "found)"),
    "Transfer-Encoding: gzip": (
        "POST /api/me HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501,
        "Error preparing request, unsupported transfer encoding"),
    "Transfer-Encoding: gzip, chunked": (
        "POST /api/me HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501,
        "Error preparing request, unsupported transfer encoding"),
    "HTTP/2.0 request line": (f"{ME} HTTP/2.0\r\nHost: x\r\n\r\n", 505,
                              "Error preparing request, unsupported HTTP version"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(REFUSED))
def test_malformed_request_gets_tomcats_answer(server: EmulatorServer, name: str) -> None:
    request, status, message = REFUSED[name]
    answer = exchange(server.port, request.encode("latin-1"))
    assert answer.status == status
    assert answer.headers["connection"] == "close"
    assert answer.headers["content-type"] == "text/html;charset=utf-8"
    page = answer.body.decode()
    assert f"<title>HTTP Status {status} \u2013 " in page
    assert f"<p><b>Message</b> {message}</p>" in page


#: requests Tomcat accepts although they look odd: each is served like any other
SERVED = {
    "bare LF line ends": f"{ME} HTTP/1.1\nHost: x\n{AUTH.strip()}\nConnection: close\n\n",
    "folded header line (obs-fold)": (
        f"{ME} HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n{AUTH}Connection: close\r\n\r\n"),
    "HTTP/1.0 without Host": f"{ME} HTTP/1.0\r\n{AUTH}\r\n",
    "100 headers": (
        f"{ME} HTTP/1.1\r\nHost: x\r\n{AUTH}Connection: close\r\n"
        + "".join(f"X-{i}: v\r\n" for i in range(97)) + "\r\n"),
    "7 KB header line": f"{ME} HTTP/1.1\r\nHost: x\r\n{AUTH}X-Big: {'a' * 7000}\r\n"
                        "Connection: close\r\n\r\n",
}  # fmt: skip


@pytest.mark.parametrize("name", list(SERVED))
def test_odd_but_valid_request_is_served(server: EmulatorServer, name: str) -> None:
    answer = exchange(server.port, SERVED[name].encode("latin-1"))
    assert answer.status == 200
    assert answer.body == f'{{"id":"{seed.ADMIN.uid}"}}'.encode()


def test_content_length_beside_chunked_is_dropped_and_the_connection_closed(
    server: EmulatorServer,
) -> None:
    """Tomcat ignores Content-Length next to ``Transfer-Encoding: chunked`` (RFC 9112 6.3)
    and closes the connection after answering."""
    body = f'{{"subject":"Chunked","text":"x","users":[{{"id":"{seed.FATMATA.uid}"}}]}}'
    request = (
        f"POST /api/messageConversations HTTP/1.1\r\nHost: x\r\n{AUTH}"
        "Content-Type: application/json\r\nContent-Length: 5\r\n"
        f"Transfer-Encoding: chunked\r\n\r\n{len(body):x}\r\n{body}\r\n0\r\n\r\n"
    )
    answer = exchange(server.port, request.encode())
    assert answer.status == 201
    assert answer.headers["connection"] == "close"


def test_refusal_after_a_served_request_on_the_same_connection(server: EmulatorServer) -> None:
    """A keep-alive connection: the first request is answered, the malformed second one gets
    the 400 page, and then the connection closes."""
    first = f"{ME} HTTP/1.1\r\nHost: x\r\n{AUTH}\r\n"
    second = f"{ME} HTTP/1.1\r\nHost : x\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall((first + second).encode())
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    assert raw.startswith(b"HTTP/1.1 200 OK\r\n")
    assert raw.count(b"HTTP/1.1 ") == 2
    assert b"HTTP/1.1 400 Bad Request\r\n" in raw
    assert raw.endswith(b"</html>")


# --- timeouts and the connection cap ------------------------------------------------------


def wait_closed(sock: socket.socket) -> bytes:
    """Everything the server sends before it closes ``sock`` (ceiling: 30 s)."""
    sock.settimeout(30)
    raw = b""
    while chunk := sock.recv(65536):
        raw += chunk
    return raw


@pytest.fixture
def quick_server() -> Iterator[EmulatorServer]:
    srv = EmulatorServer(seed="demo", idle_timeout=0.2, request_timeout=0.2).start()
    try:
        yield srv
    finally:
        srv.stop()


def test_idle_connection_is_closed_unanswered(quick_server: EmulatorServer) -> None:
    with socket.create_connection(("127.0.0.1", quick_server.port)) as sock:
        assert wait_closed(sock) == b""


def test_half_sent_head_is_closed_unanswered(quick_server: EmulatorServer) -> None:
    """Tomcat closes a connection whose request head does not arrive in time, without an
    answer; a client dribbling a byte at a time is cut off too."""
    with socket.create_connection(("127.0.0.1", quick_server.port)) as sock:
        sock.sendall(b"GET /api/me HTTP/1.1\r\nHost: x\r\n")
        for _ in range(100):  # one byte every 50 ms: never idle, never finished
            try:
                sock.sendall(b"X")
            except OSError:
                break
            time.sleep(0.05)
        assert wait_closed(sock) == b""


def test_stalled_body_is_closed_unanswered_and_keep_alive_is_served(
    quick_server: EmulatorServer,
) -> None:
    head = (
        f"POST /api/messageConversations HTTP/1.1\r\nHost: x\r\n{AUTH}"
        "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
    )
    with socket.create_connection(("127.0.0.1", quick_server.port)) as sock:
        sock.sendall(head.encode())
        assert wait_closed(sock) == b""
    with httpx.Client(base_url=quick_server.url, auth=("admin", "district")) as client:
        for _ in range(3):  # keep-alive requests sent back to back are answered
            assert client.get("/api/me", params={"fields": "id"}).status_code == 200


def test_connections_past_the_cap_wait_to_be_accepted() -> None:
    srv = EmulatorServer(seed="demo", max_connections=2).start()
    try:
        held = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(2)]
        deadline = time.monotonic() + 30
        while srv.open_connections < 2:  # both accepted
            assert time.monotonic() < deadline
            time.sleep(0.01)
        waiting = socket.create_connection(("127.0.0.1", srv.port), timeout=0.5)
        waiting.sendall(f"{ME} HTTP/1.1\r\nHost: x\r\n{AUTH}Connection: close\r\n\r\n".encode())
        with pytest.raises(TimeoutError):  # in the backlog: not accepted, not answered
            waiting.recv(1)
        assert srv.open_connections == 2
        held.pop().close()
        assert wait_closed(waiting).startswith(b"HTTP/1.1 200 OK\r\n")
        assert srv.peak_connections <= 2
        waiting.close()
        for sock in held:
            sock.close()
    finally:
        srv.stop()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"idle_timeout": 0}, "idle_timeout"), ({"request_timeout": float("nan")}, "request_timeout"),
     ({"max_connections": 0}, "max_connections"), ({"idle_timeout": True}, "idle_timeout"),
     ({"max_connections": 2.5}, "max_connections")],
)  # fmt: skip
def test_bad_limits_are_refused_before_binding(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        EmulatorServer(**kwargs)  # type: ignore[arg-type]


# --- slow-loris -------------------------------------------------------------------------------

LORIS = 500


@pytest.mark.timeout(300)
def test_slow_loris_does_not_stop_a_normal_client(server: EmulatorServer) -> None:
    """500 connections that never finish their request (450 stop inside the head, 50 inside
    a declared body) are all held open, and a normal client is still served, repeatedly.
    A connection without a complete head costs the server no thread (as in Tomcat's NIO
    connector): only the 50 stalled bodies hold a worker each."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = 4 * LORIS  # both ends of each connection live in this process
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            pytest.skip(f"needs {need} open files, the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    before = server.open_connections
    threads_before = threading.active_count()
    loris: list[socket.socket] = []
    try:
        for i in range(LORIS):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
            if i % 10:
                sock.sendall(b"GET /api/me HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            else:
                sock.sendall(
                    f"POST /api/messageConversations HTTP/1.1\r\nHost: x\r\n{AUTH}"
                    "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{".encode()
                )
            loris.append(sock)
        deadline = time.monotonic() + 120
        while server.open_connections < before + LORIS:  # the server holds every one
            assert time.monotonic() < deadline, server.open_connections
            time.sleep(0.02)
        results: list[int] = []

        def normal_client() -> None:
            with httpx.Client(base_url=server.url, auth=("admin", "district"), timeout=60) as c:
                for _ in range(5):
                    results.append(c.get("/api/me", params={"fields": "id"}).status_code)

        worker = threading.Thread(target=normal_client)
        worker.start()
        worker.join(timeout=240)
        assert results == [200] * 5
        assert server.open_connections >= before + LORIS  # still held while it was served
        assert threading.active_count() - threads_before < LORIS // 5
    finally:
        for sock in loris:
            sock.close()


def test_expect_100_continue_then_the_answer(server: EmulatorServer) -> None:
    """``Expect: 100-continue``: the interim 100 comes before the body is read, then the 201."""
    body = f'{{"subject":"Expect","text":"x","users":[{{"id":"{seed.FATMATA.uid}"}}]}}'.encode()
    head = (
        f"POST /api/messageConversations HTTP/1.1\r\nHost: x\r\n{AUTH}"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Expect: 100-continue\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head.encode())
        interim = b""
        while not interim.endswith(b"\r\n\r\n"):
            interim += sock.recv(1)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        assert wait_closed(sock).startswith(b"HTTP/1.1 201 Created\r\n")


def test_pipelined_requests_are_answered_in_order(server: EmulatorServer) -> None:
    one = f"{ME} HTTP/1.1\r\nHost: x\r\n{AUTH}\r\n"
    last = f"GET /api/me?fields=username HTTP/1.1\r\nHost: x\r\n{AUTH}Connection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall((one * 3 + last).encode())
        raw = wait_closed(sock)
    assert raw.count(b"HTTP/1.1 200 OK\r\n") == 4
    assert raw.endswith(b'{"username":"admin"}')
