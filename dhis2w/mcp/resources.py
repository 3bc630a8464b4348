"""Conversations and their text attachments as MCP resources (read-only, bounded).

- ``dhis2://conversations/{uid}``: the thread as ``messaging_get`` returns it by default.
- ``dhis2://conversations/{uid}/messages/{message}/attachments/{file}``: a text attachment
  (text/plain, text/csv, application/json up to a size bound) inlined as text; any other
  attachment is described (name, type, size), never inlined.
"""

from __future__ import annotations

import json
import re
from typing import Any

from mcp.server.mcpserver.exceptions import ResourceError

from ..models import FileResource, MessageConversation, to_builtins
from .clients import ClientPool
from .config import ServerConfig
from .failures import error_kind
from .shaping import json_text, prune, thread

__all__ = ["ATTACHMENT_PATTERN", "ATTACHMENT_URI", "CONVERSATION_URI", "Resources"]

CONVERSATION_URI = "dhis2://conversations/{uid}"
ATTACHMENT_URI = "dhis2://conversations/{uid}/messages/{message}/attachments/{file}"
ATTACHMENT_PATTERN = re.compile(
    r"dhis2://conversations/(?P<uid>[^/]+)/messages/(?P<message>[^/]+)/attachments/(?P<file>[^/]+)"
)
#: Attachments inlined as text; everything else is described only.
TEXT_TYPES = frozenset({"text/plain", "text/csv", "application/json"})


class Resources:
    """Reads resources with the server's own profile (resources take no ``profile``)."""

    def __init__(self, clients: ClientPool, config: ServerConfig) -> None:
        self._clients = clients
        self._config = config

    async def conversation(self, uid: str) -> str:
        """The thread, bounded as ``messaging_get`` bounds it, as JSON."""
        try:
            client = await self._clients.get(None)
            conversation = await client.messaging.get_conversation(uid)
        except Exception as exc:
            raise _resource_error(exc) from exc
        return json_text(prune(thread(conversation, self._config.bounds)))

    async def attachment(self, uid: str, message: str, file: str) -> tuple[str, str]:
        """(content, MIME type): the text of a small text attachment, else a description."""
        try:
            client = await self._clients.get(None)
            conversation = await client.messaging.get_conversation(uid)
            found = _find_attachment(conversation, message, file)
            content_type = _base_type(found.content_type)
            size = found.content_length
            limit = self._config.bounds.attachment_bytes
            if content_type in TEXT_TYPES and size is not None and size <= limit:
                data = await client.messaging.download_attachment(uid, message, file)
                if isinstance(data, bytes) and len(data) <= limit:
                    return data.decode("utf-8", errors="replace"), content_type
                reason = f"it is larger than {limit:,} bytes"
            elif content_type in TEXT_TYPES:
                reason = f"it is larger than {limit:,} bytes (or of unknown size)"
            else:
                reason = f"{content_type or 'its type is unknown'} is not text"
        except ResourceError:
            raise
        except Exception as exc:
            raise _resource_error(exc) from exc
        description: dict[str, Any] = prune(to_builtins(found))
        description["inlined"] = False
        description["reason"] = (
            f"not inlined: {reason}; the user can download it with `dhis2w messaging "
            f"attachment download {uid} {message} {file}`"
        )
        return json.dumps(description), "application/json"


def _find_attachment(conversation: MessageConversation, message: str, file: str) -> FileResource:
    for item in conversation.messages:
        if item.id == message:
            for attachment in item.attachments:
                if attachment.id == file:
                    return attachment
            raise ResourceError(f"not_found: message {message} has no attachment {file}")
    raise ResourceError(f"not_found: conversation {conversation.id} has no message {message}")


def _base_type(content_type: str | None) -> str | None:
    if content_type is None:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def _resource_error(exc: BaseException) -> ResourceError:
    kind = error_kind(exc)
    if kind is None:
        return ResourceError(f"internal: unexpected {type(exc).__name__}; see the server log")
    return ResourceError(f"{kind}: {exc}")
