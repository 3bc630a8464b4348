# ruff: noqa: E501
"""Writing conversations: create, reply, feedback, recipients (dhis2-api.md §1)."""

from __future__ import annotations

import httpx
from emu_helpers import send, uid_from_location, upload, wm

from dhis2w.emulator import seed

MC = "/api/messageConversations"


def test_create_201_location(admin: httpx.Client) -> None:
    """dhis2-api.md §1 create: 201 WebMessage "Message conversation created" + Location."""
    r = admin.post(MC, json={"subject": "S", "text": "T", "users": [{"id": seed.FATMATA.uid}]})
    assert r.status_code == 201
    assert r.json() == {
        "httpStatus": "Created",
        "httpStatusCode": 201,
        "status": "OK",
        "message": "Message conversation created",
    }
    loc = r.headers["Location"]
    assert loc.startswith(str(admin.base_url).rstrip("/") + "/api/messageConversations/")
    assert len(uid_from_location(r)) == 11


def test_create_location_keeps_api_version(admin: httpx.Client) -> None:
    """dhis2-api.md §0: Location includes /api/42 when the request used it."""
    r = admin.post(
        "/api/42/messageConversations",
        json={"subject": "S", "text": "T", "users": [{"id": seed.FATMATA.uid}]},
    )
    assert "/api/42/messageConversations/" in r.headers["Location"]


