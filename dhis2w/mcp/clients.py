"""The server's DHIS2 clients: its own profile, and the others the operator allowed."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import anyio

from .._async.client import AsyncClient
from ..errors import ProfileError
from ..profile import Profile, load_profile
from .failures import ProfileNotAllowedError

__all__ = ["ClientPool"]

logger = logging.getLogger("dhis2w.mcp")


class ClientPool:
    """One client per profile, opened on first use, reused by every call, closed on shutdown.

    ``None`` is the server's own profile (given, else :func:`dhis2w.load_profile` precedence on
    first use). Another profile is used only if the operator allowed it by name; a refusal
    names nothing about the profiles that exist.

    Clients are not entered as context managers: that would open their prefetch task group
    inside one tool call's task and close it from another (the server's shutdown), which anyio
    forbids; the tools never prefetch, and ``AsyncClient.aclose`` closes everything a client
    holds.
    """

    def __init__(self, own: Profile | None, allowed: Sequence[str] = ()) -> None:
        self._own = own
        self._allowed = frozenset(allowed)
        self._clients: dict[str | None, AsyncClient] = {}
        self._lock: anyio.Lock | None = None

    def check(self, name: str | None) -> str | None:
        """The pool key for a call naming ``name``; refused unless allowed."""
        if name is None or name == self._own_name():
            return None
        if name not in self._allowed:
            raise ProfileNotAllowedError(f"this server may not use the profile {name!r}")
        return name

    def _own_name(self) -> str | None:
        if self._own is None:
            try:
                self._own = load_profile(None)
            except ProfileError:
                return None  # reported by the call that needs it
        return self._own.name

    def _profile(self, key: str | None) -> Profile:
        if key is None:
            if self._own is None:
                self._own = load_profile(None)
            return self._own
        return load_profile(key)

    async def get(self, name: str | None) -> AsyncClient:
        key = self.check(name)
        client = self._clients.get(key)
        if client is not None:
            return client
        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = AsyncClient(self._profile(key))
                self._clients[key] = client
            return client

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            try:
                await client.aclose()
            except Exception:  # closing must not mask the shutdown; log and go on
                logger.warning("closing a DHIS2 client failed", exc_info=True)
