"""The MCP server: DHIS2 messaging and files as tools for AI agents.

Built on the official ``mcp`` SDK (2.x, ``mcp.server.mcpserver.MCPServer``) over the async
client. This is the only module of dhis2w that imports the SDK (the optional extra ``mcp``), so
the library and the rest of the CLI never pay for it.

- One :class:`~dhis2w.AsyncClient` per profile, opened on first use and reused by every call
  of the session; all are closed when the server shuts down.
- Every tool takes an optional ``profile`` (a profile name); without it the server's own
  profile is used (the one it was started with, else ``load_profile()`` precedence).
- Results are plain JSON (``structuredContent``, mirrored as JSON text for older clients),
  built with ``msgspec.to_builtins``: the DHIS2 wire shapes, camelCase keys.
- Failures come back as tool errors (``isError``) whose structured content says
  ``{"error": {"kind": "not_found", ...}}`` with DHIS2's own message; never a traceback, never
  a secret.
- Read-only mode (``read_only=True`` or ``DHIS2W_MCP_READONLY=1``) hides every tool that
  changes state from ``tools/list`` and refuses it if it is called anyway.

Run it with ``dhis2w mcp serve [--read-only] [--profile P]`` (or ``python -m
dhis2w.mcp_server``); stdout carries nothing but the protocol, logs go to stderr.
"""

from __future__ import annotations

import argparse
import inspect
import logging
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import anyio
import msgspec
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, InputRequiredResult, TextContent, ToolAnnotations
from mcp.types import Tool as MCPTool
from pydantic import Field, ValidationError

from . import __version__
from ._async.client import AsyncClient
from .enums import FileResourceDomain, MessageType, Priority, Status
from .errors import (
    AmbiguousNameError,
    ApiError,
    AuthenticationError,
    ConflictError,
    Dhis2Error,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    ProfileError,
    ReadBackError,
    SendOutcomeUnknownError,
    ServerError,
    StorageTimeoutError,
    TransportError,
    UnknownNameError,
)
from .models import MessageConversation, to_builtins
from .profile import Profile, load_profile

__all__ = ["READONLY_ENV", "TOOL_NAMES", "WRITE_TOOLS", "build_server", "serve_stdio"]

logger = logging.getLogger("dhis2w.mcp")

READONLY_ENV = "DHIS2W_MCP_READONLY"
#: Folders files_resource_upload may read from (os.pathsep-separated); default: the folder
#: the server was started in. An agent must not be able to ship /etc/shadow or
#: ~/.config/dhis2/profiles.toml to a DHIS2 server because a prompt asked it to.
UPLOAD_DIRS_ENV = "DHIS2W_MCP_UPLOAD_DIRS"
"""Set to ``1`` (or true/yes/on) to start the server in read-only mode."""

_SERVER_INSTRUCTIONS = """\
Tools for DHIS2's internal messaging (the inbox of /api/messageConversations) and its file \
attachments. Typical flow: messaging_list (find conversations; filter, search, page), \
messaging_get (read one thread with its messages, senders and attachments), then act: \
messaging_reply, messaging_mark_read, messaging_set_status / messaging_assign for tickets. \
Recipients may be given as DHIS2 UIDs (11 characters) or by name: usernames for users, group \
names for user groups, names or codes for organisation units. To attach a file, upload it \
first with files_resource_upload (domain MESSAGE_ATTACHMENT) and pass the returned id. \
Every tool accepts an optional `profile` naming which configured DHIS2 server to talk to. \
Errors come back as tool errors with error.kind (not_found, permission_denied, conflict, \
authentication, invalid_input, ...) and DHIS2's own message."""


# --------------------------------------------------------------------------------------------
# Parameter types: the descriptions are what an agent reads in the tool's input schema.

