"""What a shell script (and a person at a terminal) can rely on: exit codes, a stdout that
always parses, nothing sent twice, and errors that say what to do next."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import UID_RE, Dhis2Runner, error_and_hint, lines
from dhis2w.cli.output import Progress, display_width
from dhis2w.cli.state import AppState
from pty_helpers import TerminalRun

from dhis2w import Client
from dhis2w.emulator import seed as S
from dhis2w.testing import EmulatorHandle

SGR = re.compile(r"\x1b\[[0-9;]*m")


def env_of(dhis2: Dhis2Runner) -> dict[str, str]:
    return {k: v for k, v in dhis2.env.items() if v is not None}


def admin_client(emulator: EmulatorHandle) -> Client:
    return Client(emulator.profile("admin"))


# -- stored but not read back: a success, never a reason to send again ----------------------


@pytest.mark.parametrize(
    "args",
    [
        ("messaging", "send", "Stored anyway", "body", "-u", S.FATMATA.uid),
        ("messaging", "reply", S.CONV_STOCK_OUT.uid, "Stored anyway"),
        ("messaging", "feedback", "Stored anyway", "body"),
    ],
    ids=["send", "reply", "feedback"],
)
def test_stored_but_not_read_back_prints_the_uid_and_exits_0(
    dhis2: Dhis2Runner,
    dhis2_emulator: EmulatorHandle,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
) -> None:
    from dhis2w._sync.messaging import Messaging

    read = Messaging.get_conversation

    def read_back_refused(self: Any, uid: str) -> Any:
        # armed once the write is done, so lookups before it (recipients) are unaffected
        dhis2_emulator.faults.unauthorized_next(1, method="GET")
        return read(self, uid)

    monkeypatch.setattr(Messaging, "get_conversation", read_back_refused)
    result = dhis2(*args)  # exit 0
    uid = result.stdout.strip()
    assert UID_RE.match(uid), result.stdout
    assert "warning:" in result.stderr and "do not send it again" in result.stderr
    monkeypatch.undo()
    with admin_client(dhis2_emulator) as client:  # it really is stored
        texts = [m.text for m in client.messaging.get_conversation(uid).messages]
    monkeypatch.setattr(Messaging, "get_conversation", read_back_refused)
    assert any(t in ("body", "Stored anyway") for t in texts)

    data = dhis2.json(*args)
    assert data["readBack"] is False and UID_RE.match(data["id"])


# -- Ctrl-C -------------------------------------------------------------------------------


def test_ctrl_c_during_a_send_warns_it_may_be_sent_and_exits_130(
    dhis2: Dhis2Runner, dhis2_emulator: EmulatorHandle
) -> None:
    """On a real terminal: ^C typed while the send is on its way to a slow server."""
    dhis2_emulator.faults.latency(5.0)
    run = TerminalRun(
        "messaging", "send", "Slow send", "body", "-u", S.FATMATA.uid, env=env_of(dhis2)
    )
    run.read_until(b"sending the message")
    run.press_ctrl_c()
    assert run.wait() == 130, run.text
    text = " ".join(run.text.split())
    assert "interrupted while sending the message" in text
    assert "may already have been made" in text
    assert "dhis2w messaging list --limit 5" in text  # how to check before sending again
    assert "Traceback" not in text and "Aborted!" not in text


def test_ctrl_c_while_reading_exits_130_without_a_write_warning(
    dhis2: Dhis2Runner, dhis2_emulator: EmulatorHandle
) -> None:
    dhis2_emulator.faults.latency(3.0)
    run = TerminalRun("messaging", "list", "--all", "--page-size", "1", env=env_of(dhis2))
    run.read_until(b"conversations fetched:")  # the first page is in; the next are slow
    run.press_ctrl_c()
    assert run.wait() == 130, run.text
    assert "interrupted" in run.text and "may already" not in run.text


def test_ctrl_c_that_breaks_a_cleanup_is_still_an_interrupt(
    dhis2: Dhis2Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C inside ``threading`` internals can make the cleanup after it fail (CPython:
    ``RuntimeError: cannot release un-acquired lock``, seen on a busy machine). That error
    has the KeyboardInterrupt as its context: it is still the person's Ctrl-C (exit 130),
    not an "unexpected RuntimeError" (exit 1). The race itself cannot be forced, so its
    outcome is raised here as CPython raises it."""
    from dhis2w._sync.messaging import Messaging

    def interrupted_then_cleanup_fails(*_: Any, **__: Any) -> None:
        try:
            raise KeyboardInterrupt
        finally:
            raise RuntimeError("cannot release un-acquired lock")

    monkeypatch.setattr(Messaging, "list_conversations", interrupted_then_cleanup_fails)
    result = dhis2("messaging", "list", code=130)
    assert "interrupted" in result.stderr and "unexpected" not in result.stderr


