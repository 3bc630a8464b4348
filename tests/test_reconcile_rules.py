"""The reconciliation rules (``dhis2w._reconcile``) as tables: what counts as the lost send."""

from __future__ import annotations

from datetime import datetime

import pytest

from dhis2w import SendOutcomeUnknownError, _reconcile
from dhis2w.models import FileResource, Message, MessageConversation, Ref, UserMessage

ME = "MeUserUid01"
OTHER = "OtherUid001"
FATMATA = "FaKam4Bo001"
STARTED = datetime(2030, 5, 1, 8, 0, 0, 500000)
BEFORE = datetime(2030, 5, 1, 8, 0, 0, 499000)
AFTER = datetime(2030, 5, 1, 8, 0, 0, 501000)

SENT = _reconcile.Sent("send", text="Cold chain", subject="Alarm", users=(FATMATA,))


def conversation(
    *,
    uid: str = "Conv0000001",
    subject: str = "Alarm",
    text: str = "Cold chain",
    sender: str = ME,
    created: datetime = AFTER,
    participants: tuple[str, ...] = (ME, FATMATA),
    attachments: tuple[str, ...] = (),
    internal: bool = False,
) -> MessageConversation:
    message = Message(
        id="Msg00000001",
        text=text,
        sender=Ref(id=sender),
        created=created,
        internal=internal,
        attachments=[FileResource(id=a) for a in attachments],
    )
    return MessageConversation(
        id=uid,
        subject=subject,
        created=created,
        messages=[message],
        user_messages=[UserMessage(user=Ref(id=p)) for p in participants],
    )


@pytest.mark.parametrize(
    ("candidate", "ours"),
    [
        (conversation(), True),
        (conversation(created=STARTED), True),  # stored in the very millisecond the call began
        (conversation(created=BEFORE), False),  # existed before the call began
        (conversation(subject="Alarm!"), False),
        (conversation(text="Cold chain "), False),  # exactly that text
        (conversation(sender=OTHER), False),  # by the current user
        (conversation(participants=(ME,)), False),  # the named recipient is missing
        (conversation(participants=(ME, FATMATA, OTHER)), True),  # groups may add people
        (conversation(attachments=("File0000001",)), False),
        (conversation(internal=True), False),
    ],
)
def test_which_conversation_is_the_lost_send(candidate: MessageConversation, ours: bool) -> None:
    found = _reconcile.matching_conversations(SENT, ME, STARTED, [candidate])
    assert found == ([candidate.id] if ours else [])


def test_a_reply_is_found_among_the_thread_by_time_text_and_sender() -> None:
    sent = _reconcile.Sent("reply", text="again", conversation="Conv0000001")
    thread = MessageConversation(
        id="Conv0000001",
        messages=[
            Message(id="old", text="again", sender=Ref(id=ME), created=BEFORE),
            Message(id="theirs", text="again", sender=Ref(id=OTHER), created=AFTER),
            Message(id="new", text="again", sender=Ref(id=ME), created=AFTER),
        ],
    )
    assert _reconcile.matching_messages(sent, ME, STARTED, thread) == ["new"]


@pytest.mark.parametrize(
    ("server_now", "elapsed", "started"),
    [
        (datetime(2030, 5, 1, 8, 0, 10, 0), 10.0, datetime(2030, 5, 1, 8, 0, 0, 0)),
        # rounded down to the millisecond: never later than the true start
        (datetime(2030, 5, 1, 8, 0, 10, 0), 0.0004, datetime(2030, 5, 1, 8, 0, 9, 999000)),
        (datetime(2030, 5, 1, 8, 0, 10, 0), -1.0, datetime(2030, 5, 1, 8, 0, 10, 0)),
    ],
)
def test_call_started_on_the_servers_clock(
    server_now: datetime, elapsed: float, started: datetime
) -> None:
    assert _reconcile.call_started(server_now, elapsed) == started


@pytest.mark.parametrize(
    ("timeout", "delays"),
    [
        (0.0, []),
        (0.3, [0.25, pytest.approx(0.05)]),
        (10.0, [0.25, 0.5, 1.0, 2.0, 2.0, 2.0, 2.0, pytest.approx(0.25)]),
    ],
)
def test_check_delays_fit_the_timeout(timeout: float, delays: list[float]) -> None:
    assert _reconcile.check_delays(timeout) == delays
    assert sum(_reconcile.check_delays(timeout)) <= timeout + 1e-9


def test_candidate_query_asks_for_what_was_sent_after_the_start() -> None:
    params = dict(_reconcile.candidate_params(SENT, STARTED))
    filters = [v for k, v in _reconcile.candidate_params(SENT, STARTED) if k == "filter"]
    assert "subject:eq:Alarm" in filters
    assert "created:ge:2030-05-01T08:00:00.500" in filters
    assert "messageType:eq:PRIVATE" in filters
    assert params["fields"] == _reconcile.CANDIDATE_FIELDS
    feedback = _reconcile.Sent("feedback", text="t", subject="Alarm")
    assert ("filter", "messageType:eq:TICKET") in _reconcile.candidate_params(feedback, STARTED)


def test_the_error_says_what_was_checked_without_the_text() -> None:
    lost = SendOutcomeUnknownError("POST /api/messageConversations: the answer was lost")
    secret_text = _reconcile.Sent(
        "send", text="patient 4711 HIV+", subject="Alarm", users=(FATMATA,)
    )
    error = _reconcile.outcome_unknown(
        lost, secret_text, checked=True, waited=10.2, started=STARTED
    )
    assert error.checked is True and error.candidates == ()
    assert "checked for 10 s and not found" in str(error)
    assert "'Alarm'" in str(error) and "17 characters" in str(error)
    assert "4711" not in str(error)  # the message text itself is never repeated
    several = _reconcile.outcome_unknown(lost, SENT, checked=True, waited=1, found=["A", "B"])
    assert several.candidates == ("A", "B") and "2 matching" in str(several)
    unknown = _reconcile.outcome_unknown(lost, SENT, checked=False, waited=10)
    assert unknown.checked is False and "could not be asked" in str(unknown)
