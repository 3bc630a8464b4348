"""Text from a server or a file, made safe to show on a terminal.

A DHIS2 subject, message text, user name, file name or error message is data, never terminal
commands: ``ESC ] 0 ; title BEL`` would retitle the window, ``ESC [ 2 J`` clear the screen,
and U+202E (right-to-left override) reorder what the reader sees. :func:`printable` shows
every such character as a visible escape in Python's own notation (``\\x1b``, ``\\u202e``),
so a person sees exactly which bytes the server sent and nothing acts on them.

Pure and dependency-free, so the CLI and the MCP server share it.
"""

from __future__ import annotations

import re

__all__ = ["BIDI_CONTROLS", "printable"]

#: Explicit bidi embeddings/overrides (U+202A..U+202E) and isolates (U+2066..U+2069): the
#: characters "Trojan Source" (CVE-2021-42574) uses to make text read differently than it is.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

# C0 (U+0000..U+001F), DEL, C1 (U+0080..U+009F: 8-bit CSI/OSC on some terminals), the bidi
# controls, and lone surrogates (a file name that is not valid UTF-8, decoded by Python with
# surrogateescape: printing it would raise UnicodeEncodeError instead of showing it).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f" + BIDI_CONTROLS + "\ud800-\udfff]")
_UNSAFE_KEEP_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f" + BIDI_CONTROLS + "\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, keep_lines: bool = False) -> str:
    """``text`` with control, bidi-control and surrogate characters as visible escapes.

    ``keep_lines`` keeps newline and tab (a message body shown as a block); everything else,
    carriage return included (it would let a line overwrite what precedes it), is escaped.
    Text without such characters is returned unchanged (the common case, one regex scan).
    """
    pattern = _UNSAFE_KEEP_LINES if keep_lines else _UNSAFE
    if pattern.search(text) is None:
        return text
    return pattern.sub(_escape, text)
