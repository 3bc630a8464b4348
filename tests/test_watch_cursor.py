"""The watch cursor (``dhis2w._watch``) as tables: no server, no clock.

Rows are what a poll returns (``id,lastMessage,messageCount``); threads are what a read of a
changed conversation returns. Each case says what the watcher must decide.
"""

from __future__ import annotations

import random
from datetime import datetime

import pytest

from dhis2w import InvalidInputError, _watch
from dhis2w.models import Message, MessageConversation

T0 = "2030-05-01T08:00:00.000"


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f")


def row(uid: str, time: str, count: int = 1) -> MessageConversation:
    return MessageConversation(id=uid, last_message=at(time), message_count=count)


def thread(uid: str, *messages: tuple[str, str]) -> MessageConversation:
    return MessageConversation(
        id=uid, messages=[Message(id=mid, created=at(created)) for mid, created in messages]
    )


def state(floor: str | None = T0, since: str | None = T0, **seen: _watch.Seen) -> _watch.WatchState:
    return _watch.WatchState(floor=floor, since=since, seen=dict(seen))


# --- which polled rows have something new ------------------------------------------------------
@pytest.mark.parametrize(
    ("seen", "rows", "changed"),
    [
        # nothing seen yet: every row is read
        ({}, [row("A", T0)], ["A"]),
        # the same time and count: nothing new (an idle poll)
        ({"A": _watch.Seen(T0, 1, "m1")}, [row("A", T0)], []),
        # a later time: a reply arrived
        ({"A": _watch.Seen(T0, 1, "m1")}, [row("A", "2030-05-01T08:00:01.000", 2)], ["A"]),
        # the same millisecond, one more message: not lost
        ({"A": _watch.Seen(T0, 1, "m1")}, [row("A", T0, 2)], ["A"]),
        # two conversations in the same millisecond: both, ordered by id
        ({}, [row("B", T0), row("A", T0)], ["A", "B"]),
        # oldest first, whatever order the rows came in
        (
            {},
            [row("B", "2030-05-01T08:00:02.000"), row("A", "2030-05-01T08:00:01.000")],
            ["A", "B"],
        ),
        # one of two same-millisecond rows already handed out: only the other
        ({"A": _watch.Seen(T0, 1, "m1")}, [row("A", T0), row("B", T0)], ["B"]),
    ],
)
def test_changed_rows(
    seen: dict[str, _watch.Seen], rows: list[MessageConversation], changed: list[str]
) -> None:
    assert [r.id for r in _watch.changed_rows(state(**seen), rows)] == changed


# --- which messages of a changed thread are new -----------------------------------------------
@pytest.mark.parametrize(
    ("seen", "since", "conversation", "new"),
    [
        # known tail: everything after it, by thread order (not by time)
        (
            {"A": _watch.Seen(T0, 2, "m2")},
            T0,
            thread("A", ("m1", T0), ("m2", T0), ("m3", T0)),
            ["m3"],
        ),
        # a message stamped a little before the floor but after the tail is still new
        (
            {"A": _watch.Seen(T0, 1, "m1")},
            T0,
            thread("A", ("m1", "2030-05-01T07:59:00.000"), ("m2", "2030-05-01T07:59:59.999")),
            ["m2"],
        ),
        # unknown conversation: messages created at or after the sweep's start
        (
            {},
            T0,
            thread(
                "A",
                ("m1", "2030-05-01T07:00:00.000"),
                ("m2", T0),
                ("m3", "2030-05-01T09:00:00.000"),
            ),
            ["m2", "m3"],
        ),
        # tail no longer in the thread (hidden): fall back to the time rule
        (
            {"A": _watch.Seen(T0, 1, "gone")},
            T0,
            thread("A", ("m1", "2030-05-01T07:00:00.000"), ("m2", T0)),
            ["m2"],
        ),
        # the inbox was empty when the watch started: everything is new
        ({}, None, thread("A", ("m1", "2000-01-01T00:00:00.000")), ["m1"]),
    ],
)
def test_new_messages(
    seen: dict[str, _watch.Seen],
    since: str | None,
    conversation: MessageConversation,
    new: list[str],
) -> None:
    current = state(floor=since, since=since, **seen)
    assert [m.id for m in _watch.new_messages(current, conversation)] == new


