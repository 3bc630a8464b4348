"""Bulk read-state and delete of 1,000 conversations, and 1,000 concurrent async sends.

Target 5 of issue 6. The emulator runs in its own process with 1,000 conversations from
``fatmata`` to ``admin`` (unread for admin). Every request the client makes is counted by a
transport wrapper around httpx's own (the client's ``transport=`` argument), by method and
path, so the count is what went on the wire.

* ``mark_read(1,000 uids)`` and ``delete_conversation(1,000 uids)``: request counts (bounded,
  not one per UID), time, and a check by listing that the state really changed. For scale, a
  per-UID loop (one ``POST /read`` / ``DELETE /{uid}/{me}`` per conversation, raw httpx) on
  another 1,000 conversations.
* 1,000 ``AsyncClient.messaging.send`` calls in an anyio task group with a concurrency
  limit: every conversation must arrive exactly once (verified by listing admin's inbox and
  counting the unique subjects), and the throughput is reported next to sequential sends.

Run: ``python -m benchmarks.bulk`` (``--quick`` for a tiny smoke run, ``--concurrency N``).
"""

from __future__ import annotations

import re
import time
import uuid
from collections import Counter
from typing import Any

import anyio
import httpx

from ._common import ADMIN_USER, EmulatorProcess, Report, parse_args

PATH = "/api/messageConversations"
_UID_SEGMENT = re.compile(r"/[A-Za-z][A-Za-z0-9]{10}(?=/|$)")
MAX_BULK_REQUESTS = 10  # "bounded": 1,000 UIDs may take a handful of requests, not 1,000


class CountingTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Counts every request (method + path) before handing it to httpx's real transport."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self._sync = httpx.HTTPTransport()
        self._async = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=100))

    def _count(self, request: httpx.Request) -> None:
        # /api/messageConversations/<uid> -> /api/messageConversations/{uid}
        path = _UID_SEGMENT.sub("/{uid}", request.url.path)
        self.counts[request.method, path] += 1

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._count(request)
        return self._sync.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._count(request)
        return await self._async.handle_async_request(request)

    def total(self) -> int:
        return sum(self.counts.values())

    def reset(self) -> None:
        self.counts.clear()

    def describe(self) -> str:
        return ", ".join(f"{m} {p} x{n}" for (m, p), n in sorted(self.counts.items()))

    def close(self) -> None:
        self._sync.close()

    async def aclose(self) -> None:
        await self._async.aclose()


def _profile(url: str) -> Any:
    from dhis2w import Profile

    return Profile(base_url=url, username=ADMIN_USER[0], password=ADMIN_USER[1])


def _unread_among(client: Any, uids: set[str]) -> int:
    return sum(1 for c in client.messaging.iter_conversations(unread=True) if c.id in uids)


def _present_among(client: Any, uids: set[str]) -> int:
    return sum(1 for c in client.messaging.iter_conversations() if c.id in uids)


# ---------------------------------------------------------------- per-UID baselines (raw httpx)


def per_uid_mark_read(url: str, uids: list[str]) -> int:
    with httpx.Client(base_url=url, auth=ADMIN_USER) as c:
        for uid in uids:
            c.post(f"{PATH}/read", json=[uid]).raise_for_status()
    return len(uids)


def per_uid_delete(url: str, uids: list[str], me: str) -> int:
    with httpx.Client(base_url=url, auth=ADMIN_USER) as c:
        for uid in uids:
            c.delete(f"{PATH}/{uid}/{me}").raise_for_status()
    return len(uids)


# ---------------------------------------------------------------- concurrent sends


