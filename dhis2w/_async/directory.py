"""``client.directory``: turn the names people type into the UIDs DHIS2 wants.

``--user admin`` is friendlier than ``--user M5zQapPyTZI``. A UID-shaped string passes
through untouched (no request). Otherwise users match by exact username, then by display
name; user groups by name, then by code; organisation units by code, then by name. No match
raises :class:`UnknownNameError`; several raise :class:`AmbiguousNameError` listing the
candidates. What to ask for and how to read the answers lives in ``_wire`` (no I/O here).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .. import _wire
from ..errors import AmbiguousNameError, UnknownNameError

if TYPE_CHECKING:
    from .client import AsyncClient

__all__ = ["AsyncDirectory"]


class AsyncDirectory:
    """Name -> UID resolution for users, user groups and organisation units."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def resolve_users(self, names: str | Iterable[str]) -> list[str]:
        """Usernames (exact) or display names -> user UIDs."""
        return await self._resolve_all(_wire.USERS, names)

    async def resolve_user_groups(self, names: str | Iterable[str]) -> list[str]:
        """User-group names or codes -> UIDs."""
        return await self._resolve_all(_wire.USER_GROUPS, names)

    async def resolve_organisation_units(self, names: str | Iterable[str]) -> list[str]:
        """Organisation-unit codes or names -> UIDs."""
        return await self._resolve_all(_wire.ORGANISATION_UNITS, names)

    async def _resolve_all(
        self, kind: _wire.DirectoryKind, names: str | Iterable[str]
    ) -> list[str]:
        return [await self._resolve(kind, name) for name in _wire.directory_names(names)]

    async def _resolve(self, kind: _wire.DirectoryKind, name: str) -> str:
        if _wire.is_uid(name):
            return name
        for prop in kind.properties:
            params = _wire.directory_params(kind, prop, name)
            response = await self._client.request_json("GET", kind.path, params=params)
            candidates = kind.candidates(response.content, kind.path)
            if len(candidates) == 1:
                return candidates[0].id
            if len(candidates) > 1:
                raise AmbiguousNameError(_wire.ambiguous_name_message(kind, name, prop, candidates))
        raise UnknownNameError(_wire.unknown_name_message(kind, name))
