"""Library objects -> bounded, plain-JSON answers (no I/O).

Every string here was written by someone else (subjects, texts, names), and a thread can hold
thousands of messages: answers carry a window of the newest messages and cut long texts with
a marker that says how long they were, so one call can never flood the model's context.
"""

from __future__ import annotations

from typing import Any

import msgspec
from mcp.types import CallToolResult, TextContent

from ..errors import InvalidInputError
from ..models import MessageConversation, to_builtins
from .config import DEFAULT_MESSAGES, Bounds

__all__ = ["cut", "json_text", "ok", "prune", "summary", "thread"]


def json_text(data: Any) -> str:
    return msgspec.json.encode(data).decode("utf-8")


def prune(value: Any) -> Any:
    """Drop null members (DHIS2 omits them too): shorter results, same information."""
    if isinstance(value, dict):
        return {key: prune(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [prune(item) for item in value]
    return value


def ok(result: dict[str, Any]) -> CallToolResult:
    """A successful result: structured JSON plus the same JSON as text for older clients."""
    data: dict[str, Any] = prune(to_builtins(result))
    return CallToolResult(
        content=[TextContent(type="text", text=json_text(data))],
        structured_content=data,
    )


def cut(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else its start and a visible marker."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n[... cut: {limit:,} of {len(text):,} characters shown]"


def summary(conversation: MessageConversation, bounds: Bounds) -> dict[str, Any]:
    """One conversation as a list shows it, with the last sender's name."""
    data: dict[str, Any] = to_builtins(conversation)
    data["lastSenderName"] = conversation.last_sender_name
    for key in ("subject", "displayName"):
        if isinstance(data.get(key), str):
            data[key] = cut(data[key], bounds.subject_chars)
    return data


def thread(
    conversation: MessageConversation,
    bounds: Bounds,
    *,
    limit: int = DEFAULT_MESSAGES,
    before: str | None = None,
    offset: int = 0,
) -> dict[str, Any]:
    """A conversation with a window of its messages (oldest first): the ``limit`` messages
    just older than ``before`` (a message id), or than the newest ``offset`` ones; texts cut
    at ``bounds.text_chars``; at most ``bounds.participants`` participants listed."""
    if before is not None and offset:
        raise InvalidInputError("give `before` or `offset`, not both")
    messages = conversation.messages
    total = len(messages)
    end = total - min(offset, total)
    if before is not None:
        ids = [message.id for message in messages]
        if before not in ids:
            raise InvalidInputError(
                f"message {before!r} is not in conversation {conversation.id}; use a nextBefore "
                "value from an earlier answer"
            )
        end = ids.index(before)
    start = max(0, end - limit)
    data = summary(conversation, bounds)
    shaped: list[dict[str, Any]] = []
    for message in messages[start:end]:
        item: dict[str, Any] = to_builtins(message)
        # System messages (validation results, ...) have no sender.
        item["senderName"] = message.sender.label if message.sender is not None else None
        if message.text is not None and len(message.text) > bounds.text_chars:
            item["text"] = cut(message.text, bounds.text_chars)
            item["textLength"] = len(message.text)
            item["textTruncated"] = True
        shaped.append(item)
    data["messages"] = shaped
    data["window"] = {
        "total": total,
        "returned": len(shaped),
        "firstIndex": start,
        "olderMessages": start,
        "nextBefore": messages[start].id if start > 0 else None,
    }
    participants = data.get("userMessages") or []
    data["participantCount"] = len(participants)
    data["userMessages"] = participants[: bounds.participants]
    return data
