"""Every MCP tool against the emulator, in-process: success and each error class."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from dhis2w import Profile
from dhis2w.emulator import seed
from dhis2w.mcp import build_server

pytestmark = pytest.mark.anyio

UNKNOWN_UID = "AbCdEfGhIj1"


# --- messaging_list --------------------------------------------------------------------------


async def test_list_returns_conversations_and_pager(mcp_session: Any) -> None:
    async with mcp_session("admin") as s:
        result = await s.ok("messaging_list")
    ids = [c["id"] for c in result["conversations"]]
    assert seed.CONV_STOCK_OUT.uid in ids
    assert seed.CONV_TICKET_DHIS2_LOGIN.uid not in ids  # admin is not a participant
    pager = result["pager"]
    assert pager["page"] == 1
    assert pager["total"] == len(ids)
    stock = next(c for c in result["conversations"] if c["id"] == seed.CONV_STOCK_OUT.uid)
    assert stock["subject"] == seed.CONV_STOCK_OUT.subject
    assert stock["lastSenderName"] == seed.ADMIN.display_name


async def test_list_pages(mcp_session: Any) -> None:
    async with mcp_session("admin") as s:
        everything = await s.ok("messaging_list", page_size=100)
        first = await s.ok("messaging_list", page_size=2)
        second = await s.ok("messaging_list", page_size=2, page=2)
    total = everything["pager"]["total"]
    assert total > 2
    assert first["pager"]["pageCount"] == (total + 1) // 2
    assert second["pager"]["page"] == 2
    paged = [c["id"] for c in first["conversations"] + second["conversations"]]
    assert paged == [c["id"] for c in everything["conversations"]][:4]


async def test_list_filters_and_enums_in_any_case(mcp_session: Any) -> None:
    async with mcp_session("admin") as s:
        system = await s.ok("messaging_list", message_type="system")
        unread = await s.ok("messaging_list", unread=True)
        by_filter = await s.ok("messaging_list", filter=["read:eq:false"])
        followed = await s.ok("messaging_list", follow_up=True)
        search = await s.ok("messaging_list", query="cholera")
    assert system["conversations"]
    assert {c["messageType"] for c in system["conversations"]} == {"SYSTEM"}
    assert seed.CONV_SCHEDULER.uid in {c["id"] for c in system["conversations"]}
    assert unread["conversations"]
    assert all(c["read"] is False for c in unread["conversations"])
    assert {c["id"] for c in by_filter["conversations"]} == {
        c["id"] for c in unread["conversations"]
    }
    assert seed.CONV_LAB_RESULTS.uid in {c["id"] for c in followed["conversations"]}
    assert [c["id"] for c in search["conversations"]] == [seed.CONV_CHOLERA_ALERT.uid]


async def test_list_tickets_by_assignee_username(mcp_session: Any) -> None:
    async with mcp_session("mohamed") as s:
        mine = await s.ok("messaging_list", message_type="TICKET", assignee="mohamed")
        by_uid = await s.ok("messaging_list", filter=[f"assignee.id:eq:{seed.MOHAMED.uid}"])
    assert [c["id"] for c in mine["conversations"]] == [seed.CONV_TICKET_DHIS2_LOGIN.uid]
    assert [c["id"] for c in by_uid["conversations"]] == [seed.CONV_TICKET_DHIS2_LOGIN.uid]


async def test_list_rejects_a_bad_enum_and_page(mcp_session: Any) -> None:
    async with mcp_session() as s:
        error = await s.fails("messaging_list", "invalid_input", message_type="bogus")
        assert "message_type" in error["message"]
        error = await s.fails("messaging_list", "invalid_input", page=0)
        assert "page" in error["message"]


async def test_list_unknown_assignee_is_invalid_input(mcp_session: Any) -> None:
    async with mcp_session() as s:
        error = await s.fails("messaging_list", "invalid_input", assignee="nobody-here")
    assert error["exception"] == "UnknownNameError"
    assert "nobody-here" in error["message"]


# --- messaging_get ---------------------------------------------------------------------------


async def test_get_returns_thread_with_senders_and_attachments(mcp_session: Any) -> None:
    async with mcp_session("admin") as s:
        thread = await s.ok("messaging_get", uid=seed.CONV_STOCK_OUT.uid)
    assert thread["id"] == seed.CONV_STOCK_OUT.uid
    assert thread["subject"] == seed.CONV_STOCK_OUT.subject
    messages = thread["messages"]
    assert [m["id"] for m in messages] == [m.uid for m in seed.CONV_STOCK_OUT.messages]
    assert [m["senderName"] for m in messages] == [
        seed.ADMIN.display_name,
        seed.FATMATA.display_name,
        seed.ADMIN.display_name,
    ]
    assert messages[1]["text"] == seed.CONV_STOCK_OUT.messages[1].text
    attachment = messages[0]["attachments"][0]
    assert attachment["id"] == seed.FILE_STOCK_REPORT.uid
    assert attachment["name"] == seed.FILE_STOCK_REPORT.name


async def test_get_system_message_has_no_sender(mcp_session: Any) -> None:
    async with mcp_session("admin") as s:
        thread = await s.ok("messaging_get", uid=seed.CONV_SCHEDULER.uid)
    assert "sender" not in thread["messages"][0]
    assert "senderName" not in thread["messages"][0]


async def test_get_unknown_is_not_found(mcp_session: Any) -> None:
    async with mcp_session() as s:
        error = await s.fails("messaging_get", "not_found", uid=UNKNOWN_UID)
    assert UNKNOWN_UID in error["message"]
    assert error["exception"] == "NotFoundError"


async def test_get_other_peoples_conversation_is_permission_denied(mcp_session: Any) -> None:
    async with mcp_session("ibrahim") as s:
        error = await s.fails("messaging_get", "permission_denied", uid=seed.CONV_CHOLERA_ALERT.uid)
    assert error["status_code"] == 403
    assert "Not authorized" in error["dhis2_message"]


async def test_get_malformed_uid_is_invalid_input(mcp_session: Any) -> None:
    async with mcp_session() as s:
        await s.fails("messaging_get", "invalid_input", uid="not a uid!")


# --- messaging_send / messaging_reply --------------------------------------------------------


async def test_send_by_names_then_list_and_reply(mcp_session: Any) -> None:
    async with mcp_session("admin") as s:
        sent = await s.ok(
            "messaging_send",
            subject="MCP pilot",
            text="Hello from an agent",
            users=["fatmata", seed.IBRAHIM.uid],
            user_groups=[seed.KENEMA_TEAM.name],
            organisation_units=[seed.CONNAUGHT_HOSPITAL.name],
        )
        uid = sent["id"]
        assert sent["subject"] == "MCP pilot"
        assert sent["messages"][0]["text"] == "Hello from an agent"
        assert sent["messages"][0]["senderName"] == seed.ADMIN.display_name
        replied = await s.ok("messaging_reply", uid=uid, text="and a follow-up")
        assert [m["text"] for m in replied["messages"]] == [
            "Hello from an agent",
            "and a follow-up",
        ]
    async with mcp_session("aminata") as s:  # a member of the Kenema team
        inbox = await s.ok("messaging_list", query="MCP pilot")
        assert [c["id"] for c in inbox["conversations"]] == [uid]
        assert inbox["conversations"][0]["read"] is False
    async with mcp_session("fatmata") as s:
        await s.ok("messaging_get", uid=uid)


async def test_send_unknown_user_is_invalid_input(mcp_session: Any) -> None:
    async with mcp_session() as s:
        error = await s.fails(
            "messaging_send", "invalid_input", subject="s", text="t", users=["no-such-user"]
        )
    assert error["exception"] == "UnknownNameError"
    assert "no-such-user" in error["message"]


async def test_send_without_recipients_is_invalid_input(mcp_session: Any) -> None:
    async with mcp_session() as s:
        await s.fails("messaging_send", "invalid_input", subject="s", text="t")


async def test_send_with_a_used_attachment_is_conflict(mcp_session: Any) -> None:
    async with mcp_session() as s:
        error = await s.fails(
            "messaging_send",
            "conflict",
            subject="s",
            text="t",
            users=["fatmata"],
            attachments=[seed.FILE_STOCK_REPORT.uid],
        )
    assert error["status_code"] == 409
    assert seed.FILE_STOCK_REPORT.uid in error["dhis2_message"]


async def test_reply_unknown_is_not_found(mcp_session: Any) -> None:
    async with mcp_session() as s:
        await s.fails("messaging_reply", "not_found", uid=UNKNOWN_UID, text="hello?")


async def test_reply_to_others_conversation_is_permission_denied(mcp_session: Any) -> None:
    async with mcp_session("ibrahim") as s:
        await s.fails(
            "messaging_reply", "permission_denied", uid=seed.CONV_CHOLERA_ALERT.uid, text="hi"
        )


async def test_internal_reply_by_a_feedback_handler(mcp_session: Any) -> None:
    ticket = seed.CONV_TICKET_DHIS2_LOGIN.uid
    async with mcp_session("mohamed") as s:
        thread = await s.ok("messaging_reply", uid=ticket, text="note to self", internal=True)
        assert thread["messages"][-1]["internal"] is True
    async with mcp_session("ibrahim") as s:
        await s.fails(
            "messaging_reply", "permission_denied", uid=ticket, text="sneaky", internal=True
        )


async def test_reply_with_empty_text_is_invalid_input(mcp_session: Any) -> None:
    async with mcp_session() as s:
        await s.fails("messaging_reply", "invalid_input", uid=seed.CONV_STOCK_OUT.uid, text="")


# --- read state, follow-up, delete, unread count -------------------------------------------


async def test_mark_read_unread_and_unread_count(mcp_session: Any) -> None:
    uid = seed.CONV_IDSR_WEEKLY.uid  # unread for admin
    async with mcp_session("admin") as s:
        before = (await s.ok("messaging_unread_count"))["unread"]
        assert (await s.ok("messaging_mark_read", uids=[uid])) == {"markedRead": [uid]}
        assert (await s.ok("messaging_mark_read", uids=[uid])) == {"markedRead": []}
        assert (await s.ok("messaging_unread_count"))["unread"] == before - 1
        assert (await s.ok("messaging_mark_unread", uids=[uid])) == {"markedUnread": [uid]}
        assert (await s.ok("messaging_unread_count"))["unread"] == before


async def test_unread_count_by_type(mcp_session: Any) -> None:
    async with mcp_session("admin") as s:
        everything = await s.ok("messaging_unread_count")
        system = await s.ok("messaging_unread_count", message_type="system")
        listed = await s.ok("messaging_list", message_type="SYSTEM", unread=True)
    assert system == {"unread": listed["pager"]["total"], "messageType": "SYSTEM"}
    assert 0 < system["unread"] < everything["unread"]


async def test_mark_read_unknown_is_not_found(mcp_session: Any) -> None:
    async with mcp_session() as s:
        await s.fails("messaging_mark_read", "not_found", uids=[UNKNOWN_UID])
        await s.fails("messaging_mark_unread", "not_found", uids=[UNKNOWN_UID])


async def test_mark_read_needs_uids(mcp_session: Any) -> None:
    async with mcp_session() as s:
        await s.fails("messaging_mark_read", "invalid_input", uids=[])
        await s.fails("messaging_mark_read", "invalid_input", uids="")


async def test_single_values_for_list_parameters(mcp_session: Any) -> None:
    uid = seed.CONV_IDSR_WEEKLY.uid
    async with mcp_session("admin") as s:
        assert (await s.ok("messaging_mark_read", uids=uid)) == {"markedRead": [uid]}
        unread = await s.ok("messaging_list", filter="read:eq:false", page_size=100)
        assert uid not in {c["id"] for c in unread["conversations"]}
        sent = await s.ok("messaging_send", subject="one", text="single", users="fatmata")
        assert sent["messages"][0]["text"] == "single"


async def test_follow_up_and_unfollow(mcp_session: Any) -> None:
    uid = seed.CONV_STOCK_OUT.uid
    async with mcp_session("admin") as s:
        flagged = await s.ok("messaging_follow_up", uids=[uid])
        assert flagged == {"followUp": True, "uids": [uid]}
        listed = await s.ok("messaging_list", follow_up=True)
        assert uid in {c["id"] for c in listed["conversations"]}
        unflagged = await s.ok("messaging_unfollow_up", uids=uid)
        assert unflagged == {"followUp": False, "uids": [uid]}
        listed = await s.ok("messaging_list", follow_up=True)
        assert uid not in {c["id"] for c in listed["conversations"]}
        await s.fails("messaging_follow_up", "not_found", uids=[UNKNOWN_UID])


async def test_delete_removes_from_my_inbox_only(mcp_session: Any) -> None:
    uid = seed.CONV_STOCK_OUT.uid
    async with mcp_session("fatmata") as s:
        assert (await s.ok("messaging_delete", uids=[uid])) == {"removed": [uid]}
        inbox = await s.ok("messaging_list", page_size=100)
        assert uid not in {c["id"] for c in inbox["conversations"]}
    async with mcp_session("admin") as s:
        inbox = await s.ok("messaging_list", page_size=100)
        assert uid in {c["id"] for c in inbox["conversations"]}


async def test_delete_unknown_is_not_found(mcp_session: Any) -> None:
    async with mcp_session() as s:
        await s.fails("messaging_delete", "not_found", uids=[UNKNOWN_UID])


# --- tickets: priority, status, assign, recipients -------------------------------------------


async def test_ticket_workflow(mcp_session: Any) -> None:
    ticket = seed.CONV_TICKET_DHIS2_LOGIN.uid
    async with mcp_session("mohamed") as s:
        assert await s.ok("messaging_set_priority", uid=ticket, priority="medium") == {
            "id": ticket,
            "priority": "MEDIUM",
        }
        assert await s.ok("messaging_set_status", uid=ticket, status="SOLVED") == {
            "id": ticket,
            "status": "SOLVED",
        }
        assert await s.ok("messaging_assign", uid=ticket, user="fatmata") == {
            "id": ticket,
            "assignee": seed.FATMATA.uid,
        }
        thread = await s.ok("messaging_get", uid=ticket)
        assert thread["priority"] == "MEDIUM"
        assert thread["status"] == "SOLVED"
        assert thread["assignee"]["id"] == seed.FATMATA.uid
        assert await s.ok("messaging_unassign", uid=ticket) == {"id": ticket}
        thread = await s.ok("messaging_get", uid=ticket)
        assert "assignee" not in thread


async def test_ticket_errors(mcp_session: Any) -> None:
    ticket = seed.CONV_TICKET_DHIS2_LOGIN.uid
    async with mcp_session("mohamed") as s:
        # Only members of the feedback recipient group can be assigned a ticket.
        error = await s.fails("messaging_assign", "conflict", uid=ticket, user="ibrahim")
        assert "feedback" in error["dhis2_message"]
        await s.fails("messaging_assign", "invalid_input", uid=ticket, user="no-such-user")
        await s.fails("messaging_set_priority", "not_found", uid=UNKNOWN_UID, priority="HIGH")
        await s.fails("messaging_set_status", "not_found", uid=UNKNOWN_UID, status="OPEN")
        await s.fails("messaging_set_status", "invalid_input", uid=ticket, status="DONE")
    async with mcp_session("emmanuel") as s:  # not a participant, not a feedback handler
        await s.fails("messaging_set_priority", "permission_denied", uid=ticket, priority="LOW")
        await s.fails("messaging_set_status", "permission_denied", uid=ticket, status="OPEN")


async def test_add_recipients_by_name(mcp_session: Any) -> None:
    uid = seed.CONV_STOCK_OUT.uid
    async with mcp_session("admin") as s:
        added = await s.ok(
            "messaging_add_recipients",
            uid=uid,
            users=["aminata"],
            user_groups=[seed.NATIONAL_HMIS_TEAM.name],
        )
    assert added == {
        "id": uid,
        "users": [seed.AMINATA.uid],
        "userGroups": [seed.NATIONAL_HMIS_TEAM.uid],
        "organisationUnits": [],
    }
    async with mcp_session("aminata") as s:
        thread = await s.ok("messaging_get", uid=uid)
    assert thread["subject"] == seed.CONV_STOCK_OUT.subject


async def test_add_recipients_errors(mcp_session: Any) -> None:
    async with mcp_session("admin") as s:
        await s.fails("messaging_add_recipients", "not_found", uid=UNKNOWN_UID, users=["fatmata"])
        await s.fails(
            "messaging_add_recipients",
            "invalid_input",
            uid=seed.CONV_STOCK_OUT.uid,
            user_groups=["No such group"],
        )
    async with mcp_session("emmanuel") as s:
        await s.fails(
            "messaging_add_recipients",
            "permission_denied",
            uid=seed.CONV_STOCK_OUT.uid,
            users=["emmanuel"],
        )


# --- files -----------------------------------------------------------------------------------


async def test_upload_get_and_attach(mcp_session: Any, tmp_path: Path) -> None:
    report = tmp_path / "week38.csv"
    report.write_text("facility,cases\nNgelehun CHC,3\n", encoding="utf-8")
    async with mcp_session("admin") as s:
        uploaded = await s.ok("files_resource_upload", path=str(report))
        assert uploaded["name"] == "week38.csv"
        assert uploaded["domain"] == "MESSAGE_ATTACHMENT"
        assert uploaded["storageStatus"] == "STORED"
        assert uploaded["contentLength"] == report.stat().st_size
        fetched = await s.ok("files_resource_get", uid=uploaded["id"])
        assert fetched["id"] == uploaded["id"]
        assert fetched["assigned"] is False
        sent = await s.ok(
            "messaging_send",
            subject="Week 38",
            text="attached",
            users=["fatmata"],
            attachments=[uploaded["id"]],
        )
        attachment = sent["messages"][0]["attachments"][0]
        assert (attachment["id"], attachment["name"]) == (uploaded["id"], "week38.csv")
        assert (await s.ok("files_resource_get", uid=uploaded["id"]))["assigned"] is True


async def test_upload_with_another_domain(mcp_session: Any, tmp_path: Path) -> None:
    doc = tmp_path / "sop.txt"
    doc.write_text("steps", encoding="utf-8")
    async with mcp_session() as s:
        uploaded = await s.ok("files_resource_upload", path=str(doc), domain="document")
    assert uploaded["domain"] == "DOCUMENT"


async def test_file_errors(mcp_session: Any, tmp_path: Path) -> None:
    async with mcp_session() as s:
        await s.fails("files_resource_get", "not_found", uid=UNKNOWN_UID)
        error = await s.fails(
            "files_resource_upload", "invalid_input", path=str(tmp_path / "missing.csv")
        )
        assert "missing.csv" in error["message"]
        empty = tmp_path / "empty.txt"
        empty.write_bytes(b"")
        await s.fails("files_resource_upload", "invalid_input", path=str(empty))
        script = tmp_path / "payload.exe"
        script.write_bytes(b"MZ not really a program")
        error = await s.fails("files_resource_upload", "conflict", path=str(script))
        assert error["status_code"] == 409


# --- authentication, profiles, secrets --------------------------------------------------------


async def test_bad_credentials_are_an_authentication_error_without_secrets(
    dhis2_emulator: Any, connect_server: Any
) -> None:
    password = "not-the-Password-42"
    profile = Profile(base_url=dhis2_emulator.url, username="admin", password=password)
    async with connect_server(build_server(profile)) as s:
        result = await s.call("messaging_list")
        error = await s.fails("messaging_unread_count", "authentication")
    assert error["status_code"] == 401
    assert result.is_error
    dumped = result.model_dump_json()
    assert password not in dumped
    assert password not in str(error)


async def test_bad_token_is_an_authentication_error(
    dhis2_emulator: Any, connect_server: Any
) -> None:
    token = "d2pat_notARealToken0000000000000000000000"
    profile = Profile(base_url=dhis2_emulator.url, token=token)
    async with connect_server(build_server(profile)) as s:
        error = await s.fails("messaging_get", "authentication", uid=seed.CONV_STOCK_OUT.uid)
    assert token not in str(error)


def _write_profiles(directory: Path, url: str) -> None:
    (directory / ".dhis2").mkdir()
    (directory / ".dhis2" / "profiles.toml").write_text(
        f'default = "hq"\n\n'
        f'[profiles.hq]\nbase_url = "{url}"\nauth = "basic"\n'
        f'username = "admin"\npassword = "district"\n\n'
        f'[profiles.bo]\nbase_url = "{url}"\nauth = "pat"\ntoken = "{seed.FATMATA.token}"\n',
        encoding="utf-8",
    )
    (directory / ".dhis2" / "profiles.toml").chmod(0o600)  # as `dhis2w profile add` writes it


async def test_profile_per_call_and_default_from_files(
    dhis2_emulator: Any,
    connect_server: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _write_profiles(tmp_path, dhis2_emulator.url)
    monkeypatch.chdir(tmp_path)
    # default: the project file's "hq"; "bo" only because it is allowed
    async with connect_server(build_server(allow_profiles=["bo", "gone"])) as s:
        own_by_name = await s.ok("messaging_unread_count", profile="hq")  # before any other
        admin_inbox = await s.ok("messaging_list", page_size=100)
        fatmata_inbox = await s.ok("messaging_list", page_size=100, profile="bo")
        again = await s.ok("messaging_list", page_size=100)
        own = await s.ok("messaging_list", page_size=100, profile="hq")  # its own, by name
        await s.fails("messaging_list", "profile", profile="gone")  # allowed, not configured
    admin_ids = {c["id"] for c in admin_inbox["conversations"]}
    fatmata_ids = {c["id"] for c in fatmata_inbox["conversations"]}
    assert seed.CONV_SCHEDULER.uid in admin_ids - fatmata_ids
    assert seed.CONV_TICKET_DHIS2_LOGIN.uid in fatmata_ids - admin_ids
    assert {c["id"] for c in again["conversations"]} == admin_ids
    assert {c["id"] for c in own["conversations"]} == admin_ids
    assert own_by_name["unread"] >= 0


async def test_a_profile_not_allowed_is_refused_without_naming_others(
    dhis2_emulator: Any,
    connect_server: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A prompt-injected call naming another (production) profile is refused: with no
    --allow-profile, and with one that does not name it; the refusal lists no profile."""
    _write_profiles(tmp_path, dhis2_emulator.url)
    monkeypatch.chdir(tmp_path)
    for allowed in (None, ["other"]):
        async with connect_server(build_server(allow_profiles=allowed)) as s:
            for tool, arguments in (
                ("messaging_list", {}),
                ("messaging_send", {"subject": "Injected", "text": "t", "users": "admin"}),
                ("messaging_get", {"uid": seed.CONV_STOCK_OUT.uid}),
            ):
                error = await s.fails(tool, "profile_not_allowed", profile="bo", **arguments)
                assert "'bo'" in error["message"]
                assert "hq" not in str(error) and "other" not in str(error)
                assert "--allow-profile" in error["hint"]
    async with connect_server(build_server()) as s:
        listed = await s.ok("messaging_list", query="Injected")
    assert listed["conversations"] == []  # nothing was sent through the refused call


