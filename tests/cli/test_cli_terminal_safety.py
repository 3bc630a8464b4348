"""Text that came from a server or a file is data, never terminal commands.

A subject ``ESC ] 0 ; PWNED BEL`` would retitle the window, a body with ``ESC [ 2 J`` clear
the screen, U+202E reorder what the reader sees. Every table, view, error and progress line
shows such characters as visible escapes; the only escape sequences dhis2w writes are its
own colours; ``--json`` stays the exact value.
"""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import pytest
import wcwidth
from cli_helpers import UID_RE, Dhis2Runner, lines, single_error_line
from dhis2w.cli.output import Cell, Column, Progress, display_width, render_table, truncate
from dhis2w.cli.state import AppState
from pty_helpers import TerminalRun

from dhis2w._printable import printable

#: Our own colours: SGR sequences only. Anything else starting with ESC is not ours.
SGR = re.compile(r"\x1b\[[0-9;]*m")
TITLE = "\x1b]0;PWNED\x07"
CLEAR = "\x1b[2J"
RLO = "\u202e"
C1_CSI = "\x9b"


def terminal_commands(text: str) -> list[str]:
    """Every character a terminal would act on, once our own colours are taken out."""
    rest = SGR.sub("", text)
    bad = "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
    return re.findall(bad, rest)


# -- the function itself ------------------------------------------------------------------


def test_printable_shows_controls_bidi_and_surrogates_as_escapes() -> None:
    assert printable(TITLE) == "\\x1b]0;PWNED\\x07"
    assert printable(f"a{RLO}b\u2066c\u2069") == "a\\u202eb\\u2066c\\u2069"
    assert printable(f"{C1_CSI}31m\x7f\x00") == "\\x9b31m\\x7f\\x00"
    assert printable("bad\udcffname.csv") == "bad\\udcffname.csv"  # not valid UTF-8 on disk
    assert printable("line 1\nline\t2\r") == "line 1\\x0aline\\x092\\x0d"
    assert printable("line 1\nline\t2\r", keep_lines=True) == "line 1\nline\t2\\x0d"
    kept = "Fatmata Kamara · 疟疾 · مرحبا · 👩\u200d⚕️ · e\u0301"  # ZWJ, marks, RTL letters
    assert printable(kept) == kept
    assert printable(printable(TITLE)) == printable(TITLE)


# -- tables -------------------------------------------------------------------------------


def test_list_shows_hostile_subjects_escaped_and_keeps_every_row(dhis2: Dhis2Runner) -> None:
    hostile = [f"{TITLE}title", f"clear{CLEAR}screen", f"{RLO}txt.exe", f"csi{C1_CSI}2Jx"]
    for subject in hostile:
        dhis2("messaging", "send", subject, "x", "-u", "fatmata")
    expected = dhis2.json("messaging", "list")["pager"]["total"]
    for columns in ("140", "60", "52"):  # wide, and cut in the middle of the escapes
        result = dhis2("--color", "messaging", "list", env={"COLUMNS": columns})
        out = result.stdout
        assert terminal_commands(out) == [], columns
        assert all(display_width(SGR.sub("", line)) <= int(columns) for line in out.splitlines())
        rows = [ln for ln in lines(SGR.sub("", out))[1:-1]]
        assert len(rows) == expected and all(UID_RE.match(r.split()[0]) for r in rows), out
    wide = SGR.sub("", dhis2("--color", "messaging", "list").stdout)
    for shown in ("\\x1b]0;PWNED\\x07title", "clear\\x1b[2Jscreen", "\\u202etxt.exe"):
        assert shown in wide


def test_a_cut_never_splits_an_escape_or_a_grapheme() -> None:
    for width in range(1, 24):
        cut = truncate(f"ab{TITLE}cd 👩\u200d⚕️👍🏽 end", width)
        assert terminal_commands(cut) == []
        assert "\u200d" not in cut or "👩\u200d⚕️" in cut  # a ZWJ sequence stays whole
        assert "🏽" not in cut or "👍🏽" in cut  # a skin tone stays on its emoji
        assert display_width(cut) <= width


def test_widths_are_the_terminal_cells_of_zwj_emoji_and_skin_tones() -> None:
    for text in ("👩\u200d⚕️ nurse", "👍🏽 ok", "疟疾 report", "é plain"):
        assert display_width(text) == wcwidth.width(text)
    assert display_width("👩\u200d⚕️") == 2 and display_width("👍🏽") == 2
    cols = [Column("subject", max_width=12), Column("who", max_width=8)]
    rows = [[Cell("👩\u200d⚕️ nurse"), Cell("Isatu")], [Cell("👍🏽 ok"), Cell("Fatmata")]]
    rows.append([Cell("plain"), Cell("Ibrahim")])
    out = render_table(AppState(), cols, rows, width=40)
    starts = {display_width(line[: line.index(name)]) for line, name in
              zip(out[1:], ("Isatu", "Fatmata", "Ibrahim"), strict=True)}  # fmt: skip
    assert len(starts) == 1, out  # the second column starts at the same cell in every row


