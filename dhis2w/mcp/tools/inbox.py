"""Reading and keeping the inbox: list, search, read a thread, count, read/unread, follow-up,
remove. Answers are bounded (the descriptions say how, so an agent knows how to ask for more)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from ...enums import MessageType, Priority, Status
from .. import schemas
from ..config import DEFAULT_MESSAGES, MAX_MESSAGES, MAX_PAGE_SIZE, MAX_SEARCH_RESULTS
from ..params import Several, Uid, Uids, as_list
from ..registry import Call, ToolSpec, reader, writer
from ..shaping import summary, thread

__all__ = ["TOOLS"]

Filter = Annotated[
    Several,
    Field(
        description=(
            "DHIS2 object filters 'property:operator:value', combined with AND. "
            "Examples: 'read:eq:false' (unread), 'followUp:eq:true', "
            "'messageType:eq:TICKET', 'status:eq:OPEN', 'priority:eq:HIGH', "
            "'assignee.id:eq:<userUid>', 'subject:ilike:malaria', "
            "'lastMessage:gt:2024-01-01'."
        ),
    ),
]
TypeFilter = Annotated[MessageType | None, Field(description="Only conversations of this type.")]
StatusFilter = Annotated[Status | None, Field(description="Only tickets with this status.")]
PriorityFilter = Annotated[
    Priority | None, Field(description="Only conversations with this priority.")
]
UnreadFilter = Annotated[
    bool | None, Field(description="true: only unread conversations; false: only read ones.")
]
FollowUpFilter = Annotated[
    bool | None, Field(description="true: only conversations flagged for follow-up.")
]
Assignee = Annotated[
    str | None, Field(description="Only tickets assigned to this user (UID or username).")
]


async def _assignee_uid(call: Call, assignee: str | None) -> str | None:
    if not assignee:
        return None
    return (await call.client.directory.resolve_users([assignee]))[0]


async def messaging_list(
    call: Call,
    filter: Filter = None,
    query: Annotated[
        str | None,
        Field(description="Free-text search over subject, message text and sender name."),
    ] = None,
    message_type: TypeFilter = None,
    status: StatusFilter = None,
    priority: PriorityFilter = None,
    unread: UnreadFilter = None,
    follow_up: FollowUpFilter = None,
    assignee: Assignee = None,
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
        int,
        Field(description=f"Conversations per page (1-{MAX_PAGE_SIZE}).", ge=1, le=MAX_PAGE_SIZE),
    ] = 50,
) -> dict[str, Any]:
    """List the calling user's message conversations (their inbox), one page at a time.

    Returns {"conversations": [...], "pager": {"page", "pageCount", "total", "pageSize",
    "nextPage"}}. Each conversation has id, subject, messageType, status, priority,
    read, followUp, lastMessage, messageCount, lastSender and lastSenderName, assignee.
    At most 100 per page (default 50): for the next page call again with page =
    pager.page + 1 while pager.page < pager.pageCount. Use messaging_get to read a
    thread's messages.
    """
    result = await call.client.messaging.list_conversations(
        filter=as_list(filter) or None,
        query=query,
        message_type=message_type,
        status=status,
        priority=priority,
        unread=unread,
        follow_up=follow_up,
        assignee=await _assignee_uid(call, assignee),
        order=order,
        page=page,
        page_size=page_size,
    )
    bounds = call.config.bounds
    return {
        "conversations": [summary(c, bounds) for c in result.conversations],
        "pager": result.pager,
    }


async def messaging_search(
    call: Call,
    query: Annotated[
        str,
        Field(
            description="Words to find in subjects, message texts and sender names.",
            min_length=1,
        ),
    ],
    message_type: TypeFilter = None,
    status: StatusFilter = None,
    priority: PriorityFilter = None,
    unread: UnreadFilter = None,
    follow_up: FollowUpFilter = None,
    assignee: Assignee = None,
    limit: Annotated[
        int,
        Field(
            description=f"Most conversations to return (1-{MAX_SEARCH_RESULTS}).",
            ge=1,
            le=MAX_SEARCH_RESULTS,
        ),
    ] = 20,
) -> dict[str, Any]:
    """Search the calling user's conversations, newest first, with optional filters.

    Returns {"conversations": [...], "total": n, "more": true|false}: at most `limit`
    (default 20, up to 50) conversations, shaped as messaging_list shows them; `more` is
    true when more matched (narrow the query or filters, or page with messaging_list and
    the same query). Read a match with messaging_get.
    """
    result = await call.client.messaging.list_conversations(
        query=query,
        message_type=message_type,
        status=status,
        priority=priority,
        unread=unread,
        follow_up=follow_up,
        assignee=await _assignee_uid(call, assignee),
        page=1,
        page_size=limit,
    )
    found = result.conversations[:limit]
    total = result.pager.total if result.pager is not None else len(result.conversations)
    return {
        "conversations": [summary(c, call.config.bounds) for c in found],
        "total": total,
        "more": total > len(found),
    }


async def messaging_get(
    call: Call,
    uid: Uid,
    limit: Annotated[
        int,
        Field(
            description=f"How many messages to return (1-{MAX_MESSAGES}).", ge=1, le=MAX_MESSAGES
        ),
    ] = DEFAULT_MESSAGES,
    before: Annotated[
        str | None,
        Field(
            description=(
                "A message id: return the messages just older than it (use window.nextBefore "
                "of the previous answer to page back)."
            ),
        ),
    ] = None,
    offset: Annotated[
        int,
        Field(description="Skip this many of the newest messages (instead of `before`).", ge=0),
    ] = 0,
) -> dict[str, Any]:
    """Read one conversation: its newest messages, and how to page back to the first.

    Returns the conversation (id, subject, messageType, status, priority, assignee, read,
    followUp, lastMessage, lastSenderName) with "messages", oldest first: by default the
    newest 20 only. Each has id, text, created, internal, sender {id, displayName} and
    senderName (absent for system messages), and attachments [{id, name, contentType,
    contentLength}] (readable as resources when they are text). A text longer than the
    server's bound (<text_chars> characters) is cut, with a marker, textTruncated=true
    and its full textLength. "window" says {total, returned, firstIndex, olderMessages,
    nextBefore}: while olderMessages > 0, call again with before = window.nextBefore for
    older ones. "userMessages" lists up to 50 participants with their read and followUp
    state; participantCount gives them all. Does not mark it read.
    """
    conversation = await call.client.messaging.get_conversation(uid)
    return thread(conversation, call.config.bounds, limit=limit, before=before, offset=offset)


async def messaging_unread_count(
    call: Call,
    message_type: Annotated[
        MessageType | None,
        Field(description="Count only this type (e.g. TICKET); omit to count all."),
    ] = None,
) -> dict[str, Any]:
    """Count the calling user's unread conversations. Returns {"unread": n}."""
    count = await call.client.messaging.unread_count(message_type=message_type)
    return {"unread": count, "messageType": message_type}