async def send_many(
    url: str, n: int, tag: str, recipient: str, concurrency: int, counter: CountingTransport
) -> float:
    from dhis2w import AsyncClient

    limiter = anyio.CapacityLimiter(concurrency)
    async with AsyncClient(_profile(url), transport=counter) as client:

        async def one(i: int) -> None:
            async with limiter:
                await client.messaging.send(
                    subject=f"{tag} #{i:05d}",
                    text=f"Concurrent send {i} of {n} ({tag})",
                    users=[recipient],
                )

        start = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for i in range(n):
                tg.start_soon(one, i)
        return time.perf_counter() - start


async def send_many_raw(url: str, n: int, tag: str, recipient: str, concurrency: int) -> float:
    """The same sends with raw httpx: POST the JSON, read ``Location``, GET the thread with
    dhis2w's own fields selector and decode it with dhis2w's decoder."""
    from dhis2w import _wire, models

    limiter = anyio.CapacityLimiter(concurrency)
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(base_url=url, auth=ADMIN_USER, limits=limits) as c:

        async def one(i: int) -> None:
            async with limiter:
                body = {
                    "subject": f"{tag} #{i:05d}",
                    "text": f"Concurrent send {i} of {n} ({tag})",
                    "users": [{"id": recipient}],
                }
                posted = await c.post(PATH, json=body)
                posted.raise_for_status()
                uid = posted.headers["location"].rstrip("/").rsplit("/", 1)[-1]
                got = await c.get(f"{PATH}/{uid}", params={"fields": _wire.CONVERSATION_FIELDS})
                got.raise_for_status()
                models.conversation_decoder.decode(got.content)

        start = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for i in range(n):
                tg.start_soon(one, i)
        return time.perf_counter() - start


