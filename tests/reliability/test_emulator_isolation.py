"""Isolation: outsiders neither read nor change a conversation; strangers get nothing at all.

Every ``/api/messageConversations`` route the emulator serves (``route()`` in
``dhis2w/emulator/messaging.py``) is called by a seeded user who is not a participant, not a
superuser and not in the feedback group. Each answer must be exactly DHIS2 2.42's refusal
(dhis2-api.md §1, "Who has access" and the endpoint table; where docs/dhis2-api.md is silent the
2.42 source it was read from, BUGS.md E12), never data; afterwards the conversation must be
the same as its participants see it over HTTP and as the emulator's SQLite store holds it.

Then every endpoint the emulator serves is called without credentials, with a wrong password
and with unknown tokens: dhis2-api.md §4 says 302 to the login page (401 JSON for XHR) and 401
WebMessages, and nothing may change.

Requests go to the real loopback socket with plain httpx (not dhis2w's client), so what is
checked is the emulator's wire behaviour.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from dhis2w.emulator import seed
from dhis2w.testing import EmulatorHandle

MC = "/api/messageConversations"

ISATU, EMMANUEL = seed.ISATU, seed.EMMANUEL  # the two participants of the private thread
IBRAHIM = seed.IBRAHIM  # the outsider: no ALL, not a feedback handler, no F_METADATA_IMPORT
AMINATA = seed.AMINATA  # a second outsider who has F_METADATA_IMPORT (hard-delete path)

_PHRASES = {302: "Found", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
_PHRASES |= {409: "Conflict"}


def wm(status: int, message: str, error_code: str | None = None) -> dict[str, Any]:
    """DHIS2's error WebMessage (dhis2-api.md §0: key order, nulls omitted)."""
    out: dict[str, Any] = {
        "httpStatus": _PHRASES[status],
        "httpStatusCode": status,
        "status": "ERROR",
        "message": message,
    }
    if error_code is not None:
        out["errorCode"] = error_code
    return out


def forbidden(message: str) -> dict[str, Any]:
    """A ForbiddenException: 403 with E1006 (dhis2-api.md §0 exception mapping)."""
    return wm(403, message, "E1006")


READ_DENIED = forbidden("Not authorized to access this conversation.")


@pytest.fixture
def clients(dhis2_emulator: EmulatorHandle) -> Iterator[Callable[[str], httpx.Client]]:
    """``clients("isatu")`` -> an httpx.Client with that seeded user's Basic auth."""
    made: dict[str, httpx.Client] = {}

    def get(username: str) -> httpx.Client:
        if username not in made:
            user = dhis2_emulator.user(username)
            made[username] = httpx.Client(
                base_url=dhis2_emulator.url, auth=(user.username, user.password), timeout=30.0
            )
        return made[username]

    yield get
    for c in made.values():
        c.close()


