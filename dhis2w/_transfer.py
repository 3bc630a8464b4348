"""Local-file helpers both twins share: what to upload and where a download goes.

An upload source reports progress as httpx reads it; a download sink writes to an exclusive
temporary file and renames it into place only when the whole body arrived (or straight into
a pipe, a device or a caller's file object, which cannot be replaced). No network I/O here: the
twins stream the bytes, these classes only open, count and place files.
"""

from __future__ import annotations

import io
import os
import stat
import tempfile
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


#: A path source this small, or one whose file system reports a size it does not hold
#: (``/proc`` says 0, ``/sys`` says 4096), or one that is no regular file at all (a FIFO, a
#: device) is read whole first, so the size sent is the size read. Bigger regular files stream.
_READ_WHOLE_BELOW = 64 * 1024


def _too_large(name: str, size: int | None, max_size: int) -> FileTooLargeError:
    measured = f"is {size:,} bytes" if size is not None else f"holds more than {max_size:,} bytes"
    return FileTooLargeError(
        f"{name} {measured}, over dhis2w's upload limit of {max_size:,} bytes per file "
        "(a client-side check: raise it with max_size= on the call, max_upload_size= on the "
        "client, or --max-size on the command line, if the server accepts bigger files)"
    )


def _read_path(path: Path, max_size: int) -> tuple[IO[bytes], int | None, bool]:
    """Open an upload path: (stream, size, owned). Clear errors for what is not a file."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InvalidInputError(f"no such file: {path}") from None
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InvalidInputError(f"{path} is a folder, not a file")
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror}") from None
    regular = stat.S_ISREG(info.st_mode)
    if regular and info.st_size >= _READ_WHOLE_BELOW and _stream_size(handle) == info.st_size:
        return handle, info.st_size, True
    with handle:
        try:
            data = handle.read(max_size + 1)
        except OSError as exc:
            raise InvalidInputError(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > max_size:
        raise _too_large(str(path), info.st_size if regular and info.st_size else None, max_size)
    return io.BytesIO(data), len(data), True


def open_upload(
    data: UploadData,
    *,
    filename: str | None,
    max_size: int,
    progress: Progress | None = None,
) -> UploadSource:
    """Check and open an upload (bytes, a path or a binary file object) before any request."""
    if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1:
        raise InvalidInputError(f"max_size must be a whole number of bytes >= 1, not {max_size!r}")
    owned = False
    label: str | None = None  # how errors name the source: the path as given, else the name
    if isinstance(data, bytes | bytearray | memoryview):
        raw: IO[bytes] = io.BytesIO(bytes(data))
        name = filename or "upload.bin"
        owned = True
    elif isinstance(data, str | os.PathLike):
        path = Path(data)
        name = filename or path.name
        label = str(path)
        raw, _, owned = _read_path(path, max_size)
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
        raise _too_large(label or name, size, max_size)
    if size == 0:
        if owned:
            raw.close()
        raise InvalidInputError(f"{label or name} is empty; DHIS2 refuses empty files")
    if progress is not None:
        raw = ProgressReader(raw, size, progress)  # type: ignore[assignment]
    return UploadSource(name, raw, size, owned)


# --- downloads --------------------------------------------------------------------------------
#: Where a download goes: ``None`` (into memory, returned as bytes), a path (a file or a
#: folder), or a writable binary file object such as ``sys.stdout.buffer`` (streamed into it).
DownloadDest = str | os.PathLike[str] | IO[bytes] | None

#: A temporary file's name: hidden, unpredictable, short whatever the final name's length.
_PART_PREFIX = ".dhis2w-"
_PART_SUFFIX = ".part"


def is_stream(dest: object) -> bool:
    """A caller's binary file object (not a path, not ``None``): the body is written into it."""
    return dest is not None and not isinstance(dest, str | os.PathLike) and hasattr(dest, "write")


def saves_under_server_name(dest: object) -> bool:
    """Whether a download to ``dest`` is saved under the server's file name (a folder)."""
    return isinstance(dest, str | os.PathLike) and Path(dest).is_dir()


