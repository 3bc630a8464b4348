"""Shared pieces of the reliability tests: a quick-retrying client and the server's truth.

What the emulator stored is read straight from its SQLite store, not through the client under
test, so "exactly one copy" is checked against the server, whatever the client believes.
"""

from __future__ import annotations

from typing import Any

from dhis2w import AsyncClient, Profile
from dhis2w.testing import EmulatorHandle


def fast_client(emulator: EmulatorHandle, username: str = "admin", **options: Any) -> AsyncClient:
    """A client that retries at once (backoff 10 ms) so fault tests run quickly."""
    options.setdefault("backoff_base", 0.01)
    options.setdefault("storage_poll_interval", 0.0)
    return AsyncClient(emulator.profile(username), **options)


def client_with_timeout(emulator: EmulatorHandle, seconds: float) -> AsyncClient:
    admin = emulator.user("admin")
    profile = Profile(
        base_url=emulator.url, username=admin.username, password=admin.password, timeout=seconds
    )
    return AsyncClient(profile, backoff_base=0.01)


def stored_copies(emulator: EmulatorHandle, subject: str) -> int:
    """How many conversations with ``subject`` the server holds (any participant)."""
    rows = emulator.server.store.query(
        "SELECT count(*) FROM conversations WHERE subject = ?", (subject,)
    )
    return int(rows[0][0])


def stored_texts(emulator: EmulatorHandle, conversation: str) -> list[str]:
    """Every message text of a conversation as the server holds it, oldest first."""
    rows = emulator.server.store.query(
        "SELECT text FROM messages WHERE conversation = ? ORDER BY created, rowid",
        (conversation,),
    )
    return [str(row[0]) for row in rows]


def stored_message_count(emulator: EmulatorHandle, conversation: str) -> int:
    rows = emulator.server.store.query(
        "SELECT message_count FROM conversations WHERE uid = ?", (conversation,)
    )
    return int(rows[0][0])
