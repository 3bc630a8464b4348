"""Hand-written twin primitives the generated code needs: ``AsyncX`` next to ``X``.

``build_sync.py`` rewrites ``async_sleep`` -> ``sleep``, ``async_slots`` -> ``slots``,
``AsyncBackgroundRunner`` -> ``BackgroundRunner`` and ``AsyncPendingResult`` ->
``PendingResult``; this module provides both sides by hand (as httpcore's
``_synchronization.py`` does), so the generated sync client never touches anyio and the async
one never touches threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any, Generic, TypeVar

import anyio
import anyio.abc

T = TypeVar("T")
A = TypeVar("A")


# --- sleeping ---------------------------------------------------------------------------------
async def async_sleep(seconds: float) -> None:
    await anyio.sleep(seconds)


def sleep(seconds: float) -> None:
    time.sleep(seconds)


# --- bounding concurrency ------------------------------------------------------------------------
def async_slots(n: int) -> anyio.Semaphore:
    """At most ``n`` requests of one client at a time; the rest queue here, in order.

    httpx's pool also caps connections, but its queue rescans every waiting request whenever a
    connection frees up: 1,000 queued tasks made it quadratic (120 ms a send instead of 8).
    """
    return anyio.Semaphore(n)


def slots(n: int) -> threading.Semaphore:
    """The sync twin of :func:`async_slots`: threads sharing a ``Client`` queue here."""
    return threading.Semaphore(n)


# --- background work (prefetching) -------------------------------------------------------------
#: Pages fetched ahead of the caller (and sync worker threads). Enough to hide a WAN round trip
#: behind a few pages of decoding; small enough that memory stays flat (window x page size).
PREFETCH_WINDOW = 8


class _Outcome(Generic[T]):
    __slots__ = ("error", "value")

    def __init__(self) -> None:
        self.value: T | None = None
        self.error: BaseException | None = None

    def unwrap(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


class AsyncPendingResult(Generic[T]):
    """The result of work started with :meth:`AsyncBackgroundRunner.submit`."""

    def __init__(self, fn: Callable[[A], Awaitable[T]], arg: A, *, started: bool) -> None:
        self._fn: Callable[[Any], Awaitable[T]] = fn
        self._arg: Any = arg
        self._done = anyio.Event()
        self._outcome: _Outcome[T] = _Outcome()
        self._started = started

    async def _run(self) -> None:
        try:
            self._outcome.value = await self._fn(self._arg)
        except Exception as exc:  # delivered to whoever awaits result()
            self._outcome.error = exc
        finally:
            self._done.set()

    async def result(self) -> T:
        if not self._started:  # no task group: run it now, in the caller's task
            self._started = True
            await self._run()
        await self._done.wait()
        return self._outcome.unwrap()


class AsyncBackgroundRunner:
    """Runs prefetches in a task group owned by the client (entered with ``async with``).

    The task group lives as long as the client context, not inside an async generator, so
    abandoning an ``async for`` halfway is safe: the pending fetch simply finishes (or is
    cancelled when the client closes). Outside a client context, work runs lazily, in order.
    """

    def __init__(self) -> None:
        self._task_group: anyio.abc.TaskGroup | None = None

    async def __aenter__(self) -> AsyncBackgroundRunner:
        task_group = anyio.create_task_group()
        await task_group.__aenter__()
        self._task_group = task_group
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        task_group, self._task_group = self._task_group, None
        if task_group is not None:
            task_group.cancel_scope.cancel()
            await task_group.__aexit__(None, None, None)

    def submit(self, fn: Callable[[A], Awaitable[T]], arg: A) -> AsyncPendingResult[T]:
        pending = AsyncPendingResult(fn, arg, started=self._task_group is not None)
        if self._task_group is not None:
            self._task_group.start_soon(pending._run)
        return pending


class PendingResult(Generic[T]):
    """The result of work started with :meth:`BackgroundRunner.submit`."""

    def __init__(self, future: Future[T]) -> None:
        self._future = future

    def result(self) -> T:
        return self._future.result()


class BackgroundRunner:
    """Worker threads doing the next fetches while the caller consumes the current page.

    httpx.Client is thread-safe, so the workers share the client's connection pool.
    """

    def __init__(self) -> None:
        self._executor: ThreadPoolExecutor | None = None

    def __enter__(self) -> BackgroundRunner:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def submit(self, fn: Callable[[A], T], arg: A) -> PendingResult[T]:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=PREFETCH_WINDOW, thread_name_prefix="dhis2w-prefetch"
            )
        return PendingResult(self._executor.submit(fn, arg))
