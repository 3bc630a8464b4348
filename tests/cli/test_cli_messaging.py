"""``dhis2w messaging ...`` against the emulator, in table and in JSON mode."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cli_helpers import ANSI_RE, UID_RE, Dhis2Runner, lines

from dhis2w.emulator import seed as S

ADMIN_INBOX = {
    c.uid for c in S.CONVERSATIONS if S.ADMIN.uid in c.participants
}  # what admin sees listed
ADMIN_UNREAD = {
    c.uid for c in S.CONVERSATIONS if c.participants.get(S.ADMIN.uid, (True, False))[0] is False
}


# -- list -------------------------------------------------------------------------------


def test_list_table_has_the_columns_rows_and_pager_footer(dhis2: Dhis2Runner) -> None:
    out = dhis2("messaging", "list").stdout
    header, *rows, footer = lines(out)
    for column in ("id", "read", "type", "subject", "last sender", "messages", "last message"):
        assert column in header
    assert {row.split()[0] for row in rows} == ADMIN_INBOX
    assert footer == f"page 1 of 1, total {len(ADMIN_INBOX)}"
    assert not ANSI_RE.search(out), "no colour when stdout is not a terminal"
    stock = next(r for r in rows if r.startswith(S.CONV_STOCK_OUT.uid))
    assert "Malaria stock-out at Ngelehun CHC" in stock
    assert "John Traore" in stock  # the last sender's real name, not a UID
    assert "2024-09-16 12:05" in stock
    assert " yes " in stock and "PRIVATE" in stock


def test_list_newest_first(dhis2: Dhis2Runner) -> None:
    data = dhis2.json("messaging", "list")
    stamps = [c["lastMessage"] for c in data["messageConversations"]]
    assert stamps == sorted(stamps, reverse=True)


def test_list_json_is_the_page(dhis2: Dhis2Runner) -> None:
    data = dhis2.json("messaging", "list")
    assert set(data) >= {"messageConversations", "pager"}
    assert data["pager"]["total"] == len(ADMIN_INBOX)
    assert {c["id"] for c in data["messageConversations"]} == ADMIN_INBOX


def test_json_flag_after_the_command(dhis2: Dhis2Runner) -> None:
    import json

    out = dhis2("messaging", "list", "--json").stdout
    assert json.loads(out)["pager"]["total"] == len(ADMIN_INBOX)


def test_list_filters(dhis2: Dhis2Runner) -> None:
    unread = dhis2.json("messaging", "list", "--unread")["messageConversations"]
    assert {c["id"] for c in unread} == ADMIN_UNREAD
    by_filter = dhis2.json("messaging", "list", "--filter", "read:eq:false")
    assert {c["id"] for c in by_filter["messageConversations"]} == ADMIN_UNREAD
    system = dhis2.json("messaging", "list", "--type", "system")["messageConversations"]
    assert {c["id"] for c in system} == {S.CONV_SCHEDULER.uid, S.CONV_DATA_APPROVAL.uid}
    follow = dhis2.json("messaging", "list", "--follow-up")["messageConversations"]
    assert {c["id"] for c in follow} == {S.CONV_LAB_RESULTS.uid}
    found = dhis2.json("messaging", "list", "--query", "cholera")["messageConversations"]
    assert S.CONV_CHOLERA_ALERT.uid in {c["id"] for c in found}


def test_list_paging(dhis2: Dhis2Runner) -> None:
    out = dhis2("messaging", "list", "--page", "2", "--page-size", "3").stdout
    pages = -(-len(ADMIN_INBOX) // 3)
    assert lines(out)[-1] == f"page 2 of {pages}, total {len(ADMIN_INBOX)}"
    assert len(lines(out)) == 1 + 3 + 1


def test_list_all_streams_every_page(dhis2: Dhis2Runner) -> None:
    every = dhis2.json("messaging", "list", "--all", "--page-size", "3")
    assert isinstance(every, list)
    assert {c["id"] for c in every} == ADMIN_INBOX
    limited = dhis2.json("messaging", "list", "--limit", "2")
    assert len(limited) == 2
    table = dhis2("messaging", "list", "--all", "--page-size", "2").stdout
    assert lines(table)[-1] == f"total {len(ADMIN_INBOX)}"
    empty = dhis2.json("messaging", "list", "--all", "--query", "no-such-thing-anywhere")
    assert empty == []


def test_list_colour_on_and_off(dhis2: Dhis2Runner) -> None:
    coloured = dhis2("--color", "messaging", "list").stdout
    scheduler = next(line for line in coloured.splitlines() if S.CONV_SCHEDULER.uid in line)
    assert "\x1b[33m" in scheduler and "\x1b[1m" in scheduler  # unread: bold yellow
    assert "\x1b[35mSYSTEM" in scheduler or "\x1b[35m\x1b[1mSYSTEM" in scheduler.replace(
        "\x1b[1m\x1b[35m", "\x1b[35m\x1b[1m"
    )
    stock = next(line for line in coloured.splitlines() if S.CONV_STOCK_OUT.uid in line)
    assert "\x1b[34mPRIVATE" in stock  # read PRIVATE: blue, and no yellow
    assert "\x1b[33m" not in stock
    assert not ANSI_RE.search(dhis2("--no-color", "messaging", "list").stdout)
    assert not ANSI_RE.search(dhis2("messaging", "list").stdout)  # not a terminal
    no_color = dhis2("--color", "messaging", "list", env={"NO_COLOR": "1"}).stdout
    assert not ANSI_RE.search(no_color)


def test_list_fits_a_narrow_terminal(dhis2: Dhis2Runner) -> None:
    out = dhis2("messaging", "list", env={"COLUMNS": "90"}).stdout
    assert all(len(line) <= 90 for line in out.splitlines())
    assert "…" in out  # long subjects are cut with an ellipsis


def test_list_at_60_columns_with_unicode_subjects_stays_aligned(dhis2: Dhis2Runner) -> None:
    from dhis2w.cli.output import display_width

    dhis2("messaging", "send", "📢 疟疾病例报告 weekly summary", "x", "-u", "fatmata")
    result = dhis2("messaging", "list", env={"COLUMNS": "60"})
    header, *rows, _footer = lines(result.stdout)
    assert all(display_width(line) <= 60 for line in result.stdout.splitlines())
    sender_at = display_width(header[: header.index("last sen")])
    for row in rows:  # every "last sender" cell starts under its header
        named = [n for n in ("John Tr", "Fatmata", "Isatu", "Aminata") if n in row]
        if named:
            assert display_width(row[: row.index(named[0])]) == sender_at, row
    assert all(UID_RE.match(row.split()[0]) for row in rows)  # ids are never cut
    assert "not shown at this width: messages, last message" in result.stderr


# -- get, unread-count -------------------------------------------------------------------


def test_get_shows_header_participants_and_thread(dhis2: Dhis2Runner) -> None:
    out = dhis2("messaging", "get", S.CONV_STOCK_OUT.uid).stdout
    assert out.startswith("Malaria stock-out at Ngelehun CHC")
    for needle in (
        "type:",
        "PRIVATE",
        "participants:",
        "Fatmata Kamara",
        "Ibrahim Sesay (ibrahim): unread",
        "The district store can release 200 packs",
        "ngelehun_stock_2024-09.csv",
        S.FILE_STOCK_REPORT.uid,
        "2024-09-16 08:15",
    ):
        assert needle in out, needle


def test_get_json(dhis2: Dhis2Runner) -> None:
    data = dhis2.json("messaging", "get", S.CONV_STOCK_OUT.uid)
    assert data["id"] == S.CONV_STOCK_OUT.uid
    assert [m["id"] for m in data["messages"]] == [m.uid for m in S.CONV_STOCK_OUT.messages]


def test_unread_count(dhis2: Dhis2Runner) -> None:
    assert dhis2("messaging", "unread-count").stdout.strip() == str(len(ADMIN_UNREAD))
    assert dhis2.json("messaging", "unread-count") == len(ADMIN_UNREAD)
    assert dhis2.json("messaging", "unread-count", "--type", "SYSTEM") == 1


# -- send, reply, feedback ---------------------------------------------------------------


def test_send_by_username_prints_the_uid(dhis2: Dhis2Runner, user_runner) -> None:  # type: ignore[no-untyped-def]
    out = dhis2("messaging", "send", "Hello", "first message", "--user", "fatmata")
    uid = out.stdout.strip()
    assert UID_RE.match(uid), out.stdout
    assert "sent 'Hello'" in out.stderr
    inbox = user_runner("fatmata").json("messaging", "list")["messageConversations"]
    assert uid in {c["id"] for c in inbox}


def test_send_to_group_org_unit_and_uid(dhis2: Dhis2Runner) -> None:
    data = dhis2.json(
        "messaging",
        "send",
        "Team note",
        "for the Bo team",
        "-g",
        S.BO_TEAM.name,
        "--ou",
        S.KENEMA_GOVERNMENT_HOSPITAL.code,
        "-u",
        S.MOHAMED.uid,
    )
    who = {um["user"]["id"] for um in data["userMessages"]}
    assert {*S.BO_TEAM.members, S.MOHAMED.uid} <= who
    assert data["messageType"] == "PRIVATE"


def test_send_to_a_uid_shaped_username(
    dhis2: Dhis2Runner, dhis2_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--user fatmatakama``: 11 letters, a UID's shape, but a username (the library's
    ``client.directory`` looks it up by name once no user has it as a UID)."""
    from dataclasses import replace

    kama = replace(S.FATMATA, uid="KamaUser001", username="fatmatakama", code="FKAMA")
    monkeypatch.setitem(
        S.WORLDS, "uid-shaped", replace(S.DEMO_WORLD, users=(*S.DEMO_WORLD.users, kama))
    )
    dhis2_emulator.reset("uid-shaped")
    data = dhis2.json("messaging", "send", "Hi", "to Kama", "--user", "fatmatakama")
    assert "KamaUser001" in {um["user"]["id"] for um in data["userMessages"]}
    unknown = dhis2("messaging", "send", "Hi", "t", "--user", "fatmatakam2", code=2)
    assert "no user with id, username or displayName 'fatmatakam2'" in unknown.stderr


