"""Property tests (hypothesis) against the emulator: text survives byte-exact, bad input is
refused before any request, random strings never pass as UIDs, random filters never crash.

Each example is counted into the ``tally`` as it runs, so the README's figure is the number
of cases really tried (both twins together).
"""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dhis2w import ApiError, InvalidInputError, InvalidUidError, ServerError, check_uid, is_uid
from dhis2w.testing import EmulatorHandle

from ..conftest import Tally
from .support import fast_client

pytestmark = pytest.mark.anyio

#: Function-scoped fixtures are fine here: every example checks its own new conversation.
EMULATOR_SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Any Unicode text without NUL: every character UTF-8 can carry (lone surrogates cannot be
#: sent at all; the client refuses them, see test_lone_surrogate_is_refused_not_a_traceback).
any_char = st.characters(codec="utf-8", exclude_characters="\x00")
no_nul_text = st.text(any_char, min_size=1, max_size=400)
subjects = st.text(any_char, min_size=1, max_size=255)
ASCII_UID_CHARS = frozenset(string.ascii_letters + string.digits)


def stored_conversations(emulator: EmulatorHandle) -> int:
    return int(emulator.server.store.query("SELECT count(*) FROM conversations")[0][0])


def stored_messages(emulator: EmulatorHandle) -> int:
    return int(emulator.server.store.query("SELECT count(*) FROM messages")[0][0])


# --- text round-trips ------------------------------------------------------------------------
@EMULATOR_SETTINGS
@given(subject=subjects, text=no_nul_text)
@example(subject="x" * 255, text="line one\r\nline two\n\ttabbed  ")
@example(subject="Ngelehun CHC — stock-out 🚑", text="ﷺ 𝕏 \u200b\u2028 end")
@example(subject=" padded ", text=" \n leading and trailing space kept \n ")
async def test_send_round_trips_any_text_byte_exact(
    dhis2_emulator: EmulatorHandle, tally: Tally, subject: str, text: str
) -> None:
    tally.add("property_cases")
    fatmata = dhis2_emulator.user("fatmata").uid
    before = stored_conversations(dhis2_emulator)
    async with fast_client(dhis2_emulator) as client:
        if not subject.strip() or not text.strip():
            with pytest.raises(InvalidInputError, match="is empty"):
                await client.messaging.send(subject=subject, text=text, users=fatmata)
            assert stored_conversations(dhis2_emulator) == before  # refused before sending
            return
        sent = await client.messaging.send(subject=subject, text=text, users=fatmata)
        thread = await client.messaging.get_conversation(sent.id)
    assert thread.subject == subject
    assert [m.text for m in thread.messages] == [text]
    assert thread.messages[0].text.encode("utf-8") == text.encode("utf-8")


@EMULATOR_SETTINGS
@given(text=no_nul_text)
@example(text="\r\n\r\nreply with blank lines\r\n")
@example(text='<b>not html</b> & {"json": false} \\ backslash')
async def test_reply_round_trips_any_text_byte_exact(
    dhis2_emulator: EmulatorHandle, tally: Tally, text: str
) -> None:
    tally.add("property_cases")
    fatmata = dhis2_emulator.user("fatmata").uid
    async with fast_client(dhis2_emulator) as client:
        thread = await client.messaging.send(subject="Round trip", text="start", users=fatmata)
        if not text.strip():
            with pytest.raises(InvalidInputError, match="is empty"):
                await client.messaging.reply(thread.id, text=text)
            after = await client.messaging.get_conversation(thread.id)
            assert [m.text for m in after.messages] == ["start"]
            return
        await client.messaging.reply(thread.id, text=text)
        after = await client.messaging.get_conversation(thread.id)
    assert [m.text for m in after.messages] == ["start", text]


# --- refused before sending ---------------------------------------------------------------
@EMULATOR_SETTINGS
@given(
    text=no_nul_text,
    at=st.integers(min_value=0, max_value=400),
    where=st.sampled_from(["subject", "text", "reply", "feedback"]),
)
async def test_nul_is_refused_before_anything_is_sent(
    dhis2_emulator: EmulatorHandle, tally: Tally, text: str, at: int, where: str
) -> None:
    tally.add("property_cases")
    poisoned = text[:at] + "\x00" + text[at:]
    fatmata = dhis2_emulator.user("fatmata").uid
    thread_uid = dhis2_emulator.seed.CONV_STOCK_OUT.uid
    conversations, messages = stored_conversations(dhis2_emulator), stored_messages(dhis2_emulator)
    async with fast_client(dhis2_emulator) as client:
        with pytest.raises(InvalidInputError, match=r"NUL|is empty"):
            if where == "subject":
                await client.messaging.send(subject=poisoned, text="ok", users=fatmata)
            elif where == "text":
                await client.messaging.send(subject="ok", text=poisoned, users=fatmata)
            elif where == "reply":
                await client.messaging.reply(thread_uid, text=poisoned)
            else:
                await client.messaging.send_feedback(subject="ok", text=poisoned)
    assert stored_conversations(dhis2_emulator) == conversations
    assert stored_messages(dhis2_emulator) == messages


@EMULATOR_SETTINGS
@given(subject=st.text(any_char, min_size=256, max_size=2000))
async def test_oversize_subject_is_refused_before_sending(
    dhis2_emulator: EmulatorHandle, tally: Tally, subject: str
) -> None:
    tally.add("property_cases")
    fatmata = dhis2_emulator.user("fatmata").uid
    before = stored_conversations(dhis2_emulator)
    async with fast_client(dhis2_emulator) as client:
        with pytest.raises(InvalidInputError, match=r"at most 255|is empty"):
            await client.messaging.send(subject=subject, text="body", users=fatmata)
        with pytest.raises(InvalidInputError, match=r"at most 255|is empty"):
            await client.messaging.send_feedback(subject=subject, text="body")
    assert stored_conversations(dhis2_emulator) == before


async def test_lone_surrogate_is_refused_not_a_traceback(dhis2_emulator: EmulatorHandle) -> None:
    fatmata = dhis2_emulator.user("fatmata").uid
    async with fast_client(dhis2_emulator) as client:
        with pytest.raises(InvalidInputError, match="lone surrogate at position 4"):
            await client.messaging.send(subject="ok", text="abcd\ud800", users=fatmata)


# --- UIDs ------------------------------------------------------------------------------------
def is_uid_oracle(value: str) -> bool:
    """DHIS2's CodeGenerator shape, spelled out without a regex."""
    return (
        len(value) == 11
        and value[0] in string.ascii_letters
        and all(char in ASCII_UID_CHARS for char in value)
    )


@settings(max_examples=3000, deadline=None)
@given(
    value=st.one_of(
        st.text(),
        st.text(st.sampled_from(string.ascii_letters + string.digits + "٣１ñ\n _-"), max_size=13),
    )
)
@example(value="Abcdefghij1\n")
@example(value="Abcdefghij١")
@example(value="1bcdefghij1")
async def test_random_strings_never_pass_as_uids(tally: Tally, value: str) -> None:
    tally.add("property_cases")
    assert is_uid(value) == is_uid_oracle(value)
    if is_uid_oracle(value):
        assert check_uid(value) == value
    else:
        with pytest.raises(InvalidUidError):
            check_uid(value)


@EMULATOR_SETTINGS
@given(value=st.text(max_size=20).filter(lambda v: not is_uid_oracle(v)))
async def test_non_uids_are_refused_before_any_request(
    dhis2_emulator: EmulatorHandle, tally: Tally, value: str
) -> None:
    tally.add("property_cases")
    messages = stored_messages(dhis2_emulator)
    async with fast_client(dhis2_emulator) as client:
        with pytest.raises(InvalidUidError):
            await client.messaging.get_conversation(value)
        with pytest.raises(InvalidUidError):
            await client.messaging.reply(value, text="hello")
        with pytest.raises(InvalidUidError):
            await client.messaging.send(subject="s", text="t", users=[value])
        with pytest.raises(InvalidUidError):
            await client.messaging.mark_read([value])
    assert stored_messages(dhis2_emulator) == messages


# --- random filters ------------------------------------------------------------------------
filter_strings = st.one_of(
    st.text(max_size=60),
    st.builds(
        "{}:{}:{}".format,
        st.sampled_from(
            [
                "subject",
                "messageType",
                "read",
                "id",
                "lastMessage",
                "priority",
                "messages.text",
                "assignee.id",
                "x",
                "",
            ]
        ),
        st.sampled_from(
            ["eq", "ne", "like", "ilike", "in", "gt", "lt", "null", "!null", "token", "", "zz"]
        ),
        st.text(max_size=30),
    ),
)


@EMULATOR_SETTINGS
@given(filter=filter_strings, order=st.one_of(st.none(), st.text(max_size=30)))
@example(filter="subject:in:[a,b", order=None)
@example(filter="read:eq:maybe", order="subject:sideways")
@example(filter="::::", order=":")
async def test_random_filters_give_an_answer_or_a_dhis2_error(
    dhis2_emulator: EmulatorHandle, tally: Tally, filter: str, order: str | None
) -> None:
    tally.add("property_cases")
    async with fast_client(dhis2_emulator, max_retries=0) as client:
        try:
            page = await client.messaging.list_conversations(filter=filter, order=order)
        except InvalidInputError:
            return  # refused before sending (e.g. a control character); nothing to check
        except ServerError as exc:
            raise AssertionError(f"the server crashed on filter={filter!r}: {exc}") from exc
        except ApiError as exc:
            assert 400 <= exc.status_code < 500, exc
            assert str(exc)  # DHIS2's message, not an empty error
            return
    assert page.pager is not None
    assert page.pager.total >= len(page.conversations)
