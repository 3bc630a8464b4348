"""The emulator's object types: which properties each has and how each is read.

The tables here drive both rendering (``fields``) and filtering (``filter``), so a property
that renders can be filtered on and vice versa, as in DHIS2 where both walk the same schema.
Getters take a :class:`Context` (the current user, the store, per-request caches) so that
per-user fields such as ``read`` and batched loads of messages work without N+1 queries.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any

from dhis2w.emulator.fields import EMBEDDED, REF, REFS, SIMPLE, USER, Prop
from dhis2w.emulator.store import DirUser, Store

__all__ = ["SCHEMAS", "Context", "storage_key", "storage_status"]

MESSAGE_TYPES = ("PRIVATE", "SYSTEM", "VALIDATION_RESULT", "TICKET", "SYSTEM_VERSION_UPDATE")
PRIORITIES = ("NONE", "LOW", "MEDIUM", "HIGH")
STATUSES = ("NONE", "OPEN", "PENDING", "INVALID", "SOLVED")
DOMAINS = (
    "DATA_VALUE",
    "PUSH_ANALYSIS",
    "DOCUMENT",
    "MESSAGE_ATTACHMENT",
    "USER_AVATAR",
    "ORG_UNIT",
    "ICON",
    "JOB_DATA",
)

ACCESS = {
    "manage": True,
    "externalize": True,
    "write": True,
    "read": True,
    "update": True,
    "delete": True,
}


# FileResourceDomain container names (the first segment of a storage key)
CONTAINERS = {
    "DATA_VALUE": "dataValue",
    "PUSH_ANALYSIS": "pushAnalysis",
    "DOCUMENT": "document",
    "MESSAGE_ATTACHMENT": "messageAttachment",
    "USER_AVATAR": "userAvatar",
    "ORG_UNIT": "organisationUnit",
    "ICON": "icon",
    "JOB_DATA": "jobData",
}


def storage_key(file: dict[str, Any]) -> str:
    """FileResourceKeyUtil: ``<domain container>/<random UUID>`` (stable here per UID)."""
    container = CONTAINERS.get(file["domain"], file["domain"])
    return f"{container}/{uuid.uuid5(uuid.NAMESPACE_URL, 'fileResource:' + file['uid'])}"


def storage_status(file: dict[str, Any]) -> str:
    """STORED once the simulated asynchronous store has finished, PENDING before."""
    return "STORED" if time.time() >= float(file["stored_at"]) else "PENDING"


class Context:
    """Per-request rendering state: who asks, where from, and batched lookups."""

    def __init__(self, store: Store, user: DirUser, api_base: str) -> None:
        self.store = store
        self.directory = store.directory
        self.user = user
        self.api_base = api_base
        self.list_path = False
        self.batch: list[str] = []
        self.hide_internal = not self.directory.is_feedback_manager(user)
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._user_messages: dict[str, list[dict[str, Any]]] = {}
        self._files: dict[str, dict[str, Any]] = {}

    def set_batch(self, conv_uids: Sequence[str]) -> None:
        """The conversations about to be rendered, loaded together on first need."""
        self.batch = list(conv_uids)

    def messages_of(self, conv_uid: str) -> list[dict[str, Any]]:
        if conv_uid not in self._messages:
            wanted = [u for u in (self.batch or [conv_uid]) if u not in self._messages]
            if conv_uid not in wanted:
                wanted.append(conv_uid)
            self._messages.update(self.store.messages(wanted))
            files = [f for u in wanted for m in self._messages[u] for f in m["attachments"]]
            self._files.update(self.store.get_files(files))
        msgs = self._messages[conv_uid]
        if self.hide_internal:
            msgs = [m for m in msgs if not m["internal"]]
        return msgs

    def user_messages_of(self, conv_uid: str) -> list[dict[str, Any]]:
        if conv_uid not in self._user_messages:
            wanted = [u for u in (self.batch or [conv_uid]) if u not in self._user_messages]
            if conv_uid not in wanted:
                wanted.append(conv_uid)
            self._user_messages.update(self.store.user_messages(wanted))
        return self._user_messages[conv_uid]

    def file(self, uid: str) -> dict[str, Any] | None:
        if uid not in self._files:
            found = self.store.get_file(uid)
            if found is None:
                return None
            self._files[uid] = found
        return self._files[uid]

    def user_obj(self, uid: str | None) -> DirUser | None:
        return None if uid is None else self.directory.users.get(uid)

    def user_summary(self, user: DirUser) -> dict[str, Any]:
        """DHIS2's ``UserPropertyTransformer`` shape for createdBy, user, userMessages.user."""
        out: dict[str, Any] = {"id": user.uid}
        if user.code is not None:
            out["code"] = user.code
        out["name"] = user.display_name
        out["displayName"] = user.display_name
        out["username"] = user.username
        return out


