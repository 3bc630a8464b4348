"""How much headroom the emulator leaves: requests/second and a 1,000-conversation page.

Run with ``python -m benchmarks.emulator_headroom [--rounds N] [--quick]``. The client
benchmarks need the emulator to be much faster than the client, otherwise they measure the
server. Targets (issue 3): >= 1,000 small keep-alive requests per second over loopback, and
a 1,000-conversation page with the list fields served in < 0.5 s.

The emulator runs in its own process (as in the client benchmarks), so it does not share a
GIL with the load generator. Small GETs are measured two ways: with a raw keep-alive socket
client, which costs next to nothing per request and so shows the server's own capacity (the
target is judged on it), and with ``httpx``, whose per-request cost in Python is of the same
order as the server's and is shown for scale. Medians of several rounds are printed; the
machine is shared, so single runs are noisy.
"""

from __future__ import annotations

import argparse
import base64
import socket
import statistics
import threading
import time
from collections.abc import Callable, Sequence

import httpx

from benchmarks._common import EmulatorProcess

LIST_FIELDS = (
    "id,displayName,subject,messageType,lastSender[id,displayName],assignee[id,displayName],"
    "status,priority,lastUpdated,read,lastMessage,followUp"
)
AUTH = ("admin", "district")


def _raw_client(url: str, path: str, n: int) -> None:
    """n keep-alive GETs on one socket, reading each full response (Content-Length)."""
    host, port = url.removeprefix("http://").split(":")
    token = base64.b64encode(b"admin:district").decode()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Basic {token}\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port))) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        f = sock.makefile("rb")
        for _ in range(n):
            sock.sendall(request)
            length = 0
            while True:
                line = f.readline()
                if line in (b"\r\n", b""):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            f.read(length)


def _httpx_client(url: str, path: str, n: int) -> None:
    with httpx.Client(base_url=url, auth=AUTH) as client:
        for _ in range(n):
            client.get(path).raise_for_status()


def _rate(fn: Callable[[str, str, int], None], url: str, path: str, n: int, threads: int) -> float:
    """Requests per second with ``threads`` clients each doing ``n`` requests."""
    fn(url, path, 5)  # warm up (auth cache, connection)
    workers = [threading.Thread(target=fn, args=(url, path, n)) for _ in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return n * threads / (time.perf_counter() - start)


def _page_time(client: httpx.Client) -> float:
    start = time.perf_counter()
    r = client.get(
        "/api/messageConversations",
        params={"fields": LIST_FIELDS, "order": "lastMessage:desc", "pageSize": 1000},
    )
    r.raise_for_status()
    elapsed = time.perf_counter() - start
    assert len(r.json()["messageConversations"]) == 1000
    return elapsed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=1000, help="per client thread")
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.requests, args.conversations = 1, 50, 1000

    t0 = time.perf_counter()
    with EmulatorProcess(
        seed="demo", conversations=args.conversations, recipients=["fatmata", "ibrahim"]
    ) as srv:
        seeded = time.perf_counter() - t0
        print(f"emulator (own process) at {srv.url}; started with {args.conversations} "
              f"bulk-created conversations in {seeded:.2f} s")  # fmt: skip
        rows: list[tuple[str, list[float], str]] = []
        for label, fn, threads in (
            ("GET /api/me raw socket, 1 thread", _raw_client, 1),
            ("GET /api/me raw socket, 2 threads", _raw_client, 2),
            ("GET /api/me httpx, 1 thread", _httpx_client, 1),
            ("GET /api/me httpx, 2 threads", _httpx_client, 2),
        ):
            rates = [
                _rate(fn, srv.url, "/api/me", args.requests, threads) for _ in range(args.rounds)
            ]
            rows.append((label, rates, "req/s"))
        with httpx.Client(base_url=srv.url, auth=AUTH, timeout=60) as client:
            _page_time(client)  # warm up
            times = [_page_time(client) for _ in range(args.rounds)]
        rows.append(("1,000-conversation page (list fields)", times, "s"))

    print()
    for label, values, unit in rows:
        med = statistics.median(values)
        shown = f"{med:,.0f} {unit}" if unit == "req/s" else f"{med * 1000:,.0f} ms"
        print(f"{label:<42} median {shown:>14}   ({len(values)} rounds)")
    server_rate = statistics.median(rows[0][1])
    page = statistics.median(rows[-1][1])
    print()
    print(f"TARGET small requests >= 1,000 req/s (keep-alive, 1 client): "
          f"{'MET' if server_rate >= 1000 else 'MISSED'} ({server_rate:,.0f})")  # fmt: skip
    print(f"TARGET 1,000-conversation page < 0.5 s: "
          f"{'MET' if page < 0.5 else 'MISSED'} ({page * 1000:,.0f} ms)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
