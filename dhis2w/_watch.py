"""The inbox watcher's cursor: which conversations to look at, and which messages are new.

Pure logic shared by both twins (``watch`` in ``_async/messaging.py`` only does the I/O).

DHIS2 has no push and no change feed for messages, but every conversation carries
``lastMessage``, the server's time of its newest message, and a list can be filtered on it
(``lastMessage:ge:<time>``, parsed by DHIS2 to the millisecond). The cursor is built only
from what the server said -- those timestamps, conversation and message ids, and
``messageCount`` -- never from the client's clock:

* ``floor``: the next poll asks for ``lastMessage >= floor`` (ordered oldest first), with a
  narrow selector ``id,lastMessage,messageCount``; an idle poll is that one small request.
* ``seen``: each conversation the last polls returned, as ``(lastMessage, messageCount, id of
  the newest message handed out)``. A returned row that matches its entry has nothing new;
  one that does not (or has no entry) is read in full. Two messages stamped in the same
  millisecond differ in conversation or in ``messageCount``, so neither is lost or repeated.
* ``since``: where the current sweep started. A conversation with no ``seen`` entry gets as
  new only its messages created at or after ``since``.

The floor trails the newest ``lastMessage`` seen by :data:`OVERLAP`: DHIS2 stamps
``lastMessage`` when it builds the conversation, before the transaction commits (a send to a
large group can take seconds), so a conversation can become visible with a time older than
one already seen. Looking back a little, and telling already-seen rows apart by ``seen``,
catches those without handing anything out twice.

New messages are found by thread order: DHIS2 keeps ``messages`` as a list in insertion
order (``sort_order``), so whatever follows the newest message already handed out is new.
"""

from __future__ import annotations

import base64
import binascii
import random
from collections.abc import Sequence
from datetime import datetime, timedelta

import msgspec

from . import models
from .errors import InvalidInputError

__all__ = [
    "BASELINE_FIELDS",
    "BASELINE_SIZE",
    "OVERLAP",
    "POLL_FIELDS",
    "POLL_SIZE",
    "Seen",
    "WatchState",
    "after_event",
    "after_page",
    "baseline_state",
    "changed_rows",
    "decode_cursor",
    "encode_cursor",
    "error_delay",
    "format_time",
    "jittered",
    "new_messages",
    "next_poll_size",
    "poll_filter",
]

#: How far behind the newest ``lastMessage`` each poll starts (see the module docstring).
OVERLAP = timedelta(seconds=10)
#: ``seen`` keeps entries a little older than the floor: a conversation's first message can
#: be stamped a few milliseconds after its ``lastMessage`` (two ``new Date()`` calls).
KEEP_SLACK = timedelta(seconds=1)

POLL_FIELDS = "id,lastMessage,messageCount"
POLL_SIZE = 100
#: The first poll of a watch without a cursor: the newest conversations and their message
#: ids, so the watcher starts after what is already there.
BASELINE_FIELDS = "id,lastMessage,messageCount,messages[id]"
BASELINE_SIZE = 20

_PREFIX = "dw1."


class Seen(msgspec.Struct, array_like=True, frozen=True):
    """One conversation as the watcher last saw it."""

    last_message: str
    count: int
    tail: str | None  # id of the newest message handed out (or already there at the start)


class WatchState(msgspec.Struct, kw_only=True, frozen=True):
    """Everything the cursor string holds. Times are the server's own strings."""

    floor: str | None = None  # None: the inbox was empty, poll without a time filter
    since: str | None = None
    seen: dict[str, Seen] = msgspec.field(default_factory=dict)


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(WatchState)


