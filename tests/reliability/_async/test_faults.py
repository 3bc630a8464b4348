"""Faults from the emulator's switches, end to end over loopback: what survives, what fails
clearly, and that nothing is lost or stored twice.

Every test counts the faults it injected into the ``tally`` (printed after the run and quoted
in the README's Reliability section), and checks the server's own store for copies.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import msgspec
import pytest

from dhis2w import (
    AuthenticationError,
    RateLimitedError,
    ReadBackError,
    SendOutcomeUnknownError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
    _wire,
    models,
)
from dhis2w.testing import EmulatorHandle

from ..conftest import Tally
from .support import (
    client_with_timeout,
    fast_client,
    stored_copies,
    stored_message_count,
    stored_texts,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The delays the client waits between attempts, recorded (and slept for 1 ms)."""
    from dhis2w._async import client as client_module

    recorded: list[float] = []
    real_sleep = client_module.async_sleep

    async def record(seconds: float) -> None:
        recorded.append(seconds)
        await real_sleep(0.001)

    monkeypatch.setattr(client_module, "async_sleep", record)
    return recorded


def wait_for_copies(emulator: EmulatorHandle, subject: str, expected: int) -> int:
    """The number of stored copies once the server finished the request it was sleeping in.

    The emulator answers a late request after the client gave up; poll (bounded) until the
    write is there, then look once more a little later to be sure no second copy follows.
    """
    deadline = time.monotonic() + 10
    while stored_copies(emulator, subject) < expected and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)
    return stored_copies(emulator, subject)


def clear_faults_once_stored(emulator: EmulatorHandle, subject: str) -> threading.Thread:
    """Switch the faults off as soon as the server holds ``subject`` (bounded), in the
    background: the link 'recovers' while the client is looking for its lost send."""

    def run() -> None:
        deadline = time.monotonic() + 10
        while stored_copies(emulator, subject) < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        emulator.faults.clear()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def count_copies(tally: Tally, copies: int) -> int:
    """Tally one message sent whose server copies were counted; returns ``copies``."""
    tally.add("messages")
    tally.add("lost", 1 - min(copies, 1))
    tally.add("duplicated", max(copies - 1, 0))
    return copies


# --- latency past the timeout -----------------------------------------------------------------
async def test_latency_past_timeout_names_the_timeout_then_recovers(
    dhis2_emulator: EmulatorHandle, tally: Tally
) -> None:
    dhis2_emulator.faults.latency(1.0)
    async with client_with_timeout(dhis2_emulator, 0.25) as client:
        with pytest.raises(TransportError, match=r"timed out: no answer within 0\.25 s") as info:
            await client.messaging.list_conversations()
        assert not isinstance(info.value, SendOutcomeUnknownError)  # a GET changes nothing
        tally.add("faults")
        dhis2_emulator.faults.clear()
        time.sleep(1.0)  # let the server finish the request it was sleeping in
        page = await client.messaging.list_conversations()  # the same client works again
    assert page.conversations


async def test_send_past_timeout_is_reconciled_and_stored_once(
    dhis2_emulator: EmulatorHandle, tally: Tally
) -> None:
    fatmata = dhis2_emulator.user("fatmata").uid
    subject = "Timed-out send"
    dhis2_emulator.faults.latency(1.0)
    # the link recovers once the server has stored the message (its checks time out before)
    recovery = clear_faults_once_stored(dhis2_emulator, subject)
    async with client_with_timeout(dhis2_emulator, 0.25) as client:
        sent = await client.messaging.send(
            subject=subject, text="Are the ORS kits in?", users=fatmata
        )
    recovery.join()
    tally.add("faults")
    # the server did it once; the client found it and never sent it again
    assert count_copies(tally, wait_for_copies(dhis2_emulator, subject, 1)) == 1
    assert sent.subject == subject
    tally.add("reconciled")


# --- 5xx and 429 bursts -----------------------------------------------------------------------
@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
async def test_get_burst_is_retried_and_succeeds(
    dhis2_emulator: EmulatorHandle, tally: Tally, status: int, sleeps: list[float]
) -> None:
    dhis2_emulator.faults.fail_next(3, status=status)
    async with fast_client(dhis2_emulator, max_retries=3) as client:
        page = await client.messaging.list_conversations()
        thread = await client.messaging.get_conversation(page.conversations[0].id)
    tally.add("faults", 3)
    assert page.conversations and thread.messages
    assert len(sleeps) == 3  # three failures, three waits, then success


async def test_retry_after_is_honoured(
    dhis2_emulator: EmulatorHandle, tally: Tally, sleeps: list[float]
) -> None:
    dhis2_emulator.faults.fail_next(2, status=429, retry_after=2)
    dhis2_emulator.faults.fail_next(1, status=503, retry_after=1)
    async with fast_client(dhis2_emulator, max_retries=3, backoff_cap=30.0) as client:
        me = await client.system.me()
    tally.add("faults", 3)
    assert me.username == "admin"
    assert sleeps == [2.0, 2.0, 1.0]  # the server's wait, not our 10 ms backoff


