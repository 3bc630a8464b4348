"""Finding a write whose answer was lost: pure rules shared by both twins.

When the answer to ``send``, ``reply`` or ``send_feedback`` is lost, the server may or may not
have stored the message. Sending again could make a second copy, so the client looks for what
it sent instead: a conversation (or a message in the thread) by the current user, with exactly
that subject, text, recipients and attachments, created after the call began. Found once, the
call returns it; otherwise :class:`SendOutcomeUnknownError` says what was checked.

"After the call began" is measured on the server's clock, never compared with the client's:
the client keeps a monotonic stopwatch from the start of the call, asks the server for its
time (``/api/system/info`` ``serverDate``, given to every user) and subtracts the elapsed time.
The server stamped its time before the client read the answer, so the result is never later
than the true start: the lost message is never excluded, and anything stored before the call
began (an earlier send of the same text) is excluded unless it was stored within the answer's
travel time of the new call (see the README on the remaining ambiguity).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from . import _wire, models
from ._watch import format_time
from .enums import MessageType
from .errors import SendOutcomeUnknownError

__all__ = [
    "CANDIDATE_FIELDS",
    "SERVER_TIME_FIELDS",
    "Sent",
    "call_started",
    "candidate_params",
    "check_delays",
    "matching_conversations",
    "matching_messages",
    "outcome_unknown",
]

SERVER_TIME_FIELDS = "serverDate"
CANDIDATE_FIELDS = (
    "id,created,subject,messageType,"
    "messages[id,text,created,internal,sender[id],attachments[id]],userMessages[user[id]]"
)
#: Waits between checks: the first check is at once, then the server gets time to settle.
_CHECK_DELAYS = (0.25, 0.5, 1.0, 2.0)


@dataclass(frozen=True)
class Sent:
    """What the lost call sent, as the server would store it."""

    kind: str  # "send", "reply" or "feedback"
    text: str
    subject: str | None = None
    users: tuple[str, ...] = ()
    attachments: tuple[str, ...] = ()
    conversation: str | None = None  # the thread, for a reply
    internal: bool = False

    def describe(self) -> str:
        """What was looked for, for the error message (the text by length only)."""
        parts = []
        if self.kind == "reply":
            parts.append(f"a reply in conversation {self.conversation}")
        elif self.kind == "feedback":
            parts.append("a feedback ticket")
        else:
            parts.append("a conversation")
        if self.subject is not None:
            parts.append(f"with subject {self.subject!r}")
        parts.append(f"and the same text ({len(self.text)} characters)")
        if self.users:
            parts.append(f"to {len(self.users)} named user(s)")
        if self.attachments:
            parts.append(f"with {len(self.attachments)} attachment(s)")
        if self.internal:
            parts.append("marked internal")
        return " ".join(parts)


def call_started(server_now: datetime, elapsed: float) -> datetime:
    """The server's time when the call began: its time now, less the seconds since, to the
    millisecond below (DHIS2 stores milliseconds)."""
    started = server_now - timedelta(seconds=max(elapsed, 0.0))
    return started.replace(microsecond=started.microsecond // 1000 * 1000)


def check_delays(timeout: float) -> list[float]:
    """The waits between checks within ``timeout`` seconds (the first check is not delayed)."""
    delays: list[float] = []
    total = 0.0
    step = 0
    while True:
        delay = _CHECK_DELAYS[min(step, len(_CHECK_DELAYS) - 1)]
        if total + delay > timeout:
            remaining = timeout - total
            if remaining > 0.01:
                delays.append(remaining)
            return delays
        delays.append(delay)
        total += delay
        step += 1


def candidate_params(sent: Sent, started: datetime) -> _wire.QueryParams:
    """The list query for conversations the lost ``send``/``send_feedback`` may have made."""
    message_type = MessageType.TICKET if sent.kind == "feedback" else MessageType.PRIVATE
    return _wire.conversation_list_params(
        filter=[f"subject:eq:{sent.subject}", f"created:ge:{format_time(started)}"],
        message_type=message_type,
        order="created:desc",
        page_size=50,
        fields=CANDIDATE_FIELDS,
    )


def _is_ours(message: models.Message, sent: Sent, me: str, started: datetime) -> bool:
    return (
        message.sender is not None
        and message.sender.id == me
        and message.text == sent.text
        and message.internal == sent.internal
        and message.created is not None
        and message.created >= started
        and sorted(a.id for a in message.attachments) == sorted(sent.attachments)
    )


def matching_conversations(
    sent: Sent, me: str, started: datetime, conversations: Sequence[models.MessageConversation]
) -> list[str]:
    """UIDs of the conversations that are what the lost call created."""
    found = []
    for conversation in conversations:
        if conversation.subject != sent.subject or not conversation.messages:
            continue
        if conversation.created is not None and conversation.created < started:
            continue
        participants = {um.user.id for um in conversation.user_messages if um.user is not None}
        if not set(sent.users) <= participants:
            continue
        if _is_ours(conversation.messages[0], sent, me, started):
            found.append(conversation.id)
    return found


def matching_messages(
    sent: Sent, me: str, started: datetime, conversation: models.MessageConversation
) -> list[str]:
    """Ids of the messages in ``conversation`` that are the lost reply."""
    return [m.id for m in conversation.messages if _is_ours(m, sent, me, started)]


def outcome_unknown(
    lost: SendOutcomeUnknownError,
    sent: Sent,
    *,
    checked: bool,
    waited: float,
    found: Sequence[str] = (),
    started: datetime | None = None,
) -> SendOutcomeUnknownError:
    """The error for a lost answer the check could not settle, saying what was checked."""
    since = "" if started is None else f" stored since {format_time(started)} (server time)"
    if not checked:
        verdict = (
            f"the server could not be asked whether it was stored (tried for {waited:.0f} s)"
            " — check the inbox before sending again"
        )
    elif found:
        verdict = (
            f"checked: {len(found)} matching messages were found ({', '.join(found)}), "
            "so which one this call made cannot be told — check before sending again"
        )
    else:
        verdict = (
            f"checked for {waited:.0f} s and not found: {sent.describe()}{since} — "
            "it was most likely not stored; look once more before sending again"
        )
    error = SendOutcomeUnknownError(f"{lost}; {verdict}", checked=checked, candidates=found)
    return error
