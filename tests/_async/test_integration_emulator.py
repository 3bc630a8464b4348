"""End to end against the running emulator over loopback (dhis2w.testing fixtures)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dhis2w import (
    AsyncClient,
    ExternalDocumentError,
    FileResourceDomain,
    MessageType,
    NotFoundError,
    Priority,
    Status,
    StorageStatus,
    UnknownNameError,
)
from dhis2w.testing import EmulatorHandle

pytestmark = pytest.mark.anyio


def as_user(emulator: EmulatorHandle, username: str) -> AsyncClient:
    return AsyncClient(emulator.profile(username), backoff_base=0.0, storage_poll_interval=0.01)


async def test_me_and_info(dhis2_async_client: AsyncClient) -> None:
    me = await dhis2_async_client.system.me()
    assert me.username == "admin" and me.is_superuser
    info = await dhis2_async_client.system.info()
    assert info.version_tuple[:2] == (2, 42)


async def test_token_auth(dhis2_emulator: EmulatorHandle) -> None:
    async with AsyncClient(dhis2_emulator.profile("fatmata", token=True)) as client:
        assert (await client.system.me()).username == "fatmata"


async def test_send_with_attachment_reply_and_read_state(
    dhis2_emulator: EmulatorHandle, tmp_path: Path
) -> None:
    fatmata = dhis2_emulator.user("fatmata").uid
    async with as_user(dhis2_emulator, "admin") as admin:
        upload = await admin.files.upload_file_resource(
            b"week,cases\n1,3\n",
            filename="cases.csv",
            domain=FileResourceDomain.MESSAGE_ATTACHMENT,
        )
        assert upload.storage_status is StorageStatus.STORED
        sent = await admin.messaging.send(
            subject="Cases this week",
            text="See attached.",
            users=[fatmata],
            attachments=[upload.id],
        )
        assert sent.subject == "Cases this week"
        first = sent.messages[0]
        assert first.text == "See attached."
        assert [a.id for a in first.attachments] == [upload.id]
        data = await admin.messaging.download_attachment(sent.id, first.id, upload.id)
        assert data == b"week,cases\n1,3\n"
        written = await admin.messaging.download_attachment(sent.id, first.id, upload.id, tmp_path)
        assert isinstance(written, Path) and written.name == "cases.csv"

    text = '{"looks": "like json"} 🎉\r\nمرحبا'
    async with as_user(dhis2_emulator, "fatmata") as client:
        unread = await client.messaging.list_conversations(unread=True)
        assert sent.id in [c.id for c in unread.conversations]
        before = await client.messaging.unread_count()
        assert before >= 1
        assert await client.messaging.mark_read(sent.id) == [sent.id]
        assert await client.messaging.unread_count() == before - 1
        replied = await client.messaging.reply(sent.id, text=text)
        assert replied.messages[-1].text == text

    async with as_user(dhis2_emulator, "admin") as admin:
        thread = await admin.messaging.get_conversation(sent.id)
        assert thread.messages[-1].text == text
        assert thread.read is False  # fatmata's reply made it unread for admin
        assert await admin.messaging.mark_unread([sent.id]) == []
        assert await admin.messaging.mark_read([sent.id]) == [sent.id]


async def test_soft_delete_seen_from_both_sides(dhis2_emulator: EmulatorHandle) -> None:
    fatmata = dhis2_emulator.user("fatmata").uid
    async with as_user(dhis2_emulator, "admin") as admin:
        sent = await admin.messaging.send(subject="Bye", text="t", users=[fatmata])
        assert await admin.messaging.delete_conversation(sent.id) == [sent.id]
        listed = [c.id async for c in admin.messaging.iter_conversations()]
        assert sent.id not in listed
    async with as_user(dhis2_emulator, "fatmata") as client:
        still = await client.messaging.get_conversation(sent.id)
        assert still.id == sent.id  # the other participant keeps it


async def test_bulk_delete_and_follow_up(dhis2_emulator: EmulatorHandle) -> None:
    fatmata = dhis2_emulator.user("fatmata").uid
    async with as_user(dhis2_emulator, "admin") as admin:
        a = await admin.messaging.send(subject="A", text="t", users=[fatmata])
        b = await admin.messaging.send(subject="B", text="t", users=[fatmata])
        assert set(await admin.messaging.follow_up([a.id, b.id])) == {a.id, b.id}
        flagged = await admin.messaging.list_conversations(follow_up=True)
        assert {a.id, b.id} <= {c.id for c in flagged.conversations}
        assert set(await admin.messaging.unfollow_up([a.id, b.id])) == {a.id, b.id}
        assert set(await admin.messaging.delete_conversation([a.id, b.id])) == {a.id, b.id}


async def test_tickets_and_feedback(dhis2_emulator: EmulatorHandle) -> None:
    async with as_user(dhis2_emulator, "ibrahim") as reporter:
        ticket = await reporter.messaging.send_feedback(subject="Login bug", text="It fails")
    assert ticket.message_type is MessageType.TICKET
    assert ticket.status is Status.OPEN
    fatmata = dhis2_emulator.user("fatmata").uid
    async with as_user(dhis2_emulator, "fatmata") as handler:
        await handler.messaging.set_priority(ticket.id, "high")
        await handler.messaging.set_status(ticket.id, Status.PENDING)
        await handler.messaging.assign(ticket.id, fatmata)
        got = await handler.messaging.get_conversation(ticket.id)
        assert got.priority is Priority.HIGH and got.status is Status.PENDING
        assert got.assignee is not None and got.assignee.id == fatmata
        await handler.messaging.reply(ticket.id, text="internal note", internal=True)
        await handler.messaging.unassign(ticket.id)
        assert (await handler.messaging.get_conversation(ticket.id)).assignee is None
        tickets = await handler.messaging.list_conversations(message_type="ticket")
        assert ticket.id in [c.id for c in tickets.conversations]


async def test_unread_count_agrees_with_the_unread_list(dhis2_emulator: EmulatorHandle) -> None:
    """The dashboard count (no type) and the filtered list's total (with a type) count the
    same conversations, before and after a change of read state."""
    for username in ("admin", "fatmata", "ibrahim", "isatu"):
        async with as_user(dhis2_emulator, username) as client:
            listed = await client.messaging.list_conversations(unread=True, page_size=1)
            assert listed.pager is not None
            assert await client.messaging.unread_count() == listed.pager.total
            by_type = 0
            for kind in ("PRIVATE", "SYSTEM", "VALIDATION_RESULT", "TICKET"):
                by_type += await client.messaging.unread_count(kind)
            assert by_type == listed.pager.total
            if listed.conversations:
                await client.messaging.mark_read(listed.conversations[0].id)
                assert await client.messaging.unread_count() == listed.pager.total - 1


async def test_add_recipients(dhis2_emulator: EmulatorHandle) -> None:
    fatmata = dhis2_emulator.user("fatmata").uid
    async with as_user(dhis2_emulator, "admin") as admin:
        sent = await admin.messaging.send(subject="Team", text="t", users=[fatmata])
        group = (await admin.directory.resolve_user_groups("Kenema district health team"))[0]
        await admin.messaging.add_recipients(sent.id, user_groups=[group])
    async with as_user(dhis2_emulator, "aminata") as aminata:
        assert (await aminata.messaging.get_conversation(sent.id)).id == sent.id


async def test_iter_conversations_over_500(dhis2_emulator: EmulatorHandle) -> None:
    created = dhis2_emulator.bulk_create_conversations(520, recipients=["fatmata"])
    async with as_user(dhis2_emulator, "fatmata") as client:
        seen = [c.id async for c in client.messaging.iter_conversations(page_size=100)]
        assert len(seen) == len(set(seen))
        assert set(created) <= set(seen)
        limited = [c.id async for c in client.messaging.iter_conversations(limit=7)]
        assert len(limited) == 7


async def test_unknown_conversation(dhis2_async_client: AsyncClient) -> None:
    with pytest.raises(NotFoundError):
        await dhis2_async_client.messaging.get_conversation("Xbcdefghij1")


async def test_file_resources_and_documents(
    dhis2_async_client: AsyncClient, tmp_path: Path
) -> None:
    source = tmp_path / "sop.txt"
    source.write_bytes(b"Standard operating procedure\n" * 100)
    resource = await dhis2_async_client.files.upload_file_resource(source, domain="DOCUMENT")
    assert resource.storage_status is StorageStatus.STORED
    fetched = await dhis2_async_client.files.get_file_resource(resource.id)
    assert fetched.name == "sop.txt"
    document = await dhis2_async_client.files.upload_document(source, name="SOP v2")
    assert document.name == "SOP v2"
    page = await dhis2_async_client.files.list_documents()
    assert document.id in [d.id for d in page.documents]
    target = tmp_path / "copy.txt"
    assert await dhis2_async_client.files.download_document(document.id, target) == target
    assert target.read_bytes() == source.read_bytes()
    link = await dhis2_async_client.files.create_external_document(
        name="WHO", url="https://www.who.int/"
    )
    assert (await dhis2_async_client.files.get_document(link.id)).external is True
    with pytest.raises(ExternalDocumentError) as external:
        await dhis2_async_client.files.download_document(link.id, tmp_path)
    assert external.value.url == "https://www.who.int/"
    await dhis2_async_client.files.delete_document(link.id)
    with pytest.raises(NotFoundError):
        await dhis2_async_client.files.get_document(link.id)


async def test_directory(dhis2_async_client: AsyncClient, dhis2_emulator: EmulatorHandle) -> None:
    directory = dhis2_async_client.directory
    assert await directory.resolve_users(["fatmata"]) == [dhis2_emulator.user("fatmata").uid]
    assert await directory.resolve_users(["Fatmata Kamara"]) == [dhis2_emulator.user("fatmata").uid]
    assert await directory.resolve_user_groups(["Bo district health team"]) == ["BoTeamGrp01"]
    assert await directory.resolve_user_groups("BO_DHMT") == ["BoTeamGrp01"]
    assert await directory.resolve_organisation_units(["OU_264"]) == ["O6uvpzGd5pu"]
    assert await directory.resolve_organisation_units(["Bo"]) == ["O6uvpzGd5pu"]
    with pytest.raises(UnknownNameError):
        await directory.resolve_users(["no-such-user"])


async def test_a_single_conversation_names_its_last_sender(
    dhis2_async_client: AsyncClient, dhis2_emulator: EmulatorHandle
) -> None:
    """Under ``fields=*`` DHIS2 renders ``lastSender`` as ``{id}``: the client's selector asks
    for its display name, so a read or a send names the sender, not a UID."""
    fatmata = dhis2_emulator.user("fatmata")
    sent = await dhis2_async_client.messaging.send(subject="Named", text="hi", users=[fatmata.uid])
    admin = dhis2_emulator.user("admin")
    assert sent.last_sender is not None and sent.last_sender.id == admin.uid
    assert sent.last_sender_name == admin.display_name
    again = await dhis2_async_client.messaging.get_conversation(sent.id)
    assert again.last_sender_name == admin.display_name


async def test_directory_uid_shaped_username(
    dhis2_emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``fatmatakama`` has the shape of a UID but is a username: it resolves by name; a real
    UID resolves to itself; one that is neither is an error naming both lookups."""
    from dataclasses import replace

    from dhis2w.emulator import seed

    kama = replace(seed.FATMATA, uid="KamaUser001", username="fatmatakama", code="FKAMA")
    world = replace(seed.DEMO_WORLD, users=(*seed.DEMO_WORLD.users, kama))
    monkeypatch.setitem(seed.WORLDS, "uid-shaped", world)
    dhis2_emulator.reset("uid-shaped")
    async with as_user(dhis2_emulator, "admin") as client:
        resolved = await client.directory.resolve_users(["fatmatakama", seed.FATMATA.uid])
        assert resolved == ["KamaUser001", seed.FATMATA.uid]
        recipients = await client.directory.resolve_recipients(
            users="fatmatakama", user_groups=["BoTeamGrp01"], organisation_units="OU_264"
        )
        assert recipients == {
            "users": ["KamaUser001"],
            "user_groups": ["BoTeamGrp01"],
            "organisation_units": ["O6uvpzGd5pu"],
        }
        sent = await client.messaging.send(subject="To Kama", text="hello", **recipients)
        assert "KamaUser001" in {m.user.id for m in sent.user_messages if m.user is not None}
        with pytest.raises(UnknownNameError, match="id, username or displayName"):
            await client.directory.resolve_users("fatmatakam2")