def _p(kind: str, get: Any, **kw: Any) -> Prop:
    return Prop(kind, get, **kw)


def _s(key: str, vtype: str = "str", **kw: Any) -> Prop:
    return Prop(SIMPLE, lambda _c, o: o[key], vtype=vtype, **kw)


def _const(value: Any, *, owner: bool = False) -> Prop:
    return Prop(SIMPLE, lambda _c, _o: value, persisted=False, owner=owner)


def _computed(prop: Prop) -> Prop:
    """The same property, left out of ``fields=:owner`` (shown to readers, not stored)."""
    return Prop(
        prop.kind,
        prop.get,
        target=prop.target,
        vtype=prop.vtype,
        choices=prop.choices,
        java_class=prop.java_class,
        persisted=prop.persisted,
        owner=False,
    )


def _conv_read(ctx: Context, c: dict[str, Any]) -> bool:
    return bool(c.get("read", False))


def _conv_follow(ctx: Context, c: dict[str, Any]) -> bool:
    return bool(c.get("follow_up", False))


def _user_attr(uid_key: str, attr: str) -> Any:
    def get(ctx: Context, o: dict[str, Any]) -> Any:
        if not ctx.list_path:
            return None
        user = ctx.user_obj(o[uid_key])
        return None if user is None else getattr(user, attr)

    return get


CONVERSATION: dict[str, Prop] = {
    "id": _s("uid"),
    "name": _computed(_s("subject")),
    "displayName": _computed(_s("subject")),
    "created": _s("created", "date"),
    "lastUpdated": _s("last_updated", "date"),
    "lastUpdatedBy": _p(USER, lambda c, o: c.user_obj(o["last_sender"] or o["created_by"])),
    "createdBy": _p(USER, lambda c, o: c.user_obj(o["created_by"])),
    "user": _computed(_p(USER, lambda c, o: c.user_obj(o["created_by"]))),
    "href": _computed(_p(SIMPLE, lambda c, o: f"{c.api_base}/messageConversations/{o['uid']}")),
    "subject": _s("subject"),
    "messageType": _s("message_type", "enum", choices=MESSAGE_TYPES, java_class="MessageType"),
    "priority": _s(
        "priority", "enum", choices=PRIORITIES, java_class="MessageConversationPriority"
    ),
    "status": _s("status", "enum", choices=STATUSES, java_class="MessageConversationStatus"),
    "lastMessage": _s("last_message", "date"),
    "messageCount": _s("message_count", "int"),
    "read": Prop(SIMPLE, _conv_read, vtype="bool", persisted=False),
    "followUp": Prop(SIMPLE, _conv_follow, vtype="bool", persisted=False),
    "lastSender": _p(REF, lambda c, o: c.user_obj(o["last_sender"]), target="User"),
    "assignee": _p(REF, lambda c, o: c.user_obj(o["assignee"]), target="User"),
    "userFirstname": _p(SIMPLE, _user_attr("created_by", "first_name"), persisted=False),
    "userSurname": _p(SIMPLE, _user_attr("created_by", "surname"), persisted=False),
    "lastSenderFirstname": _p(SIMPLE, _user_attr("last_sender", "first_name"), persisted=False),
    "lastSenderSurname": _p(SIMPLE, _user_attr("last_sender", "surname"), persisted=False),
    "extMessageId": _s("ext_message_id"),
    "messages": _p(REFS, lambda c, o: c.messages_of(o["uid"]), target="Message"),
    "userMessages": _p(EMBEDDED, lambda c, o: c.user_messages_of(o["uid"]), target="UserMessage"),
    "access": _const(ACCESS),
    "favorite": _const(False),
    "favorites": _const([], owner=True),
    "translations": _const([], owner=True),
    "attributeValues": _const([], owner=True),
}