class Checker:
    """Asserts one answer and counts it (the tally only ever counts checks really made)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, r: httpx.Response, status: int, body: Any = None) -> None:
        where = f"{r.request.method} {r.request.url}"
        assert r.status_code == status, f"{where}: {r.status_code} {r.text[:300]}"
        if r.request.method == "HEAD":
            assert r.content == b"", where
        elif body is not None:
            assert r.json() == body, f"{where}: {r.text[:300]}"
        self.count += 1


def ids_of(r: httpx.Response) -> list[str]:
    assert r.status_code == 200, r.text
    return [c["id"] for c in r.json()["messageConversations"]]


# --- what "unchanged" means -------------------------------------------------------------------

_TABLES = ("conversations", "messages", "message_attachments", "user_messages",
           "file_resources", "documents", "meta")  # fmt: skip


def store_state(emu: EmulatorHandle) -> dict[str, Any]:
    """Every row of every table (ordered) and the stored file names: the whole database."""
    store = emu.server.store
    state: dict[str, Any] = {
        t: sorted(store.query(f"SELECT * FROM {t}"), key=repr) for t in _TABLES
    }
    state["files"] = sorted(os.listdir(store.files_dir))
    return state


FULL = (
    "*,assignee[id,displayName],lastSender[id],messages[*,sender[id],attachments[id,name,"
    "assigned,contentLength]],userMessages[key,read,followUp,user[id]]"
)


def participant_view(client: httpx.Client, uid: str) -> dict[str, Any]:
    """What a participant sees of ``uid``: the thread and its list row."""
    one = client.get(f"{MC}/{uid}", params={"fields": FULL})
    assert one.status_code == 200, one.text
    row = client.get(MC, params={"filter": f"id:eq:{uid}", "fields": "*"})
    assert row.status_code == 200, row.text
    return {"one": one.json(), "row": row.json()["messageConversations"]}


@dataclass
class Thread:
    """A conversation under test: its UID, a message with an attachment, the participants."""

    uid: str
    message: str
    file: str
    participants: tuple[str, ...]
    subject: str
    text_token: str


def _upload(client: httpx.Client, data: bytes, name: str) -> str:
    r = client.post(
        "/api/fileResources",
        files={"file": (name, data, "text/plain")},
        data={"domain": "MESSAGE_ATTACHMENT"},
    )
    assert r.status_code == 202, r.text
    return str(r.json()["response"]["fileResource"]["id"])


def private_thread(clients: Callable[[str], httpx.Client]) -> Thread:
    """isatu -> emmanuel, with attachments, a reply, follow-up, priority, status, assignee."""
    isatu, emmanuel = clients("isatu"), clients("emmanuel")
    file_uid = _upload(isatu, b"measles line list, week 38\n", "linelist.txt")
    subject = "Zebrafinch measles line list"
    body = {
        "subject": subject,
        "text": "Quokkabean: the week 38 line list is attached.",
        "users": [{"id": EMMANUEL.uid}],
        "attachments": [{"id": file_uid}],
    }
    r = isatu.post(MC, json=body)
    assert r.status_code == 201, r.text
    uid = r.headers["Location"].rsplit("/", 1)[-1]
    reply_file = _upload(emmanuel, b"two more cases\n", "addendum.txt")
    r = emmanuel.post(f"{MC}/{uid}", content=b"Received, adding two cases.",
                      params={"attachments": reply_file})  # fmt: skip
    assert r.status_code == 201, r.text
    assert isatu.post(f"{MC}/followup", json=[uid]).status_code == 200
    priority = {"messageConversationPriority": "HIGH"}
    assert isatu.post(f"{MC}/{uid}/priority", params=priority).status_code == 200
    status = {"messageConversationStatus": "PENDING"}
    assert isatu.post(f"{MC}/{uid}/status", params=status).status_code == 200
    assert isatu.post(f"{MC}/{uid}/assign", params={"userId": EMMANUEL.uid}).status_code == 200
    thread = isatu.get(f"{MC}/{uid}", params={"fields": "messages[id,attachments[id]]"}).json()
    first = thread["messages"][0]
    assert first["attachments"] == [{"id": file_uid}]
    return Thread(uid, first["id"], file_uid, ("isatu", "emmanuel"), subject, "quokkabean")


# --- the walk -----------------------------------------------------------------------------------


def walk_as_outsider(
    check: Checker,
    outsider: httpx.Client,
    outsider_uid: str,
    thread: Thread,
    *,
    participant_uid: str,
    own_uid: str,
    own_file: str,
) -> None:
    """Every route of ``messaging.route`` against ``thread`` as a non-participant."""
    c, m, f = thread.uid, thread.message, thread.file
    baseline = ids_of(outsider.get(MC, params={"fields": "id", "paging": "false"}))
    assert c not in baseline and own_uid in baseline

    # GET list (dhis2-api.md §1: only conversations where the caller has a UserMessage)
    lists: list[tuple[str, list[tuple[str, str]]]] = [
        (MC, [("fields", "id"), ("paging", "false")]),
        (MC, [("fields", "id"), ("pageSize", "1000")]),
        (MC, [("filter", f"id:eq:{c}")]),
        (MC, [("filter", f"id:in:[{c},{own_uid}]"), ("fields", "*")]),
        (MC, [("filter", f"id:eq:{c}"), ("rootJunction", "OR"), ("filter", "subject:ilike:z")]),
        (MC, [("filter", f"subject:eq:{thread.subject}")]),
        (MC, [("filter", f"messages.text:ilike:{thread.text_token}")]),
        (MC, [("filter", f"userMessages.user.id:eq:{participant_uid}")]),
        (MC, [("filter", f"assignee.id:eq:{EMMANUEL.uid}"), ("fields", "id,subject")]),
        (MC, [("filter", "followUp:eq:true"), ("filter", "priority:eq:HIGH")]),
        (MC, [("queryString", thread.subject.split()[0])]),
        (MC, [("queryString", thread.text_token), ("queryOperator", "ilike")]),
        (MC, [("query", c)]),
        (MC, [("order", "lastMessage:desc"), ("fields", "id,messages[text]")]),
        ("/api/42/messageConversations.json", [("filter", f"id:eq:{c}")]),
    ]
    for path, params in lists:
        r = outsider.get(path, params=params)
        got = ids_of(r)
        assert c not in got and set(got) <= set(baseline), (params, got)
        assert thread.subject not in r.text and thread.text_token not in r.text.lower()
        check(r, 200)

    # GET /{uid} with several selectors (dhis2-api.md §1: 403 "Not authorized to access this
    # conversation." E1006; markRead must not run before the check)
    for params in (
        {},
        {"fields": "*"},
        {"fields": ":all"},
        {"fields": "id,subject,messages[id,text,attachments[id,name]]"},
        {"fields": "userMessages[user[id],read,followUp],assignee[id]"},
        {"markRead": "true"},
        {"fields": "id", "markRead": "true"},
    ):
        check(outsider.get(f"{MC}/{c}", params=params), 403, READ_DENIED)
    check(outsider.get(f"{MC}/{c}.json"), 403, READ_DENIED)
    check(outsider.get(f"/api/42/messageConversations/{c}"), 403, READ_DENIED)
    check(outsider.head(f"{MC}/{c}"), 403)

    # a single message / property of the thread: the emulator serves no /{uid}/{property}
    # (BUGS.md E12), so these are plain 404s without data
    for prop in ("messages", "userMessages", "subject", m):
        path = f"{MC}/{c}/{prop}"
        check(outsider.get(path), 404, wm(404, f"No endpoint GET {path}"))

    # attachment download (dhis2-api.md §1: 403 without read access, checked before the message
    # and the file; the 403 text is E5's)
    for path in (
        f"{MC}/{c}/{m}/attachments/{f}",
        f"{MC}/{c}/Abcdefghij1/attachments/{f}",
        f"{MC}/{c}/{m}/attachments/Abcdefghij1",
        f"/api/42/messageConversations/{c}/{m}/attachments/{f}",
    ):
        check(outsider.get(path), 403, READ_DENIED)
    check(outsider.head(f"{MC}/{c}/{m}/attachments/{f}"), 403)

    # reply (dhis2-api.md §1: internal=true by a non-manager -> 403, then no access -> 403;
    # attachments are only looked at afterwards, so none is claimed)
    send_denied = forbidden("Not authorized to send messages to this conversation.")
    check(outsider.post(f"{MC}/{c}", content=b"let me in"), 403, send_denied)
    check(
        outsider.post(f"{MC}/{c}", content=b"{}", headers={"Content-Type": "application/json"}),
        403,
        send_denied,
    )
    check(outsider.post(f"{MC}/{c}", content=b"x", params={"attachments": own_file}),
          403, send_denied)  # fmt: skip
    check(outsider.post(f"{MC}/{c}", content=b"x", params={"attachments": f}), 403, send_denied)
    check(
        outsider.post(f"{MC}/{c}", content=b"x", params={"internal": "true"}),
        403,
        forbidden("Not authorized to send internal messages"),
    )
    check(outsider.post(f"/api/42/messageConversations/{c}", content=b"x"), 403, send_denied)

    # recipients (dhis2-api.md §1: 403 "Not authorized to change recipients in this conversation.")
    recip_denied = forbidden("Not authorized to change recipients in this conversation.")
    for body in (
        {"users": [{"id": outsider_uid}]},
        {"userGroups": [{"id": seed.BO_TEAM.uid}]},
        {"organisationUnits": [{"id": seed.NGELEHUN_CHC.uid}]},
    ):
        check(outsider.post(f"{MC}/{c}/recipients", json=body), 403, recip_denied)

    # read / unread, bulk and single (dhis2-api.md §1: 403 "Not authorized to change read
    # property of this conversation."; ?user= / ?userUid= do not open a way in, E12)
    read_denied = forbidden("Not authorized to change read property of this conversation.")
    for action in ("read", "unread"):
        check(outsider.post(f"{MC}/{action}", json=[c]), 403, read_denied)
        check(outsider.post(f"{MC}/{action}", json=[c], params={"user": participant_uid}),
              403, read_denied)  # fmt: skip
        check(outsider.post(f"{MC}/{action}", json=[c], params={"user": outsider_uid}),
              403, read_denied)  # fmt: skip
        check(outsider.post(f"{MC}/{c}/{action}"), 403, read_denied)
        check(outsider.post(f"{MC}/{c}/{action}", params={"userUid": participant_uid}),
              403, read_denied)  # fmt: skip

    # follow-up (dhis2-api.md §1 403 texts)
    for action, word in (("followup", "followups"), ("unfollowup", "unfollowups")):
        denied = forbidden(f"Not authorized to change {word} in this conversation.")
        check(outsider.post(f"{MC}/{action}", json=[c]), 403, denied)
        check(outsider.post(f"{MC}/{action}", json=[c], params={"user": participant_uid}),
              403, denied)  # fmt: skip

    # ticket workflow (dhis2-api.md §1 priority/status 403 texts; assign/unassign texts from the
    # 2.42 MessageConversationControllerTest, BUGS.md E12)
    check(
        outsider.post(f"{MC}/{c}/priority", params={"messageConversationPriority": "LOW"}),
        403,
        forbidden("Not authorized to change priority in this conversation."),
    )
    check(
        outsider.post(f"{MC}/{c}/status", params={"messageConversationStatus": "SOLVED"}),
        403,
        forbidden("Not authorized to change status in this conversation."),
    )
    assign_denied = forbidden("Not authorized to assign a user to this conversation.")
    check(outsider.post(f"{MC}/{c}/assign", params={"userId": outsider_uid}), 403, assign_denied)
    check(outsider.post(f"{MC}/{c}/assign", params={"userId": "Nouser00001"}), 403, assign_denied)
    check(
        outsider.delete(f"{MC}/{c}/assign"),
        403,
        forbidden("Not authorized to remove the assigned user to this conversation."),
    )

    # remove from an inbox, one and bulk (dhis2-api.md §1 403 text; the caller's access to the
    # conversation is what counts, whoever ``user`` is: 2.42 source, BUGS.md E12)
    remove_denied = forbidden("Not authorized to remove assigned users to this conversation.")
    check(outsider.delete(f"{MC}/{c}/{outsider_uid}"), 403, remove_denied)
    check(outsider.delete(f"{MC}/{c}/{participant_uid}"), 403, remove_denied)
    check(outsider.delete(MC, params=[("mc", c)]), 403, remove_denied)
    check(outsider.delete(MC, params=[("mc", c), ("user", participant_uid)]), 403, remove_denied)

    # sending or replying elsewhere with the thread's attachment does not take it over
    # (dhis2-api.md §1: an assigned attachment -> 409 "... is already used ..."; create throws a
    # ConflictException (E1004), reply returns conflict() directly (no errorCode), §0)
    used = f"Attachment '{f}' is already used or not a valid attachment."
    body = {"subject": "fwd", "text": "x", "users": [{"id": participant_uid}],
            "attachments": [{"id": f}]}  # fmt: skip
    check(outsider.post(MC, json=body), 409, wm(409, used, "E1004"))
    r = outsider.post(f"{MC}/{own_uid}", content=b"x", params={"attachments": f})
    check(r, 409, wm(409, used))


def hard_delete_as_outsiders(
    check: Checker, clients: Callable[[str], httpx.Client], uid: str
) -> None:
    """dhis2-api.md §1 DELETE /{uid}: the F_METADATA_IMPORT interceptor first, then access."""
    check(
        clients("ibrahim").delete(f"{MC}/{uid}"),
        403,
        wm(403, "Access is denied, requires one Authority from [F_METADATA_IMPORT]"),
    )
    check(
        clients("aminata").delete(f"{MC}/{uid}"),
        403,
        forbidden("Not authorized to delete this conversation."),
    )


# --- tests ----------------------------------------------------------------------------------


def test_outsider_cannot_read_or_change_a_private_conversation(
    dhis2_emulator: EmulatorHandle, clients: Callable[[str], httpx.Client], tally: Any
) -> None:
    thread = private_thread(clients)
    ibrahim = clients("ibrahim")
    own_file = _upload(ibrahim, b"my own notes\n", "own.txt")
    views = {u: participant_view(clients(u), thread.uid) for u in thread.participants}
    assert views["isatu"]["one"]["followUp"] is True and views["emmanuel"]["one"]["read"] is False
    before = store_state(dhis2_emulator)

    check = Checker()
    walk_as_outsider(
        check,
        ibrahim,
        IBRAHIM.uid,
        thread,
        participant_uid=ISATU.uid,
        own_uid=seed.CONV_STOCK_OUT.uid,
        own_file=own_file,
    )
    hard_delete_as_outsiders(check, clients, thread.uid)

    assert store_state(dhis2_emulator) == before
    assert {u: participant_view(clients(u), thread.uid) for u in thread.participants} == views
    file_json = ibrahim.get(f"/api/fileResources/{own_file}").json()
    assert file_json["assigned"] is False  # the refused reply did not claim it
    assert check.count >= 70
    tally.add("isolation_checks", check.count)


def test_outsider_cannot_read_or_change_a_ticket(
    dhis2_emulator: EmulatorHandle, clients: Callable[[str], httpx.Client], tally: Any
) -> None:
    """A TICKET is also open to feedback handlers (dhis2-api.md §1 "Modify"), not to others."""
    ticket = seed.CONV_TICKET_DHIS2_LOGIN
    first = ticket.messages[0]
    thread = Thread(ticket.uid, first.uid, first.attachments[0],
                    ("ibrahim", "fatmata", "mohamed"), ticket.subject, "screenshot")  # fmt: skip
    emmanuel = clients("emmanuel")
    own_file = _upload(emmanuel, b"n\n", "n.txt")
    views = {u: participant_view(clients(u), thread.uid) for u in thread.participants}
    before = store_state(dhis2_emulator)

    check = Checker()
    walk_as_outsider(
        check,
        emmanuel,
        EMMANUEL.uid,
        thread,
        participant_uid=IBRAHIM.uid,
        own_uid=seed.CONV_CHOLERA_ALERT.uid,
        own_file=own_file,
    )
    hard_delete_as_outsiders(check, clients, thread.uid)

    assert store_state(dhis2_emulator) == before
    assert {u: participant_view(clients(u), thread.uid) for u in thread.participants} == views
    assert check.count >= 70
    tally.add("isolation_checks", check.count)


def test_internal_ticket_messages_stay_with_feedback_handlers(
    dhis2_emulator: EmulatorHandle, clients: Callable[[str], httpx.Client], tally: Any
) -> None:
    """dhis2-api.md §1: internal messages are removed for non-managers on GET /{uid}; their
    attachments answer 409 "Not authorized to access this message" (list path: BUGS.md E7)."""
    ticket = seed.CONV_TICKET_DHIS2_LOGIN
    internal = next(m for m in ticket.messages if m.internal)
    ibrahim, mohamed = clients("ibrahim"), clients("mohamed")  # participant, handler
    check = Checker()

    r = ibrahim.get(f"{MC}/{ticket.uid}", params={"fields": "messages[id,text]"})
    check(r, 200)
    assert internal.uid not in r.text and internal.text not in r.text
    assert len(r.json()["messages"]) == len(ticket.messages) - 1
    r = mohamed.get(f"{MC}/{ticket.uid}", params={"fields": "messages[id,text]"})
    check(r, 200)
    assert internal.uid in r.text  # the handler does see it: the check above can fail
    for params in (
        {"filter": f"id:eq:{ticket.uid}", "fields": "messages[id,text]"},
        {"filter": "messages.text:like:Internal note"},
        {"filter": f"messages.id:eq:{internal.uid}"},
        {"queryString": "locked after five failed attempts"},
    ):
        r = ibrahim.get(MC, params=params)
        check(r, 200)
        assert internal.text not in r.text and internal.uid not in r.text, params
        if "filter" in params and params["filter"].startswith("messages"):
            assert ids_of(r) == []
        if "queryString" in params:
            assert ids_of(r) == []
            assert ticket.uid in ids_of(mohamed.get(MC, params=params))
    r = ibrahim.get(f"{MC}/{ticket.uid}/{internal.uid}/attachments/{seed.FILE_SCREENSHOT.uid}")
    check(r, 409, wm(409, "Not authorized to access this message"))
    tally.add("isolation_checks", check.count)


def test_feedback_handler_outside_a_ticket_may_work_it_but_not_read_it(
    dhis2_emulator: EmulatorHandle, clients: Callable[[str], httpx.Client], tally: Any
) -> None:
    """dhis2-api.md §1 "Who has access": Read needs a UserMessage (or ALL); Modify also admits a
    feedback manager on a TICKET. fatmata leaves the ticket, then is in the second group only."""
    ticket = seed.CONV_TICKET_DHIS2_LOGIN
    fatmata = clients("fatmata")
    check = Checker()
    r = fatmata.delete(f"{MC}/{ticket.uid}/{seed.FATMATA.uid}")
    check(r, 200, {"removed": [ticket.uid]})
    check(fatmata.get(f"{MC}/{ticket.uid}"), 403, READ_DENIED)
    first = ticket.messages[0]
    path = f"{MC}/{ticket.uid}/{first.uid}/attachments/{first.attachments[0]}"
    check(fatmata.get(path), 403, READ_DENIED)
    assert ticket.uid not in ids_of(fatmata.get(MC, params={"paging": "false"}))
    r = fatmata.post(f"{MC}/{ticket.uid}/priority", params={"messageConversationPriority": "LOW"})
    check(r, 200, {"LOW": [ticket.uid]})
    check(fatmata.post(f"{MC}/{ticket.uid}", content=b"Looking into it."), 201)
    # ... and a non-handler in the same position is refused
    ibrahim = clients("ibrahim")
    check(ibrahim.delete(f"{MC}/{ticket.uid}/{IBRAHIM.uid}"), 200, {"removed": [ticket.uid]})
    check(
        ibrahim.post(f"{MC}/{ticket.uid}/priority", params={"messageConversationPriority": "HIGH"}),
        403,
        forbidden("Not authorized to change priority in this conversation."),
    )
    r = clients("mohamed").get(f"{MC}/{ticket.uid}", params={"fields": "priority"})
    assert r.json() == {"priority": "LOW"}
    tally.add("isolation_checks", check.count)


def test_bulk_calls_with_own_and_foreign_uids_change_nothing_foreign(
    dhis2_emulator: EmulatorHandle, clients: Callable[[str], httpx.Client], tally: Any
) -> None:
    """A list mixing the caller's conversations with one they cannot access.

    DHIS2 2.42 checks the caller's access to every listed conversation before changing any
    (MessageConversationController, 2.42 branch; BUGS.md E6, E12), so the whole
    call is the 403 and the caller's own conversations are left as they were too. The same
    lists without the foreign UID then do change (so the "unchanged" checks can fail).
    """
    thread = private_thread(clients)
    ibrahim = clients("ibrahim")
    own_unread = seed.CONV_IMMUNISATION.uid  # ibrahim: unread, not followed up
    own_other = seed.CONV_STOCK_OUT.uid  # ibrahim: unread, not followed up
    views = {u: participant_view(clients(u), thread.uid) for u in thread.participants}
    check = Checker()

    def mine() -> dict[str, Any]:
        r = ibrahim.get(MC, params={"fields": "id,read,followUp", "paging": "false"})
        return {c["id"]: (c["read"], c["followUp"]) for c in r.json()["messageConversations"]}

    state = mine()
    assert state[own_unread] == (False, False) and state[own_other] == (False, False)
    mixes = [[own_unread, thread.uid], [thread.uid, own_unread, own_other]]
    texts = {
        "read": "Not authorized to change read property of this conversation.",
        "unread": "Not authorized to change read property of this conversation.",
        "followup": "Not authorized to change followups in this conversation.",
        "unfollowup": "Not authorized to change unfollowups in this conversation.",
    }
    for action, text in texts.items():
        for uids in mixes:
            check(ibrahim.post(f"{MC}/{action}", json=uids), 403, forbidden(text))
            assert mine() == state, (action, uids)
    remove_denied = forbidden("Not authorized to remove assigned users to this conversation.")
    for uids in mixes:
        check(ibrahim.delete(MC, params=[("mc", u) for u in uids]), 403, remove_denied)
        assert mine() == state

    # without the foreign UID the same calls do their work
    check(ibrahim.post(f"{MC}/read", json=[own_unread, own_other]), 200,
          {"markedRead": [own_unread, own_other]})  # fmt: skip
    check(ibrahim.post(f"{MC}/followup", json=[own_unread]), 200, {"markedFollowup": [own_unread]})
    assert mine()[own_unread] == (True, True)
    check(ibrahim.delete(MC, params=[("mc", own_other)]), 200, {"removed": [own_other]})
    assert own_other not in mine()
    assert {u: participant_view(clients(u), thread.uid) for u in thread.participants} == views
    tally.add("isolation_checks", check.count)


# --- no credentials, wrong ones -------------------------------------------------------------


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


UNAUTHORIZED = wm(401, "Unauthorized")
# (label, headers, expected status, expected JSON body or None for the login redirect)
CREDENTIALS: list[tuple[str, dict[str, str], int, dict[str, Any] | None]] = [
    ("none", {}, 302, None),
    ("none, XHR", {"X-Requested-With": "XMLHttpRequest"}, 401, UNAUTHORIZED),
    ("wrong password", {"Authorization": _basic("admin", "District")}, 401, UNAUTHORIZED),
    ("unknown user", {"Authorization": _basic("nobody", "district")}, 401, UNAUTHORIZED),
    ("empty password", {"Authorization": _basic("ibrahim", "")}, 401, UNAUTHORIZED),
    ("not base64", {"Authorization": "Basic !!!not-base64"}, 401, UNAUTHORIZED),
    ("unknown token", {"Authorization": "ApiToken d2pat_Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9oo"},
     401, wm(401, "The API token does not exists")),
    ("token with a wrong tail", {"Authorization": f"ApiToken {seed.ADMIN.token}x"},
     401, wm(401, "The API token does not exists")),
    ("malformed token", {"Authorization": "ApiToken not a token!"}, 401, wm(401, "Invalid token")),
]  # fmt: skip


def every_endpoint(thread: Thread) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, httpx keyword arguments) for every route the emulator serves."""
    c, m, f = thread.uid, thread.message, thread.file
    doc = seed.DOCUMENTS[0].uid
    json_mc = {"subject": "s", "text": "t", "users": [{"id": seed.ADMIN.uid}]}
    out: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", MC, {"params": {"fields": "*"}}),
        ("GET", f"{MC}/{c}", {}),
        ("HEAD", f"{MC}/{c}", {}),
        ("GET", f"{MC}/{c}/{m}/attachments/{f}", {}),
        ("POST", MC, {"json": json_mc}),
        ("DELETE", MC, {"params": {"mc": c}}),
        ("POST", f"{MC}/{c}", {"content": b"hello"}),
        ("POST", f"{MC}/feedback", {"params": {"subject": "s"}, "content": b"t"}),
        ("POST", f"{MC}/{c}/recipients", {"json": {"users": [{"id": seed.ADMIN.uid}]}}),
        ("POST", f"{MC}/{c}/priority", {"params": {"messageConversationPriority": "LOW"}}),
        ("POST", f"{MC}/{c}/status", {"params": {"messageConversationStatus": "SOLVED"}}),
        ("POST", f"{MC}/{c}/assign", {"params": {"userId": seed.ADMIN.uid}}),
        ("DELETE", f"{MC}/{c}/assign", {}),
        ("DELETE", f"{MC}/{c}", {}),
        ("DELETE", f"{MC}/{c}/{ISATU.uid}", {}),
        ("GET", "/api/fileResources/" + f, {}),
        ("GET", f"/api/fileResources/{f}/data", {}),
        ("POST", "/api/fileResources", {"files": {"file": ("a.txt", b"abc", "text/plain")},
                                        "data": {"domain": "MESSAGE_ATTACHMENT"}}),
        ("GET", "/api/documents", {}),
        ("GET", f"/api/documents/{doc}", {}),
        ("GET", f"/api/documents/{doc}/data", {}),
        ("POST", "/api/documents", {"json": {"name": "n", "url": "https://x.org"}}),
        ("DELETE", f"/api/documents/{doc}", {}),
        ("GET", "/api/me", {}),
        ("GET", "/api/me.json", {"params": {"fields": "id,username"}}),
        ("GET", "/api/me/authorities", {}),
        ("GET", "/api/system/info", {}),
        ("GET", "/api/system/ping", {}),
        ("GET", "/api/users", {}),
        ("GET", f"/api/users/{seed.ADMIN.uid}", {}),
        ("GET", "/api/userGroups", {}),
        ("GET", "/api/organisationUnits", {}),
        ("GET", "/api/configuration", {}),
        ("GET", "/api/configuration/feedbackRecipients", {}),
        ("GET", "/api/42/me", {}),
        ("GET", "/api/42/messageConversations", {}),
        ("GET", "/api/nothing/here", {}),
        ("GET", "/api", {}),
        ("GET", "/dhis-web-dashboard/", {}),
    ]  # fmt: skip
    for action in ("read", "unread", "followup", "unfollowup"):
        out.append(("POST", f"{MC}/{action}", {"json": [c]}))
    for action in ("read", "unread"):
        out.append(("POST", f"{MC}/{c}/{action}", {}))
    return out


