"""Bounded answers: a window of a thread's messages, paged back to the first; long texts cut;
names, not UIDs, for senders; search and list capped."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dhis2w.emulator import seed

pytestmark = pytest.mark.anyio


def _thread(dhis2_emulator: Any, n: int, *, text_size: int = 80) -> str:
    """A conversation of ``n`` messages from admin to fatmata, straight into the store."""
    (uid,) = dhis2_emulator.bulk_create_conversations(
        1,
        recipients=["fatmata"],
        messages_per_conversation=n,
        text_size=text_size,
        subject_prefix="Long thread",
    )
    return str(uid)


def _message_ids(dhis2_emulator: Any, uid: str) -> list[str]:
    store = dhis2_emulator.server.store
    return [m["uid"] for m in store.messages([uid])[uid]]


async def test_get_returns_the_newest_messages_and_pages_back_to_the_first(
    dhis2_emulator: Any, mcp_session: Any
) -> None:
    uid = _thread(dhis2_emulator, 45)
    ids = _message_ids(dhis2_emulator, uid)
    async with mcp_session("fatmata") as s:
        newest = await s.ok("messaging_get", uid=uid)
        assert [m["id"] for m in newest["messages"]] == ids[-20:]
        assert newest["window"] == {
            "total": 45,
            "returned": 20,
            "firstIndex": 25,
            "olderMessages": 25,
            "nextBefore": ids[25],
        }
        seen = [m["id"] for m in newest["messages"]]
        window = newest["window"]
        while window["olderMessages"]:
            older = await s.ok("messaging_get", uid=uid, before=window["nextBefore"])
            seen = [m["id"] for m in older["messages"]] + seen
            window = older["window"]
        assert seen == ids
        assert "nextBefore" not in window  # null, pruned: the start was reached
        by_offset = await s.ok("messaging_get", uid=uid, offset=40, limit=10)
        assert [m["id"] for m in by_offset["messages"]] == ids[:5]
        first = await s.ok("messaging_get", uid=uid, offset=44, limit=1)
        assert [m["id"] for m in first["messages"]] == ids[:1]
        everything = await s.ok("messaging_get", uid=uid, limit=200)
        assert len(everything["messages"]) == 45
        error = await s.fails("messaging_get", "invalid_input", uid=uid, before="AbCdEfGhIj1")
        assert "not in conversation" in error["message"]
        await s.fails("messaging_get", "invalid_input", uid=uid, before=ids[3], offset=2)
        await s.fails("messaging_get", "invalid_input", uid=uid, limit=201)


async def test_long_texts_are_cut_with_a_marker_and_their_length(
    dhis2_emulator: Any, connect_server: Any
) -> None:
    from dhis2w.mcp import build_server

    uid = _thread(dhis2_emulator, 2, text_size=9000)
    async with connect_server(build_server(dhis2_emulator.profile("admin"))) as s:
        thread = await s.ok("messaging_get", uid=uid)
    for message in thread["messages"]:
        assert message["textTruncated"] is True
        assert message["textLength"] == 9000
        assert message["text"].endswith("[... cut: 4,000 of 9,000 characters shown]")
        assert len(message["text"]) < 4100
    bound = build_server(dhis2_emulator.profile("admin"), max_text_chars=500)
    async with connect_server(bound) as s:
        thread = await s.ok("messaging_get", uid=uid)
        short = await s.ok("messaging_get", uid=seed.CONV_STOCK_OUT.uid)
    assert thread["messages"][0]["text"].endswith("[... cut: 500 of 9,000 characters shown]")
    assert all("textTruncated" not in m for m in short["messages"])


async def test_participants_are_bounded_and_counted(dhis2_emulator: Any, mcp_session: Any) -> None:
    async with mcp_session("admin") as s:
        thread = await s.ok("messaging_get", uid=seed.CONV_STOCK_OUT.uid)
    assert thread["participantCount"] == len(thread["userMessages"]) > 0


async def test_last_sender_name_is_a_name_after_send_reply_and_get(mcp_session: Any) -> None:
    async with mcp_session("admin") as s:
        sent = await s.ok("messaging_send", subject="Names", text="hi", users="fatmata")
        got = await s.ok("messaging_get", uid=sent["id"])
    async with mcp_session("fatmata") as s:
        replied = await s.ok("messaging_reply", uid=sent["id"], text="hello back")
    assert sent["lastSenderName"] == got["lastSenderName"] == seed.ADMIN.display_name
    assert replied["lastSenderName"] == seed.FATMATA.display_name
    assert replied["lastSender"]["displayName"] == seed.FATMATA.display_name


async def test_search_is_bounded(dhis2_emulator: Any, mcp_session: Any) -> None:
    dhis2_emulator.bulk_create_conversations(
        60, recipients=["fatmata"], subject_prefix="Zebrafinch tally"
    )
    async with mcp_session("admin") as s:
        found = await s.ok("messaging_search", query="Zebrafinch tally")
        few = await s.ok("messaging_search", query="Zebrafinch tally", limit=5, unread=False)
        none = await s.ok("messaging_search", query="no such words anywhere")
        await s.fails("messaging_search", "invalid_input", query="Zebrafinch", limit=51)
        await s.fails("messaging_list", "invalid_input", page_size=101)
    assert len(found["conversations"]) == 20
    assert found["total"] == 60 and found["more"] is True
    assert all(c["subject"].startswith("Zebrafinch tally") for c in found["conversations"])
    assert len(few["conversations"]) == 5 and few["more"] is True
    assert none == {"conversations": [], "total": 0, "more": False}


async def test_a_10000_message_thread_is_small_by_default(
    dhis2_emulator: Any, mcp_session: Any
) -> None:
    uid = _thread(dhis2_emulator, 10_000, text_size=300)
    async with mcp_session("fatmata") as s:
        result = await s.call("messaging_get", uid=uid)
    assert not result.is_error
    assert len(result.content[0].text.encode()) < 100_000  # type: ignore[union-attr]
    assert len(json.dumps(result.structured_content).encode()) < 100_000
