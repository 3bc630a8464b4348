"""dhis2w: DHIS2 messaging and files from Python: async client, generated sync twin.

Everything public is importable from here::

    from dhis2w import Client, AsyncClient, open_client, Profile, profile_from_env, load_profile

Attributes load lazily (PEP 562) so that ``import dhis2w.enums`` or ``import dhis2w.errors``
stays cheap: the CLI's ``--help`` must not import httpx or msgspec.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

_EXPORTS: dict[str, str] = {
    # clients
    "AsyncClient": "dhis2w._async.client",
    "Client": "dhis2w._sync.client",
    "open_client": "dhis2w._async.client",
    # profiles
    "Profile": "dhis2w.profile",
    "profile_from_env": "dhis2w.profile",
    "load_profile": "dhis2w.profile",
    "list_profiles": "dhis2w.profile",
    "default_profile_name": "dhis2w.profile",
    "save_profile": "dhis2w.profile",
    "remove_profile": "dhis2w.profile",
    "set_default_profile": "dhis2w.profile",
    "profiles_file": "dhis2w.profile",
    # UIDs
    "check_uid": "dhis2w.uids",
    "is_uid": "dhis2w.uids",
    # enums
    "FileResourceDomain": "dhis2w.enums",
    "MessageType": "dhis2w.enums",
    "Priority": "dhis2w.enums",
    "Status": "dhis2w.enums",
    "StorageStatus": "dhis2w.enums",
    # models
    "ConversationPage": "dhis2w.models",
    "InboxEvent": "dhis2w.models",
    "ConversationFilters": "dhis2w._filters",
    "Document": "dhis2w.models",
    "DocumentPage": "dhis2w.models",
    "FileResource": "dhis2w.models",
    "Me": "dhis2w.models",
    "Message": "dhis2w.models",
    "MessageConversation": "dhis2w.models",
    "OrganisationUnit": "dhis2w.models",
    "Pager": "dhis2w.models",
    "Ref": "dhis2w.models",
    "SystemInfo": "dhis2w.models",
    "User": "dhis2w.models",
    "UserGroup": "dhis2w.models",
    "UserMessage": "dhis2w.models",
    "WebMessage": "dhis2w.models",
    "to_builtins": "dhis2w.models",
    # errors
    "AmbiguousNameError": "dhis2w.errors",
    "ApiError": "dhis2w.errors",
    "AuthenticationError": "dhis2w.errors",
    "ConflictError": "dhis2w.errors",
    "Dhis2Error": "dhis2w.errors",
    "Dhis2Warning": "dhis2w.errors",
    "ExternalDocumentError": "dhis2w.errors",
    "FileTooLargeError": "dhis2w.errors",
    "InsecureTransportWarning": "dhis2w.errors",
    "InvalidInputError": "dhis2w.errors",
    "InvalidUidError": "dhis2w.errors",
    "NotFoundError": "dhis2w.errors",
    "PermissionDeniedError": "dhis2w.errors",
    "ProfileError": "dhis2w.errors",
    "ProfilePermissionsWarning": "dhis2w.errors",
    "UnusableProfileWarning": "dhis2w.errors",
    "RateLimitedError": "dhis2w.errors",
    "ReadBackError": "dhis2w.errors",
    "SendOutcomeUnknownError": "dhis2w.errors",
    "ServerError": "dhis2w.errors",
    "StorageTimeoutError": "dhis2w.errors",
    "TransportError": "dhis2w.errors",
    "UnexpectedResponseError": "dhis2w.errors",
    "UnknownNameError": "dhis2w.errors",
    "UnknownProfileError": "dhis2w.errors",
}

__all__ = [
    "AmbiguousNameError",
    "ApiError",
    "AsyncClient",
    "AuthenticationError",
    "Client",
    "ConflictError",
    "ConversationFilters",
    "ConversationPage",
    "Dhis2Error",
    "Dhis2Warning",
    "Document",
    "DocumentPage",
    "ExternalDocumentError",
    "FileResource",
    "FileResourceDomain",
    "FileTooLargeError",
    "InboxEvent",
    "InsecureTransportWarning",
    "InvalidInputError",
    "InvalidUidError",
    "Me",
    "Message",
    "MessageConversation",
    "MessageType",
    "NotFoundError",
    "OrganisationUnit",
    "Pager",
    "PermissionDeniedError",
    "Priority",
    "Profile",
    "ProfileError",
    "ProfilePermissionsWarning",
    "RateLimitedError",
    "ReadBackError",
    "Ref",
    "SendOutcomeUnknownError",
    "ServerError",
    "Status",
    "StorageStatus",
    "StorageTimeoutError",
    "SystemInfo",
    "TransportError",
    "UnexpectedResponseError",
    "UnknownNameError",
    "UnknownProfileError",
    "UnusableProfileWarning",
    "User",
    "UserGroup",
    "UserMessage",
    "WebMessage",
    "check_uid",
    "default_profile_name",
    "is_uid",
    "list_profiles",
    "load_profile",
    "open_client",
    "profile_from_env",
    "profiles_file",
    "remove_profile",
    "save_profile",
    "set_default_profile",
    "to_builtins",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dhis2w' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # static names for type checkers and IDEs
    from ._async.client import AsyncClient, open_client
    from ._filters import ConversationFilters
    from ._sync.client import Client
    from .enums import FileResourceDomain, MessageType, Priority, Status, StorageStatus
    from .errors import (
        AmbiguousNameError,
        ApiError,
        AuthenticationError,
        ConflictError,
        Dhis2Error,
        ExternalDocumentError,
        FileTooLargeError,
        InvalidInputError,
        InvalidUidError,
        NotFoundError,
        PermissionDeniedError,
        ProfileError,
        RateLimitedError,
        SendOutcomeUnknownError,
        ServerError,
        StorageTimeoutError,
        TransportError,
        UnexpectedResponseError,
        UnknownNameError,
        UnknownProfileError,
    )
    from .models import (
        ConversationPage,
        Document,
        DocumentPage,
        FileResource,
        InboxEvent,
        Me,
        Message,
        MessageConversation,
        OrganisationUnit,
        Pager,
        Ref,
        SystemInfo,
        User,
        UserGroup,
        UserMessage,
        WebMessage,
        to_builtins,
    )
    from .profile import (
        Profile,
        default_profile_name,
        list_profiles,
        load_profile,
        profile_from_env,
        profiles_file,
        remove_profile,
        save_profile,
        set_default_profile,
    )
    from .uids import check_uid, is_uid
