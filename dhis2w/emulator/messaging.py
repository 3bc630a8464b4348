"""``/api/messageConversations``: every endpoint of dhis2-api.md §1 with its checks in order.

Each handler follows MessageConversationController (2.42): the same access rules
(participant / superuser / feedback manager for tickets), the same order of checks, the
same status codes and texts, and the RootNode bodies where DHIS2 uses them instead of a
WebMessage.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from typing import Any

from dhis2w.emulator.common import (
    Call,
    SqlPlanner,
    SqlRows,
    enum_param,
    get_object,
    list_objects,
    missing_param,
    read_json,
)
from dhis2w.emulator.exchange import Response, WebMessageError, json_response, web_message
from dhis2w.emulator.query import Filter
from dhis2w.emulator.schema import PRIORITIES, STATUSES, Context, storage_key, storage_status
from dhis2w.emulator.sqllist import conversation_rows
from dhis2w.emulator.store import DirUser

__all__ = ["route"]

UID_IN_PATH = re.compile(r"^[a-zA-Z0-9]{11}$")
KLASS = "org.hisp.dhis.message.MessageConversation"
ATTACHMENT_DOMAIN = "MESSAGE_ATTACHMENT"
JAVA = {
    "users": "org.hisp.dhis.user.User",
    "userGroups": "org.hisp.dhis.user.UserGroup",
    "organisationUnits": "org.hisp.dhis.organisationunit.OrganisationUnit",
    "attachments": "org.hisp.dhis.fileresource.FileResource",
}


# --- access rules (MCC helpers) -------------------------------------------------------------


def _can_read(call: Call, user: DirUser, conv_uid: str) -> bool:
    return user.is_superuser or call.store.is_participant(conv_uid, user.uid)


def _can_modify(call: Call, user: DirUser, conv: dict[str, Any]) -> bool:
    if _can_read(call, user, conv["uid"]):
        return True
    return conv["message_type"] == "TICKET" and call.store.directory.is_feedback_manager(user)


# --- recipients and attachments ------------------------------------------------------------


def _ids(body: dict[str, Any], key: str) -> list[str]:
    """``[{id}]`` objects; a bare string fails like Jackson mapping the entity (500)."""
    raw = body.get(key)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise WebMessageError.wm(400, f"JSON parse error: `{key}` must be an array")
    out: list[str] = []
    for item in raw:
        if isinstance(item, str):
            raise WebMessageError.wm(
                500,
                f"Cannot construct instance of `{JAVA[key]}` (although at least one Creator "
                "exists): no String-argument constructor/factory method to deserialize "
                f"from String value ('{item}')",
            )
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            out.append(item["id"])
    return out


def _resolve_recipients(call: Call, body: dict[str, Any]) -> list[str]:
    """Users ∪ members of groups ∪ users of org units, checked in DHIS2's order."""
    d = call.store.directory
    org_units = _ids(body, "organisationUnits")
    users = _ids(body, "users")
    groups = _ids(body, "userGroups")
    out: dict[str, None] = {}
    for ou in org_units:
        if ou not in d.org_units:
            raise WebMessageError.wm(409, f"Organisation Unit does not exist: {ou}", "E1004")
        out.update(dict.fromkeys(d.org_units[ou].users))
    for u in users:
        if u not in d.users:
            raise WebMessageError.wm(409, f"User does not exist: {u}", "E1004")
        out[u] = None
    for g in groups:
        if g not in d.groups:
            raise WebMessageError.wm(404, f"UserGroup with id {g} could not be found.", "E1005")
        out.update(dict.fromkeys(d.groups[g].members))
    return list(out)