def test_create_defaults_and_read_state(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §1/§2: type PRIVATE, priority/status NONE, sender read=true, others false."""
    admin, fatmata = as_user("admin"), as_user("fatmata")
    uid = send(admin, [seed.FATMATA.uid], subject="Stock", text="Count")
    body = admin.get(
        f"{MC}/{uid}",
        params={"fields": "messageType,priority,status,read,messageCount,lastSender,subject"},
    ).json()
    assert body == {
        "messageType": "PRIVATE",
        "priority": "NONE",
        "status": "NONE",
        "read": True,
        "messageCount": 1,
        "lastSender": {"id": seed.ADMIN.uid},
        "subject": "Stock",
    }
    assert fatmata.get(f"{MC}/{uid}", params={"fields": "read"}).json() == {"read": False}


def test_create_ignores_message_type(admin: httpx.Client) -> None:
    """dhis2-api.md §1: messageType in the body is ignored; always PRIVATE."""
    uid = send(admin, [seed.FATMATA.uid], messageType="TICKET")
    assert admin.get(f"{MC}/{uid}", params={"fields": "messageType"}).json() == {
        "messageType": "PRIVATE"
    }


def test_create_expands_groups_and_org_units(admin: httpx.Client) -> None:
    """dhis2-api.md §1: recipients = users ∪ group members ∪ org-unit users."""
    r = admin.post(
        MC,
        json={
            "subject": "S",
            "text": "T",
            "userGroups": [{"id": seed.KENEMA_TEAM.uid}],
            "organisationUnits": [{"id": seed.NGELEHUN_CHC.uid}],
        },
    )
    uid = uid_from_location(r)
    ums = admin.get(f"{MC}/{uid}", params={"fields": "userMessages[user[id]]"}).json()[
        "userMessages"
    ]
    assert {u["user"]["id"] for u in ums} == {
        seed.ADMIN.uid,
        seed.AMINATA.uid,
        seed.EMMANUEL.uid,
        seed.IBRAHIM.uid,
    }


def test_create_no_recipients_409(admin: httpx.Client) -> None:
    """dhis2-api.md §0/§1: empty recipients -> 409 "No recipients selected." E1004."""
    r = admin.post(MC, json={"subject": "S", "text": "T"})
    assert r.status_code == 409
    assert r.json() == wm(409, "No recipients selected.", "E1004")


def test_create_unknown_user_409(admin: httpx.Client) -> None:
    """dhis2-api.md §1: user missing -> 409 "User does not exist: X"."""
    r = admin.post(MC, json={"subject": "S", "text": "T", "users": [{"id": "Nouser00001"}]})
    assert r.status_code == 409 and r.json()["message"] == "User does not exist: Nouser00001"


def test_create_unknown_org_unit_409(admin: httpx.Client) -> None:
    """dhis2-api.md §1: org unit missing -> 409 "Organisation Unit does not exist: X" (checked first)."""
    r = admin.post(
        MC,
        json={
            "subject": "S",
            "text": "T",
            "users": [{"id": "Nouser00001"}],
            "organisationUnits": [{"id": "Noorgunit01"}],
        },
    )
    assert (
        r.status_code == 409
        and r.json()["message"] == "Organisation Unit does not exist: Noorgunit01"
    )


def test_create_unknown_group_404(admin: httpx.Client) -> None:
    """dhis2-api.md §1: group missing -> 404 "UserGroup with id X could not be found."."""
    r = admin.post(MC, json={"subject": "S", "text": "T", "userGroups": [{"id": "Nogroup0001"}]})
    assert (
        r.status_code == 404
        and r.json()["message"] == "UserGroup with id Nogroup0001 could not be found."
    )


def test_create_requires_json(admin: httpx.Client) -> None:
    """dhis2-api.md §1: Content-Type application/json required (415 otherwise)."""
    r = admin.post(MC, content=b"subject=x", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415


def test_create_bare_string_attachment_500(admin: httpx.Client) -> None:
    """dhis2-api.md §1: attachments as bare strings -> 500 with Jackson's message."""
    r = admin.post(
        MC,
        json={
            "subject": "S",
            "text": "T",
            "users": [{"id": seed.FATMATA.uid}],
            "attachments": ["FrSopDoc001"],
        },
    )
    assert r.status_code == 500
    assert r.json()["message"].startswith(
        "Cannot construct instance of `org.hisp.dhis.fileresource.FileResource`"
    )


def test_create_bare_string_user_500(admin: httpx.Client) -> None:
    """dhis2-api.md §1: bare strings in users behave the same way (500)."""
    r = admin.post(MC, json={"subject": "S", "text": "T", "users": [seed.FATMATA.uid]})
    assert r.status_code == 500
    assert "org.hisp.dhis.user.User" in r.json()["message"]


def test_create_with_attachment_assigns_it(admin: httpx.Client) -> None:
    """dhis2-api.md §1/§3: a MESSAGE_ATTACHMENT {id} is attached and becomes assigned=true."""
    fr = upload(admin, b"col1,col2\n1,2\n", name="data.csv", content_type="text/csv").json()[
        "response"
    ]["fileResource"]
    uid = send(admin, [seed.FATMATA.uid], attachments=[{"id": fr["id"]}])
    msgs = admin.get(f"{MC}/{uid}", params={"fields": "messages[attachments[id,name]]"}).json()[
        "messages"
    ]
    assert msgs[0]["attachments"] == [{"id": fr["id"], "name": "data.csv"}]
    assert admin.get(f"/api/fileResources/{fr['id']}").json()["assigned"] is True


def test_create_attachment_reuse_409(admin: httpx.Client) -> None:
    """dhis2-api.md §1: an already assigned attachment -> 409 "... is already used or not a valid attachment."."""
    fr = upload(admin).json()["response"]["fileResource"]["id"]
    send(admin, [seed.FATMATA.uid], attachments=[{"id": fr}])
    r = admin.post(
        MC,
        json={
            "subject": "S",
            "text": "T",
            "users": [{"id": seed.FATMATA.uid}],
            "attachments": [{"id": fr}],
        },
    )
    assert r.status_code == 409
    assert r.json()["message"] == f"Attachment '{fr}' is already used or not a valid attachment."


def test_create_attachment_wrong_domain_409(admin: httpx.Client) -> None:
    """dhis2-api.md §1: domain other than MESSAGE_ATTACHMENT -> 409 same text."""
    fr = upload(admin, domain="DOCUMENT").json()["response"]["fileResource"]["id"]
    r = admin.post(
        MC,
        json={
            "subject": "S",
            "text": "T",
            "users": [{"id": seed.FATMATA.uid}],
            "attachments": [{"id": fr}],
        },
    )
    assert r.status_code == 409 and "already used or not a valid attachment" in r.json()["message"]


def test_create_attachment_not_found_409(admin: httpx.Client) -> None:
    """dhis2-api.md §1: unknown attachment -> 409 "Attachment 'X' not found."."""
    r = admin.post(
        MC,
        json={
            "subject": "S",
            "text": "T",
            "users": [{"id": seed.FATMATA.uid}],
            "attachments": [{"id": "Nofile00001"}],
        },
    )
    assert r.status_code == 409 and r.json()["message"] == "Attachment 'Nofile00001' not found."


def test_reply_201_and_verbatim(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §1 reply: any content type, raw body stored byte-for-byte, 201 + Location."""
    admin = as_user("admin")
    uid = send(admin, [seed.FATMATA.uid])
    text = '{"looks": "like json"}\r\nemoji 🦟 and CRLF\r\n'
    r = as_user("fatmata").post(
        f"{MC}/{uid}", content=text.encode(), headers={"Content-Type": "text/plain; charset=utf-8"}
    )
    assert r.status_code == 201
    assert r.json()["message"] == "Message conversation created"
    assert r.headers["Location"].endswith(f"/api/messageConversations/{uid}")
    msgs = admin.get(f"{MC}/{uid}", params={"fields": "messages[text]"}).json()["messages"]
    assert msgs[-1]["text"] == text


def test_reply_json_content_type_is_text(admin: httpx.Client) -> None:
    """dhis2-api.md §1 reply: a JSON body is not parsed; it becomes the text as is."""
    uid = send(admin, [seed.FATMATA.uid])
    admin.post(f"{MC}/{uid}", content=b'{"text":"x"}', headers={"Content-Type": "application/json"})
    assert (
        admin.get(f"{MC}/{uid}", params={"fields": "messages[text]"}).json()["messages"][-1]["text"]
        == '{"text":"x"}'
    )


def test_reply_side_effects(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §1 reply: others unread, lastSender/lastMessage/messageCount updated, sender unchanged."""
    admin, fatmata = as_user("admin"), as_user("fatmata")
    uid = send(admin, [seed.FATMATA.uid])
    fatmata.get(f"{MC}/{uid}", params={"markRead": "true"})
    admin.post(f"{MC}/read", json=[uid])
    before = admin.get(f"{MC}/{uid}", params={"fields": "lastMessage"}).json()["lastMessage"]
    fatmata.post(f"{MC}/{uid}", content=b"reply")
    after = admin.get(
        f"{MC}/{uid}", params={"fields": "read,lastSender,lastMessage,messageCount"}
    ).json()
    assert after["read"] is False
    assert after["lastSender"] == {"id": seed.FATMATA.uid}
    assert after["messageCount"] == 2 and after["lastMessage"] >= before
    assert fatmata.get(f"{MC}/{uid}", params={"fields": "read"}).json() == {"read": True}


def test_reply_unknown_conversation_404(admin: httpx.Client) -> None:
    """dhis2-api.md §1 reply: missing conversation -> 404 "Message conversation does not exist: X"."""
    r = admin.post(f"{MC}/Abcdefghij1", content=b"x")
    assert (
        r.status_code == 404
        and r.json()["message"] == "Message conversation does not exist: Abcdefghij1"
    )


def test_attachments_endpoint_does_not_exist(admin: httpx.Client) -> None:
    """dhis2-api.md §1: POST /messageConversations/attachments hits the reply handler -> 404."""
    r = admin.post(f"{MC}/attachments", content=b"x")
    assert (
        r.status_code == 404
        and r.json()["message"] == "Message conversation does not exist: attachments"
    )


def test_reply_no_access_403(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §1 reply: not a participant -> 403 "Not authorized to send messages to this conversation."."""
    r = as_user("ibrahim").post(f"{MC}/{seed.CONV_CHOLERA_ALERT.uid}", content=b"x")
    assert r.status_code == 403
    assert r.json() == wm(403, "Not authorized to send messages to this conversation.", "E1006")


def test_reply_internal_non_manager_403(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §1 reply: internal=true by a non-manager -> 403 "Not authorized to send internal messages"."""
    r = as_user("ibrahim").post(
        f"{MC}/{seed.CONV_TICKET_DHIS2_LOGIN.uid}", params={"internal": "true"}, content=b"x"
    )
    assert (
        r.status_code == 403 and r.json()["message"] == "Not authorized to send internal messages"
    )


def test_reply_internal_visible_only_to_managers(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §1: an internal reply doesn't count in messageCount and is hidden from non-managers."""
    uid = seed.CONV_TICKET_DHIS2_LOGIN.uid
    mohamed, ibrahim = as_user("mohamed"), as_user("ibrahim")
    count = mohamed.get(f"{MC}/{uid}", params={"fields": "messageCount"}).json()["messageCount"]
    assert (
        mohamed.post(f"{MC}/{uid}", params={"internal": "true"}, content=b"secret note").status_code
        == 201
    )
    assert (
        mohamed.get(f"{MC}/{uid}", params={"fields": "messageCount"}).json()["messageCount"]
        == count
    )
    texts = [
        m["text"]
        for m in ibrahim.get(f"{MC}/{uid}", params={"fields": "messages[text]"}).json()["messages"]
    ]
    assert "secret note" not in texts
    texts = [
        m["text"]
        for m in mohamed.get(f"{MC}/{uid}", params={"fields": "messages[text]"}).json()["messages"]
    ]
    assert "secret note" in texts


def test_reply_with_attachment_param(admin: httpx.Client) -> None:
    """dhis2-api.md §1 reply: attachments query param (comma-separated)."""
    uid = send(admin, [seed.FATMATA.uid])
    a = upload(admin).json()["response"]["fileResource"]["id"]
    b = upload(admin).json()["response"]["fileResource"]["id"]
    assert (
        admin.post(f"{MC}/{uid}", params={"attachments": f"{a},{b}"}, content=b"files").status_code
        == 201
    )
    msgs = admin.get(f"{MC}/{uid}", params={"fields": "messages[attachments[id]]"}).json()[
        "messages"
    ]
    assert {x["id"] for x in msgs[-1]["attachments"]} == {a, b}


def test_reply_empty_body_400(admin: httpx.Client) -> None:
    """dhis2-api.md §1 reply: empty body -> 400."""
    uid = send(admin, [seed.FATMATA.uid])
    assert admin.post(f"{MC}/{uid}", content=b"").status_code == 400


def test_feedback_creates_ticket(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §1 feedback: 201 "Feedback created" + Location; TICKET, OPEN, feedback group recipients."""
    ibrahim = as_user("ibrahim")
    r = ibrahim.post(f"{MC}/feedback", params={"subject": "Help"}, content=b"The app is slow")
    assert r.status_code == 201
    assert r.json()["message"] == "Feedback created"
    uid = uid_from_location(r)
    body = ibrahim.get(
        f"{MC}/{uid}", params={"fields": "messageType,status,read,userMessages[user[id],read]"}
    ).json()
    assert body["messageType"] == "TICKET" and body["status"] == "OPEN" and body["read"] is True
    users = {u["user"]["id"]: u["read"] for u in body["userMessages"]}
    assert users == {seed.IBRAHIM.uid: True, seed.FATMATA.uid: False, seed.MOHAMED.uid: False}


def test_feedback_missing_subject_400(admin: httpx.Client) -> None:
    """dhis2-api.md §1/§0: feedback without subject -> 400 (missing @RequestParam)."""
    assert admin.post(f"{MC}/feedback", content=b"x").status_code == 400


TOO_LONG = wm(409, "ERROR: value too long for type character varying(255)")


def _table_sizes(emu) -> dict[str, int]:  # type: ignore[no-untyped-def]
    tables = ("conversations", "messages", "message_attachments", "user_messages")
    return {t: emu.server.store.query(f"SELECT count(*) FROM {t}")[0][0] for t in tables}


def test_create_subject_longer_than_255_409(emu, admin: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    """BUGS.md E10: messageconversation.subject is varchar(255); PostgreSQL refuses a longer
    one, the transaction rolls back and CrudControllerAdvice answers 409 with the root cause.
    Characters are code points: 255 emoji are accepted, 256 ASCII letters are not."""
    before = _table_sizes(emu)
    for subject in ("x" * 256, "é" * 256, "🙏" * 300):
        body = {"subject": subject, "text": "Hi", "users": [{"id": seed.FATMATA.uid}]}
        r = admin.post(MC, json=body)
        assert r.status_code == 409 and r.json() == TOO_LONG, subject[:3]
        assert "Location" not in r.headers
    assert _table_sizes(emu) == before
    uid = send(admin, [seed.FATMATA.uid], subject="🙏" * 255)
    assert admin.get(f"{MC}/{uid}", params={"fields": "subject"}).json() == {"subject": "🙏" * 255}


def test_create_subject_too_long_keeps_earlier_attachment_claim(emu, admin: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §1: attachments are assigned (and saved) before the conversation is inserted,
    so the failed send leaves its attachment assigned, as DHIS2's separate transactions do."""
    file_uid = upload(admin).json()["response"]["fileResource"]["id"]
    body = {"subject": "s" * 256, "text": "Hi", "users": [{"id": seed.FATMATA.uid}],
            "attachments": [{"id": file_uid}]}  # fmt: skip
    assert admin.post(MC, json=body).status_code == 409
    assert admin.get(f"/api/fileResources/{file_uid}").json()["assigned"] is True


def test_feedback_subject_longer_than_255_409(emu, as_user) -> None:  # type: ignore[no-untyped-def]
    """BUGS.md E10: the feedback ``subject`` parameter hits the same column."""
    ibrahim = as_user("ibrahim")
    before = _table_sizes(emu)
    r = ibrahim.post(f"{MC}/feedback", params={"subject": "h" * 256}, content=b"Help")
    assert r.status_code == 409 and r.json() == TOO_LONG
    assert _table_sizes(emu) == before
    r = ibrahim.post(f"{MC}/feedback", params={"subject": "h" * 255}, content=b"Help")
    assert r.status_code == 201
    uid = uid_from_location(r)
    assert len(ibrahim.get(f"{MC}/{uid}", params={"fields": "subject"}).json()["subject"]) == 255


def test_recipients_204(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §1 recipients: 204, new users added unread."""
    admin = as_user("admin")
    uid = send(admin, [seed.FATMATA.uid])
    r = admin.post(f"{MC}/{uid}/recipients", json={"users": [{"id": seed.ISATU.uid}]})
    assert r.status_code == 204 and r.content == b""
    assert as_user("isatu").get(f"{MC}/{uid}", params={"fields": "read"}).json() == {"read": False}


def test_recipients_errors(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §1 recipients: 404 unknown conversation; 403 non-participant."""
    r = as_user("admin").post(
        f"{MC}/Abcdefghij1/recipients", json={"users": [{"id": seed.ISATU.uid}]}
    )
    assert (
        r.status_code == 404
        and r.json()["message"] == "Message conversation does not exist: Abcdefghij1"
    )
    r = as_user("ibrahim").post(
        f"{MC}/{seed.CONV_CHOLERA_ALERT.uid}/recipients", json={"users": [{"id": seed.ISATU.uid}]}
    )
    assert (
        r.status_code == 403
        and r.json()["message"] == "Not authorized to change recipients in this conversation."
    )
