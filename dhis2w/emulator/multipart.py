"""A small streaming ``multipart/form-data`` parser (the ``cgi`` module is gone in 3.13).

Uploads of 100 MB must not be held in memory: file parts are written to disk chunk by
chunk while their size and MD5 are computed; only small form fields are kept in memory.

A part's ``Content-Disposition`` is read with the standard library's ``email`` header
parser, as Spring's ``ContentDisposition.parse`` reads it for DHIS2: a quoted value may
hold ``;`` and escaped quotes, and an RFC 5987 ``filename*`` (``UTF-8''na%C3%AFve.txt``)
wins over a plain ``filename``, in either order. (``python-multipart``, measured against
this module, streams at the same speed but drops ``filename*`` and keeps the plain
``filename`` when both are sent, so it is not used.)
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from email.utils import collapse_rfc2231_value
from typing import Any

from dhis2w.emulator.exchange import BodyReader

__all__ = ["FilePart", "MultipartError", "boundary_of", "disposition", "parse_multipart"]

_CHUNK = 256 * 1024
_MAX_HEADER = 16 * 1024
_MAX_FIELD = 1024 * 1024


class MultipartError(ValueError):
    """The body is not well-formed multipart."""


@dataclass
class FilePart:
    """A file part written to ``path``."""

    name: str
    filename: str | None
    content_type: str | None
    path: str
    size: int
    md5: str


@dataclass
class Parsed:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, FilePart] = field(default_factory=dict)


def boundary_of(content_type_header: str) -> bytes | None:
    for piece in content_type_header.split(";")[1:]:
        key, _, value = piece.strip().partition("=")
        if key.strip().lower() == "boundary":
            return value.strip().strip('"').encode("latin-1")
    return None


def disposition(value: str) -> tuple[str, str | None]:
    """``(name, filename)`` of a part's ``Content-Disposition`` (``filename`` None when the
    part is a plain field)."""
    header = Message()
    header["Content-Disposition"] = value
    params = header.get_params(header="Content-Disposition") or []
    name = ""
    plain: str | None = None
    extended: str | None = None
    for key, raw in params[1:]:  # the first is the disposition type itself
        key = key.lower()
        # RFC 2231/5987 values come as (charset, language, text); email undoes the quoting
        text = collapse_rfc2231_value(raw) if isinstance(raw, tuple) else raw
        if key == "name":
            name = text
        elif key == "filename" and isinstance(raw, tuple):
            extended = text
        elif key == "filename":
            plain = text
    return name, extended if extended is not None else plain


class _Buffered:
    def __init__(self, reader: BodyReader) -> None:
        self.reader = reader
        self.buf = b""
        self.eof = False

    def fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.reader.read(_CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True


def parse_multipart(reader: BodyReader, boundary: bytes, new_path: Callable[[], str]) -> Parsed:
    """Parse the whole body; file parts go to files named by ``new_path()``.

    On error every file written so far is removed before the error propagates.
    """
    result = Parsed()
    try:
        _parse(reader, boundary, new_path, result)
    except BaseException:
        for part in result.files.values():
            with contextlib.suppress(OSError):
                os.remove(part.path)
        raise
    return result


def _parse(
    reader: BodyReader, boundary: bytes, new_path: Callable[[], str], result: Parsed
) -> None:
    b = _Buffered(reader)
    first = b"--" + boundary
    delim = b"\r\n--" + boundary
    # preamble up to the first boundary line
    while True:
        idx = b.buf.find(first)
        if idx != -1:
            b.buf = b.buf[idx + len(first) :]
            break
        if len(b.buf) > len(first):
            b.buf = b.buf[-len(first) :]
        if not b.fill():
            raise MultipartError("no multipart boundary found")
    while True:
        while len(b.buf) < 2 and b.fill():
            pass
        if b.buf.startswith(b"--"):
            return  # closing boundary
        if not b.buf.startswith(b"\r\n"):
            raise MultipartError("malformed boundary line")
        b.buf = b.buf[2:]
        while (end := b.buf.find(b"\r\n\r\n")) == -1:
            if len(b.buf) > _MAX_HEADER or not b.fill():
                raise MultipartError("malformed part headers")
        raw_headers = b.buf[:end].decode("utf-8", "replace")
        b.buf = b.buf[end + 4 :]
        headers: dict[str, str] = {}
        for line in raw_headers.split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        name, filename = disposition(headers.get("content-disposition", ""))
        if filename is not None:
            path = new_path()
            size = 0
            md5 = hashlib.md5()
            with open(path, "wb") as fh:
                result.files.setdefault(
                    name, FilePart(name, filename, headers.get("content-type"), path, 0, "")
                )

                def sink(data: bytes, md5: Any = md5, fh: Any = fh) -> None:
                    nonlocal size
                    size += len(data)
                    md5.update(data)
                    fh.write(data)

                _copy_until(b, delim, sink)
            part = result.files[name]
            if part.path == path:
                part.size = size
                part.md5 = md5.hexdigest()
            else:  # a second part with the same name: keep the first, like Spring
                os.remove(path)
        else:
            chunks: list[bytes] = []
            total = 0

            def keep(data: bytes, name: str = name, chunks: list[bytes] = chunks) -> None:
                nonlocal total
                total += len(data)
                if total > _MAX_FIELD:
                    raise MultipartError(f"form field {name!r} too large")
                chunks.append(data)

            _copy_until(b, delim, keep)
            result.fields.setdefault(name, b"".join(chunks).decode("utf-8", "replace"))


def _copy_until(b: _Buffered, delim: bytes, sink: Callable[[bytes], None]) -> None:
    keep = len(delim) - 1
    while True:
        idx = b.buf.find(delim)
        if idx != -1:
            if idx:
                sink(b.buf[:idx])
            b.buf = b.buf[idx + len(delim) :]
            return
        if len(b.buf) > keep:
            sink(b.buf[:-keep])
            b.buf = b.buf[-keep:]
        if not b.fill():
            raise MultipartError("unexpected end of multipart body")
