"""Writing to people: a new conversation, a reply, more participants. Recipients may be
named (usernames, group names, org-unit codes): ``client.directory`` resolves them."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from .. import schemas
from ..params import Attachments, OrgUnits, Text, Uid, UserGroups, Users, as_list
from ..registry import Call, ToolSpec, writer
from ..shaping import thread

__all__ = ["TOOLS"]


async def messaging_send(
    call: Call,
    subject: Annotated[str, Field(description="Subject line.", min_length=1)],
    text: Text,
    users: Users = None,
    user_groups: UserGroups = None,
    organisation_units: OrgUnits = None,
    attachments: Attachments = None,
) -> dict[str, Any]:
    """Start a new private conversation and send its first message.

    Give at least one recipient through users, user_groups or organisation_units (UIDs
    or names). Returns the created conversation as messaging_get shows it (id, subject,
    messages, participants); use its id with messaging_reply to continue the thread. Not
    idempotent: calling it twice sends two messages.
    """
    recipients = await call.client.directory.resolve_recipients(
        users=as_list(users),
        user_groups=as_list(user_groups),
        organisation_units=as_list(organisation_units),
    )
    sent = await call.client.messaging.send(
        subject=subject, text=text, attachments=as_list(attachments), **recipients
    )
    return thread(sent, call.config.bounds)


async def messaging_reply(
    call: Call,
    uid: Uid,
    text: Text,
    internal: Annotated[
        bool,
        Field(description="true: an internal note on a ticket, visible only to feedback managers."),
    ] = False,
    attachments: Attachments = None,
) -> dict[str, Any]:
    """Reply to an existing conversation (all its participants see the reply).

    Returns the updated conversation as messaging_get shows it (the newest messages). Not
    idempotent: calling it twice posts two replies.
    """
    updated = await call.client.messaging.reply(
        uid, text=text, internal=internal, attachments=as_list(attachments)
    )
    return thread(updated, call.config.bounds)


async def messaging_add_recipients(
    call: Call,
    uid: Uid,
    users: Users = None,
    user_groups: UserGroups = None,
    organisation_units: OrgUnits = None,
) -> dict[str, Any]:
    """Add participants to an existing conversation; they see the whole thread as unread.

    Give at least one of users, user_groups, organisation_units (UIDs or names).
    Returns {"id": uid, "users": [...], "userGroups": [...], "organisationUnits": [...]}
    with the resolved UIDs that were added.
    """
    recipients = await call.client.directory.resolve_recipients(
        users=as_list(users),
        user_groups=as_list(user_groups),
        organisation_units=as_list(organisation_units),
    )
    await call.client.messaging.add_recipients(uid, **recipients)
    return {
        "id": uid,
        "users": recipients["users"],
        "userGroups": recipients["user_groups"],
        "organisationUnits": recipients["organisation_units"],
    }


TOOLS: tuple[ToolSpec, ...] = (
    writer(
        "messaging_send",
        "Send a new message",
        messaging_send,
        schemas.Thread,
        idempotent=False,
        reaches_people=True,
    ),
    writer(
        "messaging_reply",
        "Reply to a conversation",
        messaging_reply,
        schemas.Thread,
        idempotent=False,
        reaches_people=True,
    ),
    writer(
        "messaging_add_recipients",
        "Add recipients to a conversation",
        messaging_add_recipients,
        schemas.RecipientsAdded,
        idempotent=True,
        reaches_people=True,
    ),
)
