"""Hand-written twin primitives the generated code needs: ``AsyncX`` next to ``X``.

``build_sync.py`` rewrites ``async_sleep`` -> ``sleep``, ``async_slots`` -> ``slots``,
``AsyncBackgroundRunner`` -> ``BackgroundRunner`` and ``AsyncPendingResult`` ->
``PendingResult``; this module provides both sides by hand (as httpcore's
``_synchronization.py`` does), so the generated sync client never touches anyio and the async
one never touches threads.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any, Generic, TypeVar

import anyio
import sniffio

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

    def __init__(self, fn: Callable[[A], Awaitable[T]], arg: A) -> None:
        self._fn: Callable[[Any], Awaitable[T]] = fn
        self._arg: Any = arg
        self._done = anyio.Event()
        self._outcome: _Outcome[T] = _Outcome()
        self._started = False
        self._stop: Callable[[], None] | None = None
        self._gone = anyio.Event()  # its background task is over

    async def _run(self) -> None:
        try:
            self._outcome.value = await self._fn(self._arg)
        except Exception as exc:  # delivered to whoever awaits result()
            self._outcome.error = exc
        # Not in a ``finally``: a cancelled fetch has no result, and _finished() says so.
        self._done.set()

    def _finished(self) -> None:
        if not self._done.is_set():  # cancelled before it ever ran
            self._outcome.error = RuntimeError("the client was closed before this fetch finished")
            self._done.set()
        self._gone.set()

    async def result(self) -> T:
        if not self._started:  # not started in the background: run it now, in the caller's task
            self._started = True
            await self._run()
        await self._done.wait()
        return self._outcome.unwrap()

    def cancel(self) -> None:
        """Stop the work if it runs in the background (its result is then never read)."""
        self._started = True
        if self._stop is not None:
            self._stop()


class AsyncBackgroundRunner:
    """Runs prefetches as tasks of their own while the client is open (``async with``).

    No task group is held open between ``__aenter__`` and ``__aexit__``: a task group's cancel
    scope must be left by the task that entered it, and frameworks (pytest-asyncio fixtures,
    ``AsyncExitStack``, lifespans) often open a client in one task and close it in another.
    Instead each prefetch is a task owned by this runner: :meth:`AsyncPendingResult.cancel` stops
    one (an abandoned ``async for`` does that for its pages) and :meth:`aclose` cancels and
    waits for all of them, so nothing is left running once the client is closed. Under
    asyncio they are plain tasks; under trio, system tasks, each in a cancel scope of its own.
    Outside a client context, work runs lazily, in order, in the caller's task.
    """

    def __init__(self) -> None:
        self._open = False
        self._running: set[AsyncPendingResult[Any]] = set()

    async def __aenter__(self) -> AsyncBackgroundRunner:
        self._open = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    @property
    def running(self) -> int:
        """How many background fetches have not finished yet."""
        return len(self._running)

    async def aclose(self) -> None:
        self._open = False
        running = list(self._running)
        for pending in running:
            pending.cancel()
        # Shielded: closing under cancellation must still wait for the tasks to unwind.
        with anyio.CancelScope(shield=True):
            for pending in running:
                await pending._gone.wait()

    def submit(self, fn: Callable[[A], Awaitable[T]], arg: A) -> AsyncPendingResult[T]:
        pending = AsyncPendingResult(fn, arg)
        if self._open:
            pending._started = True
            self._running.add(pending)

            def finished() -> None:  # may be called twice: on return and when the task ends
                self._running.discard(pending)
                pending._finished()

            async def run() -> None:
                await pending._run()
                finished()  # the result is ready: count it as done without waiting a tick

            pending._stop = _start_task(run, finished)
        return pending


def _start_task(
    run: Callable[[], Coroutine[Any, Any, None]], finished: Callable[[], None]
) -> Callable[[], None]:
    """Start ``run()`` in a task that no task group owns; return what cancels it.

    ``finished`` is called once the task is over, however it ended (even if it was cancelled
    before it started).
    """
    if sniffio.current_async_library() == "trio":
        import trio

        scope = trio.CancelScope()

        async def host() -> None:
            try:
                with scope:
                    await run()
            finally:
                finished()

        trio.lowlevel.spawn_system_task(host, name="dhis2w-prefetch")
        return scope.cancel
    task = asyncio.get_running_loop().create_task(run(), name="dhis2w-prefetch")
    task.add_done_callback(lambda _task: finished())

    def cancel() -> None:
        task.cancel()

    return cancel


class PendingResult(Generic[T]):
    """The result of work started with :meth:`BackgroundRunner.submit`."""

    def __init__(self, future: Future[T]) -> None:
        self._future = future

    def result(self) -> T:
        return self._future.result()

    def cancel(self) -> None:
        """Drop the work if no worker has started it yet (a running fetch finishes)."""
        self._future.cancel()


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
