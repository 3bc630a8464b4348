"""Lost answers to send, reply and send_feedback, reconciled against the emulator: the client
looks for what it sent and returns it when found once, never sends again, and never returns
something that existed before the call began."""

from __future__ import annotations

from typing import Any

import pytest

from dhis2w import AsyncClient, InvalidInputError, Profile, SendOutcomeUnknownError, _wire
from dhis2w.testing import EmulatorHandle

pytestmark = pytest.mark.anyio


def client_for(emulator: EmulatorHandle, username: str = "admin", **options: Any) -> AsyncClient:
    options.setdefault("backoff_base", 0.0)
    return AsyncClient(emulator.profile(username), **options)


def copies(emulator: EmulatorHandle, subject: str) -> int:
    rows = emulator.server.store.query(
        "SELECT count(*) FROM conversations WHERE subject = ?", (subject,)
    )
    return int(rows[0][0])


def texts(emulator: EmulatorHandle, conversation: str) -> list[str]:
    rows = emulator.server.store.query(
        "SELECT text FROM messages WHERE conversation = ? ORDER BY created, rowid",
        (conversation,),
    )
    return [str(row[0]) for row in rows]


def backdate(emulator: EmulatorHandle, conversation: str, seconds: int = 60) -> None:
    """Make a conversation and its messages ``seconds`` older, as if sent a while ago.

    Two identical messages stored within the answer's travel time of each other cannot be
    told apart (README, "Sends that land exactly once"); a person or script sending the same
    words twice on purpose does so seconds apart, which this stands for without a sleep.
    """
    shift = f"-{seconds} seconds"
    with emulator.server.store.write() as conn:
        for table, key in (("conversations", "uid"), ("messages", "conversation")):
            conn.execute(
                f"UPDATE {table} SET created = strftime('%Y-%m-%dT%H:%M:%f', created, ?) "
                f"WHERE {key} = ?",
                (shift, conversation),
            )