async def messaging_mark_read(call: Call, uids: Uids) -> dict[str, Any]:
    """Mark conversations as read for the calling user.

    Returns {"markedRead": [uids whose state changed]}; ones already read are left out.
    """
    return {"markedRead": list(await call.client.messaging.mark_read(as_list(uids)))}


async def messaging_mark_unread(call: Call, uids: Uids) -> dict[str, Any]:
    """Mark conversations as unread for the calling user.

    Returns {"markedUnread": [uids whose state changed]}; ones already unread are left out.
    """
    return {"markedUnread": list(await call.client.messaging.mark_unread(as_list(uids)))}


async def messaging_delete(call: Call, uids: Uids) -> dict[str, Any]:
    """Remove conversations from the calling user's inbox.

    The other participants keep their copy; the calling user cannot get it back.
    Returns {"removed": [uids removed]} (empty for ones the user was not part of).
    """
    return {"removed": list(await call.client.messaging.delete_conversation(as_list(uids)))}


async def messaging_follow_up(call: Call, uids: Uids) -> dict[str, Any]:
    """Flag conversations for follow-up, for the calling user.

    Returns {"followUp": true, "uids": [uids handled]}. Find flagged ones with
    messaging_list follow_up=true; remove the flag with messaging_unfollow_up.
    """
    return {"followUp": True, "uids": list(await call.client.messaging.follow_up(as_list(uids)))}


async def messaging_unfollow_up(call: Call, uids: Uids) -> dict[str, Any]:
    """Remove the follow-up flag from conversations, for the calling user.

    Returns {"followUp": false, "uids": [uids handled]}.
    """
    done = await call.client.messaging.unfollow_up(as_list(uids))
    return {"followUp": False, "uids": list(done)}


TOOLS: tuple[ToolSpec, ...] = (
    reader(
        "messaging_list", "List message conversations", messaging_list, schemas.ConversationList
    ),
    reader("messaging_search", "Search conversations", messaging_search, schemas.SearchResult),
    reader("messaging_get", "Read a conversation thread", messaging_get, schemas.Thread),
    reader(
        "messaging_unread_count",
        "Count unread conversations",
        messaging_unread_count,
        schemas.UnreadCount,
    ),
    writer(
        "messaging_mark_read",
        "Mark conversations read",
        messaging_mark_read,
        schemas.MarkedRead,
        idempotent=True,
    ),
    writer(
        "messaging_mark_unread",
        "Mark conversations unread",
        messaging_mark_unread,
        schemas.MarkedUnread,
        idempotent=True,
    ),
    writer(
        "messaging_delete",
        "Remove conversations from my inbox",
        messaging_delete,
        schemas.Removed,
        idempotent=True,
        destructive=True,
    ),
    writer(
        "messaging_follow_up",
        "Flag conversations for follow-up",
        messaging_follow_up,
        schemas.FollowUpResult,
        idempotent=True,
    ),
    writer(
        "messaging_unfollow_up",
        "Remove the follow-up flag",
        messaging_unfollow_up,
        schemas.FollowUpResult,
        idempotent=True,
    ),
)
