"""Run many calls at once: the hand-written twin pair the generated reliability tests use.

``build_sync.py`` maps ``gather_async`` to ``gather_threads``, the same way the library's
``_synchronization`` pairs are mapped: the async tests are the source, and their sync twins run the
same calls from a thread pool sharing one ``Client`` (which is thread-safe).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import anyio

T = TypeVar("T")

#: Threads the sync twin uses: enough to keep a 10-connection pool saturated and queueing.
SYNC_THREADS = 64


async def gather_async(calls: Sequence[Callable[[], Awaitable[T]]]) -> list[T | BaseException]:
    """Start every call at once; each result or raised exception, in call order."""
    results: list[T | BaseException] = [RuntimeError("not run")] * len(calls)

    async def run(index: int, call: Callable[[], Awaitable[T]]) -> None:
        try:
            results[index] = await call()
        except Exception as exc:  # collected: the test asserts on every outcome
            results[index] = exc

    async with anyio.create_task_group() as group:
        for index, call in enumerate(calls):
            group.start_soon(run, index, call)
    return results


def gather_threads(calls: Sequence[Callable[[], T]]) -> list[T | BaseException]:
    """The sync twin: the calls from a pool of threads; results in call order."""

    def run(call: Callable[[], T]) -> T | BaseException:
        try:
            return call()
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(max_workers=SYNC_THREADS) as pool:
        return list(pool.map(run, calls))