async def test_default_profile_from_environment(
    dhis2_emulator: Any, connect_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DHIS2_URL", dhis2_emulator.url)
    monkeypatch.setenv("DHIS2_PAT", seed.MOHAMED.token)
    async with connect_server(build_server()) as s:
        tickets = await s.ok("messaging_list", message_type="TICKET")
    assert seed.CONV_TICKET_DHIS2_LOGIN.uid in {c["id"] for c in tickets["conversations"]}


async def test_no_profile_configured_is_a_profile_error(connect_server: Any) -> None:
    async with connect_server(build_server()) as s:
        error = await s.fails("messaging_unread_count", "profile")
    assert error["exception"] == "ProfileError"


async def test_server_errors_are_reported(dhis2_emulator: Any, mcp_session: Any) -> None:
    # A POST is not retried after the server answered, so one injected 500 is enough.
    async with mcp_session() as s:
        dhis2_emulator.faults.fail_next(1, status=500)
        error = await s.fails(
            "messaging_reply", "server_error", uid=seed.CONV_STOCK_OUT.uid, text="hello"
        )
    assert error["status_code"] == 500


async def test_lost_answer_to_a_send_is_found_and_returned(
    dhis2_emulator: Any, mcp_session: Any
) -> None:
    async with mcp_session() as s:
        dhis2_emulator.faults.drop_after_commit(1)
        # the client looks for what it sent (reconciliation) and returns it, once
        sent = await s.ok("messaging_send", subject="lost", text="t", users="fatmata")
        found = await s.ok("messaging_list", query="lost")
    assert [c["id"] for c in found["conversations"]] == [sent["id"]]


async def test_stored_send_not_read_back_tells_the_agent_not_to_resend(
    dhis2_emulator: Any, mcp_session: Any
) -> None:
    async with mcp_session() as s:
        # Once a UID is known to exist it is not checked again, so below no directory lookup
        # uses up the faults first.
        await s.ok("messaging_send", subject="first", text="t", users=seed.FATMATA.uid)
        # the POST goes through; the read-back GET fails beyond its 3 retries
        dhis2_emulator.faults.fail_next(4, status=503, method="GET")
        error = await s.fails(
            "messaging_send", "sent_not_read_back", subject="stored", text="t",
            users=seed.FATMATA.uid,
        )  # fmt: skip
        assert "do not send it again" in error["hint"]
        found = await s.ok("messaging_list", query="stored")
    assert len(found["conversations"]) == 1
    assert found["conversations"][0]["id"] in error["message"]


async def test_upload_only_from_allowed_folders(
    mcp_session: Any, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # An agent must not be able to send arbitrary local files (secrets) to a DHIS2 server.
    outside = tmp_path_factory.mktemp("outside") / "secret.txt"
    outside.write_text("password=district", encoding="utf-8")
    hidden = tmp_path / ".dhis2" / "profiles.toml"
    hidden.parent.mkdir()
    hidden.write_text('password = "district"', encoding="utf-8")
    (tmp_path / "escape.txt").symlink_to(outside)
    (tmp_path / "ok.csv").write_text("a,b\n", encoding="utf-8")
    async with mcp_session() as s:
        for path in (str(outside), str(hidden), str(tmp_path / "escape.txt"), "/etc/passwd"):
            error = await s.fails("files_resource_upload", "invalid_input", path=path)
            assert "refusing to upload" in error["message"]
        # a relative path is taken from the allowed folder
        uploaded = await s.ok("files_resource_upload", path="ok.csv")
    assert uploaded["name"] == "ok.csv"


def test_upload_dirs_none_by_default_then_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dhis2w.mcp import UPLOAD_DIRS_ENV
    from dhis2w.mcp.config import upload_roots

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(UPLOAD_DIRS_ENV, raising=False)
    assert upload_roots(None) == ()  # never the working directory
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.setenv(UPLOAD_DIRS_ENV, f"{tmp_path}{os.pathsep}{other}")
    assert upload_roots(None) == (tmp_path.resolve(), other.resolve())


@pytest.mark.parametrize("folder", ["/", "~", "HOME_PARENT", "MISSING"])
def test_unsafe_upload_folders_refused_at_start(
    folder: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dhis2w.mcp import McpConfigError

    home = tmp_path / "home" / "me"
    home.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    given = {"HOME_PARENT": str(home.parent), "MISSING": str(tmp_path / "nope")}.get(folder, folder)
    reason = {"/": "filesystem root", "MISSING": "not an existing folder"}.get(folder, "home")
    with pytest.raises(McpConfigError, match=reason):
        build_server(upload_dirs=[given])
