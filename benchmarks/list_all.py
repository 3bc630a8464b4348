"""List every conversation of a 10,000-conversation inbox from the emulator.

Target 2 of issue 6. The emulator runs in its own process (``EmulatorProcess``) with 10,000
conversations bulk-inserted for ``admin``. Every contender pages through all of them with
the same query (``fields=`` dhis2w's list selector, ``order=lastMessage:desc``,
``pageSize=200``) and builds typed objects:

* raw httpx page loop (sync and async), decoding each page with bare msgspec Structs -- the
  baseline: nothing but HTTP and msgspec;
* ``Client.messaging.iter_conversations`` (sync) and ``AsyncClient`` (async).

Then with 20 ms of latency injected per request by the emulator: dhis2w's async
``iter_conversations`` (prefetching) against sequential paging with the same client
(``list_conversations(page=p)`` in a loop), plus a raw httpx loop that fetches every page
concurrently once the first page told it ``pageCount`` -- the reference for what overlapping
network waits can buy. This runs against two emulators holding the same inbox, interleaved:
one process (one GIL, so 8 pages in flight queue on its CPU; for information) and two
worker processes on one port (``workers=2``; the target row), since a real DHIS2 serves
concurrent requests on many threads.

Memory: a child process iterates 1,000 and then 10,000 conversations (counting, keeping
nothing) and reports its peak RSS growth over the baseline taken after warm-up.

Targets: iter_conversations <= 1.5x the raw loop (sync and async); with 20 ms latency the
async prefetching iterator >= 4x faster than sequential paging; RSS growth flat in N.

Run: ``python -m benchmarks.list_all`` (``--quick`` for a tiny smoke run).
"""

from __future__ import annotations

import sys
import time
from functools import partial
from typing import Any

import anyio
import httpx

from ._common import (
    ADMIN_USER,
    EmulatorProcess,
    Report,
    child_emit,
    compare,
    current_rss,
    mib,
    parse_args,
    peak_rss,
    reset_peak_rss,
    run_child,
)

PAGE_SIZE = 200
PATH = "/api/messageConversations"


def _params(page: int, page_size: int = PAGE_SIZE) -> httpx.QueryParams:
    from dhis2w import _wire

    return httpx.QueryParams(
        [
            ("fields", _wire.CONVERSATION_LIST_FIELDS),
            ("order", "lastMessage:desc"),
            ("page", str(page)),
            ("pageSize", str(page_size)),
        ]
    )


def _profile(url: str) -> Any:
    from dhis2w import Profile

    return Profile(base_url=url, username=ADMIN_USER[0], password=ADMIN_USER[1])


# ---------------------------------------------------------------- contenders


def raw_sync(url: str) -> int:
    from .decode import bare_decoder

    count = 0
    with httpx.Client(base_url=url, auth=ADMIN_USER, headers={"Accept": "application/json"}) as c:
        page = 1
        while True:
            response = c.get(PATH, params=_params(page))
            response.raise_for_status()
            decoded = bare_decoder.decode(response.content)
            count += len(decoded.messageConversations)
            if decoded.pager is None or page >= decoded.pager.pageCount:
                return count
            page += 1


async def raw_async(url: str) -> int:
    from .decode import bare_decoder

    count = 0
    headers = {"Accept": "application/json"}
    async with httpx.AsyncClient(base_url=url, auth=ADMIN_USER, headers=headers) as c:
        page = 1
        while True:
            response = await c.get(PATH, params=_params(page))
            response.raise_for_status()
            decoded = bare_decoder.decode(response.content)
            count += len(decoded.messageConversations)
            if decoded.pager is None or page >= decoded.pager.pageCount:
                return count
            page += 1