async def test_retry_on_injected_503(
    dhis2_emulator: EmulatorHandle, dhis2_async_client: AsyncClient
) -> None:
    dhis2_emulator.faults.fail_next(2, status=503)
    dhis2_async_client.backoff_base = 0.0
    assert (await dhis2_async_client.system.me()).username == "admin"


async def test_demo_profile(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("dhis2w.emulator.embedded")
    from dhis2w import load_profile

    monkeypatch.setenv("DHIS2W_DEMO_DB", str(tmp_path / "demo.sqlite3"))
    monkeypatch.delenv("DHIS2_PROFILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    demo = load_profile("demo")
    assert demo.base_url == "embedded:demo"
    async with AsyncClient(demo) as client:
        me = await client.system.me()
        assert me.username == "admin"
        page = await client.messaging.list_conversations()
        assert page.pager is not None and page.pager.total > 0


async def test_dropped_send_is_found_and_returned(dhis2_emulator: EmulatorHandle) -> None:
    fatmata = dhis2_emulator.user("fatmata").uid
    async with as_user(dhis2_emulator, "admin") as admin:
        dhis2_emulator.faults.drop_after_commit(1)
        sent = await admin.messaging.send(subject="Maybe sent", text="t", users=[fatmata])
        # the write was committed: the client found it, exactly once (never retried)
        page = await admin.messaging.list_conversations(filter="subject:eq:Maybe sent")
        assert [c.id for c in page.conversations] == [sent.id]


async def test_truncated_get_is_retried(
    dhis2_emulator: EmulatorHandle, dhis2_async_client: AsyncClient
) -> None:
    dhis2_emulator.faults.truncate_next(1)
    dhis2_async_client.backoff_base = 0.0
    page = await dhis2_async_client.messaging.list_conversations()
    assert page.pager is not None and page.pager.total == len(page.conversations) > 0


async def test_directory_special_characters(
    dhis2_async_client: AsyncClient, dhis2_emulator: EmulatorHandle
) -> None:
    directory = dhis2_async_client.directory
    emmanuel = dhis2_emulator.user("emmanuel").uid
    assert await directory.resolve_users(["Emmanuel Jalloh-Müller"]) == [emmanuel]
    for name in ("Ops: Bo, [east]", "a:eq:b", "in:[x,y]", "Kénéma 🌍", "50% & more?#"):
        with pytest.raises(UnknownNameError, match="no user group"):
            await directory.resolve_user_groups([name])
        with pytest.raises(UnknownNameError, match="no organisation unit"):
            await directory.resolve_organisation_units(name)