async def test_retry_after_beyond_the_cap_fails_at_once(
    dhis2_emulator: EmulatorHandle, tally: Tally, sleeps: list[float]
) -> None:
    dhis2_emulator.faults.fail_next(1, status=429, retry_after=3600)
    async with fast_client(dhis2_emulator, max_retries=3, backoff_cap=5.0) as client:
        with pytest.raises(RateLimitedError, match="429"):
            await client.system.me()
        tally.add("faults")
        assert sleeps == []  # never an hour's sleep, never a blind retry
        assert (await client.system.me()).username == "admin"  # and the next call works


async def test_burst_longer_than_the_retries_gives_the_server_error(
    dhis2_emulator: EmulatorHandle, tally: Tally, sleeps: list[float]
) -> None:
    dhis2_emulator.faults.fail_next(3, status=503)
    async with fast_client(dhis2_emulator, max_retries=2) as client:
        with pytest.raises(ServerError, match="Injected fault"):
            await client.system.me()
    tally.add("faults", 3)
    assert len(sleeps) == 2


# --- writes: never retried, never doubled ---------------------------------------------------
@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
async def test_send_failure_is_not_retried_and_leaves_at_most_one(
    dhis2_emulator: EmulatorHandle, tally: Tally, status: int, sleeps: list[float]
) -> None:
    fatmata = dhis2_emulator.user("fatmata").uid
    subject = f"Send hit by {status}"
    dhis2_emulator.faults.fail_next(1, status=status)
    async with fast_client(dhis2_emulator) as client:
        with pytest.raises((ServerError, RateLimitedError)):
            await client.messaging.send(subject=subject, text="Stock report", users=fatmata)
        tally.add("faults")
        assert sleeps == []  # a POST is not retried
        assert stored_copies(dhis2_emulator, subject) == 0  # the fault answered instead
        # the caller may now send again: exactly one copy results
        sent = await client.messaging.send(subject=subject, text="Stock report", users=fatmata)
    tally.add("messages")
    assert sent.subject == subject
    assert stored_copies(dhis2_emulator, subject) == 1


LOST_ANSWERS = ["drop_after_commit", "truncate_next"]


@pytest.mark.parametrize("fault", LOST_ANSWERS)
async def test_send_whose_answer_is_lost_is_found_and_stored_once(
    dhis2_emulator: EmulatorHandle, tally: Tally, fault: str
) -> None:
    fatmata = dhis2_emulator.user("fatmata").uid
    subject = f"Answer lost by {fault}"
    getattr(dhis2_emulator.faults, fault)(1)
    async with fast_client(dhis2_emulator) as client:
        try:
            sent = await client.messaging.send(
                subject=subject, text="Cold chain alarm", users=fatmata
            )
        except SendOutcomeUnknownError:
            tally.add("unresolved")
            raise
    tally.add("faults")
    assert count_copies(tally, stored_copies(dhis2_emulator, subject)) == 1
    assert sent.subject == subject and [m.text for m in sent.messages] == ["Cold chain alarm"]
    tally.add("reconciled")


@pytest.mark.parametrize("fault", LOST_ANSWERS)
async def test_reply_whose_answer_is_lost_is_found_and_stored_once(
    dhis2_emulator: EmulatorHandle, tally: Tally, fault: str
) -> None:
    fatmata = dhis2_emulator.user("fatmata").uid
    text = f"second, answer lost by {fault}"
    async with fast_client(dhis2_emulator) as client:
        thread = await client.messaging.send(subject="Reply drop", text="first", users=fatmata)
        getattr(dhis2_emulator.faults, fault)(1)
        try:
            after = await client.messaging.reply(thread.id, text=text)
        except SendOutcomeUnknownError:
            tally.add("unresolved")
            raise
        tally.add("faults")
    tally.add("messages", 2)
    texts = stored_texts(dhis2_emulator, thread.id)
    tally.add("duplicated", max(texts.count(text) - 1, 0))
    tally.add("lost", 0 if text in texts else 1)
    assert texts == ["first", text]
    assert [m.text for m in after.messages] == texts  # returned as if the answer had come
    assert stored_message_count(dhis2_emulator, thread.id) == 2
    tally.add("reconciled")


# --- truncated and malformed bodies ---------------------------------------------------------
async def test_truncated_get_without_retries_is_a_clear_error(
    dhis2_emulator: EmulatorHandle, tally: Tally
) -> None:
    dhis2_emulator.faults.truncate_next(1)
    async with fast_client(dhis2_emulator, max_retries=0) as client:
        with pytest.raises(TransportError, match="failed reading the answer"):
            await client.messaging.list_conversations()
    tally.add("faults")