async def raw_async_concurrent(url: str, in_flight: int = 8) -> int:
    """First page, then pages 2..pageCount concurrently (at most ``in_flight`` at once)."""
    from .decode import bare_decoder

    headers = {"Accept": "application/json"}
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    async with httpx.AsyncClient(
        base_url=url, auth=ADMIN_USER, headers=headers, limits=limits
    ) as c:
        first = bare_decoder.decode((await c.get(PATH, params=_params(1))).content)
        counts = [len(first.messageConversations)]
        page_count = first.pager.pageCount if first.pager is not None else 1
        limiter = anyio.CapacityLimiter(in_flight)

        async def one(page: int) -> None:
            async with limiter:
                response = await c.get(PATH, params=_params(page))
                response.raise_for_status()
                counts.append(len(bare_decoder.decode(response.content).messageConversations))

        async with anyio.create_task_group() as tg:
            for page in range(2, page_count + 1):
                tg.start_soon(one, page)
        return sum(counts)


def dhis2w_sync(url: str, limit: int | None = None) -> int:
    from dhis2w import Client

    count = 0
    with Client(_profile(url)) as client:
        for _conversation in client.messaging.iter_conversations(page_size=PAGE_SIZE, limit=limit):
            count += 1
    return count


async def dhis2w_async(url: str, limit: int | None = None) -> int:
    from dhis2w import AsyncClient

    count = 0
    async with AsyncClient(_profile(url)) as client:
        async for _conversation in client.messaging.iter_conversations(
            page_size=PAGE_SIZE, limit=limit
        ):
            count += 1
    return count


async def dhis2w_async_sequential(url: str) -> int:
    """Sequential paging with the same client: one ``list_conversations`` after another."""
    from dhis2w import AsyncClient

    count = 0
    async with AsyncClient(_profile(url)) as client:
        page = 1
        while True:
            result = await client.messaging.list_conversations(page=page, page_size=PAGE_SIZE)
            count += len(result.conversations)
            if result.pager is None or page >= result.pager.page_count:
                return count
            page += 1


def _run(fn: Any, *args: Any) -> Any:
    return anyio.run(fn, *args)


def _workers(n: int) -> str:
    return "1 process" if n == 1 else f"{n} workers"


# ---------------------------------------------------------------- latency without server CPU