MESSAGE: dict[str, Prop] = {
    "id": _s("uid"),
    "name": _computed(_s("text")),
    "displayName": _computed(_s("text")),
    "created": _s("created", "date"),
    "lastUpdated": _s("created", "date"),
    "text": _s("text"),
    "metaData": _s("meta_data"),
    "internal": _s("internal", "bool"),
    "sender": _p(REF, lambda c, o: c.user_obj(o["sender"]), target="User"),
    "attachments": _p(
        REFS,
        lambda c, o: [f for f in (c.file(u) for u in o["attachments"]) if f is not None],
        target="FileResource",
    ),
    "favorite": _const(False),
    "favorites": _const([], owner=True),
    "translations": _const([], owner=True),
    "attributeValues": _const([], owner=True),
}

USER_MESSAGE: dict[str, Prop] = {
    "key": _s("key"),
    "user": _p(USER, lambda c, o: c.user_obj(o["user"])),
    "read": _s("read", "bool"),
    "followUp": _s("follow_up", "bool"),
}

USER_PROPS: dict[str, Prop] = {
    "id": _p(SIMPLE, lambda c, u: u.uid),
    "code": _p(SIMPLE, lambda c, u: u.code),
    "name": _p(SIMPLE, lambda c, u: u.display_name),
    "displayName": _p(SIMPLE, lambda c, u: u.display_name),
    "username": _p(SIMPLE, lambda c, u: u.username),
    "firstName": _p(SIMPLE, lambda c, u: u.first_name),
    "surname": _p(SIMPLE, lambda c, u: u.surname),
    "email": _p(SIMPLE, lambda c, u: u.email),
    "phoneNumber": _p(SIMPLE, lambda c, u: u.phone_number),
    "jobTitle": _p(SIMPLE, lambda c, u: u.job_title),
    "created": _p(SIMPLE, lambda c, u: u.created, vtype="date"),
    "lastUpdated": _p(SIMPLE, lambda c, u: u.created, vtype="date"),
    "disabled": _p(SIMPLE, lambda c, u: False, vtype="bool"),
    "href": _p(SIMPLE, lambda c, u: f"{c.api_base}/users/{u.uid}", persisted=False),
    "userGroups": _p(
        REFS, lambda c, u: [c.directory.groups[g] for g in u.groups], target="UserGroup"
    ),
    "organisationUnits": _p(
        REFS,
        lambda c, u: [c.directory.org_units[o] for o in u.org_units if o in c.directory.org_units],
        target="OrganisationUnit",
    ),
    "userRoles": _p(
        REFS, lambda c, u: [{"uid": u.role_uid, "name": u.role_name}], target="UserRole"
    ),
}

USER_ROLE: dict[str, Prop] = {
    "id": _s("uid"),
    "name": _s("name"),
    "displayName": _s("name"),
}

USER_GROUP: dict[str, Prop] = {
    "id": _p(SIMPLE, lambda c, g: g.uid),
    "code": _p(SIMPLE, lambda c, g: g.code),
    "name": _p(SIMPLE, lambda c, g: g.name),
    "displayName": _p(SIMPLE, lambda c, g: g.name),
    "created": _p(SIMPLE, lambda c, g: g.created, vtype="date"),
    "lastUpdated": _p(SIMPLE, lambda c, g: g.created, vtype="date"),
    "href": _p(SIMPLE, lambda c, g: f"{c.api_base}/userGroups/{g.uid}", persisted=False),
    "users": _p(REFS, lambda c, g: [c.directory.users[m] for m in g.members], target="User"),
}