def _special_file(path: Path) -> bool:
    """An existing destination that is not a regular file or folder (a FIFO, a device such as
    ``/dev/null`` or a terminal, ``/dev/stdout``): it is written into, never replaced."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _check_link_owner(path: Path) -> None:
    """Refuse to follow a link to a device, pipe or folder that someone else planted.

    ``/dev/stdout`` is root's link and ``/proc/self/fd/N`` is ours; a link owned by another
    user (``out.csv -> /dev/sda`` or ``out.csv -> /etc`` in a shared folder) is not followed.
    A link to a regular file needs no check: it is replaced, never written through.
    """
    geteuid = getattr(os, "geteuid", None)
    if geteuid is None:  # no POSIX owners (Windows): nothing to compare
        return
    try:
        info = os.lstat(path)
    except OSError:
        return
    if stat.S_ISLNK(info.st_mode) and info.st_uid not in {0, geteuid()}:
        raise InvalidInputError(
            f"cannot save to {str(path)!r}: it is a link to {os.path.realpath(path)!r} owned by "
            "another user; remove it or choose another destination"
        )


def check_download_dest(dest: DownloadDest) -> None:
    """Refuse, before any request, a destination that cannot be written."""
    if dest is None:
        return
    if is_stream(dest):
        if getattr(dest, "closed", False):
            raise InvalidInputError("cannot save into a closed file object")
        return
    if not isinstance(dest, str | os.PathLike):
        raise InvalidInputError(
            f"cannot save to a {type(dest).__name__}: give a path, a folder or a binary file object"
        )
    target = Path(dest)
    if _special_file(target):
        _check_link_owner(target)
        if not os.access(target, os.W_OK):
            raise InvalidInputError(f"cannot save to {str(target)!r}: permission denied")
        return
    if target.is_dir():
        _check_link_owner(target)
    folder = target if target.is_dir() else target.parent
    if not folder.is_dir():
        raise InvalidInputError(
            f"cannot save to {str(target)!r}: the folder {str(target.parent)!r} does not exist"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InvalidInputError(
            f"cannot save to {str(target)!r}: no permission to create files in {str(folder)!r}"
        )


def _open_special(path: Path) -> IO[bytes]:
    """Open a pipe or device for writing: never created, never truncated, and checked again
    once open (so a regular file swapped in after the first look is not written over)."""
    flags = os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    if stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise InvalidInputError(f"cannot save to {str(path)!r}: it changed while being opened")
    return os.fdopen(fd, "wb")


def _cannot_save(target: Path, exc: OSError) -> InvalidInputError:
    """An error naming the destination the caller gave, never the temporary file."""
    return InvalidInputError(f"cannot save to {str(target)!r}: {exc.strerror or exc}")


def _file_mode() -> int:
    """The mode an ordinary ``open(path, "w")`` would give a new file: 0666 minus the umask.

    Read from ``/proc`` where there is one: setting the umask to read it is process-wide.
    """
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _link_unused_name(part: Path, wanted: Path) -> Path:
    """Give ``part`` the name ``wanted``, or ``stem (1).ext``, ... if that name is taken.

    A hard link is created only if nothing (not even a dangling link) has the name, so a file
    that appears while the body is downloading is never overwritten either.
    """
    candidate, n = wanted, 0
    while True:
        try:
            os.link(part, candidate)
        except FileExistsError:
            n += 1
            candidate = wanted.with_name(f"{wanted.stem} ({n}){wanted.suffix}")
            continue
        except OSError:  # a file system without hard links: check, then rename
            if os.path.lexists(candidate):
                n += 1
                candidate = wanted.with_name(f"{wanted.stem} ({n}){wanted.suffix}")
                continue
            os.rename(part, candidate)
            return candidate
        os.unlink(part)
        return candidate


class DownloadSink:
    """Collects a streamed body: into memory, a caller's file object, or a file.

    ``dest=None`` keeps the body in memory. A binary file object gets each chunk as it
    arrives (flat memory, e.g. ``sys.stdout.buffer``). A path that is a FIFO or a device
    (``/dev/null``, a terminal, a named pipe) is opened and written into, like ``curl -o``;
    it is never unlinked, renamed over or replaced.

    Anything else is written to a temporary file created exclusively (``O_CREAT|O_EXCL|
    O_NOFOLLOW``, an unpredictable name, mode 0600) in the destination's folder, so no link
    planted there is ever written through, and only a complete body is renamed into place.
    A folder destination takes the server's filename (or ``fallback_name``), numbered
    (``report (1).pdf``) rather than overwriting a file that is already there: the caller
    chose the folder, not the name. An explicit file path is replaced, as asked.
    """

    def __init__(
        self,
        dest: DownloadDest,
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
        self._in_folder = False
        self._handle: IO[bytes] | None = None
        self._owned = True
        if dest is None:
            return
        if is_stream(dest):
            self._handle = dest  # type: ignore[assignment]
            self._owned = False
            return
        given = Path(dest)  # type: ignore[arg-type]
        target = given
        try:
            if _special_file(target):
                _check_link_owner(target)
                self.path = target
                self._handle = _open_special(target)
                return
            if target.is_dir():
                _check_link_owner(target)
                self._in_folder = True
                target = target / (filename or fallback_name)
            self.path = target
        except OSError as exc:
            raise _cannot_save(given, exc) from None
        try:
            fd, part = tempfile.mkstemp(prefix=_PART_PREFIX, suffix=_PART_SUFFIX, dir=target.parent)
        except OSError as exc:
            reason = f"cannot create a file in {str(target.parent)!r} ({exc.strerror or exc})"
            raise InvalidInputError(f"cannot save to {str(given)!r}: {reason}") from None
        self._part = Path(part)
        self._handle = os.fdopen(fd, "wb")

    def write(self, chunk: bytes) -> None:
        if self._handle is not None:
            try:
                self._handle.write(chunk)
            except OSError as exc:  # disk full, a pipe whose reader left, ...
                where = self.path if self.path is not None else Path("the file object")
                raise _cannot_save(where, exc) from None
        else:
            self._chunks.append(chunk)
        self._done += len(chunk)
        if self._progress is not None:
            self._progress(self._done, self.total)

    @property
    def received(self) -> int:
        """Bytes received so far."""
        return self._done

    def lost_note(self) -> str:
        """What a cut-off download left behind, for the error message."""
        if self._part is not None or self._handle is None:
            return "nothing was written"
        where = str(self.path) if self.path is not None else "the file object"
        return f"the first {self._done:,} bytes were already written to {where}"

    def finish(self) -> bytes | Path | int:
        """The body (memory), the bytes written (file object), or the path written."""
        if self._handle is None:
            return b"".join(self._chunks)
        if not self._owned:
            self._handle.flush()
            return self._done
        if self._part is None:
            self._handle.close()
            assert self.path is not None
            return self.path
        try:
            os.fchmod(self._handle.fileno(), _file_mode())
            self._handle.close()
            assert self.path is not None
            if self._in_folder:
                self.path = _link_unused_name(self._part, self.path)
            else:
                os.replace(self._part, self.path)
        except OSError as exc:
            self.abort()
            raise _cannot_save(self.path or Path("?"), exc) from None
        except BaseException:
            self.abort()
            raise
        return self.path

    def abort(self) -> None:
        if self._handle is not None and self._owned:
            self._handle.close()
        if self._part is not None:
            self._part.unlink(missing_ok=True)