class RecordedPages:
    """The emulator's own page bytes, replayed by an in-process httpx transport after a fixed
    delay. This isolates what the *client* does with network waits: the server costs
    nothing but the latency (against the emulator, its per-page CPU time swamps 20 ms)."""

    def __init__(self, url: str, latency: float) -> None:
        self.latency = latency
        self.pages: dict[str, bytes] = {}
        with httpx.Client(base_url=url, auth=ADMIN_USER) as c:
            page = 1
            while True:
                response = c.get(PATH, params=_params(page))
                response.raise_for_status()
                self.pages[str(page)] = response.content
                pager = response.json().get("pager") or {}
                if page >= pager.get("pageCount", 1):
                    break
                page += 1
        self.requests = 0

    def _response(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        body = self.pages[request.url.params.get("page", "1")]
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    def sync_transport(self) -> httpx.MockTransport:
        def handler(request: httpx.Request) -> httpx.Response:
            time.sleep(self.latency)
            return self._response(request)

        return httpx.MockTransport(handler)

    def async_transport(self) -> httpx.MockTransport:
        async def handler(request: httpx.Request) -> httpx.Response:
            await anyio.sleep(self.latency)
            return self._response(request)

        return httpx.MockTransport(handler)


async def replay_sequential(rec: RecordedPages) -> int:
    from dhis2w import AsyncClient

    count = 0
    async with AsyncClient(_profile(BASE), transport=rec.async_transport()) as client:
        page = 1
        while True:
            result = await client.messaging.list_conversations(page=page, page_size=PAGE_SIZE)
            count += len(result.conversations)
            if result.pager is None or page >= result.pager.page_count:
                return count
            page += 1


async def replay_iter_async(rec: RecordedPages) -> int:
    from dhis2w import AsyncClient

    count = 0
    async with AsyncClient(_profile(BASE), transport=rec.async_transport()) as client:
        async for _conversation in client.messaging.iter_conversations(page_size=PAGE_SIZE):
            count += 1
    return count


def replay_iter_sync(rec: RecordedPages) -> int:
    from dhis2w import Client

    count = 0
    with Client(_profile(BASE), transport=rec.sync_transport()) as client:
        for _conversation in client.messaging.iter_conversations(page_size=PAGE_SIZE):
            count += 1
    return count


async def replay_window(rec: RecordedPages, in_flight: int = 8) -> int:
    """What the proposed iter_conversations would do, built from public calls: page 1, then
    up to ``in_flight`` further pages in flight, consumed in page order."""
    from dhis2w import AsyncClient

    async with AsyncClient(_profile(BASE), transport=rec.async_transport()) as client:
        first = await client.messaging.list_conversations(page=1, page_size=PAGE_SIZE)
        count = len(first.conversations)
        page_count = first.pager.page_count if first.pager is not None else 1
        results: dict[int, int] = {}
        limiter = anyio.CapacityLimiter(in_flight)

        async def one(page: int) -> None:
            async with limiter:
                got = await client.messaging.list_conversations(page=page, page_size=PAGE_SIZE)
                results[page] = len(got.conversations)

        async with anyio.create_task_group() as tg:
            for page in range(2, page_count + 1):
                tg.start_soon(one, page)
        return count + sum(results.values())


BASE = "http://127.0.0.1:9"  # never contacted: the replay transport answers


# ---------------------------------------------------------------- memory (child process)


def _child_rss(url: str, mode: str, limit: int) -> None:
    """Child: warm up (imports, one page), reset the peak, iterate ``limit``, report."""
    if mode == "sync":
        dhis2w_sync(url, limit=PAGE_SIZE)  # warm-up: imports, connection, decoders
        baseline = current_rss()
        reset_peak_rss()
        counted = dhis2w_sync(url, limit=limit)
    else:
        _run(dhis2w_async, url, PAGE_SIZE)
        baseline = current_rss()
        reset_peak_rss()
        counted = _run(dhis2w_async, url, limit)
    child_emit({"baseline": baseline, "peak": peak_rss(), "counted": counted})


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> Report:
    args = parse_args(
        __doc__.splitlines()[0],
        argv,
        rounds=5,
        extra=lambda p: p.add_argument("--size", type=int, default=None, help="conversations"),
    )
    n = args.size or (600 if args.quick else 10_000)
    small = max(n // 10, 1)
    report = Report(
        "list_all: every conversation from the emulator (target 2)",
        params={"conversations": n, "pageSize": PAGE_SIZE, "rounds": args.rounds},
    )
    with EmulatorProcess(seed="empty", conversations=n, sender="admin") as emu:
        url = emu.url

        def check(name: str, count: int) -> None:
            assert count == n, f"{name} listed {count} of {n}"

        times = compare(
            {
                "raw httpx + msgspec page loop (sync)": lambda: raw_sync(url),
                "dhis2w Client.iter_conversations (sync)": lambda: dhis2w_sync(url),
                "raw httpx + msgspec page loop (async)": lambda: _run(raw_async, url),
                "dhis2w AsyncClient.iter_conversations (async)": lambda: _run(dhis2w_async, url),
            },
            args.rounds,
            check=check,
        )
        report.add_times(times)
        report.ratio(
            "dhis2w sync iter / raw httpx sync loop",
            "dhis2w Client.iter_conversations (sync)",
            "raw httpx + msgspec page loop (sync)",
            1.5,
        )
        report.ratio(
            "dhis2w async iter / raw httpx async loop",
            "dhis2w AsyncClient.iter_conversations (async)",
            "raw httpx + msgspec page loop (async)",
            1.5,
        )

        latency = 0.02
        workers = 2
        with EmulatorProcess(
            seed="empty", conversations=n, sender="admin", workers=workers
        ) as emu_n:
            emu.latency(latency)
            emu_n.latency(latency)
            contenders: dict[str, Any] = {}
            names: dict[int, tuple[str, str, str, str]] = {}
            for count, target in ((1, url), (workers, emu_n.url)):
                tag = f"[{latency * 1000:.0f} ms, {_workers(count)}]"
                seq = f"dhis2w async list_conversations loop, sequential {tag}"
                pre = f"dhis2w AsyncClient.iter_conversations, prefetch {tag}"
                pre_sync = f"dhis2w Client.iter_conversations, prefetch {tag}"
                conc = f"raw httpx async, pages concurrently (8 in flight) {tag}"
                names[count] = (seq, pre, pre_sync, conc)
                contenders[seq] = partial(_run, dhis2w_async_sequential, target)
                contenders[pre] = partial(_run, dhis2w_async, target)
                contenders[pre_sync] = partial(dhis2w_sync, target)
                contenders[conc] = partial(_run, raw_async_concurrent, target)
            times = compare(contenders, max(args.rounds - 2, 2), check=check)
            emu.clear()
            report.add_times(times)
            for count in (workers, 1):
                seq, pre, pre_sync, conc = names[count]
                tag = f" [emulator: {_workers(count)}]"
                goal = 4.0 if count == workers else None
                report.ratio(
                    "sequential paging / dhis2w async prefetch (latency)" + tag,
                    seq,
                    pre,
                    goal,
                    ">=",
                )
                report.ratio(
                    "sequential paging / dhis2w sync prefetch (latency)" + tag, seq, pre_sync, None
                )
                report.ratio(
                    "sequential paging / raw concurrent pages (latency)" + tag, seq, conc, None
                )

        rec = RecordedPages(url, latency)
        tag = f"[replayed pages, {latency * 1000:.0f} ms]"
        r_seq = f"dhis2w async list_conversations loop, sequential {tag}"
        r_pre = f"dhis2w AsyncClient.iter_conversations, prefetch {tag}"
        r_sync = f"dhis2w Client.iter_conversations, prefetch {tag}"
        r_win = f"dhis2w list_conversations, 8 pages in flight {tag}"
        times = compare(
            {
                r_seq: lambda: _run(replay_sequential, rec),
                r_pre: lambda: _run(replay_iter_async, rec),
                r_sync: lambda: replay_iter_sync(rec),
                r_win: lambda: _run(replay_window, rec),
            },
            args.rounds,
            check=check,
        )
        report.add_times(times)
        report.ratio("sequential / async prefetch (replayed, client only)", r_seq, r_pre, 4.0, ">=")
        report.ratio("sequential / sync prefetch (replayed, client only)", r_seq, r_sync, None)
        report.ratio("sequential / 8 pages in flight (replayed, proposed)", r_seq, r_win, None)

        growth: dict[tuple[str, int], int] = {}
        for mode in ("sync", "async"):
            # small and n are the 1,000 and 10,000; 2 * small is where the prefetch
            # window is full, so the rest of the growth is the per-UID de-duplication set
            for size in (small, 2 * small, n):
                result = run_child("benchmarks.list_all", ["--child-rss", url, mode, str(size)])
                assert result["counted"] == size, result
                growth[mode, size] = max(result["peak"] - result["baseline"], 0)
                report.fact(
                    f"peak RSS growth, {mode} iter, {size:,} conversations",
                    f"{mib(growth[mode, size])} (baseline {mib(result['baseline'])})",
                )
        for mode in ("sync", "async"):
            extra = growth[mode, n] - growth[mode, small]
            flat = extra < 8 * 1024 * 1024  # 10x the conversations may not cost 8 MiB more
            report.fact(
                f"RSS flat in N ({mode}): growth({n:,}) - growth({small:,})",
                f"{mib(extra)} (limit 8 MiB)",
                flat,
            )
    report.print(as_json=args.json)
    return report


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child-rss":
        _child_rss(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
