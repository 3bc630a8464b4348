"""The table, JSON and progress helpers on their own (no server needed)."""

from __future__ import annotations

import io
import sys
from datetime import datetime

import pytest
from dhis2w.cli.output import (
    Cell,
    Column,
    Progress,
    column_widths,
    display_width,
    echo_fields,
    fmt_time,
    hidden_columns,
    render_table,
    truncate,
)
from dhis2w.cli.state import AppState


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


def test_display_width_counts_terminal_columns() -> None:
    assert display_width("Report") == 6
    assert display_width("疟疾报告") == 8  # CJK: two columns each
    assert display_width("📢 notice") == 9
    assert display_width("⚠\ufe0f alert") == 8  # emoji presentation makes ⚠ two wide
    assert display_width("e\u0301quipe") == 6  # combining accent takes no column
    assert display_width(truncate("疟疾病例报告 weekly", 7)) == 7
    assert truncate("疟疾病例报告", 6) == "疟疾… "  # never one column short or over


def test_table_aligns_wide_characters() -> None:
    cols = [Column("subject", flex=True, min_width=10), Column("who")]
    rows = [
        [Cell("📢 疟疾病例报告 weekly summary for the district"), Cell("John")],
        [Cell("Réunion de coordination — équipe"), Cell("Awa")],
        [Cell("plain"), Cell("Isatu")],
    ]
    for width in (30, 60):
        lines = render_table(AppState(), cols, rows, width=width)
        starts = {display_width(line[: line.rindex("  ") + 2]) for line in lines}
        assert len(starts) == 1, lines  # the second column starts at the same place
        assert all(display_width(line) <= width for line in lines)


def test_narrow_table_hides_droppable_columns_instead_of_cutting_them() -> None:
    cols = [
        Column("id", max_width=11),
        Column("subject", flex=True, min_width=24, floor=8, keep=20, shrink=2),
        Column("count", max_width=5, drop=1),
        Column("when", max_width=16, drop=2),
    ]
    rows = [
        [
            Cell("CvStockOut1"),
            Cell("Malaria stock-out at Ngelehun CHC"),
            Cell("3"),
            Cell("2024-09-16 12:05"),
        ]
    ]
    wide = render_table(AppState(), cols, rows, width=80)
    assert "2024-09-16 12:05" in wide[1] and hidden_columns(cols, rows, 80) == []
    narrow = render_table(AppState(), cols, rows, width=40)
    assert all(display_width(line) <= 40 for line in narrow)
    assert "2024-09" not in narrow[1]  # hidden, not cut to "2024-09-1…"
    assert hidden_columns(cols, rows, 40) == ["count", "when"]
    assert narrow[1].startswith("CvStockOut1  Malaria stock-out at Ng")


def test_fields_read_booleans_as_yes_no(capsys: pytest.CaptureFixture[str]) -> None:
    echo_fields(AppState(), [("verify", True), ("external", False), ("code", None), ("n", 3)])
    out = capsys.readouterr().out.splitlines()
    assert [line.split() for line in out] == [["verify:", "yes"], ["external:", "no"], ["n:", "3"]]
