"""Output schemas: the shape of every tool's structured result, checked by the SDK.

Results are DHIS2's wire shapes (camelCase keys, nulls left out) plus the names an agent
would otherwise have to dig for. The models list what an agent may rely on and allow more
(a newer DHIS2 adds properties), so a new server field never turns a result into an error.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Assigned",
    "ConversationList",
    "FileResourceResult",
    "FollowUpResult",
    "MarkedRead",
    "MarkedUnread",
    "PrioritySet",
    "RecipientsAdded",
    "Removed",
    "SearchResult",
    "StatusSet",
    "Thread",
    "UnreadCount",
]


class _Open(BaseModel):
    """A wire object: these properties, and possibly more."""

    model_config = ConfigDict(extra="allow")


class Ref(_Open):
    id: str
    displayName: str | None = None


class Attachment(_Open):
    id: str
    name: str | None = None
    contentType: str | None = None
    contentLength: int | None = None


class Message(_Open):
    id: str
    text: str | None = Field(None, description="The text, cut if longer than the bound.")
    textLength: int | None = Field(None, description="The full length, when the text was cut.")
    textTruncated: bool | None = Field(None, description="true when the text was cut.")
    created: str | None = None
    internal: bool | None = None
    sender: Ref | None = Field(None, description="Absent for system messages.")
    senderName: str | None = None
    attachments: list[Attachment] = []


class Participant(_Open):
    user: Ref | None = None
    read: bool | None = None
    followUp: bool | None = None


class Conversation(_Open):
    id: str
    subject: str | None = None
    messageType: str | None = None
    status: str | None = None
    priority: str | None = None
    read: bool | None = None
    followUp: bool | None = None
    lastMessage: str | None = None
    messageCount: int | None = None
    lastSender: Ref | None = None
    lastSenderName: str | None = Field(None, description="The last sender's display name.")
    assignee: Ref | None = None


class MessageWindow(BaseModel):
    total: int = Field(description="Messages in the whole thread.")
    returned: int = Field(description="Messages in this answer.")
    firstIndex: int = Field(description="Position (from 0, oldest first) of the first returned.")
    olderMessages: int = Field(description="Messages older than the ones returned.")
    nextBefore: str | None = Field(
        None, description="Pass as `before` to get the next older messages; absent at the start."
    )


class Thread(Conversation):
    messages: list[Message] = Field(description="Oldest first; the newest ones by default.")
    window: MessageWindow
    userMessages: list[Participant] = []
    participantCount: int = Field(description="Participants in all (userMessages may be fewer).")


class Pager(_Open):
    page: int
    pageCount: int
    total: int
    pageSize: int
    nextPage: str | None = None


class ConversationList(BaseModel):
    conversations: list[Conversation]
    pager: Pager | None = None


class SearchResult(BaseModel):
    conversations: list[Conversation]
    total: int = Field(description="Matching conversations in all.")
    more: bool = Field(description="true when more matched than returned.")


class UnreadCount(BaseModel):
    unread: int
    messageType: str | None = None


class MarkedRead(BaseModel):
    markedRead: list[str]


class MarkedUnread(BaseModel):
    markedUnread: list[str]


class Removed(BaseModel):
    removed: list[str]


class FollowUpResult(BaseModel):
    followUp: bool
    uids: list[str]


class PrioritySet(BaseModel):
    id: str
    priority: str


class StatusSet(BaseModel):
    id: str
    status: str


class Assigned(BaseModel):
    id: str
    assignee: str | None = None


class RecipientsAdded(BaseModel):
    id: str
    users: list[str]
    userGroups: list[str]
    organisationUnits: list[str]


class FileResourceResult(_Open):
    id: str
    name: str | None = None
    contentType: str | None = None
    contentLength: int | None = None
    domain: str | None = None
    assigned: bool | None = None
    storageStatus: str | None = None
