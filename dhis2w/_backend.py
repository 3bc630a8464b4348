"""Hand-written twin primitives the generated code needs: ``AsyncX`` next to ``X``.

``build_sync.py`` rewrites ``async_sleep`` -> ``sleep``, ``AsyncBackgroundRunner`` ->
``BackgroundRunner`` and ``AsyncPendingResult`` -> ``PendingResult``; this module provides both
sides by hand (like httpcore's ``_synchronization.py``), so the generated sync client never
touches anyio and the async one never touches threads.

It also holds the local-file helpers both twins share: an upload source that reports progress
as httpx reads it, and a download sink that writes to a temporary file and renames it into
place only when the whole body arrived.
"""

from __future__ import annotations

import io
import os
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Generic, TypeVar

import anyio
import anyio.abc

from .errors import FileTooLargeError, InvalidInputError

T = TypeVar("T")
A = TypeVar("A")

Progress = Callable[[int, int | None], None]
UploadData = bytes | bytearray | memoryview | str | os.PathLike[str] | IO[bytes]


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


# --- uploads ----------------------------------------------------------------------------------
class ProgressReader(io.RawIOBase):
    """A read-only view of a binary file that reports progress as httpx reads it."""

    def __init__(self, raw: IO[bytes], total: int | None, progress: Progress | None) -> None:
        super().__init__()
        self._raw = raw
        self._total = total
        self._progress = progress
        self._done = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._raw.seekable()

    def tell(self) -> int:
        return self._raw.tell()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        position = self._raw.seek(offset, whence)
        if whence == os.SEEK_SET and offset == 0:
            self._done = 0
        return position

    def read(self, size: int = -1) -> bytes:
        chunk = self._raw.read(size)
        if chunk and self._progress is not None:
            self._done += len(chunk)
            self._progress(self._done, self._total)
        return chunk

    def readinto(self, buffer: Any) -> int:
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


class UploadSource:
    """What to upload: a name, a size when known, and a binary file object to stream from."""

    def __init__(self, filename: str, stream: IO[bytes], size: int | None, owned: bool) -> None:
        self.filename = filename
        self.stream = stream
        self.size = size
        self._owned = owned

    def close(self) -> None:
        if self._owned:
            self.stream.close()


def _stream_size(stream: IO[bytes]) -> int | None:
    """The size httpx will send: a seekable file is uploaded whole (httpx seeks to 0)."""
    try:
        position = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(position)
        return end
    except (AttributeError, OSError, ValueError):
        return None


def open_upload(
    data: UploadData,
    *,
    filename: str | None,
    max_size: int,
    progress: Progress | None = None,
) -> UploadSource:
    """Check and open an upload (bytes, a path or a binary file object) before any request."""
    owned = False
    if isinstance(data, bytes | bytearray | memoryview):
        raw: IO[bytes] = io.BytesIO(bytes(data))
        name = filename or "upload.bin"
        owned = True
    elif isinstance(data, str | os.PathLike):
        path = Path(data)
        if not path.is_file():
            raise InvalidInputError(f"no such file: {path}")
        name = filename or path.name
        raw = path.open("rb")
        owned = True
    elif hasattr(data, "read"):
        raw = data
        given = getattr(data, "name", None)
        name = filename or (Path(given).name if isinstance(given, str) and given else "upload.bin")
    else:
        raise InvalidInputError(
            f"cannot upload a {type(data).__name__}: give bytes, a path or a binary file object"
        )
    size = _stream_size(raw)
    if size is not None and size > max_size:
        if owned:
            raw.close()
        raise FileTooLargeError(
            f"{name} is {size:,} bytes; the server accepts at most {max_size:,} bytes per file"
        )
    if size == 0:
        if owned:
            raw.close()
        raise InvalidInputError(f"{name} is empty; DHIS2 refuses empty files")
    if progress is not None:
        raw = ProgressReader(raw, size, progress)  # type: ignore[assignment]
    return UploadSource(name, raw, size, owned)


# --- downloads --------------------------------------------------------------------------------
def check_download_dest(dest: str | os.PathLike[str] | None) -> None:
    """Refuse, before any request, a destination whose folder does not exist."""
    if dest is None:
        return
    target = Path(dest)
    if not target.is_dir() and not target.parent.is_dir():
        raise InvalidInputError(
            f"cannot save to {str(target)!r}: the folder {str(target.parent)!r} does not exist"
        )


def _unused_name(path: Path) -> Path:
    """``path``, or ``stem (1).ext``, ``stem (2).ext``, ... if it is taken."""
    candidate, n = path, 0
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem} ({n}){path.suffix}")
    return candidate


class DownloadSink:
    """Collects a streamed body: into memory (``dest=None``) or into a file via a ``.part``.

    ``dest`` may be a directory, in which case the server's filename (or ``fallback_name``)
    is used inside it, numbered (``report (1).pdf``) rather than overwriting a file that is
    already there: the caller chose the folder, not the name. An explicit file path is
    replaced, as asked, and only once the whole body has arrived.
    """

    def __init__(
        self,
        dest: str | os.PathLike[str] | None,
        *,
        filename: str | None,
        fallback_name: str,
        total: int | None,
        progress: Progress | None,
    ) -> None:
        self.total = total
        self._progress = progress
        self._done = 0
        self._chunks: list[bytes] = []
        self.path: Path | None = None
        self._part: Path | None = None
        self._handle: IO[bytes] | None = None
        if dest is not None:
            target = Path(dest)
            if target.is_dir():
                target = _unused_name(target / (filename or fallback_name))
            self.path = target
            self._part = target.with_name(target.name + ".part")
            self._handle = self._part.open("wb")

    def write(self, chunk: bytes) -> None:
        if self._handle is not None:
            self._handle.write(chunk)
        else:
            self._chunks.append(chunk)
        self._done += len(chunk)
        if self._progress is not None:
            self._progress(self._done, self.total)

    @property
    def received(self) -> int:
        """Bytes received so far."""
        return self._done

    def finish(self) -> bytes | Path:
        if self._handle is None or self.path is None or self._part is None:
            return b"".join(self._chunks)
        self._handle.close()
        os.replace(self._part, self.path)
        return self.path

    def abort(self) -> None:
        if self._handle is not None and self._part is not None:
            self._handle.close()
            self._part.unlink(missing_ok=True)
