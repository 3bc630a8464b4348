"""``client.directory``: turn the names people type into the UIDs DHIS2 wants.

``--user admin`` is friendlier than ``--user M5zQapPyTZI``. A UID-shaped string passes
through untouched (no request). Otherwise users match by exact username, then by display
name; user groups by name; organisation units by code, then by name. No match raises
:class:`UnknownNameError`; several raise :class:`AmbiguousNameError` listing the candidates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import msgspec

from .. import _wire, models
from ..errors import AmbiguousNameError, InvalidInputError, UnknownNameError

if TYPE_CHECKING:
    from .client import AsyncClient

__all__ = ["AsyncDirectory"]

_MAX_CANDIDATES = 25


class _Candidate(msgspec.Struct):
    id: str
    label: str


class AsyncDirectory:
    """Name -> UID resolution for users, user groups and organisation units."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def resolve_users(self, names: str | Iterable[str]) -> list[str]:
        """Usernames (exact) or display names -> user UIDs."""
        return [
            await self._resolve(name, "user", "/api/users", ("username", "displayName"))
            for name in _names(names)
        ]

    async def resolve_user_groups(self, names: str | Iterable[str]) -> list[str]:
        """User-group names -> UIDs."""
        return [
            await self._resolve(name, "user group", "/api/userGroups", ("name",))
            for name in _names(names)
        ]

    async def resolve_organisation_units(self, names: str | Iterable[str]) -> list[str]:
        """Organisation-unit codes or names -> UIDs."""
        return [
            await self._resolve(
                name,
                "organisation unit",
                "/api/organisationUnits",
                ("code", "name"),
            )
            for name in _names(names)
        ]

    async def _resolve(
        self,
        name: str,
        what: str,
        path: str,
        properties: Sequence[str],
    ) -> str:
        if _wire.is_uid(name):
            return name
        for prop in properties:
            candidates = await self._search(what, path, prop, name)
            if len(candidates) == 1:
                return candidates[0].id
            if len(candidates) > 1:
                listed = ", ".join(f"{c.id} ({c.label})" for c in candidates)
                raise AmbiguousNameError(
                    f"{what} {name!r} matches {len(candidates)} by {prop}: {listed}; "
                    "use the UID instead"
                )
        tried = " or ".join(properties)
        raise UnknownNameError(f"no {what} with {tried} {name!r}")

    async def _search(self, what: str, path: str, prop: str, name: str) -> list[_Candidate]:
        if what == "user":
            return await self._users(path, prop, name)
        if what == "user group":
            return await self._groups(path, prop, name)
        return await self._org_units(path, prop, name)

    async def _fetch(self, path: str, prop: str, name: str, fields: str) -> bytes:
        params: _wire.QueryParams = [
            ("fields", fields),
            ("filter", f"{prop}:eq:{name}"),
            ("pageSize", str(_MAX_CANDIDATES)),
        ]
        response = await self._client.request_json("GET", path, params=params)
        return response.content

    async def _users(self, path: str, prop: str, name: str) -> list[_Candidate]:
        body = await self._fetch(path, prop, name, _wire.USER_FIELDS)
        page = _wire.decode(
            models.user_page_decoder, body, method="GET", path=path, status_code=200
        )
        return [
            _Candidate(u.id, u.username or u.display_name or u.name or u.id) for u in page.users
        ]

    async def _groups(self, path: str, prop: str, name: str) -> list[_Candidate]:
        body = await self._fetch(path, prop, name, _wire.NAMED_FIELDS)
        page = _wire.decode(
            models.user_group_page_decoder, body, method="GET", path=path, status_code=200
        )
        return [_Candidate(g.id, g.display_name or g.name or g.id) for g in page.user_groups]

    async def _org_units(self, path: str, prop: str, name: str) -> list[_Candidate]:
        body = await self._fetch(path, prop, name, _wire.NAMED_FIELDS + ",path")
        page = _wire.decode(
            models.organisation_unit_page_decoder, body, method="GET", path=path, status_code=200
        )
        return [
            _Candidate(o.id, o.path or o.display_name or o.name or o.id)
            for o in page.organisation_units
        ]


def _names(names: str | Iterable[str]) -> list[str]:
    items = [names] if isinstance(names, str) else list(names)
    cleaned = [item.strip() if isinstance(item, str) else item for item in items]
    for item in cleaned:
        if not isinstance(item, str) or not item:
            raise InvalidInputError(f"{item!r} is not a name or UID")
    return cleaned