# -- --json is one document or nothing; --jsonl streams lines -------------------------------


def _fail_after_first_page(monkeypatch: pytest.MonkeyPatch, emulator: EmulatorHandle) -> None:
    """Once the first page has arrived (its pager seen), the next request is refused: the
    listing fails half-way, as when a session ends in the middle of a long --all."""
    from dhis2w.cli import output

    seen = output.PagerTotal.seen

    def then_fail(self: Any, pager: Any) -> None:
        emulator.faults.unauthorized_next(1, method="GET")
        seen(self, pager)

    monkeypatch.setattr(output.PagerTotal, "seen", then_fail)


@pytest.mark.parametrize(
    "command", [("messaging", "list"), ("files", "documents", "list")], ids=["messages", "docs"]
)
def test_json_all_failing_half_way_prints_nothing_and_jsonl_whole_lines(
    dhis2: Dhis2Runner,
    dhis2_emulator: EmulatorHandle,
    monkeypatch: pytest.MonkeyPatch,
    command: tuple[str, ...],
) -> None:
    dhis2_emulator.bulk_create_conversations(30)
    with admin_client(dhis2_emulator) as client:
        for n in range(30):
            client.files.create_external_document(name=f"Doc {n}", url=f"https://x.org/{n}")
    total = len(dhis2.json(*command, "--all"))
    _fail_after_first_page(monkeypatch, dhis2_emulator)
    failed = dhis2("--json", *command, "--all", "--page-size", "5", code=3)
    assert failed.stdout == ""  # not half an array
    streamed = dhis2(*command, "--all", "--page-size", "5", "--jsonl", code=3)
    rows = [json.loads(line) for line in streamed.stdout.splitlines()]
    assert 5 <= len(rows) < total and all(UID_RE.match(r["id"]) for r in rows)
    assert streamed.stdout.endswith("\n")  # the last line is whole


def test_jsonl_streams_every_item_one_per_line(
    dhis2: Dhis2Runner, dhis2_emulator: EmulatorHandle
) -> None:
    dhis2_emulator.bulk_create_conversations(12)
    whole = dhis2.json("messaging", "list", "--all")
    out = dhis2("messaging", "list", "--all", "--page-size", "5", "--jsonl").stdout
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in rows] == [r["id"] for r in whole] and len(rows) > 12
    docs = dhis2("files", "documents", "list", "--all", "--jsonl").stdout.splitlines()
    assert len(docs) == len(dhis2.json("files", "documents", "list", "--all"))
    assert dhis2("files", "documents", "list", "--limit", "1", "--jsonl").stdout.count("\n") == 1


@pytest.mark.parametrize(
    "args",
    [
        ("messaging", "list", "--page", "2", "--all"),
        ("messaging", "list", "--page", "2", "--limit", "5"),
        ("files", "documents", "list", "--page", "2", "--all"),
        ("files", "documents", "list", "--page", "2", "--limit", "5"),
        ("--json", "messaging", "list", "--jsonl"),
    ],
)
def test_contradicting_options_are_a_usage_error(dhis2: Dhis2Runner, args: tuple[str, ...]) -> None:
    result = dhis2(*args, code=2)
    assert result.stdout == "" and "cannot be used" in result.stderr


# -- progress, wrapping ---------------------------------------------------------------------


