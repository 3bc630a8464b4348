"""The DHIS2 enumerations, stdlib only so the CLI can offer them as choices without
importing msgspec or httpx (start-up stays fast)."""

from __future__ import annotations

import enum
from typing import Any

__all__ = ["FileResourceDomain", "MessageType", "Priority", "Status", "StorageStatus"]


class _CaseInsensitiveEnum(enum.StrEnum):
    """A str enum that also accepts its members in any case (``"ticket"`` -> ``TICKET``).

    The wire always carries upper case; people and agents type whatever they like.
    """

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, str):
            member = cls.__members__.get(value.strip().upper())
            if member is not None:
                return member
        return None


class MessageType(_CaseInsensitiveEnum):
    PRIVATE = "PRIVATE"
    SYSTEM = "SYSTEM"
    VALIDATION_RESULT = "VALIDATION_RESULT"
    TICKET = "TICKET"
    SYSTEM_VERSION_UPDATE = "SYSTEM_VERSION_UPDATE"


class Priority(_CaseInsensitiveEnum):
    NONE = "NONE"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class Status(_CaseInsensitiveEnum):
    NONE = "NONE"
    OPEN = "OPEN"
    PENDING = "PENDING"
    INVALID = "INVALID"
    SOLVED = "SOLVED"


class FileResourceDomain(_CaseInsensitiveEnum):
    DATA_VALUE = "DATA_VALUE"
    PUSH_ANALYSIS = "PUSH_ANALYSIS"
    DOCUMENT = "DOCUMENT"
    MESSAGE_ATTACHMENT = "MESSAGE_ATTACHMENT"
    USER_AVATAR = "USER_AVATAR"
    ORG_UNIT = "ORG_UNIT"
    ICON = "ICON"
    JOB_DATA = "JOB_DATA"


class StorageStatus(_CaseInsensitiveEnum):
    NONE = "NONE"
    PENDING = "PENDING"
    FAILED = "FAILED"
    STORED = "STORED"