async def send_sequential(url: str, n: int, tag: str, recipient: str) -> float:
    from dhis2w import AsyncClient

    async with AsyncClient(_profile(url)) as client:
        start = time.perf_counter()
        for i in range(n):
            await client.messaging.send(
                subject=f"{tag} #{i:05d}", text=f"Sequential send {i}", users=[recipient]
            )
        return time.perf_counter() - start


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> Report:
    args = parse_args(
        __doc__.splitlines()[0],
        argv,
        rounds=1,
        extra=lambda p: p.add_argument("--concurrency", type=int, default=16),
    )
    from dhis2w import Client
    from dhis2w.emulator.seed import ADMIN, FATMATA

    n = 50 if args.quick else 1000
    sends = 30 if args.quick else 1000
    sequential = max(sends // 10, 5)
    report = Report(
        "bulk: mark-read and delete of many conversations, concurrent sends (target 5)",
        params={"conversations": n, "sends": sends, "concurrency": args.concurrency},
    )
    with EmulatorProcess(
        seed="demo", conversations=n, sender="fatmata", recipients=["admin"]
    ) as emu:
        url, uids = emu.url, emu.uids
        uid_set = set(uids)
        counter = CountingTransport()
        with Client(_profile(url), transport=counter) as client:
            client.system.me()  # warm-up: connection, imports; also caches "me" for delete
            assert _unread_among(client, uid_set) == n

            counter.reset()
            start = time.perf_counter()
            changed = client.messaging.mark_read(uids)
            elapsed = time.perf_counter() - start
            requests = counter.total()
            report.medians["dhis2w mark_read (bulk)"] = elapsed
            report.fact(
                f"mark_read({n:,} uids): requests",
                f"{requests} ({counter.describe()})",
                requests <= MAX_BULK_REQUESTS,
            )
            left = _unread_among(client, uid_set)
            report.fact(
                "mark_read: changed / still unread (listing)",
                f"{len(set(changed))} / {left}",
                len(set(changed)) == n and left == 0,
            )

            counter.reset()
            start = time.perf_counter()
            removed = client.messaging.delete_conversation(uids)
            elapsed = time.perf_counter() - start
            requests = counter.total()
            report.medians["dhis2w delete_conversation (bulk)"] = elapsed
            report.fact(
                f"delete_conversation({n:,} uids): requests",
                f"{requests} ({counter.describe()})",
                requests <= MAX_BULK_REQUESTS,
            )
            left = _present_among(client, uid_set)
            report.fact(
                "delete: removed / still listed",
                f"{len(set(removed))} / {left}",
                len(set(removed)) == n and left == 0,
            )

        # per-UID loops on a fresh set, for scale
        more = emu.bulk(n, "fatmata", ["admin"])
        start = time.perf_counter()
        per_uid_mark_read(url, more)
        report.medians["raw httpx mark-read, one request per UID"] = time.perf_counter() - start
        start = time.perf_counter()
        per_uid_delete(url, more, ADMIN.uid)
        report.medians["raw httpx delete, one request per UID"] = time.perf_counter() - start
        report.ratio(
            "per-UID mark-read loop / dhis2w mark_read",
            "raw httpx mark-read, one request per UID",
            "dhis2w mark_read (bulk)",
            None,
        )
        report.ratio(
            "per-UID delete loop / dhis2w delete_conversation",
            "raw httpx delete, one request per UID",
            "dhis2w delete_conversation (bulk)",
            None,
        )

        # concurrent sends
        tag = f"bench-{uuid.uuid4().hex[:8]}"
        send_counter = CountingTransport()
        elapsed = anyio.run(send_many, url, sends, tag, FATMATA.uid, args.concurrency, send_counter)
        conc = f"dhis2w async send x{sends:,}, {args.concurrency} concurrent"
        report.medians[conc] = elapsed
        report.add_value(f"{conc}: throughput", sends / elapsed, "sends/s")
        raw_elapsed = anyio.run(
            send_many_raw, url, sends, f"{tag}-raw", FATMATA.uid, args.concurrency
        )
        raw = f"raw httpx async POST + GET x{sends:,}, {args.concurrency} concurrent"
        report.medians[raw] = raw_elapsed
        report.add_value(f"{raw}: throughput", sends / raw_elapsed, "sends/s")
        report.ratio("dhis2w concurrent sends time / raw httpx", conc, raw, None)
        seq_tag = f"{tag}-seq"
        seq_elapsed = anyio.run(send_sequential, url, sequential, seq_tag, FATMATA.uid)
        seq = f"dhis2w async send x{sequential:,}, sequential"
        report.medians[seq] = seq_elapsed
        report.add_value(f"{seq}: throughput", sequential / seq_elapsed, "sends/s")
        # a narrower window, for the concurrency sweep (httpcore's pool costs more client
        # CPU per request the more connections it holds)
        few = 4
        few_elapsed = anyio.run(
            send_many, url, sequential, f"{tag}-c{few}", FATMATA.uid, few, CountingTransport()
        )
        few_label = f"dhis2w async send x{sequential:,}, {few} concurrent"
        report.medians[few_label] = few_elapsed
        report.add_value(f"{few_label}: throughput", sequential / few_elapsed, "sends/s")
        report.ratio(
            "concurrent / sequential send throughput",
            f"{conc}: throughput",
            f"{seq}: throughput",
            None,
        )
        report.ratio(
            f"{few} concurrent / sequential send throughput",
            f"{few_label}: throughput",
            f"{seq}: throughput",
            None,
        )
        report.fact(
            "concurrent sends: requests",
            f"{send_counter.total()} ({send_counter.describe()})",
            send_counter.total() <= 2 * sends,
        )
        with Client(_profile(url)) as client:
            subjects = Counter(
                c.subject
                for c in client.messaging.iter_conversations()
                if c.subject and c.subject.startswith(tag + " #")
            )
        once = sum(1 for count in subjects.values() if count == 1)
        dupes = sum(1 for count in subjects.values() if count > 1)
        report.fact(
            "concurrent sends arrived exactly once (listing)",
            f"{once:,} of {sends:,} once, {dupes} duplicated, {sends - len(subjects)} missing",
            once == sends and dupes == 0,
        )
    report.print(as_json=args.json)
    return report


if __name__ == "__main__":
    main()