def _claim_attachments(call: Call, uids: list[str], error_code: str | None = "E1004") -> list[str]:
    """Check each attachment and mark it assigned at once (earlier ones stay assigned).

    Create throws ConflictException (E1004); reply returns ``conflict(...)`` directly, a
    409 without errorCode (dhis2-api.md §0, MessageConversationController 2.42)."""
    claimed: list[str] = []
    for uid in uids:
        outcome = call.store.claim_attachment(uid, ATTACHMENT_DOMAIN)
        if outcome == "missing":
            raise WebMessageError.wm(409, f"Attachment '{uid}' not found.", error_code)
        if outcome != "claimed":
            raise WebMessageError.wm(
                409, f"Attachment '{uid}' is already used or not a valid attachment.", error_code
            )
        claimed.append(uid)
    return claimed


# messageconversation.subject is ``character varying(255)`` (dhis2_base_schema.sql; the hbm
# mapping gives no length, so Hibernate's default 255 applies too)
SUBJECT_MAX = 255


def _check_subject(subject: str) -> None:
    """PostgreSQL refuses a longer subject (varchar counts characters, i.e. code points);
    the service's transaction rolls back and DHIS2's CrudControllerAdvice answers the
    PersistenceException / DataIntegrityViolationException with 409 and the root cause's
    message (BUGS.md E10)."""
    if len(subject) > SUBJECT_MAX:
        raise WebMessageError.wm(
            409, f"ERROR: value too long for type character varying({SUBJECT_MAX})"
        )


def _meta_data(call: Call) -> str:
    return f"User-agent: {call.req.header('user-agent') or ''}"


def _create_conversation(
    call: Call,
    *,
    subject: str,
    text: str,
    recipients: list[str],
    message_type: str,
    status: str,
    attachments: list[str],
    sender: DirUser,
) -> str:
    _check_subject(subject)  # the INSERT fails: nothing of the conversation is stored
    return call.store.add_conversation(
        subject=subject,
        text=text,
        sender=sender.uid,
        recipients=recipients,
        message_type=message_type,
        status=status,
        attachments=attachments,
        meta_data=_meta_data(call),
    )


# --- handlers --------------------------------------------------------------------------------


def list_conversations(call: Call) -> Response:
    """Participants-only list (even for superusers), plus ``queryString``.

    Served from SQL (:mod:`dhis2w.emulator.sqllist`) when the request translates and
    ``App.sql_lists`` is on; otherwise every row is loaded and evaluated in Python.
    """
    ctx = call.context()
    query_string = call.req.param("queryString")
    prefilter = None
    if query_string:
        operator = (call.req.param("queryOperator") or "token").lower()
        prefilter = _query_string_filter(query_string, operator)
    sql: SqlPlanner | None = None
    if call.app.sql_lists and not query_string:

        def sql(
            filters: Sequence[Filter],
            junction_or: bool,
            order: str | None,
            default_order: Sequence[str],
            ctx: Context,
        ) -> SqlRows | None:
            return conversation_rows(
                call.store, call.user.uid, filters, junction_or, order, default_order, ctx
            )

    return list_objects(
        call,
        "MessageConversation",
        "messageConversations",
        lambda: call.store.list_conversations_for(call.user.uid),
        default_order=("id",),
        ctx=ctx,
        prefilter=prefilter,
        list_path=True,
        sql=sql,
    )


def _query_string_filter(query: str, operator: str) -> Any:
    q = query.lower()
    tokens = [t for t in q.split() if t]

    def hit(value: str | None) -> bool:
        if value is None:
            return False
        v = value.lower()
        if operator in ("eq",):
            return v == q
        if operator in ("token",):
            return all(t in v for t in tokens)
        return q in v  # like / ilike and anything else

    def run(items: list[dict[str, Any]], ctx: Context) -> list[dict[str, Any]]:
        if not items:
            return items
        ctx.set_batch([c["uid"] for c in items])
        out = []
        for c in items:
            if hit(c["subject"]):
                out.append(c)
                continue
            for m in ctx.messages_of(c["uid"]):
                sender = ctx.user_obj(m["sender"])
                if hit(m["text"]) or (sender is not None and hit(sender.display_name)):
                    out.append(c)
                    break
        ctx.set_batch([])
        return out

    return run