def test_no_or_wrong_credentials_are_refused_everywhere(
    dhis2_emulator: EmulatorHandle, clients: Callable[[str], httpx.Client], tally: Any
) -> None:
    """dhis2-api.md §4: no credentials -> 302 to /dhis-web-login/ (401 JSON with
    X-Requested-With); bad Basic credentials -> 401 "Unauthorized"; unknown or malformed
    tokens -> 401 "The API token does not exists" / "Invalid token". No endpoint answers
    with data, and nothing changes (the whole database and file store are compared)."""
    thread = private_thread(clients)
    before = store_state(dhis2_emulator)
    endpoints = every_endpoint(thread)
    check = Checker()
    login = f"{dhis2_emulator.url}/dhis-web-login/"
    with httpx.Client(base_url=dhis2_emulator.url, timeout=30.0) as anon:
        for method, path, kwargs in endpoints:
            for label, headers, status, body in CREDENTIALS:
                r = anon.request(method, path, headers=headers, **kwargs)
                assert r.status_code == status, (label, method, path, r.status_code, r.text)
                if status == 302:
                    assert r.headers["Location"] == login, (label, method, path)
                    assert r.content == b""
                elif method != "HEAD":
                    assert r.json() == body, (label, method, path)
                    assert r.headers["Cache-Control"] == "no-cache, private"
                assert thread.subject not in r.text
                check.count += 1
        # the site root: the login page for a browser without a session (dhis2-api.md §4)
        r = anon.get("/")
        assert r.status_code == 302 and r.headers["Location"] == login
        check.count += 1
    assert store_state(dhis2_emulator) == before
    assert len(endpoints) >= 45
    tally.add("isolation_checks", check.count)