# --- how the cursor moves ----------------------------------------------------------------------
def test_baseline_starts_after_what_is_there() -> None:
    rows = [
        MessageConversation(
            id="A",
            last_message=at("2030-05-01T08:00:05.000"),
            message_count=2,
            messages=[Message(id="a1"), Message(id="a2")],
        ),
        MessageConversation(id="B", last_message=at("2030-05-01T07:00:00.000"), message_count=1),
    ]
    start = _watch.baseline_state(rows, full=False)
    assert start.floor == start.since == "2030-05-01T07:59:55.000"  # newest less the overlap
    assert start.seen == {"A": _watch.Seen("2030-05-01T08:00:05.000", 2, "a2")}  # B is older
    assert _watch.changed_rows(start, [rows[0]]) == []  # the next idle poll finds nothing


def test_baseline_of_an_empty_inbox_polls_without_a_time() -> None:
    start = _watch.baseline_state([], full=False)
    assert start.floor is None and _watch.poll_filter(start) == []


def test_a_full_page_moves_the_floor_but_keeps_the_sweep_start() -> None:
    before = state()
    rows = [row(f"C{i}", f"2030-05-01T08:00:0{i}.000") for i in range(3)]
    after = _watch.after_page(before, rows, full=True)
    assert after.floor == "2030-05-01T08:00:02.000" and after.since == T0
    assert _watch.next_poll_size(after, before, 100, full=True) == _watch.POLL_SIZE


def test_a_full_page_of_one_millisecond_grows_the_page() -> None:
    before = state()
    after = _watch.after_page(before, [row("A", T0), row("B", T0)], full=True)
    assert after.floor == T0
    assert _watch.next_poll_size(after, before, 2, full=True) == 4


def test_a_finished_sweep_trails_the_newest_time_and_forgets_old_rows() -> None:
    seen = {
        "old": _watch.Seen("2030-05-01T07:00:00.000", 1, "o1"),
        "new": _watch.Seen("2030-05-01T08:00:20.000", 1, "n1"),
    }
    after = _watch.after_page(state(**seen), [row("new", "2030-05-01T08:00:20.000")], full=False)
    assert after.floor == after.since == "2030-05-01T08:00:10.000"
    assert set(after.seen) == {"new"}
    assert _watch.poll_filter(after) == ["lastMessage:ge:2030-05-01T08:00:10.000"]


def test_the_floor_never_moves_back() -> None:
    current = state(floor="2030-05-01T09:00:00.000", since="2030-05-01T09:00:00.000")
    after = _watch.after_page(current, [row("A", "2030-05-01T09:00:01.000")], full=False)
    assert after.floor == "2030-05-01T09:00:00.000"


def test_after_event_records_the_tail() -> None:
    current = state()
    done = _watch.after_event(current, row("A", T0, 2), thread("A", ("m1", T0), ("m2", T0)))
    assert done.seen["A"] == _watch.Seen(T0, 2, "m2")
    assert current.seen == {}  # states are values: the old one is unchanged


# --- the cursor string -------------------------------------------------------------------------
def test_cursor_round_trips() -> None:
    current = state(A=_watch.Seen(T0, 3, "m3"))
    text = _watch.encode_cursor(current)
    assert text.startswith("dw1.") and text.isascii() and "=" not in text
    assert _watch.decode_cursor(text) == current


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "xyz",
        "dw1.",
        "dw1.@@@@",
        "dw1.e30x",
        "dw2.e30",
        "dw1." + "eyJmbG9vciI6Im5vdCBhIHRpbWUifQ",
    ],  # {"floor":"not a time"}
)
def test_a_damaged_cursor_is_bad_input(bad: str) -> None:
    with pytest.raises(InvalidInputError, match="cursor"):
        _watch.decode_cursor(bad)


# --- waits -------------------------------------------------------------------------------------
def test_jitter_stays_within_ten_percent() -> None:
    rng = random.Random(7)
    waits = [_watch.jittered(30.0, rng) for _ in range(200)]
    assert min(waits) >= 27.0 and max(waits) <= 33.0 and len(set(waits)) > 100


@pytest.mark.parametrize(
    ("failures", "interval", "delay"),
    [
        (1, 30.0, 1.0),
        (2, 30.0, 2.0),
        (5, 30.0, 16.0),
        (12, 30.0, 300.0),
        (1, 0.01, 0.01),
        (3, 600.0, 4.0),
        (40, 600.0, 600.0),
    ],
)
def test_error_delay_backs_off(failures: int, interval: float, delay: float) -> None:
    assert _watch.error_delay(failures, interval) == pytest.approx(delay)
