"""Everything the CLI prints: JSON for scripts, tables for people, progress on stderr.

Every string that reaches the terminal goes through these helpers, and each of them makes
text from a server or a file :func:`~dhis2w._printable.printable` before adding its own
colours: the only escape sequences dhis2w writes are those colours (and the progress line's
own redraw).

Tables are hand-rolled with ``click.style`` (no rich): widths fit the terminal
(``shutil.get_terminal_size``, so ``COLUMNS`` works too), the flexible column is truncated
with an ellipsis, and colour is applied only when :attr:`AppState.color` says so. JSON is
msgspec-encoded ``to_builtins`` of the library's own result, alone on stdout.
"""

from __future__ import annotations

import re
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

import click

from dhis2w._printable import BIDI_CONTROLS, printable

from .state import AppState

ELLIPSIS = "…"

T = TypeVar("T")


# -- JSON -------------------------------------------------------------------------------


#: Characters JSON may carry raw inside a string that a terminal would still act on: DEL,
#: C1 controls (8-bit CSI/OSC) and bidi controls. msgspec escapes C0 already.
_JSON_RAW_UNSAFE = re.compile("[\x7f-\x9f" + BIDI_CONTROLS + "]")


def _json_terminal_safe(text: str) -> str:
    """``text`` (JSON) with raw DEL / C1 / bidi controls written as ``\\uXXXX`` escapes.

    The same JSON value (a parser reads back exactly the server's string), but nothing in it
    acts on a terminal when the JSON is printed to one. These characters can only occur
    inside JSON strings, so a plain substitution is safe.
    """
    if _JSON_RAW_UNSAFE.search(text) is None:
        return text
    return _JSON_RAW_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def json_text(obj: Any, *, indent: int = 2) -> str:
    """Plain JSON (camelCase, as on the wire) of a library result: pretty-printed, or one
    line with ``indent=0``."""
    import msgspec

    from dhis2w.models import to_builtins

    raw = msgspec.json.encode(to_builtins(obj))
    if indent:
        raw = msgspec.json.format(raw, indent=indent)
    return _json_terminal_safe(raw.decode())


def echo_json(obj: Any) -> None:
    """Print ``obj`` as JSON, alone on stdout."""
    click.echo(json_text(obj))


def echo_json_stream(items: Iterable[Any]) -> int:
    """Print every item as one JSON array, or nothing at all if iterating fails.

    A script reading ``--json`` must get one complete document, never half an array that
    does not parse. The array is built in a temporary file (spilled to disk past a few MB,
    so a long ``--all`` does not grow memory with the inbox) and copied to stdout only once
    the last page has arrived. ``--jsonl`` is the streaming alternative.
    """
    import shutil
    import tempfile

    count = 0
    with tempfile.SpooledTemporaryFile(max_size=4 << 20, mode="w+", encoding="utf-8") as buf:
        buf.write("[")
        for item in items:
            body = json_text(item).replace("\n", "\n  ")
            buf.write(("," if count else "") + "\n  " + body)
            count += 1
        buf.write("\n]\n" if count else "]\n")
        buf.seek(0)
        shutil.copyfileobj(buf, sys.stdout)
    sys.stdout.flush()
    return count


def echo_jsonl_stream(items: Iterable[Any]) -> int:
    """Print each item as one compact JSON line as soon as it arrives (``--jsonl``).

    Every line is written whole and flushed, so a reader (``jq``, a pipe) always sees
    complete objects; if a later page fails, the lines already written stand and the exit
    code says the list is incomplete.
    """
    count = 0
    for item in items:
        sys.stdout.write(json_text(item, indent=0) + "\n")
        sys.stdout.flush()
        count += 1
    return count


# -- formatting helpers -----------------------------------------------------------------