def test_send_text_from_stdin(dhis2: Dhis2Runner) -> None:
    body = "line one\nline two — ünïcode ✔\n"
    uid = dhis2("messaging", "send", "Piped", "-", "-u", "ibrahim", input=body).stdout.strip()
    data = dhis2.json("messaging", "get", uid)
    assert data["messages"][0]["text"] == body.rstrip("\n")


def test_blank_text_is_refused_before_anything_is_uploaded(
    dhis2: Dhis2Runner, tmp_path: Path
) -> None:
    plan = tmp_path / "plan.pdf"
    plan.write_bytes(b"%PDF-1.4 plan")
    args = ("--debug", "messaging", "send", "Plan", "-", "-u", "fatmata", "--attach", str(plan))
    result = dhis2(*args, input="", code=2)
    assert "text is empty (standard input was empty)" in result.stderr
    assert "fileResources" not in result.stderr and "uploaded" not in result.stderr
    blank = dhis2("--debug", "messaging", "send", " ", "t", "-u", "fatmata", code=2)
    assert "subject is empty" in blank.stderr and "/api/" not in blank.stderr
    reply = dhis2("messaging", "reply", S.CONV_STOCK_OUT.uid, "-", input="\n\n", code=2)
    assert "text is empty" in reply.stderr


def test_bad_uids_are_refused_before_anything_is_uploaded(
    dhis2: Dhis2Runner, tmp_path: Path
) -> None:
    plan = tmp_path / "plan.pdf"
    plan.write_bytes(b"%PDF-1.4 plan")
    reply = dhis2("--debug", "messaging", "reply", "BADUID", "t", "--attach", str(plan), code=2)
    assert "conversation 'BADUID' is not a DHIS2 UID" in reply.stderr
    assert "fileResources" not in reply.stderr and "uploaded" not in reply.stderr
    args = ("--debug", "messaging", "send", "Plan", "t", "-u", "fatmata", "-a", "nope")
    send = dhis2(*args, "--attach", str(plan), code=2)
    assert "attachment 'nope' is not a DHIS2 UID" in send.stderr
    assert "fileResources" not in send.stderr