# -- views ----------------------------------------------------------------------------------


def test_get_shows_a_hostile_body_escaped_and_keeps_its_lines(dhis2: Dhis2Runner) -> None:
    body = f"first line {CLEAR}\nsecond{TITLE} line\r\nthird {RLO}gnp.exe"
    uid = dhis2("messaging", "send", f"subject {TITLE}", body, "-u", "fatmata").stdout.strip()
    out = dhis2("--color", "messaging", "get", uid).stdout
    assert terminal_commands(out) == []
    plain = SGR.sub("", out)
    assert "first line \\x1b[2J" in plain and "second\\x1b]0;PWNED\\x07 line" in plain
    assert "third \\u202egnp.exe" in plain
    assert plain.startswith("subject \\x1b]0;PWNED\\x07")
    # the message keeps its own three lines (CRLF is a line break, not a lone CR)
    body_lines = [ln.strip() for ln in plain.splitlines() if ln.startswith("   ")]
    assert body_lines[:3] == [
        "first line \\x1b[2J",
        "second\\x1b]0;PWNED\\x07 line",
        "third \\u202egnp.exe",
    ]


def test_json_stays_the_exact_value_without_raw_terminal_commands(dhis2: Dhis2Runner) -> None:
    subject = f"{TITLE}{C1_CSI}2J{RLO}end\x7f"
    uid = dhis2("messaging", "send", subject, "x", "-u", "fatmata").stdout.strip()
    result = dhis2("--json", "messaging", "get", uid)
    assert json.loads(result.stdout)["subject"] == subject  # exactly what the server holds
    assert terminal_commands(result.stdout.replace("\n", " ")) == []
    assert "\\u009b" in result.stdout and "\\u202e" in result.stdout
    assert "\\u007f" in result.stdout


# -- errors, warnings, progress -------------------------------------------------------------


def test_an_error_message_shows_controls_escaped(dhis2: Dhis2Runner) -> None:
    # DHIS2 echoes a bad filter's property in its error message, byte for byte
    result = dhis2("messaging", "list", "--filter", f"no{TITLE}such:eq:1", code=1)
    line = single_error_line(result)
    assert terminal_commands(result.stderr) == []
    assert "no\\x1b]0;PWNED\\x07such" in line
    debug = dhis2("--debug", "messaging", "list", "--filter", f"no{TITLE}such:eq:1", code=1)
    assert "Traceback" in debug.stderr and terminal_commands(debug.stderr) == []
    # a file name Click itself complains about (from a glob, written by someone else)
    usage = dhis2("files", "resources", "upload", f"no{TITLE}such.csv", code=2)
    assert terminal_commands(usage.stderr) == [] and "no\\x1b]0;PWNED" in usage.stderr
    named = dhis2("messaging", "send", "S", "T", "-u", f"no{RLO}body", code=2)
    assert terminal_commands(named.stderr) == [] and "no\\u202ebody" in named.stderr


def test_progress_and_notes_show_a_hostile_file_name_escaped(
    monkeypatch: pytest.MonkeyPatch, dhis2: Dhis2Runner, tmp_path: Path
) -> None:
    class TTY(io.StringIO):
        def isatty(self) -> bool:
            return True

    err = TTY()
    monkeypatch.setattr(sys, "stderr", err)
    with Progress(AppState(), f"uploading {TITLE}.csv") as progress:
        progress.bytes(5, 10)
        progress.status(f"step {RLO}")
    drawn = err.getvalue()
    assert "uploading \\x1b]0;PWNED\\x07.csv" in drawn and "step \\u202e" in drawn
    # the progress line's own redraw (CR, erase line) is the only control it writes
    assert terminal_commands(drawn.replace("\r\x1b[K", "")) == []
    monkeypatch.undo()

    hostile = tmp_path / f"report{RLO}vsc.txt"
    hostile.write_bytes(b"a,b\n")
    sent = dhis2("messaging", "send", "S", "T", "-u", "fatmata", "--attach", str(hostile))
    assert "report\\u202evsc.txt" in sent.stderr and terminal_commands(sent.stderr) == []


def _emulator_env(dhis2: Dhis2Runner) -> dict[str, str]:
    return {k: v for k, v in dhis2.env.items() if v is not None}


def test_a_real_terminal_gets_only_our_colours(dhis2: Dhis2Runner) -> None:
    """Through the console script on a pseudo-terminal: colour on (a TTY), hostile text off."""
    dhis2("messaging", "send", f"{TITLE}{RLO}x", f"body {CLEAR}", "-u", "fatmata")
    run = TerminalRun("messaging", "list", env=_emulator_env(dhis2), columns=60)
    assert run.wait() == 0, run.text
    assert SGR.search(run.text)  # a terminal: our colours are on
    # the terminal's own line discipline turns \n into \r\n: that CR is the terminal's
    assert terminal_commands(run.text.replace("\r\n", "\n")) == []
    assert "\\x1b]0;PWNED\\x07" in SGR.sub("", run.text)
