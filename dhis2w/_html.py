"""HTML tables for Jupyter (``_repr_html_``): a page of conversations and one thread.

The same columns as ``dhis2w messaging list`` and ``messaging get``. Every value comes from a
server and may hold markup, so each one is escaped; nothing here builds HTML from unescaped
text.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import ConversationPage, MessageConversation

__all__ = ["conversation_html", "page_html"]

CONVERSATION_HEADERS = ("id", "read", "type", "subject", "last sender", "messages", "last message")
MESSAGE_HEADERS = ("time", "sender", "text", "attachments")


def _time(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M")


def _value(enum_or_str: Any) -> str:
    return "" if enum_or_str is None else str(getattr(enum_or_str, "value", enum_or_str))


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], caption: str = "") -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _read(conversation: MessageConversation) -> str:
    if conversation.read is None:
        return ""
    return "yes" if conversation.read else "no"


def page_html(page: ConversationPage) -> str:
    """The page as the CLI's list table, with the pager under it."""
    rows = [
        (
            c.id,
            _read(c),
            _value(c.message_type),
            c.subject or c.display_name or "",
            c.last_sender_name or "",
            "" if c.message_count is None else str(c.message_count),
            _time(c.last_message),
        )
        for c in page.conversations
    ]
    pager = page.pager
    if pager is None:
        footer = f"total {len(rows)}"
    else:
        footer = f"page {pager.page} of {pager.page_count}, total {pager.total}"
    return _table(CONVERSATION_HEADERS, rows) + f"<p>{html.escape(footer)}</p>"


def conversation_html(conversation: MessageConversation) -> str:
    """The thread, oldest message first, under the conversation's subject."""
    rows = []
    for message in conversation.messages:
        sender = message.sender.label if message.sender is not None else "system"
        if message.internal:
            sender += " [internal]"
        files = ", ".join(
            f"{a.name or a.display_name or '?'} ({a.id})" for a in message.attachments
        )
        rows.append((_time(message.created), sender, message.text or message.name or "", files))
    title = conversation.subject or conversation.display_name or conversation.id
    details = [f"id {conversation.id}"]
    if conversation.message_type is not None:
        details.append(_value(conversation.message_type))
    if conversation.status is not None and _value(conversation.status) != "NONE":
        details.append(f"status {_value(conversation.status)}")
    return _table(MESSAGE_HEADERS, rows, caption=f"{title} ({', '.join(details)})")