def get_conversation(call: Call, uid: str) -> Response:
    if not UID_IN_PATH.match(uid):
        raise WebMessageError.wm(404, f"No endpoint GET {call.req.path}")
    conv = call.store.get_conversation(uid)
    if conv is None:
        return json_response(200, {"message": f"No MessageConversation found with UID: {uid}"})
    if not _can_read(call, call.user, uid):
        raise WebMessageError.wm(403, "Not authorized to access this conversation.", "E1006")
    mine = call.store.participants(uid).get(call.user.uid)
    conv["read"] = bool(mine and mine["read"])
    conv["follow_up"] = bool(mine and mine["follow_up"])
    response = get_object(call, "MessageConversation", conv)
    if (call.req.param("markRead") or "").lower() == "true" and mine and not mine["read"]:
        call.store.mark_read([uid], call.user.uid)
    return response


def create_conversation(call: Call) -> Response:
    body = read_json(call, consumes=True)
    if not isinstance(body, dict):
        raise WebMessageError.wm(400, "JSON parse error: expected an object")
    recipients = _resolve_recipients(call, body)
    if not recipients:
        raise WebMessageError.wm(409, "No recipients selected.", "E1004")
    attachments = _claim_attachments(call, _ids(body, "attachments"))
    subject = body.get("subject")
    text = body.get("text")
    uid = _create_conversation(
        call,
        subject=subject if isinstance(subject, str) else "",
        text=text if isinstance(text, str) else "",
        recipients=recipients,
        message_type="PRIVATE",
        status="NONE",
        attachments=attachments,
        sender=call.user,
    )
    return web_message(
        201,
        "Message conversation created",
        headers=[call.location(f"/messageConversations/{uid}")],
    )


_SPRING_TRUE = ("true", "on", "yes", "1")
_SPRING_FALSE = ("false", "off", "no", "0")


def _bool_param(call: Call, name: str) -> bool:
    """A primitive ``boolean`` ``@RequestParam`` with ``defaultValue = "false"``: Spring's
    StringToBooleanConverter values, anything else is a MethodArgumentTypeMismatch (400)."""
    raw = (call.req.param(name) or "").strip()
    if not raw:
        return False
    if raw.lower() in _SPRING_TRUE:
        return True
    if raw.lower() in _SPRING_FALSE:
        return False
    raise WebMessageError.wm(
        400, f"Value '{raw}' is not valid for parameter {name}. It should be of type boolean"
    )


def reply(call: Call, uid: str) -> Response:
    # Spring resolves @RequestBody and @RequestParam before the handler body runs, so an
    # empty body or a bad ``internal`` is a 400 even for an unknown conversation.
    raw = call.req.body
    if not raw:
        raise WebMessageError.wm(400, "Required request body is missing")
    internal = _bool_param(call, "internal")
    conv = call.store.get_conversation(uid)
    if conv is None:
        raise WebMessageError.wm(404, f"Message conversation does not exist: {uid}")
    d = call.store.directory
    if internal and not d.is_feedback_manager(call.user):
        raise WebMessageError.wm(403, "Not authorized to send internal messages", "E1006")
    if not _can_modify(call, call.user, conv):
        raise WebMessageError.wm(
            403, "Not authorized to send messages to this conversation.", "E1006"
        )
    text = raw.decode("utf-8", "replace")
    attachments = _claim_attachments(call, call.req.param_list("attachments"), None)
    call.store.add_message(
        uid,
        text=text,
        sender=call.user.uid,
        internal=internal,
        attachments=attachments,
        meta_data=_meta_data(call),
    )
    return web_message(
        201,
        "Message conversation created",
        headers=[call.location(f"/messageConversations/{uid}")],
    )


