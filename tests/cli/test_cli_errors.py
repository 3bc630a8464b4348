"""Exit codes for every error class, one ``Error:`` line on stderr, tracebacks only with
``--debug``, and never a secret in the output."""

from __future__ import annotations

from typing import Any

import pytest
from cli_helpers import Dhis2Runner, single_error_line

from dhis2w.emulator import seed as S

UNKNOWN_UID = "AAAAAAAAAAA"  # well-formed, matches nothing


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries still happen, without the real waits (keeps the suite fast)."""
    from dhis2w import _wire

    monkeypatch.setattr(_wire, "retry_delay", lambda *a, **k: 0.0)


# -- 2: usage ---------------------------------------------------------------------------


def test_click_usage_errors_exit_2(dhis2: Dhis2Runner) -> None:
    result = dhis2("messaging", "list", "--bogus", code=2)
    assert "No such option" in result.stderr
    dhis2("messaging", "send", "only a subject", code=2)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("messaging", "get", "not-a-uid"), "not-a-uid"),
        (("messaging", "send", "S", "T", "-u", "nobody-like-this"), "nobody-like-this"),
        (("messaging", "send", "S", "T"), "recipient"),
        (("messaging", "reply", S.CONV_STOCK_OUT.uid, ""), "text"),
        (("-p", "no-such-profile", "system", "me"), "no-such-profile"),
    ],
)
def test_bad_input_exits_2_before_sending(
    dhis2: Dhis2Runner, args: tuple[str, ...], needle: str
) -> None:
    line = single_error_line(dhis2(*args, code=2))
    assert needle in line


# -- 3: authentication ------------------------------------------------------------------


def test_wrong_password_exits_3(dhis2: Dhis2Runner) -> None:
    result = dhis2("messaging", "list", env={"DHIS2_PASSWORD": "wrong-secret"}, code=3)
    line = single_error_line(result)
    assert line.startswith("Error: dhis2w messaging list: ")
    assert "401" in line
    assert "wrong-secret" not in result.output


def test_bad_token_exits_3(dhis2: Dhis2Runner) -> None:
    result = dhis2("system", "me", env={"DHIS2_PAT": "d2pat_nope0000000000000000000000000"}, code=3)
    assert "d2pat_nope" not in result.output


# -- 4: not found -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("messaging", "get", UNKNOWN_UID),
        ("messaging", "reply", UNKNOWN_UID, "hello"),
        ("files", "resources", "get", UNKNOWN_UID),
        ("files", "documents", "get", UNKNOWN_UID),
    ],
)
def test_not_found_exits_4(dhis2: Dhis2Runner, args: tuple[str, ...]) -> None:
    line = single_error_line(dhis2(*args, code=4))
    assert UNKNOWN_UID in line


def test_not_found_without_a_uid_in_dhis2s_message(dhis2: Dhis2Runner) -> None:
    line = single_error_line(dhis2("messaging", "mark-read", UNKNOWN_UID, code=4))
    assert "No MessageConversations found" in line


# -- 1: other API errors ----------------------------------------------------------------


def test_conflict_exits_1_with_dhis2s_message(dhis2: Dhis2Runner) -> None:
    used = S.FILE_STOCK_REPORT.uid  # already attached to a seeded message
    args = ("messaging", "send", "S", "T", "-u", "fatmata", "-a", used)
    line = single_error_line(dhis2(*args, code=1))
    assert line.startswith("Error: dhis2w messaging send: ")
    assert "already used or not a valid attachment" in line


def test_permission_denied_exits_1(user_runner: Any) -> None:
    ibrahim = user_runner("ibrahim")
    line = single_error_line(ibrahim("messaging", "get", S.CONV_SCHEDULER.uid, code=1))
    assert "403" in line


def test_server_error_exits_1(dhis2: Dhis2Runner, dhis2_emulator: Any) -> None:
    dhis2_emulator.faults.fail_next(1, status=500, method="POST")
    line = single_error_line(dhis2("messaging", "send", "S", "T", "-u", S.FATMATA.uid, code=1))
    assert "500" in line


def test_unreachable_server_exits_1(dhis2: Dhis2Runner, no_backoff: None) -> None:
    result = dhis2("system", "me", env={"DHIS2_URL": "http://127.0.0.1:9"}, code=1)
    single_error_line(result)


# -- 5: outcome unknown -----------------------------------------------------------------


def test_lost_response_after_send_found_stored_exits_0_with_the_uid(
    dhis2: Dhis2Runner, dhis2_emulator: Any
) -> None:
    dhis2_emulator.faults.drop_after_commit(1)
    result = dhis2("messaging", "send", "Maybe", "sent?", "-u", S.FATMATA.uid, code=0)
    rows = dhis2_emulator.server.store.query(
        "SELECT uid FROM conversations WHERE subject = 'Maybe'"
    )
    assert [row[0] for row in rows] == [result.stdout.strip()]  # found, stored once


def test_lost_response_that_cannot_be_checked_exits_5(
    dhis2: Dhis2Runner, dhis2_emulator: Any, no_backoff: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dhis2w import _reconcile
    from dhis2w._sync.directory import Directory

    monkeypatch.setattr(_reconcile, "check_delays", lambda timeout: [])  # one check only
    # the recipient is taken as given (no existence check), so the only GETs after the
    # dropped POST are the reconciliation's, and every one of them fails
    monkeypatch.setattr(Directory, "_existing_ids", lambda self, kind, uids: set(uids))
    dhis2_emulator.faults.drop_after_commit(1)
    dhis2_emulator.faults.fail_next(10, status=503, method="GET")  # the check cannot run
    result = dhis2("messaging", "send", "Maybe", "sent?", "-u", S.FATMATA.uid, code=5)
    single_error_line(result)
    assert "could not be asked" in result.stderr


# -- --debug ----------------------------------------------------------------------------


def test_debug_shows_the_traceback(dhis2: Dhis2Runner) -> None:
    result = dhis2("--debug", "messaging", "get", UNKNOWN_UID, code=4)
    assert "Traceback" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith("Error: ")
    assert S.ADMIN.password not in result.output
