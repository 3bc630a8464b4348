"""The ticket workflow: priority, status, assignee."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from ...enums import Priority, Status
from .. import schemas
from ..params import Uid
from ..registry import Call, ToolSpec, writer

__all__ = ["TOOLS"]


async def messaging_set_priority(
    call: Call,
    uid: Uid,
    priority: Annotated[Priority, Field(description="NONE, LOW, MEDIUM or HIGH.")],
) -> dict[str, Any]:
    """Set the priority of a conversation (used on feedback tickets).

    Returns {"id": uid, "priority": priority}.
    """
    await call.client.messaging.set_priority(uid, priority)
    return {"id": uid, "priority": priority}


async def messaging_set_status(
    call: Call,
    uid: Uid,
    status: Annotated[Status, Field(description="NONE, OPEN, PENDING, INVALID or SOLVED.")],
) -> dict[str, Any]:
    """Set the workflow status of a ticket (e.g. SOLVED when answered).

    Returns {"id": uid, "status": status}.
    """
    await call.client.messaging.set_status(uid, status)
    return {"id": uid, "status": status}


async def messaging_assign(
    call: Call,
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
) -> dict[str, Any]:
    """Assign a conversation (usually a ticket) to a user.

    Returns {"id": uid, "assignee": userUid}.
    """
    user_uid = (await call.client.directory.resolve_users([user]))[0]
    await call.client.messaging.assign(uid, user_uid)
    return {"id": uid, "assignee": user_uid}


async def messaging_unassign(call: Call, uid: Uid) -> dict[str, Any]:
    """Remove the assignee of a conversation. Returns {"id": uid}."""
    await call.client.messaging.unassign(uid)
    return {"id": uid, "assignee": None}


TOOLS: tuple[ToolSpec, ...] = (
    writer(
        "messaging_set_priority",
        "Set a ticket's priority",
        messaging_set_priority,
        schemas.PrioritySet,
        idempotent=True,
    ),
    writer(
        "messaging_set_status",
        "Set a ticket's status",
        messaging_set_status,
        schemas.StatusSet,
        idempotent=True,
    ),
    writer(
        "messaging_assign",
        "Assign a ticket to a user",
        messaging_assign,
        schemas.Assigned,
        idempotent=True,
    ),
    writer(
        "messaging_unassign",
        "Unassign a ticket",
        messaging_unassign,
        schemas.Assigned,
        idempotent=True,
    ),
)
