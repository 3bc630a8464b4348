# ruff: noqa: E501
"""Reading conversations: list envelope, fields, filters, order, paging (dhis2-api.md §0-§2)."""

from __future__ import annotations

import httpx
import pytest
from emu_helpers import NO_CACHE, wm

from dhis2w.emulator import seed

LIST_FIELDS = (
    "id,displayName,subject,messageType,lastSender[id,displayName],assignee[id,displayName],"
    "status,priority,lastUpdated,read,lastMessage,followUp"
)
ADMIN_CONVS = sorted(c.uid for c in seed.CONVERSATIONS if seed.ADMIN.uid in c.participants)


def test_list_default_fields_and_order(admin: httpx.Client) -> None:
    """dhis2-api.md §0: default list fields id,displayName; default order uid ascending."""
    r = admin.get("/api/messageConversations")
    assert r.status_code == 200
    assert r.headers["cache-control"] == NO_CACHE
    body = r.json()
    assert list(body) == ["pager", "messageConversations"]
    assert [c["id"] for c in body["messageConversations"]] == ADMIN_CONVS
    assert all(set(c) == {"id", "displayName"} for c in body["messageConversations"])


def test_pager_shape(admin: httpx.Client) -> None:
    """dhis2-api.md §0: pager keys page,total,pageSize,nextPage,pageCount with an absolute nextPage."""
    r = admin.get("/api/messageConversations", params={"pageSize": 3})
    pager = r.json()["pager"]
    assert list(pager) == ["page", "total", "pageSize", "nextPage", "pageCount"]
    assert pager["total"] == len(ADMIN_CONVS)
    assert pager["pageCount"] == -(-len(ADMIN_CONVS) // 3)
    assert pager["nextPage"].startswith(
        f"{admin.base_url}".rstrip("/") + "/api/messageConversations?page=2"
    )
    assert "pageSize=3" in pager["nextPage"]


def test_prev_page_and_clamp(admin: httpx.Client) -> None:
    """dhis2-api.md §0: page is clamped to [1, pageCount]; prevPage present past page 1."""
    pager = admin.get("/api/messageConversations", params={"pageSize": 3, "page": 99}).json()[
        "pager"
    ]
    assert pager["page"] == pager["pageCount"]
    assert "prevPage" in pager and "nextPage" not in pager


def test_pager_empty_total(admin: httpx.Client) -> None:
    """dhis2-api.md §0: with total=0, page is 1."""
    r = admin.get("/api/messageConversations", params={"filter": "subject:eq:nothing", "page": 5})
    assert r.json()["pager"]["page"] == 1 and r.json()["pager"]["total"] == 0


def test_paging_false_omits_pager(admin: httpx.Client) -> None:
    """dhis2-api.md §0: paging=false -> no pager key."""
    body = admin.get("/api/messageConversations", params={"paging": "false"}).json()
    assert "pager" not in body and len(body["messageConversations"]) == len(ADMIN_CONVS)


def test_next_page_uses_host_header(admin: httpx.Client) -> None:
    """dhis2-api.md §0: nextPage is absolute, built from the request's Host."""
    r = admin.get(
        "/api/messageConversations", params={"pageSize": 1}, headers={"Host": "dhis.example.org"}
    )
    assert r.json()["pager"]["nextPage"].startswith(
        "http://dhis.example.org/api/messageConversations?"
    )


def test_list_fields_recommended(admin: httpx.Client) -> None:
    """dhis2-api.md §2: the messaging app's list fields render with nested lastSender."""
    r = admin.get(
        "/api/messageConversations", params={"fields": LIST_FIELDS, "order": "lastMessage:desc"}
    )
    convs = r.json()["messageConversations"]
    chol = next(c for c in convs if c["id"] == seed.CONV_CHOLERA_ALERT.uid)
    assert chol["lastSender"] == {"id": seed.AMINATA.uid, "displayName": "Aminata Bangura"}
    assert chol["read"] is True and chol["followUp"] is False
    assert chol["messageType"] == "PRIVATE" and chol["priority"] == "NONE"
    dates = [c["lastMessage"] for c in convs]
    assert dates == sorted(dates, reverse=True)


def test_participants_only_even_superuser(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §1 list: only conversations with a UserMessage for the caller; admin too."""
    ibrahim = [
        c["id"]
        for c in as_user("ibrahim").get("/api/messageConversations").json()["messageConversations"]
    ]
    assert seed.CONV_TICKET_DHIS2_LOGIN.uid in ibrahim
    assert seed.CONV_CHOLERA_ALERT.uid not in ibrahim
    admin = [
        c["id"]
        for c in as_user("admin").get("/api/messageConversations").json()["messageConversations"]
    ]
    assert seed.CONV_TICKET_DHIS2_LOGIN.uid not in admin


def test_filter_read_false(admin: httpx.Client) -> None:
    """dhis2-api.md §1: filter=read:eq:false on the transient per-user field."""
    ids = {
        c["id"]
        for c in admin.get("/api/messageConversations", params={"filter": "read:eq:false"}).json()[
            "messageConversations"
        ]
    }
    expected = {
        c.uid for c in seed.CONVERSATIONS if c.participants.get(seed.ADMIN.uid, (True,))[0] is False
    }
    assert ids == expected


def test_filter_boolean_values_read_as_boolean_value_of(admin: httpx.Client) -> None:
    """2.42's QueryUtils reads a boolean filter value with ``Boolean.valueOf``: ``TRUE`` is
    true, and a value that is not ``true`` (``maybe``) is false, never a 400 (BUGS.md E13)."""

    def ids(value: str) -> set[str]:
        params = {"filter": f"read:eq:{value}", "paging": "false"}
        r = admin.get("/api/messageConversations", params=params)
        assert r.status_code == 200, r.text
        return {c["id"] for c in r.json()["messageConversations"]}

    unread, read = ids("false"), ids("true")
    assert unread and read and not unread & read
    assert ids("maybe") == unread
    assert ids("TRUE") == read


def test_filter_follow_up(admin: httpx.Client) -> None:
    """dhis2-api.md §1: filter=followUp:eq:true."""
    ids = [
        c["id"]
        for c in admin.get(
            "/api/messageConversations", params={"filter": "followUp:eq:true"}
        ).json()["messageConversations"]
    ]
    assert ids == [seed.CONV_LAB_RESULTS.uid]


def test_filter_message_type_and_in(admin: httpx.Client) -> None:
    """dhis2-api.md §1: messageType:eq:X and the in operator with [a,b]."""
    sys_ids = {
        c["id"]
        for c in admin.get(
            "/api/messageConversations", params={"filter": "messageType:eq:SYSTEM"}
        ).json()["messageConversations"]
    }
    assert sys_ids == {seed.CONV_SCHEDULER.uid, seed.CONV_DATA_APPROVAL.uid}
    both = admin.get(
        "/api/messageConversations", params={"filter": "messageType:in:[SYSTEM,VALIDATION_RESULT]"}
    ).json()
    assert both["pager"]["total"] == 3


def test_filter_assignee_id(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §1: assignee.id:eq:uid."""
    r = as_user("mohamed").get(
        "/api/messageConversations", params={"filter": f"assignee.id:eq:{seed.MOHAMED.uid}"}
    )
    assert [c["id"] for c in r.json()["messageConversations"]] == [seed.CONV_TICKET_DHIS2_LOGIN.uid]


def test_filter_like_ilike_ne(admin: httpx.Client) -> None:
    """dhis2-api.md §0: like is case-sensitive, ilike is not, ne excludes."""

    def get(f):
        return {
            c["id"]
            for c in admin.get("/api/messageConversations", params={"filter": f}).json()[
                "messageConversations"
            ]
        }

    assert get("subject:like:cholera") == set()
    assert get("subject:ilike:cholera") == {seed.CONV_CHOLERA_ALERT.uid}
    assert seed.CONV_SCHEDULER.uid not in get("messageType:ne:SYSTEM")


def test_filter_gt_lt_on_dates(admin: httpx.Client) -> None:
    """dhis2-api.md §0: gt/lt on lastMessage."""
    r = admin.get(
        "/api/messageConversations",
        params=[("filter", "lastMessage:gt:2024-09-18"), ("filter", "lastMessage:lt:2024-09-19")],
    )
    assert [c["id"] for c in r.json()["messageConversations"]] == [seed.CONV_LAB_RESULTS.uid]


def test_root_junction_or(admin: httpx.Client) -> None:
    """dhis2-api.md §0: rootJunction=OR combines filters with OR."""
    r = admin.get(
        "/api/messageConversations",
        params=[
            ("filter", "messageType:eq:SYSTEM"),
            ("filter", "followUp:eq:true"),
            ("rootJunction", "OR"),
        ],
    )
    assert r.json()["pager"]["total"] == 3


def test_unknown_filter_property_400(admin: httpx.Client) -> None:
    """dhis2-api.md §0: unknown property -> 400 "Unknown path property: X" (QueryParserException)."""
    r = admin.get("/api/messageConversations", params={"filter": "colour:eq:blue"})
    assert r.status_code == 400
    assert r.json() == wm(400, "Unknown path property: colour", "E1003")


def test_bad_enum_filter_value_400(admin: httpx.Client) -> None:
    """dhis2-api.md §0: an enum filter value that does not parse -> 400."""
    r = admin.get("/api/messageConversations", params={"filter": "messageType:eq:POSTCARD"})
    assert r.status_code == 400
    assert "POSTCARD" in r.json()["message"]


def test_order_subject_iasc(admin: httpx.Client) -> None:
    """dhis2-api.md §0: order=prop:iasc sorts case-insensitively."""
    subjects = [
        c["subject"]
        for c in admin.get(
            "/api/messageConversations", params={"fields": "subject", "order": "subject:iasc"}
        ).json()["messageConversations"]
    ]
    assert subjects == sorted(subjects, key=str.lower)


def test_query_string_over_text_and_sender(admin: httpx.Client) -> None:
    """dhis2-api.md §1: queryString searches subject, message text and sender display name."""
    by_text = admin.get(
        "/api/messageConversations", params={"queryString": "district store"}
    ).json()
    assert [c["id"] for c in by_text["messageConversations"]] == [seed.CONV_STOCK_OUT.uid]
    by_sender = admin.get("/api/messageConversations", params={"queryString": "Isatu"}).json()
    assert [c["id"] for c in by_sender["messageConversations"]] == [seed.CONV_LAB_RESULTS.uid]


def test_get_default_star_fields(admin: httpx.Client) -> None:
    """dhis2-api.md §2: GET /{uid} default fields * -> references {id} only, userMessages full."""
    body = admin.get(f"/api/messageConversations/{seed.CONV_STOCK_OUT.uid}").json()
    assert body["lastSender"] == {"id": seed.ADMIN.uid}
    assert body["messages"] == [{"id": m.uid} for m in seed.CONV_STOCK_OUT.messages]
    assert body["createdBy"] == {
        "id": seed.ADMIN.uid,
        "code": "admin",
        "name": "John Traore",
        "displayName": "John Traore",
        "username": "admin",
    }
    um = body["userMessages"]
    assert len(um) == 3 and set(um[0]) == {"key", "user", "read", "followUp"}
    assert set(um[0]["user"]) == {"id", "code", "name", "displayName", "username"}
    assert body["messageType"] == "PRIVATE" and body["messageCount"] == 3
    assert "assignee" not in body  # nulls omitted


def test_get_nested_selector(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §2: messages[*,sender[id,displayName],attachments[id,name,contentLength]]."""
    fields = "*,assignee[id,displayName],messages[*,sender[id,displayName],attachments[id,name,contentLength]],userMessages[user[id,displayName]]"
    body = (
        as_user("mohamed")
        .get(
            f"/api/messageConversations/{seed.CONV_TICKET_DHIS2_LOGIN.uid}",
            params={"fields": fields},
        )
        .json()
    )
    assert body["assignee"] == {"id": seed.MOHAMED.uid, "displayName": "Mohamed Conteh"}
    first = body["messages"][0]
    assert first["sender"] == {"id": seed.IBRAHIM.uid, "displayName": "Ibrahim Sesay"}
    assert first["attachments"] == [
        {
            "id": "FrScreen001",
            "name": "login_error.png",
            "contentLength": len(seed.FILE_SCREENSHOT.content),
        }
    ]
    assert len(body["messages"]) == 3  # mohamed is a feedback manager: internal visible


def test_internal_hidden_from_non_managers(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §1: internal messages are removed for users who are not feedback managers."""
    body = (
        as_user("ibrahim")
        .get(
            f"/api/messageConversations/{seed.CONV_TICKET_DHIS2_LOGIN.uid}",
            params={"fields": "messages[id,internal]"},
        )
        .json()
    )
    assert [m["id"] for m in body["messages"]] == ["MsTick00001", "MsTick00003"]


def test_get_unknown_uid_is_200_message(admin: httpx.Client) -> None:
    """dhis2-api.md §1: unknown conversation -> HTTP 200 {"message": "No MessageConversation found with UID: X"}."""
    r = admin.get("/api/messageConversations/Abcdefghij1")
    assert r.status_code == 200
    assert r.json() == {"message": "No MessageConversation found with UID: Abcdefghij1"}


def test_get_malformed_uid_404(admin: httpx.Client) -> None:
    """dhis2-api.md §1: the uid must match [a-zA-Z0-9]{11}, otherwise no handler -> 404."""
    assert admin.get("/api/messageConversations/short").status_code == 404


def test_get_no_access_403(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §1: not a participant and not superuser -> 403 E1006."""
    r = as_user("ibrahim").get(f"/api/messageConversations/{seed.CONV_CHOLERA_ALERT.uid}")
    assert r.status_code == 403
    assert r.json() == wm(403, "Not authorized to access this conversation.", "E1006")


def test_superuser_can_read_any(admin: httpx.Client) -> None:
    """dhis2-api.md §1 access: a superuser may read a conversation they are not part of; read=false."""
    body = admin.get(
        f"/api/messageConversations/{seed.CONV_TICKET_DHIS2_LOGIN.uid}",
        params={"fields": "id,read"},
    ).json()
    assert body == {"id": seed.CONV_TICKET_DHIS2_LOGIN.uid, "read": False}


def test_mark_read_quirk(admin: httpx.Client) -> None:
    """dhis2-api.md §1: markRead=true marks it read but the response still shows the old value."""
    uid = seed.CONV_IDSR_WEEKLY.uid
    first = admin.get(
        f"/api/messageConversations/{uid}", params={"markRead": "true", "fields": "read"}
    ).json()
    assert first == {"read": False}
    assert admin.get(f"/api/messageConversations/{uid}", params={"fields": "read"}).json() == {
        "read": True
    }


@pytest.mark.parametrize("prefix", ["/api", "/api/42"])
def test_versioned_list(admin: httpx.Client, prefix: str) -> None:
    """dhis2-api.md §0: lists under /api and /api/42; nextPage keeps the prefix."""
    pager = admin.get(f"{prefix}/messageConversations", params={"pageSize": 2}).json()["pager"]
    assert f"{prefix}/messageConversations?page=2" in pager["nextPage"]
