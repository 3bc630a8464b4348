"""File names that came from a server, made safe to save under.

A server (or a proxy in front of it) chooses the name in ``Content-Disposition`` or in a
file resource's JSON. Before dhis2w writes a file under that name it must not reach another
folder, drive a terminal, hide its real extension or exceed what file systems accept. The
header is read with the standard library's ``email`` parsing (RFC 6266 / RFC 5987).
"""

from __future__ import annotations

import email.message
import email.utils
import re

#: The longest file name most file systems accept, in bytes (ext4, XFS, APFS, NTFS in UTF-16
#: units, which UTF-8 bytes never undercount).
MAX_FILENAME_BYTES = 255

#: Never kept in a file name that came from a server: path separators (a name must not reach
#: another folder), C0/C1 controls (they drive terminals and break scripts), and the bidi
#: controls that make ``cod.exe`` read as ``exe.doc`` (U+200E/F, U+061C, U+202A-E, U+2066-9).
_UNSAFE_NAME_CHARS = re.compile(
    r"[/\\\x00-\x1f\x7f-\x9f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]"
)

#: An extension worth keeping when a name is shortened (``.pdf``, ``.tar.gz``'s ``.gz``).
_EXTENSION = re.compile(r"\.[^.\s]{1,16}$")


def safe_filename(name: str | None) -> str | None:
    """A server's file name made safe to create in a folder, or ``None`` if nothing is left.

    Unsafe characters are removed, then leading dots and surrounding blanks (no hidden files,
    no ``..``); non-ASCII letters stay. A name over 255 UTF-8 bytes is shortened at a
    character boundary, keeping its extension.
    """
    if not name:
        return None
    cleaned = _UNSAFE_NAME_CHARS.sub("", name).strip().lstrip(".").strip()
    if not cleaned:
        return None
    if len(cleaned.encode("utf-8")) <= MAX_FILENAME_BYTES:
        return cleaned
    match = _EXTENSION.search(cleaned)
    extension = match.group(0) if match else ""
    stem = cleaned[: len(cleaned) - len(extension)]
    budget = MAX_FILENAME_BYTES - len(extension.encode("utf-8"))
    return stem.encode("utf-8")[:budget].decode("utf-8", "ignore").rstrip() + extension


def name_was_mangled(name: str | None) -> bool:
    """A header file name whose letters were lost on the way: ``?`` is what a servlet
    container writes for a character ISO-8859-1 cannot hold, U+FFFD what a decoder does."""
    return name is not None and ("?" in name or "\ufffd" in name)


def filename_from_disposition(value: str | None) -> str | None:
    """The file name a ``Content-Disposition`` header gives, made safe (:func:`safe_filename`).

    DHIS2 itself sends ``filename=`` followed by the stored name verbatim, unquoted and
    without a disposition type (``FileResourceUtils.configureFileResourceResponse``), so in
    that shape everything after ``=`` is the name, ``;`` and spaces included. Any other shape
    (a proxy, another server) is parsed with the standard library's RFC 2231 header parser:
    ``filename*`` (RFC 6266 / RFC 5987, ``UTF-8''r%C3%A9sum%C3%A9.pdf``) wins over
    ``filename``, and a quoted name keeps its ``;``.
    """
    if not value:
        return None
    text = value.strip()
    head, _, rest = text.partition("=")
    dhis2_shape = head.strip().lower() == "filename" and not rest.lstrip().startswith('"')
    if dhis2_shape and "filename*" not in text.lower():
        return safe_filename(rest)
    if "=" in text.split(";", 1)[0]:
        text = "attachment; " + text  # parameters only: give the parser a disposition type
    header = email.message.Message()
    try:
        header["Content-Disposition"] = text
        params = header.get_params(header="content-disposition") or []
    except (ValueError, TypeError):  # a header the parser cannot read: no name
        return None
    extended: str | None = None
    plain: str | None = None
    for key, param in params[1:]:
        if key.lower() != "filename":
            continue
        if isinstance(param, tuple):
            try:
                decoded = email.utils.collapse_rfc2231_value(param, errors="strict")
            except UnicodeDecodeError:  # not in the charset it claims: ignore it
                continue
            extended = extended or decoded
        else:
            plain = plain or email.utils.unquote(param)
    return safe_filename(extended or plain)