ProfileParam = Annotated[
    str | None,
    Field(
        description=(
            "Name of a configured dhis2w profile (a DHIS2 server + credentials from "
            "profiles.toml, or 'demo' for the built-in emulator). Omit to use the server's "
            "default profile."
        ),
    ),
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
_Several = list[str] | str | None

Uids = Annotated[
    _OneOrMore,
    Field(description="One or more message conversation UIDs (a list, or one UID)."),
]
Users = Annotated[
    _Several,
    Field(
        description=(
            "Users, each a UID, a username (e.g. 'admin') or a display name (e.g. 'John "
            "Traore'); resolved to UIDs before the call."
        ),
    ),
]
UserGroups = Annotated[
    _Several,
    Field(
        description=(
            "User groups, each a UID, the exact group name or its code; every member "
            "becomes a recipient."
        ),
    ),
]
OrgUnits = Annotated[
    _Several,
    Field(
        description=(
            "Organisation units, each a UID, a code or the exact name; every user of the "
            "unit becomes a recipient."
        ),
    ),
]
Attachments = Annotated[
    _Several,
    Field(
        description=(
            "File resource UIDs to attach, each uploaded beforehand with files_resource_upload "
            "(domain MESSAGE_ATTACHMENT) and not yet used by another message."
        ),
    ),
]
Text = Annotated[str, Field(description="The message body (plain text).", min_length=1)]


# --------------------------------------------------------------------------------------------
# Results and errors.


def _json_text(data: Any) -> str:
    return msgspec.json.encode(data).decode("utf-8")


def _prune(value: Any) -> Any:
    """Drop null members (DHIS2 omits them too): shorter results, same information."""
    if isinstance(value, dict):
        return {key: _prune(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_prune(item) for item in value]
    return value


def _ok(result: dict[str, Any]) -> CallToolResult:
    """A successful result: structured JSON plus the same JSON as text for older clients."""
    data: dict[str, Any] = _prune(to_builtins(result))
    return CallToolResult(
        content=[TextContent(type="text", text=_json_text(data))],
        structured_content=data,
    )


def _failure(kind: str, message: str, **details: Any) -> CallToolResult:
    error: dict[str, Any] = {"kind": kind, "message": message}
    if kind in _HINTS:
        error["hint"] = _HINTS[kind]
    error.update({key: value for key, value in details.items() if value is not None})
    return CallToolResult(
        content=[TextContent(type="text", text=f"{kind}: {message}")],
        structured_content={"error": error},
        is_error=True,
    )


# Most specific first: the first matching class names the error kind an agent sees.
_ERROR_KINDS: tuple[tuple[type[BaseException], str], ...] = (
    (AuthenticationError, "authentication"),
    (PermissionDeniedError, "permission_denied"),
    (NotFoundError, "not_found"),
    (ConflictError, "conflict"),
    (ServerError, "server_error"),
    (ApiError, "api_error"),
    (SendOutcomeUnknownError, "send_outcome_unknown"),
    (ReadBackError, "sent_not_read_back"),
    (TransportError, "transport"),
    (StorageTimeoutError, "storage_timeout"),
    (UnknownNameError, "invalid_input"),
    (AmbiguousNameError, "invalid_input"),
    (ProfileError, "profile"),
    (ValueError, "invalid_input"),  # InvalidInputError and every other bad-input error
    (Dhis2Error, "error"),
)


_HINTS = {
    "send_outcome_unknown": (
        "the request reached DHIS2 but the answer was lost: it may or may not have happened; "
        "check (e.g. with messaging_list) before trying again"
    ),
    "sent_not_read_back": (
        "the message IS stored (the error names its conversation) but reading it back failed; "
        "do not send it again, read it later with messaging_get"
    ),
    "authentication": "the profile's credentials were refused; check the profile",
    "read_only": "this server was started read-only; ask the user to start it without it",
}


def _error_kind(exc: BaseException) -> str | None:
    if isinstance(exc, ApiError) and exc.status_code == 400:
        return "invalid_input"  # DHIS2 rejected the request itself (bad parameter, body)
    for cls, kind in _ERROR_KINDS:
        if isinstance(exc, cls):
            return kind
    return None


def _error_result(exc: BaseException) -> CallToolResult:
    """Turn an exception into a tool error: its kind, DHIS2's message, never a traceback."""
    kind = _error_kind(exc)
    if kind is None:
        # A bug on our side. The traceback goes to the log (stderr), not to the agent.
        logger.error("unexpected %s in a tool call", type(exc).__name__, exc_info=exc)
        return _failure(
            "internal",
            f"unexpected {type(exc).__name__}; see the server log",
            exception=type(exc).__name__,
        )
    logger.info("tool failed: %s: %s", kind, exc)
    if isinstance(exc, ApiError):
        return _failure(
            kind,
            str(exc),
            exception=type(exc).__name__,
            dhis2_message=exc.message,
            status_code=exc.status_code,
            error_code=exc.error_code,
        )
    return _failure(kind, str(exc) or type(exc).__name__, exception=type(exc).__name__)


# --------------------------------------------------------------------------------------------
# Output shaping: the wire shapes plus the human names an agent would otherwise have to dig for.


def _conversation_summary(conversation: MessageConversation) -> dict[str, Any]:
    data: dict[str, Any] = to_builtins(conversation)
    data["lastSenderName"] = conversation.last_sender_name
    return data


def _conversation_thread(conversation: MessageConversation) -> dict[str, Any]:
    data: dict[str, Any] = to_builtins(conversation)
    data["lastSenderName"] = conversation.last_sender_name
    for message, shaped in zip(conversation.messages, data.get("messages", []), strict=False):
        # System messages (validation results, ...) have no sender.
        shaped["senderName"] = message.sender.label if message.sender is not None else None
    return data


# --------------------------------------------------------------------------------------------
# Clients: one per profile, reused by every call, closed on shutdown.


class _ClientPool:
    """The server's clients, keyed by profile name (``None``: the default profile).

    Clients are created on first use and closed with :meth:`aclose`. They are not entered as
    context managers: that would open their prefetch task group inside one tool call's task
    and close it from another (the server's shutdown), which anyio forbids; the MCP tools
    never prefetch, and ``AsyncClient.aclose`` closes everything a client holds.
    """

    def __init__(self, default: Profile | None) -> None:
        self._default = default
        self._clients: dict[str | None, AsyncClient] = {}
        self._lock: anyio.Lock | None = None

    def _profile(self, name: str | None) -> Profile:
        if name is None:
            if self._default is None:
                self._default = load_profile(None)
            return self._default
        return load_profile(name)

    async def get(self, name: str | None) -> AsyncClient:
        client = self._clients.get(name)
        if client is not None:
            return client
        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:
            client = self._clients.get(name)
            if client is None:
                client = AsyncClient(self._profile(name))
                self._clients[name] = client
            return client

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            try:
                await client.aclose()
            except Exception:  # closing must not mask the shutdown; log and go on
                logger.warning("closing a DHIS2 client failed", exc_info=True)


# --------------------------------------------------------------------------------------------
# The tools.


@dataclass(frozen=True)
class _ToolSpec:
    name: str
    title: str
    annotations: ToolAnnotations
    writes: bool


def _read(name: str, title: str) -> _ToolSpec:
    return _ToolSpec(
        name,
        title,
        ToolAnnotations(
            title=title, read_only_hint=True, idempotent_hint=True, open_world_hint=False
        ),
        writes=False,
    )


def _write(
    name: str,
    title: str,
    *,
    idempotent: bool,
    destructive: bool = False,
    reaches_people: bool = False,
) -> _ToolSpec:
    return _ToolSpec(
        name,
        title,
        ToolAnnotations(
            title=title,
            read_only_hint=False,
            destructive_hint=destructive,
            idempotent_hint=idempotent,
            open_world_hint=reaches_people,
        ),
        writes=True,
    )


_SPECS: tuple[_ToolSpec, ...] = (
    _read("messaging_list", "List message conversations"),
    _read("messaging_get", "Read a conversation thread"),
    _write("messaging_send", "Send a new message", idempotent=False, reaches_people=True),
    _write("messaging_reply", "Reply to a conversation", idempotent=False, reaches_people=True),
    _write("messaging_mark_read", "Mark conversations read", idempotent=True),
    _write("messaging_mark_unread", "Mark conversations unread", idempotent=True),
    _write(
        "messaging_delete", "Remove conversations from my inbox", idempotent=True, destructive=True
    ),
    _read("messaging_unread_count", "Count unread conversations"),
    _write("messaging_set_priority", "Set a ticket's priority", idempotent=True),
    _write("messaging_set_status", "Set a ticket's status", idempotent=True),
    _write("messaging_assign", "Assign a ticket to a user", idempotent=True),
    _write("messaging_unassign", "Unassign a ticket", idempotent=True),
    _write("messaging_follow_up", "Flag or unflag conversations for follow-up", idempotent=True),
    _write(
        "messaging_add_recipients",
        "Add recipients to a conversation",
        idempotent=True,
        reaches_people=True,
    ),
    _read("files_resource_get", "Get a file resource's metadata"),
    _write("files_resource_upload", "Upload a local file as a file resource", idempotent=False),
)

TOOL_NAMES: tuple[str, ...] = tuple(spec.name for spec in _SPECS)
"""Every tool the server can offer, in listing order."""

WRITE_TOOLS: frozenset[str] = frozenset(spec.name for spec in _SPECS if spec.writes)
"""The tools that change state: hidden and refused in read-only mode."""


def _as_list(values: list[str] | str | None) -> list[str]:
    if values is None:
        return []
    return [values] if isinstance(values, str) else list(values)


async def _one_user(client: AsyncClient, user: str) -> str:
    return (await client.directory.resolve_users([user]))[0]


def _upload_roots(upload_dirs: Sequence[str | os.PathLike[str]] | None) -> list[Path]:
    """The folders uploads may come from: given, else ``DHIS2W_MCP_UPLOAD_DIRS``, else cwd."""
    if upload_dirs is None:
        configured = os.environ.get(UPLOAD_DIRS_ENV, "")
        upload_dirs = [d for d in configured.split(os.pathsep) if d.strip()] or [Path.cwd()]
    return [Path(d).expanduser().resolve() for d in upload_dirs]


def _allowed_upload(path: str, roots: Sequence[Path]) -> Path:
    """``path`` resolved (links followed), if it lies inside one of ``roots`` and no part of
    it below that root is hidden (``.dhis2/profiles.toml``, ``.ssh/...``, ``.env``)."""
    local = Path(path).expanduser()
    if not local.is_absolute():
        local = roots[0] / local
    resolved = local.resolve()
    for root in roots:
        if resolved.is_relative_to(root):
            hidden = [p for p in resolved.relative_to(root).parts if p.startswith(".")]
            if hidden:
                raise InvalidInputError(
                    f"refusing to upload {resolved}: hidden files and folders "
                    f"({', '.join(hidden)}) may hold credentials"
                )
            if not resolved.is_file():
                raise InvalidInputError(f"no such file: {resolved}")
            return resolved
    allowed = ", ".join(str(root) for root in roots)
    raise InvalidInputError(
        f"refusing to upload {resolved}: it is outside the folders this server may upload "
        f"from ({allowed}); the user can allow more with `dhis2w mcp serve --upload-dir DIR` "
        f"or {UPLOAD_DIRS_ENV}"
    )


class _Tools:
    """The tool functions. Each method's docstring is the tool description an agent reads."""

    def __init__(
        self, clients: _ClientPool, *, read_only: bool, upload_roots: Sequence[Path]
    ) -> None:
        self._clients = clients
        self._read_only = read_only
        self._upload_roots = list(upload_roots)

    async def _run(
        self,
        tool: str,
        profile: str | None,
        action: Callable[[AsyncClient], Awaitable[dict[str, Any]]],
    ) -> CallToolResult:
        if self._read_only and tool in WRITE_TOOLS:
            return _failure(
                "read_only",
                f"{tool} changes state and this server runs in read-only mode",
            )
        try:
            client = await self._clients.get(profile)
            return _ok(await action(client))
        except Exception as exc:  # every failure becomes a tool error, never a traceback
            return _error_result(exc)

    async def messaging_list(
        self,
        filter: Annotated[
            _Several,
            Field(
                description=(
                    "DHIS2 object filters 'property:operator:value', combined with AND. "
                    "Examples: 'read:eq:false' (unread), 'followUp:eq:true', "
                    "'messageType:eq:TICKET', 'status:eq:OPEN', 'priority:eq:HIGH', "
                    "'assignee.id:eq:<userUid>', 'subject:ilike:malaria', "
                    "'lastMessage:gt:2024-01-01'."
                ),
            ),
        ] = None,
        query: Annotated[
            str | None,
            Field(description="Free-text search over subject, message text and sender name."),
        ] = None,
        message_type: Annotated[
            MessageType | None, Field(description="Only conversations of this type.")
        ] = None,
        status: Annotated[
            Status | None, Field(description="Only tickets with this status.")
        ] = None,
        priority: Annotated[
            Priority | None, Field(description="Only conversations with this priority.")
        ] = None,
        unread: Annotated[
            bool | None,
            Field(description="true: only unread conversations; false: only read ones."),
        ] = None,
        follow_up: Annotated[
            bool | None,
            Field(description="true: only conversations flagged for follow-up."),
        ] = None,
        assignee: Annotated[
            str | None,
            Field(description="Only tickets assigned to this user (UID or username)."),
        ] = None,
        order: Annotated[
            str,
            Field(
                description=(
                    "Sort order 'property:asc|desc', e.g. 'lastMessage:desc' (newest first), "
                    "'subject:asc'."
                ),
            ),
        ] = "lastMessage:desc",
        page: Annotated[int, Field(description="Page number, from 1.", ge=1)] = 1,
        page_size: Annotated[
            int, Field(description="Conversations per page (1-500).", ge=1, le=500)
        ] = 50,
        profile: ProfileParam = None,
    ) -> CallToolResult:
        """List the calling user's message conversations (their inbox), one page at a time.

        Returns {"conversations": [...], "pager": {"page", "pageCount", "total", "pageSize",
        "nextPage"}}. Each conversation has id, subject, messageType, status, priority,
        read, followUp, lastMessage, messageCount, lastSender and lastSenderName, assignee.
        For the next page call again with page = pager.page + 1 while pager.page <
        pager.pageCount. Use messaging_get to read a thread's messages.
        """

        async def action(client: AsyncClient) -> dict[str, Any]:
            assignee_uid = await _one_user(client, assignee) if assignee else None
            result = await client.messaging.list_conversations(
                filter=_as_list(filter) or None,
                query=query,
                message_type=message_type,
                status=status,
                priority=priority,
                unread=unread,
                follow_up=follow_up,
                assignee=assignee_uid,
                order=order,
                page=page,
                page_size=page_size,
            )
            return {
                "conversations": [_conversation_summary(c) for c in result.conversations],
                "pager": to_builtins(result.pager) if result.pager is not None else None,
            }

        return await self._run("messaging_list", profile, action)

    async def messaging_get(self, uid: Uid, profile: ProfileParam = None) -> CallToolResult:
        """Read one conversation: the whole thread.

        Returns the conversation (id, subject, messageType, status, priority, assignee,
        read, followUp, lastMessage) with "messages": each has id, text, created, internal,
        sender {id, displayName} and senderName (both absent for system messages), and attachments
        [{id, name, contentLength}] (download or reuse them by id); plus "userMessages",
        the participants with their read and followUp state. Does not mark it read.
        """

        async def action(client: AsyncClient) -> dict[str, Any]:
            return _conversation_thread(await client.messaging.get_conversation(uid))

        return await self._run("messaging_get", profile, action)

    async def messaging_send(
        self,
        subject: Annotated[str, Field(description="Subject line.", min_length=1)],
        text: Text,
        users: Users = None,
        user_groups: UserGroups = None,
        organisation_units: OrgUnits = None,
        attachments: Attachments = None,
        profile: ProfileParam = None,
    ) -> CallToolResult:
        """Start a new private conversation and send its first message.

        Give at least one recipient through users, user_groups or organisation_units (UIDs
        or names). Returns the created conversation (id, subject, messages, participants);
        use its id with messaging_reply to continue the thread. Not idempotent: calling it
        twice sends two messages.
        """

        async def action(client: AsyncClient) -> dict[str, Any]:
            user_uids = await client.directory.resolve_users(_as_list(users))
            group_uids = await client.directory.resolve_user_groups(_as_list(user_groups))
            unit_uids = await client.directory.resolve_organisation_units(
                _as_list(organisation_units)
            )
            sent = await client.messaging.send(
                subject=subject,
                text=text,
                users=user_uids,
                user_groups=group_uids,
                organisation_units=unit_uids,
                attachments=_as_list(attachments),
            )
            return _conversation_thread(sent)

        return await self._run("messaging_send", profile, action)

    async def messaging_reply(
        self,
        uid: Uid,
        text: Text,
        internal: Annotated[
            bool,
            Field(
                description=(
                    "true: an internal note on a ticket, visible only to feedback managers."
                ),
            ),
        ] = False,
        attachments: Attachments = None,
        profile: ProfileParam = None,
    ) -> CallToolResult:
        """Reply to an existing conversation (all its participants see the reply).

        Returns the updated conversation thread, as messaging_get does. Not idempotent:
        calling it twice posts two replies.
        """

        async def action(client: AsyncClient) -> dict[str, Any]:
            updated = await client.messaging.reply(
                uid, text=text, internal=internal, attachments=_as_list(attachments)
            )
            return _conversation_thread(updated)

        return await self._run("messaging_reply", profile, action)

    async def messaging_mark_read(self, uids: Uids, profile: ProfileParam = None) -> CallToolResult:
        """Mark conversations as read for the calling user.

        Returns {"markedRead": [uids whose state changed]}; ones already read are left out.
        """

        async def action(client: AsyncClient) -> dict[str, Any]:
            return {"markedRead": list(await client.messaging.mark_read(_as_list(uids)))}

        return await self._run("messaging_mark_read", profile, action)

    async def messaging_mark_unread(
        self, uids: Uids, profile: ProfileParam = None
    ) -> CallToolResult:
        """Mark conversations as unread for the calling user.

        Returns {"markedUnread": [uids whose state changed]}; ones already unread are left out.
        """

        async def action(client: AsyncClient) -> dict[str, Any]:
            return {"markedUnread": list(await client.messaging.mark_unread(_as_list(uids)))}

        return await self._run("messaging_mark_unread", profile, action)

    async def messaging_delete(self, uids: Uids, profile: ProfileParam = None) -> CallToolResult:
        """Remove conversations from the calling user's inbox.

        The other participants keep their copy; the calling user cannot get it back.
        Returns {"removed": [uids removed]} (empty for ones the user was not part of).
        """

        async def action(client: AsyncClient) -> dict[str, Any]:
            return {"removed": list(await client.messaging.delete_conversation(_as_list(uids)))}

        return await self._run("messaging_delete", profile, action)

    async def messaging_unread_count(
        self,
        message_type: Annotated[
            MessageType | None,
            Field(description="Count only this type (e.g. TICKET); omit to count all."),
        ] = None,
        profile: ProfileParam = None,
    ) -> CallToolResult:
        """Count the calling user's unread conversations. Returns {"unread": n}."""

        async def action(client: AsyncClient) -> dict[str, Any]:
            count = await client.messaging.unread_count(message_type=message_type)
            return {"unread": count, "messageType": message_type}

        return await self._run("messaging_unread_count", profile, action)

    async def messaging_set_priority(
        self,
        uid: Uid,
        priority: Annotated[Priority, Field(description="NONE, LOW, MEDIUM or HIGH.")],
        profile: ProfileParam = None,
    ) -> CallToolResult:
        """Set the priority of a conversation (used on feedback tickets).

        Returns {"id": uid, "priority": priority}.
        """

        async def action(client: AsyncClient) -> dict[str, Any]:
            await client.messaging.set_priority(uid, priority)
            return {"id": uid, "priority": priority}

        return await self._run("messaging_set_priority", profile, action)

    async def messaging_set_status(
        self,
        uid: Uid,
        status: Annotated[Status, Field(description="NONE, OPEN, PENDING, INVALID or SOLVED.")],
        profile: ProfileParam = None,
    ) -> CallToolResult:
        """Set the workflow status of a ticket (e.g. SOLVED when answered).

        Returns {"id": uid, "status": status}.
        """

        async def action(client: AsyncClient) -> dict[str, Any]:
            await client.messaging.set_status(uid, status)
            return {"id": uid, "status": status}

        return await self._run("messaging_set_status", profile, action)

    async def messaging_assign(
        self,
        uid: Uid,
        user: Annotated[
            str,
            Field(
                description=(
                    "The assignee, a UID or username. For tickets, a member of the feedback "
                    "recipient group."
                ),
                min_length=1,
            ),
        ],
        profile: ProfileParam = None,
    ) -> CallToolResult:
        """Assign a conversation (usually a ticket) to a user.

        Returns {"id": uid, "assignee": userUid}.
        """

        async def action(client: AsyncClient) -> dict[str, Any]:
            user_uid = await _one_user(client, user)
            await client.messaging.assign(uid, user_uid)
            return {"id": uid, "assignee": user_uid}

        return await self._run("messaging_assign", profile, action)

    async def messaging_unassign(self, uid: Uid, profile: ProfileParam = None) -> CallToolResult:
        """Remove the assignee of a conversation. Returns {"id": uid, "assignee": null}."""

        async def action(client: AsyncClient) -> dict[str, Any]:
            await client.messaging.unassign(uid)
            return {"id": uid, "assignee": None}

        return await self._run("messaging_unassign", profile, action)

    async def messaging_follow_up(
        self,
        uids: Uids,
        follow_up: Annotated[
            bool,
            Field(description="true (default) flags for follow-up; false removes the flag."),
        ] = True,
        profile: ProfileParam = None,
    ) -> CallToolResult:
        """Flag (or unflag) conversations for follow-up, for the calling user.

        Returns {"followUp": true|false, "uids": [uids handled]}. Find flagged ones with
        messaging_list follow_up=true.
        """

        async def action(client: AsyncClient) -> dict[str, Any]:
            if follow_up:
                done = await client.messaging.follow_up(_as_list(uids))
            else:
                done = await client.messaging.unfollow_up(_as_list(uids))
            return {"followUp": follow_up, "uids": list(done)}

        return await self._run("messaging_follow_up", profile, action)

    async def messaging_add_recipients(
        self,
        uid: Uid,
        users: Users = None,
        user_groups: UserGroups = None,
        organisation_units: OrgUnits = None,
        profile: ProfileParam = None,
    ) -> CallToolResult:
        """Add participants to an existing conversation; they see the whole thread as unread.

        Give at least one of users, user_groups, organisation_units (UIDs or names).
        Returns {"id": uid, "users": [...], "userGroups": [...], "organisationUnits": [...]}
        with the resolved UIDs that were added.
        """

        async def action(client: AsyncClient) -> dict[str, Any]:
            user_uids = await client.directory.resolve_users(_as_list(users))
            group_uids = await client.directory.resolve_user_groups(_as_list(user_groups))
            unit_uids = await client.directory.resolve_organisation_units(
                _as_list(organisation_units)
            )
            await client.messaging.add_recipients(
                uid, users=user_uids, user_groups=group_uids, organisation_units=unit_uids
            )
            return {
                "id": uid,
                "users": list(user_uids),
                "userGroups": list(group_uids),
                "organisationUnits": list(unit_uids),
            }

        return await self._run("messaging_add_recipients", profile, action)

    async def files_resource_get(
        self,
        uid: Annotated[str, Field(description="UID of the file resource.", min_length=1)],
        profile: ProfileParam = None,
    ) -> CallToolResult:
        """Get a file resource's metadata (not its content).

        Returns {id, name, contentType, contentLength, contentMd5, domain, assigned,
        storageStatus, created}. assigned=true means a message already uses it.
        """

        async def action(client: AsyncClient) -> dict[str, Any]:
            resource = await client.files.get_file_resource(uid)
            data: dict[str, Any] = to_builtins(resource)
            return data

        return await self._run("files_resource_get", profile, action)

    async def files_resource_upload(
        self,
        path: Annotated[
            str,
            Field(
                description=(
                    "Path of a local file on the machine running this server (~ is expanded; "
                    "a relative path is taken from the first allowed folder). Only files "
                    "inside the folders the user allowed (by default the folder the server "
                    "was started in), never hidden ones. At most 10 MB by DHIS2's default "
                    "limit."
                ),
                min_length=1,
            ),
        ],
        domain: Annotated[
            FileResourceDomain,
            Field(
                description=(
                    "What the file is for: MESSAGE_ATTACHMENT (default) for messaging_send / "
                    "messaging_reply attachments, DOCUMENT, DATA_VALUE, ..."
                ),
            ),
        ] = FileResourceDomain.MESSAGE_ATTACHMENT,
        profile: ProfileParam = None,
    ) -> CallToolResult:
        """Upload a local file to DHIS2 as a file resource and wait until it is stored.

        Returns the file resource {id, name, contentType, contentLength, domain,
        storageStatus: "STORED", ...}. Pass its id in the attachments of messaging_send or
        messaging_reply; each upload can be attached to one message only.
        """

        async def action(client: AsyncClient) -> dict[str, Any]:
            local = _allowed_upload(path, self._upload_roots)
            resource = await client.files.upload_file_resource(local, domain=domain, wait=True)
            data: dict[str, Any] = to_builtins(resource)
            return data

        return await self._run("files_resource_upload", profile, action)


# --------------------------------------------------------------------------------------------
# The server.


class _Dhis2MCPServer(MCPServer[None]):
    """An MCPServer whose tool listing leaves out the tools hidden by read-only mode."""

    def __init__(self, *, hidden: frozenset[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._hidden = hidden

    async def list_tools(self) -> list[MCPTool]:
        return [tool for tool in await super().list_tools() if tool.name not in self._hidden]

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[None, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            # Arguments that fail the input schema: report them like any other bad input.
            if isinstance(exc.__cause__, ValidationError):
                return _failure("invalid_input", _describe_invalid(name, exc.__cause__))
            raise


def _describe_invalid(tool: str, error: ValidationError) -> str:
    problems = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"]) or "arguments"
        problems.append(f"{where}: {item['msg']}")
    return f"invalid arguments for {tool}: " + "; ".join(problems)


def _env_read_only() -> bool:
    return os.environ.get(READONLY_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def build_server(
    profile: Profile | None = None,
    *,
    read_only: bool | None = None,
    upload_dirs: Sequence[str | os.PathLike[str]] | None = None,
) -> MCPServer[None]:
    """Build the MCP server (not started).

    ``profile`` is the default for calls that name none; ``None`` resolves it on the first
    call with :func:`dhis2w.load_profile` precedence. ``read_only=None`` reads
    ``DHIS2W_MCP_READONLY``. ``upload_dirs`` are the folders ``files_resource_upload`` may
    read (``None``: ``DHIS2W_MCP_UPLOAD_DIRS``, else the current folder).
    """
    if read_only is None:
        read_only = _env_read_only()
    clients = _ClientPool(profile)

    @asynccontextmanager
    async def lifespan(_: MCPServer[None]) -> AsyncIterator[None]:
        try:
            yield None
        finally:
            await clients.aclose()

    server = _Dhis2MCPServer(
        hidden=WRITE_TOOLS if read_only else frozenset(),
        name="dhis2w",
        title="DHIS2 messaging",
        instructions=_SERVER_INSTRUCTIONS
        + (" This server is read-only: tools that change state are disabled." if read_only else ""),
        version=__version__,
        lifespan=lifespan,
    )
    tools = _Tools(clients, read_only=read_only, upload_roots=_upload_roots(upload_dirs))
    for spec in _SPECS:
        server.add_tool(
            getattr(tools, spec.name),
            name=spec.name,
            title=spec.title,
            description=inspect.getdoc(getattr(_Tools, spec.name)),
            annotations=spec.annotations,
        )
    return server


def serve_stdio(
    profile_name: str | None = None,
    read_only: bool | None = False,
    upload_dirs: Sequence[str | os.PathLike[str]] | None = None,
) -> None:
    """Run the server over stdio until the client hangs up (``dhis2w mcp serve``).

    ``read_only`` is on when asked for or when ``DHIS2W_MCP_READONLY=1``. An explicitly named
    profile that cannot be loaded raises :class:`ProfileError` before anything is served; with
    no name, a missing default is reported by each tool call instead, so an MCP client shows
    the reason to the user.
    """
    _log_to_stderr()
    profile: Profile | None = None
    try:
        profile = load_profile(profile_name)
    except ProfileError:
        if profile_name is not None:
            raise
        logger.warning("no default DHIS2 profile; tool calls must name one", exc_info=False)
    server = build_server(
        profile, read_only=bool(read_only) or _env_read_only(), upload_dirs=upload_dirs
    )
    server.run("stdio")


def _log_to_stderr() -> None:
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    # One line per HTTP request is noise in an MCP client's server log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> None:
    """``python -m dhis2w.mcp_server [--profile P] [--read-only]``."""
    parser = argparse.ArgumentParser(prog="python -m dhis2w.mcp_server", description=__doc__)
    parser.add_argument("--profile", "-p", default=None, help="profile name")
    parser.add_argument("--read-only", action="store_true", help="hide and refuse writes")
    parser.add_argument(
        "--upload-dir",
        action="append",
        default=None,
        help="a folder files_resource_upload may read (repeatable; default: the current one)",
    )
    args = parser.parse_args(argv)
    try:
        serve_stdio(args.profile, args.read_only, args.upload_dir)
    except ProfileError as exc:
        print(f"dhis2w mcp: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