def test_progress_counts_towards_the_first_pagers_total() -> None:
    class TTY:
        written = ""

        def isatty(self) -> bool:
            return True

        def write(self, text: str) -> None:
            TTY.written += text

        def flush(self) -> None:
            pass

    import sys

    real, sys.stderr = sys.stderr, TTY()  # type: ignore[assignment]
    try:
        with Progress(AppState(), "conversations fetched:") as progress:
            progress.count(1200, 3012)
    finally:
        sys.stderr = real
    assert "conversations fetched: 1,200 / 3,012" in TTY.written


def test_list_all_progress_on_a_terminal_shows_the_total(
    dhis2: Dhis2Runner, dhis2_emulator: EmulatorHandle
) -> None:
    dhis2_emulator.bulk_create_conversations(1200)
    total = dhis2.json("messaging", "list", "--page-size", "1")["pager"]["total"]
    run = TerminalRun("messaging", "list", "--all", "--page-size", "100", env=env_of(dhis2))
    assert run.wait() == 0, run.text[-2000:]
    assert f" / {total:,}" in run.text


def test_get_wraps_the_text_to_the_terminal_width(
    dhis2: Dhis2Runner, dhis2_emulator: EmulatorHandle
) -> None:
    body = "疟疾病例报告" * 12 + " then " + "words that wrap " * 12 + "\nsecond line 👩\u200d⚕️👍🏽"
    uid = dhis2("messaging", "send", "Wrap me", body, "-u", "fatmata").stdout.strip()
    run = TerminalRun("messaging", "get", uid, env=env_of(dhis2), columns=40)
    assert run.wait() == 0, run.text
    shown = [SGR.sub("", ln) for ln in run.text.replace("\r\n", "\n").split("\n")]
    assert all(display_width(ln) <= 40 for ln in shown), [
        (display_width(ln), ln) for ln in shown if display_width(ln) > 40
    ]
    text = "".join(ln.strip() for ln in shown if ln.startswith("   "))
    assert "疟疾病例报告" * 12 in text.replace(" ", "")  # nothing lost in the wrap
    assert any(ln.strip() == "second line 👩\u200d⚕️👍🏽" for ln in shown)


# -- errors that say what to do next ---------------------------------------------------------


def _profiles_file(config: Path, body: str) -> None:
    folder = config / "dhis2"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "profiles.toml"
    path.write_text(body)
    os.chmod(path, 0o600)


def test_a_401_ends_with_a_hint_to_verify_the_profile(
    dhis2: Dhis2Runner, dhis2_emulator: EmulatorHandle, isolated_env: Path, tmp_path: Path
) -> None:
    _profiles_file(
        tmp_path / "config",
        f'[profiles.work]\nbase_url = "{dhis2_emulator.url}"\nauth = "basic"\n'
        'username = "admin"\npassword = "not-the-password"\n',
    )
    bare = Dhis2Runner()
    error, hint = error_and_hint(bare("-p", "work", "system", "me", code=3))
    assert "401" in error
    assert hint == "hint: check the credentials with `dhis2w profile verify work`"
    _, verify_hint = error_and_hint(bare("profile", "verify", "work", code=3))
    assert verify_hint is not None and "dhis2w profile add work" in verify_hint
    _, env_hint = error_and_hint(dhis2("system", "me", env={"DHIS2_PASSWORD": "nope"}, code=3))
    assert env_hint is not None and "DHIS2_PASSWORD" in env_hint


def test_an_unknown_profile_ends_with_a_hint_to_list_them(dhis2: Dhis2Runner) -> None:
    error, hint = error_and_hint(dhis2("-p", "no-such", "system", "me", code=2))
    assert "no-such" in error
    assert hint is not None and "`dhis2w profile list`" in hint


# -- system me -----------------------------------------------------------------------------


def test_system_me_shows_group_and_org_unit_names(dhis2: Dhis2Runner) -> None:
    out = dhis2("system", "me").stdout
    fields = {ln.split(":", 1)[0]: ln.split(":", 1)[1].strip() for ln in lines(out)}
    assert fields["user groups"] == "National HMIS team"
    assert fields["org units"] == "Sierra Leone"
    assert fields["user roles"] == "Superuser"
