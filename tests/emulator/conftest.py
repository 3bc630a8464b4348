"""Helpers for the emulator conformance suite: plain httpx clients, one per seeded user.

The suite deliberately avoids dhis2w's own client: it checks the emulator against the
documented DHIS2 behaviour (``docs/dhis2-api.md``), not against what our client happens to send.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from dhis2w.testing import EmulatorHandle

UserClient = Callable[..., httpx.Client]


@pytest.fixture
def emu(dhis2_emulator: EmulatorHandle) -> EmulatorHandle:
    return dhis2_emulator


@pytest.fixture
def as_user(emu: EmulatorHandle) -> Iterator[UserClient]:
    """``as_user("fatmata")`` -> an httpx.Client with that user's Basic auth."""
    clients: list[httpx.Client] = []

    def make(username: str = "admin", *, token: bool = False, **kw: object) -> httpx.Client:
        user = emu.user(username)
        headers = {"Authorization": f"ApiToken {user.token}"} if token else {}
        auth = None if token else (user.username, user.password)
        client = httpx.Client(
            base_url=emu.url,
            auth=auth,
            headers=headers,
            timeout=30.0,
            **kw,  # type: ignore[arg-type]
        )
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.close()


@pytest.fixture
def admin(as_user: UserClient) -> httpx.Client:
    return as_user("admin")


@pytest.fixture
def anon(emu: EmulatorHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.url, timeout=30.0) as client:
        yield client