def encode_cursor(state: WatchState) -> str:
    """The opaque cursor string a caller stores and passes back as ``cursor=``."""
    return _PREFIX + base64.urlsafe_b64encode(_encoder.encode(state)).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> WatchState:
    """The state behind a cursor string; :class:`InvalidInputError` for anything else."""
    if not isinstance(cursor, str) or not cursor.startswith(_PREFIX):
        raise InvalidInputError("cursor is not a dhis2w watch cursor (it starts with 'dw1.')")
    body = cursor[len(_PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        state = _decoder.decode(raw)
        for time in (state.floor, state.since, *(s.last_message for s in state.seen.values())):
            if time is not None:
                parse_time(time)
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError):
        raise InvalidInputError("cursor is damaged: pass one a watch event gave") from None
    return state


def format_time(value: datetime) -> str:
    """A server time as DHIS2 writes it: ``yyyy-MM-ddTHH:mm:ss.SSS``, no zone."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}"


def parse_time(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f")


def _row_time(row: models.MessageConversation) -> str | None:
    return None if row.last_message is None else format_time(row.last_message)


def poll_filter(state: WatchState) -> list[str]:
    """The ``filter`` of the next poll (none when the inbox was empty at the start)."""
    return [] if state.floor is None else [f"lastMessage:ge:{state.floor}"]


def _tail(conversation: models.MessageConversation) -> str | None:
    return conversation.messages[-1].id if conversation.messages else None


def baseline_state(rows: Sequence[models.MessageConversation], full: bool) -> WatchState:
    """The state a watch without a cursor starts from: after everything already there.

    ``rows`` are the newest conversations (newest first) with their message ids; when the
    page was ``full``, older conversations exist and the floor is the oldest row's time.
    """
    times = [t for t in (_row_time(r) for r in rows) if t is not None]
    if not times:
        return WatchState()
    newest = max(times)
    floor = format_time(parse_time(newest) - OVERLAP)
    if full:
        floor = max(floor, min(times))
    seen = {
        r.id: Seen(t, r.message_count or 0, _tail(r))
        for r in rows
        if (t := _row_time(r)) is not None and t >= floor
    }
    return WatchState(floor=floor, since=floor, seen=seen)


def changed_rows(
    state: WatchState, rows: Sequence[models.MessageConversation]
) -> list[models.MessageConversation]:
    """The polled rows with something new, oldest ``lastMessage`` first."""
    changed = []
    for row in rows:
        time = _row_time(row)
        entry = state.seen.get(row.id)
        if entry is None or (entry.last_message, entry.count) != (time, row.message_count or 0):
            changed.append(row)
    return sorted(changed, key=lambda r: (_row_time(r) or "", r.id))


def new_messages(
    state: WatchState, conversation: models.MessageConversation
) -> list[models.Message]:
    """The messages of ``conversation`` the watcher has not handed out yet."""
    entry = state.seen.get(conversation.id)
    if entry is not None and entry.tail is not None:
        ids = [m.id for m in conversation.messages]
        if entry.tail in ids:
            return conversation.messages[ids.index(entry.tail) + 1 :]
    if state.since is None:
        return list(conversation.messages)
    since = parse_time(state.since)
    return [m for m in conversation.messages if m.created is not None and m.created >= since]


def after_event(
    state: WatchState,
    row: models.MessageConversation,
    conversation: models.MessageConversation,
) -> WatchState:
    """The state once ``conversation`` (polled as ``row``) has been handed out."""
    time = _row_time(row)
    if time is None:
        return state
    previous = state.seen.get(row.id)
    tail = _tail(conversation) or (previous.tail if previous is not None else None)
    seen = dict(state.seen)
    seen[row.id] = Seen(time, row.message_count or 0, tail)
    return msgspec.structs.replace(state, seen=seen)


def after_page(
    state: WatchState, rows: Sequence[models.MessageConversation], full: bool
) -> WatchState:
    """The state once every row of a poll was handled.

    A ``full`` page means more rows wait: the floor moves to the last row's time and the
    sweep goes on (``since`` stays). Otherwise the sweep is done: the floor and ``since``
    move to :data:`OVERLAP` before the newest time seen, and old ``seen`` entries go.
    """
    times = [t for t in (_row_time(r) for r in rows) if t is not None]
    times.extend(s.last_message for s in state.seen.values())
    if not times:
        return state
    newest = max(times)
    if full:
        floor = max(t for t in (_row_time(r) for r in rows) if t is not None)
        since = state.since
    else:
        floor = format_time(parse_time(newest) - OVERLAP)
        if state.floor is not None:
            floor = max(floor, state.floor)
        since = floor
    keep = format_time(parse_time(floor) - KEEP_SLACK)
    seen = {uid: s for uid, s in state.seen.items() if s.last_message >= keep}
    return WatchState(floor=floor, since=since, seen=seen)


def next_poll_size(state: WatchState, before: WatchState, size: int, full: bool) -> int:
    """The page size of the next poll: doubled while a full page did not move the floor
    (more than ``size`` conversations share one millisecond), else back to :data:`POLL_SIZE`."""
    if full and state.floor == before.floor:
        return size * 2
    return POLL_SIZE


#: The longest wait between tries after read errors (unless the interval is longer).
MAX_ERROR_DELAY = 300.0


def jittered(interval: float, rng: random.Random | None = None) -> float:
    """``interval`` give or take 10 %, so many watchers do not poll in step."""
    factor: float = (rng or random).uniform(0.9, 1.1)
    return interval * factor


def error_delay(failures: int, interval: float) -> float:
    """The wait after the ``failures``-th read error in a row: from one second (or the
    interval, if shorter) doubling up to :data:`MAX_ERROR_DELAY` (or the interval, if longer)."""
    first = min(interval, 1.0)
    grown = first * 2.0 ** min(failures - 1, 30)
    return min(grown, max(MAX_ERROR_DELAY, interval))