def lose_posts(client: AsyncClient, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every POST of ``client`` fails as if its answer was lost, without reaching the server
    (a lost request: nothing is stored). Returns the paths that were 'sent'."""
    lost: list[str] = []
    real = client.request_json

    async def request_json(method: str, path: str, **kwargs: Any) -> Any:
        if method == "POST":
            lost.append(path)
            raise SendOutcomeUnknownError(f"POST {path}: the connection failed (test)")
        return await real(method, path, **kwargs)

    monkeypatch.setattr(client, "request_json", request_json)
    return lost


@pytest.mark.parametrize("fault", ["drop_after_commit", "truncate_next"])
async def test_lost_answer_to_a_send_returns_the_stored_conversation(
    dhis2_emulator: EmulatorHandle, fault: str
) -> None:
    fatmata = dhis2_emulator.user("fatmata").uid
    subject = f"Reconciled after {fault}"
    async with client_for(dhis2_emulator) as client:
        getattr(dhis2_emulator.faults, fault)(1)
        sent = await client.messaging.send(subject=subject, text="Cold chain alarm", users=fatmata)
    assert sent.subject == subject
    assert [m.text for m in sent.messages] == ["Cold chain alarm"]
    assert copies(dhis2_emulator, subject) == 1  # found, not sent again


async def test_lost_answer_to_a_reply_returns_the_thread_with_it(
    dhis2_emulator: EmulatorHandle,
) -> None:
    fatmata = dhis2_emulator.user("fatmata").uid
    async with client_for(dhis2_emulator) as client:
        thread = await client.messaging.send(subject="Reply lost", text="first", users=fatmata)
        dhis2_emulator.faults.drop_after_commit(1)
        after = await client.messaging.reply(thread.id, text="second")
    assert after.id == thread.id
    assert [m.text for m in after.messages] == ["first", "second"]
    assert texts(dhis2_emulator, thread.id) == ["first", "second"]


async def test_lost_answer_to_feedback_returns_the_ticket(dhis2_emulator: EmulatorHandle) -> None:
    async with client_for(dhis2_emulator, "fatmata") as client:
        dhis2_emulator.faults.drop_after_commit(1)
        ticket = await client.messaging.send_feedback(subject="Lost feedback", text="Login slow")
    assert ticket.subject == "Lost feedback"
    assert ticket.message_type is not None and ticket.message_type.value == "TICKET"
    assert copies(dhis2_emulator, "Lost feedback") == 1


async def test_the_same_message_twice_on_purpose_returns_the_second(
    dhis2_emulator: EmulatorHandle,
) -> None:
    fatmata = dhis2_emulator.user("fatmata").uid
    async with client_for(dhis2_emulator) as client:
        first = await client.messaging.send(subject="Twice", text="Same words", users=fatmata)
        backdate(dhis2_emulator, first.id)
        dhis2_emulator.faults.drop_after_commit(1)
        second = await client.messaging.send(subject="Twice", text="Same words", users=fatmata)
        thread = await client.messaging.send(subject="Twice reply", text="start", users=fatmata)
        await client.messaging.reply(thread.id, text="again")
        backdate(dhis2_emulator, thread.id)
        dhis2_emulator.faults.drop_after_commit(1)
        replied = await client.messaging.reply(thread.id, text="again")
    assert second.id != first.id  # the one this call made, not the one before it
    assert copies(dhis2_emulator, "Twice") == 2
    assert [m.text for m in replied.messages] == ["start", "again", "again"]
    assert texts(dhis2_emulator, thread.id) == ["start", "again", "again"]


async def test_a_lost_request_is_checked_and_reported_not_found(
    dhis2_emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    fatmata = dhis2_emulator.user("fatmata").uid
    async with client_for(dhis2_emulator, reconcile_timeout=0.3) as client:
        # an identical message already exists: it must not be taken for the lost one
        earlier = await client.messaging.send(subject="Never arrived", text="t", users=fatmata)
        backdate(dhis2_emulator, earlier.id)
        lost = lose_posts(client, monkeypatch)
        with pytest.raises(SendOutcomeUnknownError, match="checked for 0 s and not found") as info:
            await client.messaging.send(subject="Never arrived", text="t", users=fatmata)
        assert info.value.checked is True and info.value.candidates == ()
        thread = (await client.messaging.list_conversations(page_size=1)).conversations[0]
        with pytest.raises(SendOutcomeUnknownError, match="a reply in conversation") as replied:
            await client.messaging.reply(thread.id, text="lost reply")
        assert replied.value.checked is True
    assert lost == [_wire.CONVERSATIONS, _wire.conversation_path(thread.id)]  # never resent
    assert copies(dhis2_emulator, "Never arrived") == 1


async def test_when_the_server_cannot_be_asked_it_says_it_could_not_tell(
    dhis2_emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    fatmata = dhis2_emulator.user("fatmata").uid
    async with client_for(dhis2_emulator, reconcile_timeout=0.3, max_retries=0) as client:
        lose_posts(client, monkeypatch)
        dhis2_emulator.faults.fail_next(50, status=503, method="GET")
        with pytest.raises(SendOutcomeUnknownError, match="could not be asked") as info:
            await client.messaging.send(subject="Unknowable", text="t", users=fatmata)
    assert info.value.checked is False


async def test_reconcile_timeout_zero_raises_at_once(dhis2_emulator: EmulatorHandle) -> None:
    fatmata = dhis2_emulator.user("fatmata").uid
    async with client_for(dhis2_emulator, reconcile_timeout=0) as client:
        dhis2_emulator.faults.drop_after_commit(1)
        with pytest.raises(SendOutcomeUnknownError, match="may or may not") as info:
            await client.messaging.send(subject="Not looked for", text="t", users=fatmata)
    assert info.value.checked is False
    assert copies(dhis2_emulator, "Not looked for") == 1


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), "10", True])
async def test_reconcile_timeout_is_checked(bad: object) -> None:
    profile = Profile(base_url="https://dhis2.example.org", token="d2pat_x")
    with pytest.raises(InvalidInputError, match="reconcile_timeout"):
        AsyncClient(profile, reconcile_timeout=bad)  # type: ignore[arg-type]
