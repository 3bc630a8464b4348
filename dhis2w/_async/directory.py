"""``client.directory``: turn the names people type into the UIDs DHIS2 wants.

``--user admin`` is friendlier than ``--user M5zQapPyTZI``. Users match by exact username,
then by display name; user groups by name, then by code; organisation units by code, then by
name. A UID-shaped string (11 characters) is first checked to exist, in one request for all of
them, because a real username can have that shape too (``fatmatakama``): one that is not a UID
on the server is looked up as a name like any other; UIDs found are remembered for the
client's life, so sending to the same people again costs no lookup. No match raises
:class:`UnknownNameError`; several raise :class:`AmbiguousNameError` listing the candidates.
What to ask for and how to read the answers lives in ``_wire`` (no I/O here).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .. import _names, _wire
from ..errors import AmbiguousNameError, PermissionDeniedError, UnknownNameError

if TYPE_CHECKING:
    from .client import AsyncClient

__all__ = ["AsyncDirectory"]


class AsyncDirectory:
    """Name -> UID resolution for users, user groups and organisation units."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client
        #: (path, uid) of objects seen to exist; an object deleted since then still passes,
        #: as any UID did before it was checked, and DHIS2 judges it when it is used.
        self._known: set[tuple[str, str]] = set()

    async def resolve_users(self, names: str | Iterable[str]) -> list[str]:
        """User UIDs, usernames (exact) or display names -> user UIDs."""
        return await self._resolve_all(_names.USERS, names)

    async def resolve_user_groups(self, names: str | Iterable[str]) -> list[str]:
        """User-group UIDs, names or codes -> UIDs."""
        return await self._resolve_all(_names.USER_GROUPS, names)

    async def resolve_organisation_units(self, names: str | Iterable[str]) -> list[str]:
        """Organisation-unit UIDs, codes or names -> UIDs."""
        return await self._resolve_all(_names.ORGANISATION_UNITS, names)

    async def resolve_recipients(
        self,
        *,
        users: str | Iterable[str] = (),
        user_groups: str | Iterable[str] = (),
        organisation_units: str | Iterable[str] = (),
    ) -> _names.Recipients:
        """All three kinds at once, ready for ``messaging.send(subject=..., text=..., **r)``
        or ``messaging.add_recipients(uid, **r)``. A kind left empty costs no request."""
        return _names.Recipients(
            users=await self.resolve_users(users),
            user_groups=await self.resolve_user_groups(user_groups),
            organisation_units=await self.resolve_organisation_units(organisation_units),
        )

    async def _resolve_all(
        self, kind: _names.DirectoryKind, names: str | Iterable[str]
    ) -> list[str]:
        wanted = _names.directory_names(names)
        existing = await self._existing_ids(kind, [name for name in wanted if _wire.is_uid(name)])
        return [
            name if name in existing else await self._resolve_name(kind, name) for name in wanted
        ]

    async def _existing_ids(self, kind: _names.DirectoryKind, uids: list[str]) -> set[str]:
        """Which of ``uids`` are objects of ``kind`` the caller can see."""
        found = {uid for uid in uids if (kind.path, uid) in self._known}
        unique = [uid for uid in dict.fromkeys(uids) if uid not in found]
        step = _names.DIRECTORY_IDS_PER_REQUEST
        for start in range(0, len(unique), step):
            chunk = unique[start : start + step]
            params = _names.directory_ids_params(kind, chunk)
            try:
                response = await self._client.request_json("GET", kind.path, params=params)
            except PermissionDeniedError:
                # The caller may not list these objects: it cannot look names up either, so
                # UIDs pass through unchecked, for DHIS2 to judge when they are used.
                return found | set(unique)
            found |= _names.directory_ids(kind, response.content) & set(chunk)
        self._known.update((kind.path, uid) for uid in found)
        return found

    async def _resolve_name(self, kind: _names.DirectoryKind, name: str) -> str:
        for prop in kind.properties:
            params = _names.directory_params(kind, prop, name)
            response = await self._client.request_json("GET", kind.path, params=params)
            candidates = kind.candidates(response.content, kind.path)
            if len(candidates) == 1:
                self._known.add((kind.path, candidates[0].id))
                return candidates[0].id
            if len(candidates) > 1:
                raise AmbiguousNameError(
                    _names.ambiguous_name_message(kind, name, prop, candidates)
                )
        raise UnknownNameError(_names.unknown_name_message(kind, name))
