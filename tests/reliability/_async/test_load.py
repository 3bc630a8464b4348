"""Load: 1,000 concurrent sends and 200 concurrent replies to one thread, end to end.

Each message must be stored exactly once (checked in the server's own store), the thread's
``messageCount`` must be right, the client must never hold more than ``max_connections``
connections to the server, and every socket must be closed once the client is.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from functools import partial

import pytest

from dhis2w import AsyncClient, Dhis2Error, models
from dhis2w._wire import DEFAULT_MAX_CONNECTIONS
from dhis2w.testing import EmulatorHandle

from ..conftest import Tally
from ..gather import gather_async
from .support import fast_client, stored_message_count, stored_texts

pytestmark = pytest.mark.anyio

SENDS = 1_000
REPLIES = 200


def open_sockets() -> int:
    """Sockets this process holds (client and in-process emulator sides alike)."""
    fds = "/proc/self/fd"
    count = 0
    for name in os.listdir(fds):
        try:
            count += os.readlink(os.path.join(fds, name)).startswith("socket:")
        except OSError:
            continue  # closed between listdir and readlink
    return count


def settle_sockets(baseline: int) -> int:
    """The socket count once the server threads noticed the closed connections (bounded)."""
    deadline = time.monotonic() + 10
    while open_sockets() > baseline and time.monotonic() < deadline:
        time.sleep(0.05)
    return open_sockets()


def count_outcomes(
    results: list[models.MessageConversation | BaseException],
) -> list[models.MessageConversation]:
    failures = [r for r in results if isinstance(r, BaseException)]
    assert not failures, f"{len(failures)} calls failed, first: {failures[0]!r}"
    return [r for r in results if isinstance(r, models.MessageConversation)]


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts sockets through /proc")
async def test_thousand_concurrent_sends_exactly_once_bounded_no_leak(
    dhis2_emulator: EmulatorHandle, tally: Tally
) -> None:
    fatmata = dhis2_emulator.user("fatmata").uid
    server = dhis2_emulator.server
    subjects = [f"Load send {i:04d}" for i in range(SENDS)]
    before = {row[0] for row in server.store.query("SELECT uid FROM conversations")}
    baseline = open_sockets()
    server.reset_peak_connections()

    client = fast_client(dhis2_emulator)
    assert client.max_connections == DEFAULT_MAX_CONNECTIONS == 10
    async with client:
        calls = [
            partial(client.messaging.send, subject=s, text=f"Body of {s}", users=fatmata)
            for s in subjects
        ]
        sent = count_outcomes(await gather_async(calls))
    peak = server.peak_connections

    rows = server.store.query(
        "SELECT subject, message_count FROM conversations WHERE subject LIKE 'Load send %'"
    )
    copies = Counter(subject for subject, _ in rows)
    tally.add("messages", SENDS)
    tally.add("lost", sum(1 for s in subjects if copies[s] == 0))
    tally.add("duplicated", sum(n - 1 for n in copies.values() if n > 1))
    assert sorted(copies) == subjects and set(copies.values()) == {1}
    assert {count for _, count in rows} == {1}
    assert len({c.id for c in sent}) == SENDS
    assert {c.id for c in sent}.isdisjoint(before)
    assert [c.subject for c in sent] == subjects  # each call got its own conversation back
    assert 1 <= peak <= DEFAULT_MAX_CONNECTIONS
    assert settle_sockets(baseline) <= baseline  # none leaked (an idle one may close)
    assert server.open_connections == 0


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts sockets through /proc")
async def test_two_hundred_concurrent_replies_to_one_thread(
    dhis2_emulator: EmulatorHandle, tally: Tally
) -> None:
    fatmata = dhis2_emulator.user("fatmata").uid
    server = dhis2_emulator.server
    baseline = open_sockets()
    server.reset_peak_connections()
    async with fast_client(dhis2_emulator, max_connections=4) as client:
        thread = await client.messaging.send(subject="Busy thread", text="opening", users=fatmata)
        texts = [f"reply {i:03d} from the district" for i in range(REPLIES)]
        calls = [partial(client.messaging.reply, thread.id, text=t) for t in texts]
        count_outcomes(await gather_async(calls))
        seen = await client.messaging.get_conversation(thread.id)
    peak = server.peak_connections

    stored = stored_texts(dhis2_emulator, thread.id)
    counts = Counter(stored)
    tally.add("messages", REPLIES + 1)
    tally.add("lost", sum(1 for t in texts if counts[t] == 0))
    tally.add("duplicated", sum(n - 1 for n in counts.values() if n > 1))
    assert sorted(stored) == sorted(["opening", *texts])
    assert stored_message_count(dhis2_emulator, thread.id) == REPLIES + 1
    assert seen.message_count == REPLIES + 1
    assert sorted(m.text for m in seen.messages) == sorted(stored)
    assert 1 <= peak <= 4  # the configured bound, not the default
    assert settle_sockets(baseline) <= baseline  # none leaked (an idle one may close)
    assert server.open_connections == 0


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts sockets through /proc")
async def test_failed_calls_leak_no_sockets(dhis2_emulator: EmulatorHandle, tally: Tally) -> None:
    fatmata = dhis2_emulator.user("fatmata").uid
    faults = dhis2_emulator.faults
    baseline = open_sockets()
    failures = 0
    # reconcile_timeout=0: every lost answer surfaces as an error (counted below)
    async with fast_client(dhis2_emulator, max_retries=0, reconcile_timeout=0) as client:
        thread = await client.messaging.send(subject="Leak check", text="start", users=fatmata)
        for inject in (
            lambda: faults.drop_after_commit(1),
            lambda: faults.truncate_next(1),
            lambda: faults.fail_next(1, status=503),
            lambda: faults.unauthorized_next(1),
            lambda: faults.login_page_next(1),
        ):
            for _ in range(5):
                inject()
                try:
                    await client.messaging.reply(thread.id, text="maybe")
                except Dhis2Error:
                    failures += 1
    tally.add("faults", failures)
    assert failures == 25  # every injected fault surfaced as an error, none was swallowed
    assert settle_sockets(baseline) <= baseline  # none leaked (an idle one may close)
    assert dhis2_emulator.server.open_connections == 0


async def test_max_connections_is_checked() -> None:
    from dhis2w import InvalidInputError, Profile

    profile = Profile(base_url="https://dhis2.example.org", token="d2pat_x")
    for bad in (0, -1, 2.5, True):
        with pytest.raises(InvalidInputError, match="max_connections"):
            AsyncClient(profile, max_connections=bad)  # type: ignore[arg-type]
