"""The table, JSON and progress helpers on their own (no server needed)."""

from __future__ import annotations

import io
import sys
from datetime import datetime

import pytest
from dhis2w_cli.output import (
    Cell,
    Column,
    Progress,
    column_widths,
    fmt_time,
    render_table,
    truncate,
)
from dhis2w_cli.state import AppState


def test_truncate_marks_the_cut() -> None:
    assert truncate("short", 10) == "short"
    assert truncate("a much longer subject", 8) == "a much …"
    assert truncate("multi\nline", 20) == "multi line"


def test_flex_column_fills_then_shrinkable_columns_give_way() -> None:
    cols = [
        Column("id", max_width=4),
        Column("subject", flex=True, min_width=10, floor=4, shrink=2),
        Column("who", min_width=3, shrink=1),
    ]
    rows = [[Cell("abcd"), Cell("x" * 50), Cell("Somebody Long")]]
    assert column_widths(cols, rows, 80) == [4, 50, 13]
    assert column_widths(cols, rows, 40) == [4, 19, 13]
    assert column_widths(cols, rows, 25) == [4, 10, 7]  # "who" gives way first
    narrow = render_table(AppState(), cols, rows, width=25)
    assert all(len(line) <= 25 for line in narrow)


def test_colour_only_when_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    state = AppState()
    cols, rows = [Column("a")], [[Cell("x", {"fg": "yellow"})]]
    assert "\x1b[" not in "".join(render_table(state, cols, rows, width=20))  # not a TTY
    state.color_flag = True
    assert "\x1b[33mx" in "".join(render_table(state, cols, rows, width=20))
    monkeypatch.setenv("NO_COLOR", "1")
    assert not state.color


def test_progress_draws_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    class TTY(io.StringIO):
        def isatty(self) -> bool:
            return True

    err = TTY()
    monkeypatch.setattr(sys, "stderr", err)
    with Progress(AppState(), "uploading f") as p:
        p.bytes(50, 100)
    assert "uploading f 50%" in err.getvalue() and err.getvalue().endswith("\r\x1b[K")
    plain = io.StringIO()
    monkeypatch.setattr(sys, "stderr", plain)
    with Progress(AppState(), "x") as p:
        p.count(3)
    assert plain.getvalue() == ""


def test_fmt_time() -> None:
    assert fmt_time(datetime(2024, 9, 16, 12, 5, 44)) == "2024-09-16 12:05"
    assert fmt_time(None) == ""