def fmt_time(value: datetime | None) -> str:
    """``YYYY-MM-DD HH:MM`` in local time (DHIS2 sends zone-less server time: kept as is)."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone()
    return value.strftime("%Y-%m-%d %H:%M")


def fmt_bytes(n: int | None) -> str:
    if n is None:
        return ""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"  # pragma: no cover


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes (``text`` already made :func:`printable`).

    ``len`` is wrong for exactly the subjects DHIS2 users write (``📢``, ``疟疾``, accents
    typed as combining marks, ``👩‍⚕️``, ``👍🏽``), and a table padded by ``len`` is misaligned.
    ``wcwidth`` measures whole grapheme clusters as terminals draw them.
    """
    if text.isascii():
        return len(text)
    import wcwidth

    return int(wcwidth.width(text))


def _graphemes(text: str) -> Iterator[tuple[str, int]]:
    """Each user-perceived character (an emoji ZWJ sequence is one) with its columns."""
    import wcwidth

    for cluster in wcwidth.iter_graphemes(text):
        yield cluster, int(wcwidth.width(cluster))


def pad(text: str, width: int, align: str = "<") -> str:
    """``text`` padded with spaces to ``width`` terminal columns."""
    fill = " " * max(width - display_width(text), 0)
    return fill + text if align == ">" else text + fill


def one_line(text: str) -> str:
    """Server text as one table line: whitespace runs (newlines too) become one space, and
    anything a terminal would act on is shown as an escape (:func:`printable`)."""
    return printable(" ".join(text.split()))