def feedback(call: Call) -> Response:
    subject = call.req.param("subject")
    if subject is None:
        raise missing_param("subject")
    text = call.req.body.decode("utf-8", "replace")
    if not text:
        raise WebMessageError.wm(400, "Required request body is missing")
    recipients = call.store.directory.feedback_members()
    uid = _create_conversation(
        call,
        subject=subject,
        text=text,
        recipients=recipients,
        message_type="TICKET",
        status="OPEN",
        attachments=[],
        sender=call.user,
    )
    return web_message(
        201, "Feedback created", headers=[call.location(f"/messageConversations/{uid}")]
    )


def add_recipients(call: Call, uid: str) -> Response:
    body = read_json(call)  # @RequestBody is read before the handler runs
    conv = call.store.get_conversation(uid)
    if conv is None:
        raise WebMessageError.wm(404, f"Message conversation does not exist: {uid}")
    if not _can_modify(call, call.user, conv):
        raise WebMessageError.wm(
            403, "Not authorized to change recipients in this conversation.", "E1006"
        )
    if not isinstance(body, dict):
        raise WebMessageError.wm(400, "JSON parse error: expected an object")
    call.store.add_recipients(uid, _resolve_recipients(call, body))
    return Response(204, [("Content-Length", "0")])


def _uid_array(call: Call) -> list[str]:
    body = read_json(call)
    if not isinstance(body, list) or not all(isinstance(x, str) for x in body):
        raise WebMessageError.wm(400, "JSON parse error: expected an array of UIDs")
    return list(dict.fromkeys(body))


def _target_user(call: Call, uid: str | None, missing: str) -> DirUser:
    if not uid:
        return call.user
    user = call.store.directory.users.get(uid)
    if user is None:
        raise WebMessageError.root(404, {"message": missing.format(uid)})
    return user


def _mark_read(call: Call, uids: list[str], user_param: str, read: bool) -> Response:
    # 2.42 checks the caller's access to every conversation, not who ``user`` is (E12)
    user = _target_user(call, call.req.param(user_param), "No user with uid: {}")
    convs = call.store.get_conversations(uids)
    if not convs:
        raise WebMessageError.root(
            404, {"message": "No MessageConversations found for the given IDs."}
        )
    for conv in convs:
        if not _can_modify(call, call.user, conv):
            raise WebMessageError.wm(
                403, "Not authorized to change read property of this conversation.", "E1006"
            )
    changed = call.store.mark_read([c["uid"] for c in convs], user.uid, read)
    key = "markedRead" if read else "markedUnread"
    return json_response(200, {key: changed})


def _follow(call: Call, follow: bool) -> Response:
    uids = _uid_array(call)
    user = _target_user(call, call.req.param("user"), "No user with uid: {}")
    convs = call.store.get_conversations(uids)
    if not convs:
        raise WebMessageError.root(
            404, {"message": "No MessageConversations found for the given UIDs"}
        )
    word = "followups" if follow else "unfollowups"
    for conv in convs:
        if not _can_modify(call, call.user, conv):
            raise WebMessageError.wm(
                403, f"Not authorized to change {word} in this conversation.", "E1006"
            )
    call.store.set_follow_up([c["uid"] for c in convs], user.uid, follow)
    key = "markedFollowup" if follow else "unmarkedFollowup"
    return json_response(200, {key: [c["uid"] for c in convs]})


def _ticket_field(
    call: Call, uid: str, param: str, choices: tuple[str, ...], column: str
) -> Response:
    value = call.req.param(param)
    java = "MessageConversationPriority" if column == "priority" else "MessageConversationStatus"
    if value is None:
        raise missing_param(param, java)
    value = enum_param(param, value, choices)
    conv = call.store.get_conversation(uid)
    if conv is None:
        raise WebMessageError.root(
            404, {"message": "No MessageConversation found for the given ID."}
        )
    if not _can_modify(call, call.user, conv):
        raise WebMessageError.wm(
            403, f"Not authorized to change {column} in this conversation.", "E1006"
        )
    if column == "priority":
        call.store.set_priority(uid, value)
    else:
        call.store.set_status(uid, value)
    return json_response(200, {value: [uid]})


