"""``dhis2w messaging watch`` as a cron job: --once with a --cursor-file prints each new
message exactly once across runs; --jsonl for scripts; server text made harmless."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import ANSI_RE, Dhis2Runner, lines, single_error_line


@pytest.fixture
def fatmata(user_runner: Any) -> Dhis2Runner:
    runner: Dhis2Runner = user_runner("fatmata")
    return runner


def test_cron_runs_print_each_new_message_once(
    dhis2: Dhis2Runner, fatmata: Dhis2Runner, tmp_path: Path
) -> None:
    (tmp_path / "state").mkdir()
    cursor = tmp_path / "state" / "inbox.cursor"
    first = dhis2("messaging", "watch", "--once", "--cursor-file", str(cursor))
    assert first.stdout == ""  # the first run only notes where the inbox stands
    assert cursor.read_text().startswith("dw1.")

    fatmata("messaging", "send", "Cold chain", "Fridge at 9 degrees\nplease check", "-u", "admin")
    second = dhis2("messaging", "watch", "--once", "--cursor-file", str(cursor))
    [line] = lines(second.stdout)
    assert "Cold chain: Fridge at 9 degrees please check" in line
    assert "[PRIVATE]" in line and "Fatmata" in line
    assert ANSI_RE.search(line) is None  # not a terminal: no colour

    third = dhis2("messaging", "watch", "--once", "--cursor-file", str(cursor))
    assert third.stdout == ""  # nothing twice
    assert [p.name for p in cursor.parent.iterdir()] == ["inbox.cursor"]  # no temp files left


def test_jsonl_is_one_event_object_per_line(
    dhis2: Dhis2Runner, fatmata: Dhis2Runner, tmp_path: Path
) -> None:
    cursor = tmp_path / "c"
    dhis2("messaging", "watch", "--once", "--cursor-file", str(cursor))
    fatmata("messaging", "send", "One", "first", "-u", "admin")
    fatmata("messaging", "send", "Two", "second", "-u", "admin")
    result = dhis2("messaging", "watch", "--once", "--jsonl", "--cursor-file", str(cursor))
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["conversation"]["subject"] for e in events] == ["One", "Two"]
    assert [[m["text"] for m in e["messages"]] for e in events] == [["first"], ["second"]]
    assert all(e["cursor"].startswith("dw1.") for e in events)
    again = dhis2("messaging", "watch", "--once", "--jsonl", "--cursor-file", str(cursor))
    assert again.stdout == ""


def test_filters_apply(fatmata: Dhis2Runner, user_runner: Any, tmp_path: Path) -> None:
    # fatmata handles feedback; she watches tickets only
    ibrahim = user_runner("ibrahim")
    cursor = tmp_path / "c"
    watch = ("messaging", "watch", "--once", "--type", "ticket", "--cursor-file", str(cursor))
    fatmata(*watch)
    ibrahim("messaging", "send", "Private one", "p", "-u", "fatmata")
    ibrahim("messaging", "feedback", "A ticket", "t")
    [line] = lines(fatmata(*watch).stdout)
    assert "[TICKET]" in line and "A ticket: t" in line


def test_server_text_cannot_drive_the_terminal(
    dhis2: Dhis2Runner, fatmata: Dhis2Runner, tmp_path: Path
) -> None:
    cursor = tmp_path / "c"
    dhis2("messaging", "watch", "--once", "--cursor-file", str(cursor))
    fatmata("messaging", "send", "Esc\x1b[2J", "red \x1b[31m rtl \u202e end", "-u", "admin")
    result = dhis2("messaging", "watch", "--once", "--cursor-file", str(cursor))
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert "\\x1b[31m" in result.stdout and "\\u202e" in result.stdout


def test_a_damaged_cursor_file_is_a_usage_error(dhis2: Dhis2Runner, tmp_path: Path) -> None:
    cursor = tmp_path / "c"
    cursor.write_text("not a cursor\n")
    result = dhis2("messaging", "watch", "--once", "--cursor-file", str(cursor), code=2)
    assert "cursor" in single_error_line(result)
    assert cursor.read_text() == "not a cursor\n"  # left as it was


def test_bad_interval_is_a_usage_error(dhis2: Dhis2Runner) -> None:
    dhis2("messaging", "watch", "--interval", "0", code=2)


def test_ctrl_c_stops_with_130_and_keeps_the_cursor(
    dhis2: Dhis2Runner, fatmata: Dhis2Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dhis2w._sync import watching

    cursor = tmp_path / "c"
    dhis2("messaging", "watch", "--once", "--cursor-file", str(cursor))
    fatmata("messaging", "send", "Before Ctrl-C", "seen", "-u", "admin")

    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt  # Ctrl-C while waiting for the next poll

    monkeypatch.setattr(watching, "sleep", interrupted)
    result = dhis2("messaging", "watch", "--cursor-file", str(cursor), code=130)
    assert "Before Ctrl-C: seen" in result.stdout
    again = dhis2("messaging", "watch", "--once", "--cursor-file", str(cursor))
    assert again.stdout == ""  # the event's cursor was kept: nothing repeats


def test_retry_warnings_show_server_text_printable(capsys: pytest.CaptureFixture[str]) -> None:
    """A retried read error quotes the server's message: escapes in it are shown, not run."""
    import logging

    from dhis2w.cli.watch import _warnings_on_stderr

    handler = _warnings_on_stderr()
    try:
        logging.getLogger("dhis2w.watch").warning("HTTP 503: \x1b]0;PWNED\x07 \u202eevil")
    finally:
        logging.getLogger("dhis2w.watch").removeHandler(handler)
    err = capsys.readouterr().err
    assert err.startswith("dhis2w: warning: HTTP 503:")
    assert "\x1b" not in err and "\u202e" not in err
    assert "\\x1b]0;PWNED\\x07" in err and "\\u202e" in err