def truncate(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` terminal columns, marking the cut with an ellipsis.

    The cut falls between grapheme clusters, never inside one: half an emoji ZWJ sequence or
    a letter without its accent would draw as something else. ``text`` holds no escape
    sequence to split (:func:`one_line` made it printable); colours are added afterwards.
    """
    text = one_line(text)  # tables are one line per row
    if display_width(text) <= width:
        return text
    if width <= 0:
        return ""
    budget, used, kept = width - 1, 0, []  # keep one column for the ellipsis
    for cluster, w in _graphemes(text):
        if used + w > budget:
            break
        kept.append(cluster)
        used += w
    # a wide character that did not fit leaves a column over: pad it, never misalign
    return pad("".join(kept) + ELLIPSIS, width)


def styled(state: AppState, text: str, **style: Any) -> str:
    """``text`` (made printable) in our colours, when colour is on."""
    text = printable(text, keep_lines=True)
    return click.style(text, **style) if state.color and style else text


def echo(state: AppState, text: str = "", **style: Any) -> None:
    """Print a line on stdout, made printable, styled only when colour is on."""
    click.echo(styled(state, text, **style), color=state.color)


def echo_parts(state: AppState, *parts: str | Cell) -> None:
    """One line built from plain text and styled :class:`Cell` parts, each made printable
    before its own colour is added (so a part's colour never applies to server bytes raw)."""
    line = "".join(
        styled(state, p.text, **p.style) if isinstance(p, Cell) else printable(p) for p in parts
    )
    click.echo(line, color=state.color)


def emit(
    state: AppState,
    data: T,
    line: str | None = None,
    *,
    show: Callable[[AppState, T], None] | None = None,
) -> None:
    """A command's result: ``data`` as JSON with ``--json``; otherwise ``line`` on stdout, or
    ``show(state, data)`` for a richer view. One place decides, so every command behaves
    the same in both modes."""
    if state.json:
        echo_json(data)
    elif show is not None:
        show(state, data)
    elif line is not None:
        echo(state, line)


def info(message: str) -> None:
    """A note for the person (stderr), which never pollutes stdout for scripts."""
    click.echo(printable(message, keep_lines=True), err=True)


# -- tables -----------------------------------------------------------------------------


class Column:
    """One table column.

    ``flex`` columns share the space left on the line, but keep at least ``min_width``.
    When the line is still too long, columns with a ``shrink`` rank give up width, lowest
    rank first, down to ``floor`` (default: ``min_width``); the others never shrink.
    When even that does not fit, columns with a ``drop`` rank are hidden, lowest rank first,
    rather than cut into something unreadable (a date cut to ``2024-09-1…``). While there is
    still a column to drop, a shrinking column keeps ``keep`` (default: ``floor``) columns.
    """

    __slots__ = (
        "align",
        "drop",
        "flex",
        "floor",
        "header",
        "keep",
        "max_width",
        "min_width",
        "shrink",
    )

    def __init__(
        self,
        header: str,
        max_width: int | None = None,
        flex: bool = False,
        align: str = "<",
        min_width: int = 6,
        shrink: int | None = None,
        floor: int | None = None,
        drop: int | None = None,
        keep: int | None = None,
    ) -> None:
        self.header, self.max_width, self.flex, self.align = header, max_width, flex, align
        self.min_width, self.shrink, self.floor, self.drop = min_width, shrink, floor, drop
        self.keep = keep


class Cell:
    """A table cell: its text and the ``click.style`` keywords to draw it with."""

    __slots__ = ("style", "text")

    def __init__(self, text: str, style: dict[str, Any] | None = None) -> None:
        self.text = one_line(text)
        self.style = style or {}


def _plain(cell: str | Cell) -> Cell:
    return cell if isinstance(cell, Cell) else Cell(cell)


def terminal_width() -> int:
    return shutil.get_terminal_size((100, 24)).columns


def _fit(
    columns: Sequence[Column], naturals: Sequence[int], width: int, gap: int, soft: bool
) -> list[int]:
    """Natural widths capped per column; flex columns fill the line, shrinkable ones fit it."""
    widths = [
        min(n, col.max_width) if col.max_width else n
        for col, n in zip(columns, naturals, strict=True)
    ]
    spacing = gap * (len(columns) - 1)
    flex = [i for i, c in enumerate(columns) if c.flex]
    if flex:
        fixed = sum(w for i, w in enumerate(widths) if i not in flex) + spacing
        room = max(width - fixed, 0) // len(flex)
        for i in flex:
            widths[i] = max(min(widths[i], room), min(columns[i].min_width, widths[i]))
    excess = sum(widths) + spacing - width
    ranked = sorted((c.shrink, i) for i, c in enumerate(columns) if c.shrink is not None)
    for _, i in ranked:
        if excess <= 0:
            break
        floor = columns[i].floor or columns[i].min_width
        keep = columns[i].keep
        if soft and keep:
            floor = max(floor, keep)
        give = min(excess, max(widths[i] - floor, 0))
        widths[i] -= give
        excess -= give
    return widths


def column_widths(
    columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: int, gap: int = 2
) -> list[int]:
    """Each column's width in terminal columns; 0 for a column hidden to fit ``width``."""
    naturals = [
        max([display_width(col.header), *(display_width(r[i].text) for r in rows)])
        for i, col in enumerate(columns)
    ]
    shown = list(range(len(columns)))
    while True:
        droppable = sorted((columns[i].drop, i) for i in shown if columns[i].drop is not None)
        cols, nats = [columns[i] for i in shown], [naturals[i] for i in shown]
        widths = _fit(cols, nats, width, gap, soft=bool(droppable))
        if sum(widths) + gap * (len(shown) - 1) <= width or not droppable:
            break
        shown.remove(droppable[0][1])
    result = [0] * len(columns)
    for i, w in zip(shown, widths, strict=True):
        result[i] = w
    return result


def render_table(
    state: AppState,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str | Cell]],
    width: int | None = None,
) -> list[str]:
    """The table as lines (header first), fitted to ``width`` (default: the terminal)."""
    cells = [[_plain(c) for c in row] for row in rows]
    widths = column_widths(columns, cells, terminal_width() if width is None else width)
    shown = [i for i, w in enumerate(widths) if w > 0]
    lines = []
    header = "  ".join(pad(truncate(columns[i].header, widths[i]), widths[i]) for i in shown)
    lines.append(styled(state, header.rstrip(), bold=True))
    for row in cells:
        parts = [
            styled(
                state,
                pad(truncate(row[i].text, widths[i]), widths[i], columns[i].align),
                **row[i].style,
            )
            for i in shown
        ]
        lines.append("  ".join(parts).rstrip())
    return lines


def hidden_columns(
    columns: Sequence[Column], rows: Sequence[Sequence[str | Cell]], width: int | None = None
) -> list[str]:
    """Headers of the columns :func:`render_table` leaves out to fit ``width``."""
    cells = [[_plain(c) for c in row] for row in rows]
    widths = column_widths(columns, cells, terminal_width() if width is None else width)
    return [c.header for c, w in zip(columns, widths, strict=True) if w == 0]


def echo_table(
    state: AppState, columns: Sequence[Column], rows: Sequence[Sequence[str | Cell]]
) -> None:
    """Print the table; say on stderr which columns a narrow terminal left out."""
    for line in render_table(state, columns, rows):
        click.echo(line, color=state.color)
    hidden = hidden_columns(columns, rows)
    if hidden:
        info(f"(not shown at this width: {', '.join(hidden)}; widen the terminal or use --json)")


def echo_fields(state: AppState, pairs: Iterable[tuple[str, Any]]) -> None:
    """A two-column "key: value" block for one object; empty values are skipped and
    booleans read as yes/no (people, not Python, read this). A value is printed on one
    line, made printable; a :class:`Cell` value keeps its colour."""
    items = [(k, _human(v)) for k, v in pairs]
    items = [(k, v) for k, v in items if v.text != ""]
    if not items:
        return
    key_width = max(len(k) for k, _ in items) + 1
    for key, value in items:
        label = styled(state, f"{key}:".ljust(key_width), bold=True)
        click.echo(f"{label} {styled(state, value.text, **value.style)}", color=state.color)


def _human(value: Any) -> Cell:
    if isinstance(value, Cell):
        return value
    if value is None:
        return Cell("")
    if isinstance(value, bool):
        return Cell("yes" if value else "no")
    return Cell(str(value))


# -- progress ---------------------------------------------------------------------------


class PagerTotal:
    """How many items a ``--all`` listing will show: the first page's pager ``total``, capped
    by ``--limit``. Pass :meth:`seen` as the library's ``on_pager`` callback."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.value: int | None = limit

    def seen(self, pager: Any) -> None:
        if pager is not None:
            self.value = pager.total if self.limit is None else min(pager.total, self.limit)


class Progress:
    """A one-line progress indicator on stderr, drawn only when stderr is a terminal.

    Use as a context manager; call :meth:`count` for items or :meth:`bytes` as the
    library's ``progress(done, total)`` callback. Redraws are throttled to ~10 per second.
    """

    def __init__(self, state: AppState, label: str) -> None:
        self.enabled = state.progress
        self.label = printable(label)  # a file name: made printable like any other text
        self._last = 0.0
        self._drawn = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._drawn:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()

    def _draw(self, text: str, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        self._drawn = True
        sys.stderr.write(f"\r\x1b[K{self.label} {printable(text)}")
        sys.stderr.flush()

    def count(self, n: int, total: int | None = None) -> None:
        """Items so far, and out of how many once the first page's pager said so."""
        self._draw(f"{n:,}" if total is None else f"{n:,} / {total:,}")

    def status(self, text: str) -> None:
        """Show ``text`` now (a slow step, such as the send itself, that has no count)."""
        self._draw(text, force=True)

    def bytes(self, done: int, total: int | None) -> None:
        if total:
            self._draw(
                f"{done * 100 // total}% ({fmt_bytes(done)} of {fmt_bytes(total)})",
                force=done >= total,
            )
        else:
            self._draw(fmt_bytes(done))


def collect_listing(
    state: AppState,
    label: str,
    limit: int | None,
    fetch: Callable[[Callable[[Any], None]], Iterable[Any]],
) -> list[Any] | None:
    """An ``--all`` listing: ``fetch(on_pager)`` streams the items, counted on the progress
    line towards the first page's total. ``--jsonl`` and ``--json`` print them here (and
    ``None`` comes back); otherwise the items come back for a table, the progress line gone.
    """
    with Progress(state, label) as progress:
        total = PagerTotal(limit)
        stream = fetch(total.seen)

        def counted() -> Iterator[Any]:
            for n, item in enumerate(stream, 1):
                progress.count(n, total.value)
                yield item

        if state.jsonl:
            echo_jsonl_stream(counted())
            return None
        if state.json:
            echo_json_stream(counted())
            return None
        return list(counted())