async def test_truncated_get_is_retried_to_the_whole_answer(
    dhis2_emulator: EmulatorHandle, tally: Tally
) -> None:
    async with fast_client(dhis2_emulator) as client:
        whole = await client.messaging.list_conversations(page_size=50)
        dhis2_emulator.faults.truncate_next(2)
        again = await client.messaging.list_conversations(page_size=50)
    tally.add("faults", 2)
    assert [c.id for c in again.conversations] == [c.id for c in whole.conversations]


async def test_every_cut_of_a_real_answer_is_an_error_never_a_partial_object(
    dhis2_emulator: EmulatorHandle,
) -> None:
    # A body cut short with a wrong Content-Length never reaches the decoder (httpx refuses
    # it, above); this checks the decoder's side: any prefix of a real answer is refused.
    async with fast_client(dhis2_emulator) as client:
        page = await client.messaging.list_conversations(page_size=5)
        thread = await client.messaging.get_conversation(page.conversations[0].id)
    bodies = [
        (models.conversation_decoder, msgspec.json.encode(thread)),
        (models.conversation_page_decoder, msgspec.json.encode(page)),
    ]
    cuts = 0
    for decoder, body in bodies:
        assert decoder.decode(body) is not None
        for end in range(len(body)):
            with pytest.raises(UnexpectedResponseError, match="not the expected JSON"):
                _wire.decode(decoder, body[:end], method="GET", path="/api/x", status_code=200)
            cuts += 1
    assert cuts > 500


# --- the session ends mid-way ---------------------------------------------------------------
async def test_401_mid_session_is_an_authentication_error_and_not_retried(
    dhis2_emulator: EmulatorHandle, tally: Tally, sleeps: list[float]
) -> None:
    fatmata = dhis2_emulator.user("fatmata").uid
    async with fast_client(dhis2_emulator) as client:
        assert (await client.system.me()).username == "admin"
        dhis2_emulator.faults.unauthorized_next(1)
        with pytest.raises(AuthenticationError, match="401"):
            await client.messaging.list_conversations()
        dhis2_emulator.faults.unauthorized_next(1)
        with pytest.raises(AuthenticationError):
            await client.messaging.send(subject="After 401", text="t", users=fatmata)
        tally.add("faults", 2)
        assert sleeps == []  # refused credentials are not a reason to ask again
        assert stored_copies(dhis2_emulator, "After 401") == 0
        assert (await client.messaging.list_conversations()).conversations  # and it recovers


async def test_login_page_mid_session_is_an_authentication_error_everywhere(
    dhis2_emulator: EmulatorHandle, tally: Tally, tmp_path: Path
) -> None:
    fatmata = dhis2_emulator.user("fatmata").uid
    async with fast_client(dhis2_emulator) as client:
        page = await client.messaging.list_conversations(page_size=50)
        threads = [await client.messaging.get_conversation(c.id) for c in page.conversations]
        with_file = next(t for t in threads if any(m.attachments for m in t.messages))
        message = next(m for m in with_file.messages if m.attachments)

        dhis2_emulator.faults.login_page_next(1)
        with pytest.raises(AuthenticationError, match="login page"):
            await client.messaging.get_conversation(with_file.id)
        dhis2_emulator.faults.login_page_next(1)
        with pytest.raises(AuthenticationError, match="login page"):
            await client.messaging.send(subject="After login page", text="t", users=fatmata)
        dhis2_emulator.faults.login_page_next(1)
        with pytest.raises(AuthenticationError, match="login page"):
            await client.messaging.download_attachment(
                with_file.id, message.id, message.attachments[0].id, tmp_path
            )
        tally.add("faults", 3)
        assert list(tmp_path.iterdir()) == []  # the login form was not saved as the file
        assert stored_copies(dhis2_emulator, "After login page") == 0
        saved = await client.messaging.download_attachment(
            with_file.id, message.id, message.attachments[0].id, tmp_path
        )
    assert isinstance(saved, Path) and saved.stat().st_size > 0


# --- a send DHIS2 stored, whose read-back failed ----------------------------------------------
async def test_failed_read_back_names_the_stored_conversation_and_is_not_resent(
    dhis2_emulator: EmulatorHandle, tally: Tally
) -> None:
    fatmata = dhis2_emulator.user("fatmata").uid
    subject = "Stored but not read back"
    dhis2_emulator.faults.fail_next(4, status=503, method="GET")  # beyond the 3 retries
    async with fast_client(dhis2_emulator) as client:
        with pytest.raises(ReadBackError, match="It is stored: do not send it again") as info:
            await client.messaging.send(subject=subject, text="Measles alert", users=fatmata)
        tally.add("faults", 4)
        assert not isinstance(info.value, TransportError)  # retry-on-transport code skips it
        thread = await client.messaging.get_conversation(info.value.uid)
    tally.add("messages")
    assert thread.subject == subject
    assert stored_copies(dhis2_emulator, subject) == 1