ORG_UNIT: dict[str, Prop] = {
    "id": _p(SIMPLE, lambda c, o: o.uid),
    "code": _p(SIMPLE, lambda c, o: o.code),
    "name": _p(SIMPLE, lambda c, o: o.name),
    "displayName": _p(SIMPLE, lambda c, o: o.name),
    "shortName": _p(SIMPLE, lambda c, o: o.short_name),
    "displayShortName": _p(SIMPLE, lambda c, o: o.short_name),
    "level": _p(SIMPLE, lambda c, o: o.level, vtype="int"),
    "path": _p(SIMPLE, lambda c, o: o.path),
    "created": _p(SIMPLE, lambda c, o: o.created, vtype="date"),
    "lastUpdated": _p(SIMPLE, lambda c, o: o.created, vtype="date"),
    "openingDate": _p(SIMPLE, lambda c, o: "1970-01-01T00:00:00.000", vtype="date"),
    "href": _p(SIMPLE, lambda c, o: f"{c.api_base}/organisationUnits/{o.uid}", persisted=False),
    "parent": _p(
        REF,
        lambda c, o: c.directory.org_units.get(o.parent) if o.parent else None,
        target="OrganisationUnit",
    ),
    "children": _p(
        REFS, lambda c, o: [c.directory.org_units[x] for x in o.children], target="OrganisationUnit"
    ),
    "users": _p(REFS, lambda c, o: [c.directory.users[x] for x in o.users], target="User"),
}

FILE_RESOURCE: dict[str, Prop] = {
    "id": _s("uid"),
    "name": _s("name"),
    "displayName": _computed(_s("name")),
    "created": _s("created", "date"),
    "lastUpdated": _s("last_updated", "date"),
    "createdBy": _p(USER, lambda c, o: c.user_obj(o["created_by"])),
    "lastUpdatedBy": _p(USER, lambda c, o: c.user_obj(o["created_by"])),
    "contentType": _s("content_type"),
    "contentLength": _s("content_length", "int"),
    "contentMd5": _s("content_md5"),
    "domain": _s("domain", "enum", choices=DOMAINS, java_class="FileResourceDomain"),
    "assigned": _p(SIMPLE, lambda c, o: bool(o["assigned"]), vtype="bool"),
    "hasMultipleStorageFiles": _p(
        SIMPLE,
        lambda c, o: storage_status(o) == "STORED" and c.store.has_image_variants(o["uid"]),
        vtype="bool",
        persisted=False,
        owner=True,
    ),
    "storageStatus": _p(SIMPLE, lambda c, o: storage_status(o), persisted=False, owner=True),
    "href": _p(SIMPLE, lambda c, o: f"{c.api_base}/fileResources/{o['uid']}", persisted=False),
}

DOCUMENT: dict[str, Prop] = {
    "id": _s("uid"),
    "name": _s("name"),
    "displayName": _computed(_s("name")),
    "created": _s("created", "date"),
    "lastUpdated": _s("last_updated", "date"),
    "createdBy": _p(USER, lambda c, o: c.user_obj(o["created_by"])),
    "lastUpdatedBy": _p(USER, lambda c, o: c.user_obj(o["created_by"])),
    "user": _computed(_p(USER, lambda c, o: c.user_obj(o["created_by"]))),
    "url": _s("url"),
    "external": _p(SIMPLE, lambda c, o: bool(o["external"]), vtype="bool"),
    "contentType": _s("content_type"),
    "attachment": _p(SIMPLE, lambda c, o: bool(o["attachment"]), vtype="bool"),
    "href": _p(SIMPLE, lambda c, o: f"{c.api_base}/documents/{o['uid']}", persisted=False),
    "access": _const(ACCESS),
    "favorite": _const(False),
    "favorites": _const([], owner=True),
    "translations": _const([], owner=True),
    "attributeValues": _const([], owner=True),
}

SCHEMAS: dict[str, dict[str, Prop]] = {
    "MessageConversation": CONVERSATION,
    "Message": MESSAGE,
    "UserMessage": USER_MESSAGE,
    "User": USER_PROPS,
    "UserRole": USER_ROLE,
    "UserGroup": USER_GROUP,
    "OrganisationUnit": ORG_UNIT,
    "FileResource": FILE_RESOURCE,
    "Document": DOCUMENT,
}
