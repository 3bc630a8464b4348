"""Tool parameter types: their descriptions are what an agent reads in the input schema."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import Field

__all__ = [
    "Attachments",
    "OrgUnits",
    "Several",
    "Text",
    "Uid",
    "Uids",
    "UserGroups",
    "Users",
    "as_list",
    "profile_parameter",
]

Uid = Annotated[
    str,
    Field(
        description="UID of the message conversation (11 characters, e.g. 'ZjCQr3YJSWr').",
        min_length=1,
    ),
]
# A list parameter also takes a single string: agents often send one value bare.
_OneOrMore = Annotated[list[str], Field(min_length=1)] | Annotated[str, Field(min_length=1)]
Several = list[str] | str | None

Uids = Annotated[
    _OneOrMore,
    Field(description="One or more message conversation UIDs (a list, or one UID)."),
]
Users = Annotated[
    Several,
    Field(
        description=(
            "Users, each a UID, a username (e.g. 'admin') or a display name (e.g. 'John "
            "Traore'); resolved to UIDs before the call."
        ),
    ),
]
UserGroups = Annotated[
    Several,
    Field(
        description=(
            "User groups, each a UID, the exact group name or its code; every member "
            "becomes a recipient."
        ),
    ),
]
OrgUnits = Annotated[
    Several,
    Field(
        description=(
            "Organisation units, each a UID, a code or the exact name; every user of the "
            "unit becomes a recipient."
        ),
    ),
]
Attachments = Annotated[
    Several,
    Field(
        description=(
            "File resource UIDs to attach, each uploaded beforehand with files_resource_upload "
            "(domain MESSAGE_ATTACHMENT) and not yet used by another message."
        ),
    ),
]
Text = Annotated[str, Field(description="The message body (plain text).", min_length=1)]


def as_list(values: Sequence[str] | str | None) -> list[str]:
    """A parameter given as one value, a list or nothing -> a list."""
    if values is None:
        return []
    return [values] if isinstance(values, str) else list(values)


def profile_parameter(allowed: Sequence[str]) -> Any:
    """The ``profile`` parameter's type, offered only when the operator allowed other profiles:
    one of their names (the description lists them), or nothing for the server's own."""
    names = ", ".join(repr(name) for name in allowed)
    return Annotated[
        Literal[tuple(allowed)] | None,
        Field(
            description=(
                f"Another DHIS2 server to use for this call, by profile name: {names}. "
                "Omit it to use this server's own profile."
            ),
        ),
    ]
