"""client.messaging.watch against the emulator: other users send while a watcher runs, and
each new message is seen exactly once, across a restart from a stored cursor and through a
burst of 503s. No test waits on the clock: the watcher polls every 10 ms and each step
waits for the event it expects."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from dhis2w import AsyncClient, AuthenticationError, InvalidInputError, Profile, models
from dhis2w.testing import EmulatorHandle

pytestmark = pytest.mark.anyio

FAST = 0.01


def client_for(emulator: EmulatorHandle, username: str, **options: Any) -> AsyncClient:
    options.setdefault("backoff_base", 0.0)
    return AsyncClient(emulator.profile(username), **options)


async def start_cursor(client: AsyncClient, **filters: Any) -> str:
    """A cursor standing after everything already in the inbox (one poll, no events)."""
    watch = client.messaging.watch(once=True, **filters)
    events = [event async for event in watch]
    assert events == []  # a new watch starts after what is there
    assert watch.cursor is not None
    return watch.cursor


def texts(events: list[models.InboxEvent]) -> list[str]:
    return [m.text or "" for e in events for m in e.messages]


async def test_each_new_message_is_seen_once_while_the_watcher_runs(
    dhis2_emulator: EmulatorHandle,
) -> None:
    admin_uid = dhis2_emulator.user("admin").uid
    async with (
        client_for(dhis2_emulator, "admin") as admin,
        client_for(dhis2_emulator, "fatmata") as fatmata,
        client_for(dhis2_emulator, "ibrahim") as ibrahim,
    ):
        cursor = await start_cursor(admin)
        watch = admin.messaging.watch(interval=FAST, cursor=cursor)

        thread = await fatmata.messaging.send(
            subject="Cold chain", text="Fridge at 9 degrees", users=admin_uid
        )
        first = await watch.__anext__()
        assert first.conversation.id == thread.id
        assert texts([first]) == ["Fridge at 9 degrees"]
        assert first.messages[0].sender is not None
        assert first.messages[0].sender.id == dhis2_emulator.user("fatmata").uid
        assert watch.cursor == first.cursor

        # a reply in the same thread and a new thread from another user: two events, and
        # the first thread's event carries only its new message
        await fatmata.messaging.reply(thread.id, text="Now 11 degrees")
        other = await ibrahim.messaging.send(subject="ORS", text="Stock-out", users=admin_uid)
        second = await watch.__anext__()
        third = await watch.__anext__()
    by_thread = {second.conversation.id: second, third.conversation.id: third}
    assert set(by_thread) == {thread.id, other.id}
    assert texts([by_thread[thread.id]]) == ["Now 11 degrees"]
    assert len(by_thread[thread.id].conversation.messages) == 2  # the whole thread is there
    assert texts([by_thread[other.id]]) == ["Stock-out"]


async def test_restart_from_a_stored_cursor_misses_nothing_and_repeats_nothing(
    dhis2_emulator: EmulatorHandle,
) -> None:
    admin_uid = dhis2_emulator.user("admin").uid
    sent: list[str] = []
    seen: list[str] = []
    async with (
        client_for(dhis2_emulator, "admin") as admin,
        client_for(dhis2_emulator, "fatmata") as fatmata,
    ):
        cursor = await start_cursor(admin)
        thread = await fatmata.messaging.send(subject="Round 0", text="m0", users=admin_uid)
        sent.append("m0")
        for n in range(1, 4):
            # each "process" handles one event, stores its cursor and stops
            watch = admin.messaging.watch(interval=FAST, cursor=cursor)
            event = await watch.__anext__()
            seen.extend(texts([event]))
            cursor = event.cursor
            # while it is down, more arrives: a reply and a new conversation
            await fatmata.messaging.reply(thread.id, text=f"r{n}")
            await fatmata.messaging.send(subject=f"Round {n}", text=f"m{n}", users=admin_uid)
            sent.extend([f"r{n}", f"m{n}"])
        # the last restart drains what is left, in one poll
        seen.extend(texts([e async for e in admin.messaging.watch(cursor=cursor, once=True)]))
        assert [e async for e in admin.messaging.watch(cursor=cursor, once=True)]  # replayable
    assert Counter(seen) == Counter(sent)  # every message once: none lost, none twice


async def test_two_messages_in_the_same_millisecond_are_each_seen_once(
    dhis2_emulator: EmulatorHandle,
) -> None:
    admin_uid = dhis2_emulator.user("admin").uid
    async with (
        client_for(dhis2_emulator, "admin") as admin,
        client_for(dhis2_emulator, "fatmata") as fatmata,
        client_for(dhis2_emulator, "ibrahim") as ibrahim,
    ):
        cursor = await start_cursor(admin)
        one = await fatmata.messaging.send(subject="Same ms 1", text="a", users=admin_uid)
        # the watcher sees the first one alone, then the second lands in the same millisecond
        [first] = [e async for e in admin.messaging.watch(cursor=cursor, once=True)]
        two = await ibrahim.messaging.send(subject="Same ms 2", text="b", users=admin_uid)
        stamp = dhis2_emulator.server.store.query(
            "SELECT last_message FROM conversations WHERE uid = ?", (one.id,)
        )[0][0]
        with dhis2_emulator.server.store.write() as conn:
            conn.execute("UPDATE conversations SET last_message = ? WHERE uid = ?", (stamp, two.id))
        rest = [e async for e in admin.messaging.watch(cursor=first.cursor, once=True)]
    assert [e.conversation.id for e in rest] == [two.id]
    assert texts([first, *rest]) == ["a", "b"]


async def test_a_long_absence_is_swept_over_several_pages_each_once(
    dhis2_emulator: EmulatorHandle,
) -> None:
    async with client_for(dhis2_emulator, "admin") as admin:
        cursor = await start_cursor(admin)
        # while the watcher is down, 250 conversations arrive: more than one poll's page
        uids = dhis2_emulator.bulk_create_conversations(250, sender="fatmata", recipients=["admin"])
        watch = admin.messaging.watch(cursor=cursor, once=True)
        seen = Counter([e.conversation.id async for e in watch])
        assert watch.cursor is not None
        again = [e async for e in admin.messaging.watch(cursor=watch.cursor, once=True)]
    assert set(seen) == set(uids) and set(seen.values()) == {1}
    assert again == []


async def test_a_burst_of_503s_is_waited_out(dhis2_emulator: EmulatorHandle) -> None:
    admin_uid = dhis2_emulator.user("admin").uid
    async with (
        client_for(dhis2_emulator, "admin", max_retries=1) as admin,
        client_for(dhis2_emulator, "fatmata") as fatmata,
    ):
        cursor = await start_cursor(admin)
        watch = admin.messaging.watch(interval=FAST, cursor=cursor)
        await fatmata.messaging.send(subject="Through 503s", text="still here", users=admin_uid)
        # more failures than the client's own retries: the watcher logs and waits them out
        dhis2_emulator.faults.fail_next(7, status=503, method="GET")
        event = await watch.__anext__()
        again = [e async for e in admin.messaging.watch(cursor=event.cursor, once=True)]
    assert texts([event]) == ["still here"]
    assert again == []


async def test_once_raises_read_errors_instead_of_waiting(dhis2_emulator: EmulatorHandle) -> None:
    async with client_for(dhis2_emulator, "admin", max_retries=0) as admin:
        cursor = await start_cursor(admin)
        dhis2_emulator.faults.fail_next(1, status=503, method="GET")
        with pytest.raises(Exception, match="503"):
            [e async for e in admin.messaging.watch(cursor=cursor, once=True)]


async def test_authentication_errors_are_raised_and_lose_nothing(
    dhis2_emulator: EmulatorHandle,
) -> None:
    admin_uid = dhis2_emulator.user("admin").uid
    async with (
        client_for(dhis2_emulator, "admin") as admin,
        client_for(dhis2_emulator, "fatmata") as fatmata,
    ):
        cursor = await start_cursor(admin)
        await fatmata.messaging.send(subject="After the 401", text="kept", users=admin_uid)
        watch = admin.messaging.watch(interval=FAST, cursor=cursor)
        for _ in range(2):  # twice in a row
            dhis2_emulator.faults.unauthorized_next(1)
            with pytest.raises(AuthenticationError):
                await watch.__anext__()
        event = await watch.__anext__()  # the caller may go on: nothing was skipped
    assert texts([event]) == ["kept"]


async def test_filters_narrow_the_watch(dhis2_emulator: EmulatorHandle) -> None:
    admin_uid = dhis2_emulator.user("admin").uid
    async with (
        client_for(dhis2_emulator, "admin") as admin,
        client_for(dhis2_emulator, "fatmata") as fatmata,
    ):
        cursor = await start_cursor(admin, query="malaria")
        await fatmata.messaging.send(subject="Weather", text="rain", users=admin_uid)
        await fatmata.messaging.send(subject="Malaria cases", text="up 20%", users=admin_uid)
        events = [e async for e in admin.messaging.watch(cursor=cursor, once=True, query="malaria")]
    assert [e.conversation.subject for e in events] == ["Malaria cases"]


async def test_bad_arguments_fail_before_any_request() -> None:
    # nothing listens on port 9: any request would be a TransportError, not these errors
    profile = Profile(base_url="http://127.0.0.1:9", username="admin", password="district")
    async with AsyncClient(profile) as client:
        watch = client.messaging.watch
        with pytest.raises(InvalidInputError, match="cursor"):
            watch(cursor="not-a-cursor")
        with pytest.raises(InvalidInputError, match="damaged"):
            client.messaging.watch(cursor="dw1.!!!")
        with pytest.raises(InvalidInputError, match="interval"):
            client.messaging.watch(interval=0)
        with pytest.raises(InvalidInputError, match="priority"):
            client.messaging.watch(priority="URGENT")
        with pytest.raises(TypeError, match="unexpected keyword argument 'unred'"):
            client.messaging.watch(unred=True)  # type: ignore[call-arg]