def test_send_with_attach_uploads_and_attaches(dhis2: Dhis2Runner, tmp_path: Path) -> None:
    plan = tmp_path / "plan.txt"
    plan.write_bytes(b"the plan\n")
    uid = dhis2("messaging", "send", "Plan", "see file", "-u", "fatmata", "--attach", str(plan))
    conv = dhis2.json("messaging", "get", uid.stdout.strip())
    (att,) = conv["messages"][0]["attachments"]
    assert att["name"] == "plan.txt"


def test_reply_and_reply_from_stdin(dhis2: Dhis2Runner) -> None:
    out = dhis2("messaging", "reply", S.CONV_STOCK_OUT.uid, "thanks — reviewed").stdout
    assert out.startswith(f"replied to {S.CONV_STOCK_OUT.uid}")
    data = dhis2.json("messaging", "reply", S.CONV_STOCK_OUT.uid, "-", input="from a pipe\n")
    assert data["messages"][-1]["text"] == "from a pipe"
    assert data["messageCount"] == len(S.CONV_STOCK_OUT.messages) + 2


def test_reply_internal_with_attachment(user_runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mohamed = user_runner("mohamed")
    note = tmp_path / "note.txt"
    note.write_bytes(b"internal details")
    fr = mohamed("files", "resources", "upload", str(note), "--domain", "message_attachment")
    data = mohamed.json(
        "messaging",
        "reply",
        S.CONV_TICKET_DHIS2_LOGIN.uid,
        "checked the logs",
        "--internal",
        "--attachment",
        fr.stdout.strip(),
    )
    last = data["messages"][-1]
    assert last["internal"] is True
    assert last["attachments"][0]["id"] == fr.stdout.strip()


def test_feedback_creates_a_ticket(dhis2: Dhis2Runner, user_runner) -> None:  # type: ignore[no-untyped-def]
    uid = dhis2("messaging", "feedback", "App crash", "It crashed.").stdout.strip()
    assert UID_RE.match(uid)
    conv = user_runner("mohamed").json("messaging", "get", uid)
    assert conv["messageType"] == "TICKET"
    assert conv["status"] == "OPEN"


# -- per-user state ----------------------------------------------------------------------


def test_mark_read_and_unread_report_what_changed(dhis2: Dhis2Runner) -> None:
    unread, read = S.CONV_IDSR_WEEKLY.uid, S.CONV_STOCK_OUT.uid
    out = dhis2("messaging", "mark-read", unread, read).stdout
    assert f"{unread}  marked read" in out
    assert f"{read}  unchanged" in out
    assert set(dhis2.json("messaging", "mark-unread", unread, read)) == {unread, read}


def test_mark_unread_json_lists_changed(dhis2: Dhis2Runner) -> None:
    changed = dhis2.json("messaging", "mark-unread", S.CONV_STOCK_OUT.uid, S.CONV_SCHEDULER.uid)
    assert changed == [S.CONV_STOCK_OUT.uid]


def test_delete_removes_from_my_inbox_only(dhis2: Dhis2Runner, user_runner) -> None:  # type: ignore[no-untyped-def]
    out = dhis2("messaging", "delete", S.CONV_IMMUNISATION.uid).stdout
    assert f"{S.CONV_IMMUNISATION.uid}  removed from your inbox" in out
    mine = {c["id"] for c in dhis2.json("messaging", "list")["messageConversations"]}
    assert S.CONV_IMMUNISATION.uid not in mine
    theirs = user_runner("fatmata").json("messaging", "list")["messageConversations"]
    assert S.CONV_IMMUNISATION.uid in {c["id"] for c in theirs}
    again = dhis2.json("messaging", "delete", S.CONV_IMMUNISATION.uid, S.CONV_SCHEDULER.uid)
    assert again == [S.CONV_SCHEDULER.uid]


def test_follow_up_and_unfollow_up(dhis2: Dhis2Runner) -> None:
    out = dhis2("messaging", "follow-up", S.CONV_SCHEDULER.uid).stdout
    assert "marked for follow-up" in out
    follow = dhis2.json("messaging", "list", "--follow-up")["messageConversations"]
    assert S.CONV_SCHEDULER.uid in {c["id"] for c in follow}
    assert dhis2.json("messaging", "unfollow-up", S.CONV_SCHEDULER.uid) == [S.CONV_SCHEDULER.uid]
    follow = dhis2.json("messaging", "list", "--follow-up")["messageConversations"]
    assert S.CONV_SCHEDULER.uid not in {c["id"] for c in follow}


# -- ticket workflow and recipients ------------------------------------------------------


def test_ticket_workflow(user_runner) -> None:  # type: ignore[no-untyped-def]
    mohamed = user_runner("mohamed")
    ticket = S.CONV_TICKET_DHIS2_LOGIN.uid
    assert "priority LOW" in mohamed("messaging", "set-priority", ticket, "low").stdout
    assert mohamed.json("messaging", "set-status", ticket, "Solved") == {
        "id": ticket,
        "status": "SOLVED",
    }
    out = mohamed("messaging", "assign", ticket, "fatmata").stdout
    assert f"assigned to fatmata ({S.FATMATA.uid})" in out
    data = mohamed.json("messaging", "get", ticket)
    assert (data["priority"], data["status"]) == ("LOW", "SOLVED")
    assert data["assignee"]["id"] == S.FATMATA.uid
    assert "Fatmata Kamara" in mohamed("messaging", "get", ticket).stdout
    assert "unassigned" in mohamed("messaging", "unassign", ticket).stdout
    assert mohamed.json("messaging", "get", ticket).get("assignee") is None


def test_list_ticket_filters(user_runner) -> None:  # type: ignore[no-untyped-def]
    mohamed = user_runner("mohamed")
    tickets = mohamed.json("messaging", "list", "--type", "ticket", "--status", "open")
    assert [c["id"] for c in tickets["messageConversations"]] == [S.CONV_TICKET_DHIS2_LOGIN.uid]
    high = mohamed.json("messaging", "list", "--priority", "HIGH", "--assignee", "mohamed")
    assert [c["id"] for c in high["messageConversations"]] == [S.CONV_TICKET_DHIS2_LOGIN.uid]


def test_add_recipients(dhis2: Dhis2Runner, user_runner) -> None:  # type: ignore[no-untyped-def]
    out = dhis2("messaging", "add-recipients", S.CONV_SCHEDULER.uid, "-u", "emmanuel").stdout
    assert "added 1 recipient" in out
    theirs = user_runner("emmanuel").json("messaging", "list")["messageConversations"]
    assert S.CONV_SCHEDULER.uid in {c["id"] for c in theirs}
    data = dhis2.json("messaging", "add-recipients", S.CONV_SCHEDULER.uid, "-g", S.KENEMA_TEAM.name)
    assert data == {
        "id": S.CONV_SCHEDULER.uid,
        "users": [],
        "userGroups": [S.KENEMA_TEAM.uid],
        "organisationUnits": [],
    }


# -- attachments -------------------------------------------------------------------------


def test_attachment_download_to_its_name_a_path_and_stdout(
    dhis2: Dhis2Runner, isolated_env: Path, tmp_path: Path
) -> None:
    conv, msg = S.CONV_STOCK_OUT.uid, S.CONV_STOCK_OUT.messages[0].uid
    fr = S.FILE_STOCK_REPORT
    out = dhis2("messaging", "attachment", "download", conv, msg, fr.uid)
    assert out.stdout.strip() == fr.name
    assert (isolated_env / fr.name).read_bytes() == fr.content
    dest = tmp_path / "copy.csv"
    data = dhis2.json("messaging", "attachment", "download", conv, msg, fr.uid, str(dest))
    assert data == {"path": str(dest), "bytes": len(fr.content)}
    assert dest.read_bytes() == fr.content
    piped = dhis2("messaging", "attachment", "download", conv, msg, fr.uid, "-")
    assert piped.stdout_bytes == fr.content
