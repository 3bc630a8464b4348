"""DHIS2 UIDs: 11 characters, a letter then letters or digits (``CodeGenerator`` in DHIS2).

Stdlib only, so the CLI can check a UID typed on the command line before it uploads a file
or resolves names, without importing httpx or msgspec.
"""

from __future__ import annotations

import re

from .errors import InvalidUidError

__all__ = ["UID_PATTERN", "check_uid", "is_uid"]

UID_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9]{10}")


def is_uid(value: object) -> bool:
    """Whether ``value`` has the shape of a DHIS2 UID (it may still not exist)."""
    return isinstance(value, str) and UID_PATTERN.fullmatch(value) is not None


def check_uid(value: object, what: str = "UID") -> str:
    """``value`` if it is a DHIS2 UID, else :class:`InvalidUidError` naming ``what``."""
    if not is_uid(value):
        raise InvalidUidError(
            f"{what} {value!r} is not a DHIS2 UID (11 characters: a letter, then letters or digits)"
        )
    assert isinstance(value, str)
    return value
