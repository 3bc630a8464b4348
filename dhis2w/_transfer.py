"""Local-file helpers both twins share: what to upload and where a download goes.

An upload source reports progress as httpx reads it; a download sink writes to a temporary
file and renames it into place only when the whole body arrived. No network I/O here: the
twins stream the bytes, these classes only open, count and place files.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from .errors import FileTooLargeError, InvalidInputError

Progress = Callable[[int, int | None], None]
UploadData = bytes | bytearray | memoryview | str | os.PathLike[str] | IO[bytes]


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