def assign(call: Call, uid: str) -> Response:
    conv = call.store.get_conversation(uid)
    if conv is None:
        raise WebMessageError.root(
            404, {"message": "No MessageConversation found for the given ID."}
        )
    if not _can_modify(call, call.user, conv):
        raise WebMessageError.wm(
            403, "Not authorized to assign a user to this conversation.", "E1006"
        )
    d = call.store.directory
    assignee = d.users.get(call.req.param("userId") or "")
    if assignee is None:
        raise WebMessageError.root(404, {"message": "Could not find user to assign"})
    if conv["message_type"] == "TICKET" and not d.in_feedback_group(assignee):
        raise WebMessageError.root(
            409,
            {"message": "User provided is not a member of the system's feedback recipient group"},
        )
    call.store.set_assignee(uid, assignee.uid)
    return json_response(
        200, {"message": f"User {assignee.display_name} was assigned successfully"}
    )


def unassign(call: Call, uid: str) -> Response:
    conv = call.store.get_conversation(uid)
    if conv is None:
        raise WebMessageError.root(
            404, {"message": "No MessageConversation found for the given ID."}
        )
    if not _can_modify(call, call.user, conv):
        raise WebMessageError.wm(
            403, "Not authorized to remove the assigned user to this conversation.", "E1006"
        )
    call.store.set_assignee(uid, None)
    return json_response(200, {"message": "Message is no longer assigned to user"})


def hard_delete(call: Call, uid: str) -> Response:
    auths = set(call.user.authorities)
    if not auths & {"ALL", "F_METADATA_IMPORT"}:
        raise WebMessageError.wm(
            403, "Access is denied, requires one Authority from [F_METADATA_IMPORT]"
        )
    conv = call.store.get_conversation(uid)
    if conv is None:
        raise WebMessageError.wm(404, f"Message conversation does not exist: {uid}")
    if not _can_modify(call, call.user, conv):
        raise WebMessageError.wm(403, "Not authorized to delete this conversation.", "E1006")
    call.store.delete_conversation(uid)
    return web_message(
        200,
        response={"responseType": "ObjectReport", "uid": uid, "klass": KLASS, "errorReports": []},
    )


def remove_for_user(call: Call, mc_uid: str, user_uid: str) -> Response:
    d = call.store.directory
    user = d.users.get(user_uid)
    if user is None:
        raise WebMessageError.root(404, {"message": f"No user with uid: {user_uid}"})
    conv = call.store.get_conversation(mc_uid)
    if conv is None:
        raise WebMessageError.root(404, {"message": f"No messageConversation with uid: {mc_uid}"})
    # the caller needs access to the conversation; ``user`` may be anyone (2.42, E12)
    if not _can_modify(call, call.user, conv):
        raise WebMessageError.wm(
            403, "Not authorized to remove assigned users to this conversation.", "E1006"
        )
    removed = call.store.remove_participant([mc_uid], user.uid)
    return json_response(200, {"removed": removed})


def bulk_remove(call: Call) -> Response:
    if not call.req.param_list("mc"):
        raise missing_param("mc", "List")  # @RequestParam("mc") List<String> is required
    user = _target_user(call, call.req.param("user"), "User does not exist: {}")
    uids = list(dict.fromkeys(call.req.param_list("mc")))
    convs = call.store.get_conversations(uids)
    if not convs:
        raise WebMessageError.root(
            404, {"message": "No MessageConversations found for the given UIDs."}
        )
    for conv in convs:  # every one is checked before any is changed (2.42, E12)
        if not _can_modify(call, call.user, conv):
            raise WebMessageError.wm(
                403, "Not authorized to remove assigned users to this conversation.", "E1006"
            )
    removed = call.store.remove_participant([c["uid"] for c in convs], user.uid)
    return json_response(200, {"removed": removed})


