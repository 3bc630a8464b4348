"""Turning names into UIDs: the directory lookups both twins send, and how to read them.

People write ``--user fatmata`` or a group's name, not an 11-character UID. The twins'
``directory`` modules do the I/O; what to ask (which properties, in which order, which fields)
and how to read and explain the answers lives here, without I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypedDict

import msgspec

from . import models
from ._wire import NAMED_FIELDS, USER_FIELDS, QueryParams, decode
from .errors import InvalidInputError
from .uids import is_uid

#: How many matches a name lookup asks for: enough to list the candidates of an ambiguous name.
DIRECTORY_MAX_CANDIDATES = 25


class DirectoryCandidate(msgspec.Struct):
    """One object a name matched: its UID and a label to show when the name is ambiguous."""

    id: str
    label: str


class DirectoryKind(msgspec.Struct, frozen=True):
    """How to look one kind of object up by name: where, by which properties (in order of
    preference), with which fields, and how to read the candidates from the answer."""

    what: str
    path: str
    properties: tuple[str, ...]
    fields: str
    candidates: Callable[[bytes, str], list[DirectoryCandidate]]


def _user_candidates(body: bytes, path: str) -> list[DirectoryCandidate]:
    page = decode(models.user_page_decoder, body, method="GET", path=path, status_code=200)
    return [
        DirectoryCandidate(u.id, u.username or u.display_name or u.name or u.id) for u in page.users
    ]


def _group_candidates(body: bytes, path: str) -> list[DirectoryCandidate]:
    page = decode(models.user_group_page_decoder, body, method="GET", path=path, status_code=200)
    return [DirectoryCandidate(g.id, g.display_name or g.name or g.id) for g in page.user_groups]


def _org_unit_candidates(body: bytes, path: str) -> list[DirectoryCandidate]:
    page = decode(
        models.organisation_unit_page_decoder, body, method="GET", path=path, status_code=200
    )
    return [
        DirectoryCandidate(o.id, o.path or o.display_name or o.name or o.id)
        for o in page.organisation_units
    ]


USERS = DirectoryKind(
    what="user",
    path="/api/users",
    properties=("username", "displayName"),
    fields=USER_FIELDS,
    candidates=_user_candidates,
)
USER_GROUPS = DirectoryKind(
    what="user group",
    path="/api/userGroups",
    properties=("name", "code"),
    fields=NAMED_FIELDS,
    candidates=_group_candidates,
)
ORGANISATION_UNITS = DirectoryKind(
    what="organisation unit",
    path="/api/organisationUnits",
    properties=("code", "name"),
    fields=NAMED_FIELDS + ",path",
    candidates=_org_unit_candidates,
)


#: How many UIDs one existence check asks for (``id:in:[...]``), keeping the URL short.
DIRECTORY_IDS_PER_REQUEST = 50


class Recipients(TypedDict):
    """Resolved recipients, ready for ``messaging.send(**r)`` / ``add_recipients(uid, **r)``."""

    users: list[str]
    user_groups: list[str]
    organisation_units: list[str]


def directory_ids_params(kind: DirectoryKind, uids: Sequence[str]) -> QueryParams:
    """Which of ``uids`` exist (and are visible to the caller) as objects of ``kind``."""
    return [
        ("fields", "id"),
        ("filter", f"id:in:[{','.join(uids)}]"),
        ("pageSize", str(len(uids))),
    ]


def directory_ids(kind: DirectoryKind, body: bytes) -> set[str]:
    """The UIDs found by a :func:`directory_ids_params` lookup."""
    return {candidate.id for candidate in kind.candidates(body, kind.path)}


def directory_params(kind: DirectoryKind, prop: str, name: str) -> QueryParams:
    """An exact-match lookup. The value is everything after the second colon, so names with
    colons or commas stay one value (BUGS.md Q1)."""
    return [
        ("fields", kind.fields),
        ("filter", f"{prop}:eq:{name}"),
        ("pageSize", str(DIRECTORY_MAX_CANDIDATES)),
    ]


def ambiguous_name_message(
    kind: DirectoryKind, name: str, prop: str, candidates: list[DirectoryCandidate]
) -> str:
    listed = ", ".join(f"{c.id} ({c.label})" for c in candidates)
    return (
        f"{kind.what} {name!r} matches {len(candidates)} by {prop}: {listed}; use the UID instead"
    )


def unknown_name_message(kind: DirectoryKind, name: str) -> str:
    # A UID-shaped name was looked up by id first: say so, or "no user with username
    # 'AbCdEfGhIj1'" would hide that no user has that UID either.
    properties = ("id", *kind.properties) if is_uid(name) else kind.properties
    return f"no {kind.what} with {', '.join(properties[:-1])} or {properties[-1]} {name!r}"


def directory_names(names: str | Iterable[str]) -> list[str]:
    """One name or many -> a list of stripped, non-empty names (bad items refused)."""
    items = [names] if isinstance(names, str) else list(names)
    cleaned = [item.strip() if isinstance(item, str) else item for item in items]
    for item in cleaned:
        if not isinstance(item, str) or not item:
            raise InvalidInputError(f"{item!r} is not a name or UID")
    return cleaned
