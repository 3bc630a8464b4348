"""Everything the CLI prints: JSON for scripts, tables for people, progress on stderr.

Tables are hand-rolled with ``click.style`` (no rich): widths fit the terminal
(``shutil.get_terminal_size``, so ``COLUMNS`` works too), the flexible column is truncated
with an ellipsis, and colour is applied only when :attr:`AppState.color` says so. JSON is
msgspec-encoded ``to_builtins`` of the library's own result, alone on stdout.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import click

from .state import AppState

ELLIPSIS = "…"


# -- JSON -------------------------------------------------------------------------------


def json_bytes(obj: Any) -> bytes:
    """Plain JSON (camelCase, as on the wire) of a library result, pretty-printed."""
    import msgspec

    from dhis2w.models import to_builtins

    return msgspec.json.format(msgspec.json.encode(to_builtins(obj)), indent=2)


def echo_json(obj: Any) -> None:
    """Print ``obj`` as JSON, alone on stdout."""
    click.echo(json_bytes(obj).decode())


def echo_json_stream(items: Iterable[Any]) -> int:
    """Print a JSON array one element at a time, so ``--all`` never holds every page."""
    out = sys.stdout
    count = 0
    out.write("[")
    for item in items:
        body = json_bytes(item).decode().replace("\n", "\n  ")
        out.write(("," if count else "") + "\n  " + body)
        count += 1
    out.write("\n]\n" if count else "]\n")
    out.flush()
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


def truncate(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` characters, marking the cut with an ellipsis."""
    text = " ".join(text.split())  # tables are one line per row
    if len(text) <= width:
        return text
    if width <= 1:
        return text[:width]
    return text[: width - 1] + ELLIPSIS


def styled(state: AppState, text: str, **style: Any) -> str:
    return click.style(text, **style) if state.color and style else text


def echo(state: AppState, text: str = "", **style: Any) -> None:
    """Print a line on stdout, styled only when colour is on."""
    click.echo(styled(state, text, **style), color=state.color)


def info(message: str) -> None:
    """A note for the person (stderr), which never pollutes stdout for scripts."""
    click.echo(message, err=True)


# -- tables -----------------------------------------------------------------------------


class Column:
    """One table column.

    ``flex`` columns share the space left on the line, but keep at least ``min_width``.
    When the line is still too long, columns with a ``shrink`` rank give up width, lowest
    rank first, down to ``floor`` (default: ``min_width``); the others never shrink.
    """

    __slots__ = ("align", "flex", "floor", "header", "max_width", "min_width", "shrink")

    def __init__(
        self,
        header: str,
        max_width: int | None = None,
        flex: bool = False,
        align: str = "<",
        min_width: int = 6,
        shrink: int | None = None,
        floor: int | None = None,
    ) -> None:
        self.header, self.max_width, self.flex, self.align = header, max_width, flex, align
        self.min_width, self.shrink, self.floor = min_width, shrink, floor


class Cell:
    """A table cell: its text and the ``click.style`` keywords to draw it with."""

    __slots__ = ("style", "text")

    def __init__(self, text: str, style: dict[str, Any] | None = None) -> None:
        self.text = text
        self.style = style or {}


def _plain(cell: str | Cell) -> Cell:
    return cell if isinstance(cell, Cell) else Cell(cell)


def terminal_width() -> int:
    return shutil.get_terminal_size((100, 24)).columns


def column_widths(
    columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: int, gap: int = 2
) -> list[int]:
    """Natural widths capped per column; flex columns fill the line, shrinkable ones fit it."""
    widths = []
    for i, col in enumerate(columns):
        natural = max([len(col.header), *(len(" ".join(r[i].text.split())) for r in rows)])
        widths.append(min(natural, col.max_width) if col.max_width else natural)
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
        give = min(excess, max(widths[i] - floor, 0))
        widths[i] -= give
        excess -= give
    return widths


def render_table(
    state: AppState,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str | Cell]],
    width: int | None = None,
) -> list[str]:
    """The table as lines (header first), fitted to ``width`` (default: the terminal)."""
    cells = [[_plain(c) for c in row] for row in rows]
    widths = column_widths(columns, cells, terminal_width() if width is None else width)
    lines = []
    header = "  ".join(
        f"{truncate(c.header, w):{c.align}{w}}" for c, w in zip(columns, widths, strict=True)
    )
    lines.append(styled(state, header.rstrip(), bold=True))
    for row in cells:
        parts = []
        for col, w, cell in zip(columns, widths, row, strict=True):
            parts.append(styled(state, f"{truncate(cell.text, w):{col.align}{w}}", **cell.style))
        lines.append("  ".join(parts).rstrip())
    return lines


def echo_table(
    state: AppState, columns: Sequence[Column], rows: Sequence[Sequence[str | Cell]]
) -> None:
    for line in render_table(state, columns, rows):
        click.echo(line, color=state.color)


def echo_fields(state: AppState, pairs: Iterable[tuple[str, Any]]) -> None:
    """A two-column "key: value" block for one object; empty values are skipped."""
    items = [(k, "" if v is None else str(v)) for k, v in pairs]
    items = [(k, v) for k, v in items if v != ""]
    if not items:
        return
    pad = max(len(k) for k, _ in items) + 1
    for key, value in items:
        click.echo(f"{styled(state, f'{key}:'.ljust(pad), bold=True)} {value}", color=state.color)


# -- progress ---------------------------------------------------------------------------


class Progress:
    """A one-line progress indicator on stderr, drawn only when stderr is a terminal.

    Use as a context manager; call :meth:`count` for items or :meth:`bytes` as the
    library's ``progress(done, total)`` callback. Redraws are throttled to ~10 per second.
    """

    def __init__(self, state: AppState, label: str) -> None:
        self.enabled = state.progress
        self.label = label
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
        sys.stderr.write(f"\r\x1b[K{self.label} {text}")
        sys.stderr.flush()

    def count(self, n: int) -> None:
        self._draw(f"{n}")

    def bytes(self, done: int, total: int | None) -> None:
        if total:
            self._draw(
                f"{done * 100 // total}% ({fmt_bytes(done)} of {fmt_bytes(total)})",
                force=done >= total,
            )
        else:
            self._draw(fmt_bytes(done))