def download_attachment(call: Call, mc_uid: str, msg_uid: str, file_uid: str) -> Response:
    conv = call.store.get_conversation(mc_uid)
    if conv is None:
        raise WebMessageError.wm(404, f"No message conversation with uid '{mc_uid}'")
    if not _can_read(call, call.user, mc_uid):
        raise WebMessageError.wm(403, "Not authorized to access this conversation.", "E1006")
    message = call.store.message_in(mc_uid, msg_uid)
    if message is None:
        raise WebMessageError.wm(
            404, f"No message with uid '{msg_uid}' in messageConversation '{mc_uid}"
        )
    if message["internal"] and not call.store.directory.in_feedback_group(call.user):
        raise WebMessageError.wm(409, "Not authorized to access this message")
    attached = call.store.is_attached(msg_uid, file_uid)
    file = call.store.get_file(file_uid) if attached else None
    if file is None:
        raise WebMessageError.wm(404, f"No messageattachment found with id '{file_uid}'")
    if file["domain"] != ATTACHMENT_DOMAIN:
        raise WebMessageError.wm(409, "Invalid messageattachment.")
    return file_response(call, file)


def file_response(call: Call, file: dict[str, Any]) -> Response:
    """Stream a stored file with DHIS2's download headers
    (FileResourceUtils.configureFileResourceResponse). Content not (yet) in the store is the
    content store's ``NoSuchElementException``: a 500 with its message (BUGS.md S5)."""
    path = call.store.file_path(file["uid"])
    try:
        if storage_status(file) != "STORED":
            raise OSError("not stored yet")
        size = os.path.getsize(path)
    except OSError:
        raise WebMessageError.wm(500, f"key '{storage_key(file)}' not found.") from None
    headers = [
        ("Content-Type", file["content_type"]),
        ("Content-Disposition", f"filename={file['name']}"),
        *SECURITY_HEADERS,
    ]
    return Response(200, headers, stream=read_chunks(path), length=size)


# HeaderUtils.setSecurityHeaders with the default CSP
SECURITY_HEADERS = (
    ("Content-Security-Policy", "script-src 'none';"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-XSS-Protection", "1; mode=block"),
)


def read_chunks(path: str, chunk: int = 256 * 1024) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        while data := fh.read(chunk):
            yield data


# --- routing --------------------------------------------------------------------------------


def route(call: Call, method: str, parts: list[str]) -> Response:
    """``parts`` are the path segments after ``messageConversations``."""
    n = len(parts)
    if n == 0:
        if method == "GET":
            return list_conversations(call)
        if method == "POST":
            return create_conversation(call)
        if method == "DELETE":
            return bulk_remove(call)
    elif n == 1:
        head = parts[0]
        if method == "POST":
            if head == "read":
                return _mark_read(call, _uid_array(call), "user", True)
            if head == "unread":
                return _mark_read(call, _uid_array(call), "user", False)
            if head == "followup":
                return _follow(call, True)
            if head == "unfollowup":
                return _follow(call, False)
            if head == "feedback":
                return feedback(call)
            return reply(call, head)
        if method == "GET":
            return get_conversation(call, head)
        if method == "DELETE":
            return hard_delete(call, head)
    elif n == 2:
        uid, action = parts
        if method == "POST":
            if action == "read":
                return _mark_read(call, [uid], "userUid", True)
            if action == "unread":
                return _mark_read(call, [uid], "userUid", False)
            if action == "recipients":
                return add_recipients(call, uid)
            if action == "priority":
                return _ticket_field(
                    call, uid, "messageConversationPriority", PRIORITIES, "priority"
                )
            if action == "status":
                return _ticket_field(call, uid, "messageConversationStatus", STATUSES, "status")
            if action == "assign":
                return assign(call, uid)
        if method == "DELETE":
            if action == "assign":
                return unassign(call, uid)
            return remove_for_user(call, uid, action)
    elif n == 4 and parts[2] == "attachments" and method == "GET":
        return download_attachment(call, parts[0], parts[1], parts[3])
    raise not_found_or_method(call, method)


def not_found_or_method(call: Call, method: str) -> WebMessageError:
    return WebMessageError.wm(404, f"No endpoint {method} {call.req.path}")
