"""client.messaging: every call of the messaging API, asserted on the wire."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpx import HTTPXMock

from dhis2w import (
    InvalidInputError,
    InvalidUidError,
    MessageType,
    NotFoundError,
    Priority,
    SendOutcomeUnknownError,
)
from dhis2w._wire import CONVERSATION_FIELDS, CONVERSATION_LIST_FIELDS

from .helpers import (
    CONV,
    CONV2,
    FILE,
    GROUP,
    ME,
    MSG,
    ORG,
    USER,
    USER2,
    conversation_json,
    created,
    make_client,
    only_request,
    page_json,
    query,
    requested_pages,
    serve_pages,
    uid,
)

pytestmark = pytest.mark.anyio


# --- list / iter / unread ---------------------------------------------------------------------
async def test_list_conversations_defaults(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=page_json([CONV, CONV2], page=1, page_count=1, total=2))
    async with make_client() as client:
        page = await client.messaging.list_conversations()
    request = only_request(httpx_mock)
    assert request.method == "GET"
    assert request.url.path == "/api/messageConversations"
    assert query(request) == [
        ("fields", CONVERSATION_LIST_FIELDS),
        ("order", "lastMessage:desc"),
        ("page", "1"),
        ("pageSize", "50"),
    ]
    assert [c.id for c in page.conversations] == [CONV, CONV2]
    assert page.pager is not None and page.pager.total == 2


async def test_list_conversations_filters(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=page_json([], page=1, page_count=1, total=0))
    async with make_client() as client:
        await client.messaging.list_conversations(
            filter="subject:like:stock",
            query="malaria",
            message_type="ticket",
            status="open",
            priority=Priority.HIGH,
            unread=True,
            follow_up=True,
            assignee=USER,
            page=2,
            page_size=10,
        )
    assert query(only_request(httpx_mock)) == [
        ("fields", CONVERSATION_LIST_FIELDS),
        ("filter", "subject:like:stock"),
        ("filter", "messageType:eq:TICKET"),
        ("filter", "status:eq:OPEN"),
        ("filter", "priority:eq:HIGH"),
        ("filter", "read:eq:false"),
        ("filter", "followUp:eq:true"),
        ("filter", f"assignee.id:eq:{USER}"),
        ("queryString", "malaria"),
        ("order", "lastMessage:desc"),
        ("page", "2"),
        ("pageSize", "10"),
    ]


async def test_list_bad_enum_sends_nothing(httpx_mock: HTTPXMock) -> None:
    async with make_client() as client:
        with pytest.raises(InvalidInputError, match="not one of"):
            await client.messaging.list_conversations(message_type="memo")
    assert httpx_mock.get_requests() == []


async def test_list_decodes_last_sender_name(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        json={
            "pager": {"page": 1, "pageCount": 1, "total": 1, "pageSize": 50},
            "messageConversations": [
                {
                    "id": CONV,
                    "lastSender": {"id": USER},
                    "lastSenderFirstname": "Fatmata",
                    "lastSenderSurname": "Kamara",
                    "messageCount": 3,
                    "read": False,
                    "messageType": "VALIDATION_RESULT",
                    "lastMessage": "2024-05-01T10:11:12.123",
                }
            ],
        }
    )
    async with make_client() as client:
        page = await client.messaging.list_conversations()
    conversation = page.conversations[0]
    assert conversation.last_sender_name == "Fatmata Kamara"
    assert conversation.message_count == 3
    assert conversation.message_type is MessageType.VALIDATION_RESULT
    assert conversation.last_message is not None and conversation.last_message.year == 2024


async def test_iter_conversations_pages_dedupes_and_stops(httpx_mock: HTTPXMock) -> None:
    # A conversation moving between pages (new activity) must be yielded once.
    serve_pages(
        httpx_mock,
        {
            1: page_json([uid(1), uid(2)], page=1, page_count=3, total=5),
            2: page_json([uid(2), uid(3)], page=2, page_count=3, total=5),
            3: page_json([uid(4), uid(5)], page=3, page_count=3, total=5),
        },
    )
    async with make_client() as client:
        seen = [c.id async for c in client.messaging.iter_conversations(page_size=2)]
    assert seen == [uid(1), uid(2), uid(3), uid(4), uid(5)]
    assert requested_pages(httpx_mock) == [1, 2, 3]
    assert all(dict(query(r))["pageSize"] == "2" for r in httpx_mock.get_requests())


async def test_iter_conversations_window_keeps_page_order(httpx_mock: HTTPXMock) -> None:
    # Pages are fetched concurrently (a window ahead of the caller) but yielded in order.
    pages = {
        n: page_json([uid(2 * n - 1), uid(2 * n)], page=n, page_count=20, total=40)
        for n in range(1, 21)
    }
    serve_pages(httpx_mock, pages)
    async with make_client() as client:
        seen = [c.id async for c in client.messaging.iter_conversations(page_size=2)]
    assert seen == [uid(n) for n in range(1, 41)]
    assert requested_pages(httpx_mock) == list(range(1, 21))


async def test_iter_conversations_limit(httpx_mock: HTTPXMock) -> None:
    # Only the pages the limit needs are requested, even with a prefetch window.
    serve_pages(
        httpx_mock,
        {
            n: page_json([uid(2 * n - 1), uid(2 * n)], page=n, page_count=5, total=10)
            for n in range(1, 6)
        },
    )
    async with make_client() as client:
        seen = [c.id async for c in client.messaging.iter_conversations(page_size=2, limit=3)]
    assert seen == [uid(1), uid(2), uid(3)]
    assert requested_pages(httpx_mock) == [1, 2]


async def test_iter_conversations_small_limit_shrinks_page(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=page_json([uid(1), uid(2)], page=1, page_count=9, total=18))
    async with make_client() as client:
        seen = [c.id async for c in client.messaging.iter_conversations(limit=2)]
    assert seen == [uid(1), uid(2)]
    assert dict(query(only_request(httpx_mock)))["pageSize"] == "2"


async def test_iter_conversations_filters_and_order(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=page_json([uid(1)], page=1, page_count=1, total=1))
    async with make_client() as client:
        seen = [
            c.id
            async for c in client.messaging.iter_conversations(
                unread=True, message_type=MessageType.TICKET, order="created:asc"
            )
        ]
    assert seen == [uid(1)]
    assert query(only_request(httpx_mock)) == [
        ("fields", CONVERSATION_LIST_FIELDS),
        ("filter", "messageType:eq:TICKET"),
        ("filter", "read:eq:false"),
        ("order", "created:asc"),
        ("page", "1"),
        ("pageSize", "200"),
    ]


async def test_iter_conversations_break_early(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=page_json([uid(1), uid(2)], page=1, page_count=2, total=4))
    httpx_mock.add_response(
        json=page_json([uid(3), uid(4)], page=2, page_count=2, total=4), is_optional=True
    )
    async with make_client() as client:
        async for conversation in client.messaging.iter_conversations(page_size=2):
            assert conversation.id == uid(1)
            break


async def test_iter_conversations_empty(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=page_json([], page=1, page_count=1, total=0))
    async with make_client() as client:
        assert [c async for c in client.messaging.iter_conversations()] == []


async def test_iter_conversations_without_context_manager(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=page_json([uid(1)], page=1, page_count=2, total=2))
    httpx_mock.add_response(json=page_json([uid(2)], page=2, page_count=2, total=2))
    client = make_client()
    try:
        seen = [c.id async for c in client.messaging.iter_conversations(page_size=1)]
    finally:
        await client.aclose()
    assert seen == [uid(1), uid(2)]


async def test_unread_count(httpx_mock: HTTPXMock) -> None:
    """Every type: one GET of DHIS2's header-bar counts, no list query."""
    httpx_mock.add_response(json={"unreadMessageConversations": 7, "unreadInterpretations": 2})
    async with make_client() as client:
        assert await client.messaging.unread_count() == 7
    request = only_request(httpx_mock)
    assert request.method == "GET" and request.url.path == "/api/me/dashboard"
    assert query(request) == []


async def test_unread_count_by_type(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=page_json([], page=1, page_count=1, total=0))
    async with make_client() as client:
        assert await client.messaging.unread_count("ticket") == 0
    assert query(only_request(httpx_mock)) == [
        ("fields", "id"),
        ("filter", "messageType:eq:TICKET"),
        ("filter", "read:eq:false"),
        ("page", "1"),
        ("pageSize", "1"),
    ]


# --- get -------------------------------------------------------------------------------------
async def test_get_conversation(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        json=conversation_json(
            messages=[
                {
                    "id": MSG,
                    "text": "see attached",
                    "internal": True,
                    "created": "2024-05-01T10:11:12.123",
                    "sender": {"id": USER, "displayName": "John Traore"},
                    "attachments": [
                        {
                            "id": FILE,
                            "name": "report.pdf",
                            "contentLength": 1234,
                            "contentType": "application/pdf",
                        }
                    ],
                }
            ]
        )
    )
    async with make_client() as client:
        conversation = await client.messaging.get_conversation(CONV)
    request = only_request(httpx_mock)
    assert request.url.path == f"/api/messageConversations/{CONV}"
    assert query(request) == [("fields", CONVERSATION_FIELDS)]
    message = conversation.messages[0]
    assert message.text == "see attached" and message.internal is True
    assert message.sender is not None and message.sender.display_name == "John Traore"
    assert message.attachments[0].name == "report.pdf"
    assert message.attachments[0].content_length == 1234
    assert conversation.user_messages[0].read is True


async def test_get_conversation_200_not_found_body(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"message": f"No MessageConversation found with UID: {CONV}"})
    async with make_client() as client:
        with pytest.raises(NotFoundError, match="No MessageConversation found") as info:
            await client.messaging.get_conversation(CONV)
    assert info.value.status_code == 200


@pytest.mark.parametrize("bad", ["short", "1bcdefghijk", "Abcdefghij!", "", "Abcdefghijkl"])
async def test_get_conversation_bad_uid(httpx_mock: HTTPXMock, bad: str) -> None:
    async with make_client() as client:
        with pytest.raises(InvalidUidError):
            await client.messaging.get_conversation(bad)
    assert httpx_mock.get_requests() == []


# --- send ------------------------------------------------------------------------------------
async def test_send(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", **created(CONV))
    httpx_mock.add_response(method="GET", json=conversation_json())
    async with make_client() as client:
        conversation = await client.messaging.send(
            subject="Stock-out",
            text="We are out of ORS.",
            users=[USER, USER2],
            user_groups=GROUP,
            organisation_units=[ORG],
            attachments=[FILE],
        )
    post, get = httpx_mock.get_requests()
    assert post.method == "POST" and post.url.path == "/api/messageConversations"
    assert post.headers["content-type"] == "application/json"
    assert json.loads(post.content) == {
        "subject": "Stock-out",
        "text": "We are out of ORS.",
        "users": [{"id": USER}, {"id": USER2}],
        "userGroups": [{"id": GROUP}],
        "organisationUnits": [{"id": ORG}],
        "attachments": [{"id": FILE}],
    }
    assert get.url.path == f"/api/messageConversations/{CONV}"
    assert conversation.id == CONV


async def test_send_minimal_body(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", **created(CONV))
    httpx_mock.add_response(method="GET", json=conversation_json())
    async with make_client() as client:
        await client.messaging.send(subject="s", text="t", users=USER)
    post = httpx_mock.get_requests()[0]
    assert json.loads(post.content) == {"subject": "s", "text": "t", "users": [{"id": USER}]}


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"subject": "s", "text": "t"}, "no recipients"),
        ({"subject": "", "text": "t", "users": [USER]}, "subject is empty"),
        ({"subject": "  \n", "text": "t", "users": [USER]}, "subject is empty"),
        ({"subject": "s", "text": " ", "users": [USER]}, "text is empty"),
        ({"subject": "s", "text": "a\x00b", "users": [USER]}, "NUL"),
        ({"subject": "s\x00", "text": "t", "users": [USER]}, "NUL"),
        ({"subject": "s", "text": "t", "users": ["admin"]}, "not a DHIS2 UID"),
        ({"subject": "s", "text": "t", "users": [USER], "attachments": ["x"]}, "attachment"),
    ],
)
async def test_send_bad_input_sends_nothing(
    httpx_mock: HTTPXMock, kwargs: dict[str, object], error: str
) -> None:
    async with make_client() as client:
        with pytest.raises(InvalidInputError, match=error):
            await client.messaging.send(**kwargs)  # type: ignore[arg-type]
    assert httpx_mock.get_requests() == []


async def test_send_lost_response_is_outcome_unknown(httpx_mock: HTTPXMock) -> None:
    import httpx

    httpx_mock.add_exception(httpx.ReadTimeout("read timed out"))
    # reconcile_timeout=0: the lost answer itself (reconciliation: test_reconcile.py)
    async with make_client(reconcile_timeout=0) as client:
        with pytest.raises(SendOutcomeUnknownError, match="may or may not"):
            await client.messaging.send(subject="s", text="t", users=[USER])
    assert len(httpx_mock.get_requests()) == 1  # never retried


async def test_send_connect_error_is_retried(httpx_mock: HTTPXMock) -> None:
    import httpx

    httpx_mock.add_exception(httpx.ConnectError("refused"))
    httpx_mock.add_response(method="POST", **created(CONV))
    httpx_mock.add_response(method="GET", json=conversation_json())
    async with make_client() as client:
        conversation = await client.messaging.send(subject="s", text="t", users=[USER])
    assert conversation.id == CONV
    assert [r.method for r in httpx_mock.get_requests()] == ["POST", "POST", "GET"]


async def test_send_without_location_is_an_error(httpx_mock: HTTPXMock) -> None:
    from dhis2w import UnexpectedResponseError

    httpx_mock.add_response(status_code=201, json={"status": "OK"})
    async with make_client() as client:
        with pytest.raises(UnexpectedResponseError, match="Location"):
            await client.messaging.send(subject="s", text="t", users=[USER])


# --- reply -----------------------------------------------------------------------------------
REPLY_TEXTS = [
    '{"text": "looks like JSON", "n": 1}',
    "Emoji 🎉👍🏽 and a flag 🇸🇱",
    "line one\r\nline two\r\n",
    "مرحبا بالعالم — שלום",
    "x" * 100_000,
    "  leading and trailing spaces  ",
]


@pytest.mark.parametrize("text", REPLY_TEXTS, ids=["json", "emoji", "crlf", "rtl", "100k", "sp"])
async def test_reply_text_byte_for_byte(httpx_mock: HTTPXMock, text: str) -> None:
    httpx_mock.add_response(method="POST", **created(CONV))
    httpx_mock.add_response(method="GET", json=conversation_json())
    async with make_client() as client:
        conversation = await client.messaging.reply(CONV, text=text)
    post, get = httpx_mock.get_requests()
    assert post.method == "POST" and post.url.path == f"/api/messageConversations/{CONV}"
    assert post.headers["content-type"] == "text/plain; charset=utf-8"
    assert post.content == text.encode("utf-8")
    assert query(post) == []
    assert get.url.path == f"/api/messageConversations/{CONV}"
    assert conversation.id == CONV


async def test_reply_internal_with_attachments(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", **created(CONV))
    httpx_mock.add_response(method="GET", json=conversation_json())
    async with make_client() as client:
        await client.messaging.reply(CONV, text="note", internal=True, attachments=[FILE, MSG])
    post = httpx_mock.get_requests()[0]
    assert query(post) == [("internal", "true"), ("attachments", FILE), ("attachments", MSG)]


@pytest.mark.parametrize("text", ["", "   ", "\r\n", "nul\x00"])
async def test_reply_bad_text(httpx_mock: HTTPXMock, text: str) -> None:
    async with make_client() as client:
        with pytest.raises(InvalidInputError):
            await client.messaging.reply(CONV, text=text)
    assert httpx_mock.get_requests() == []


async def test_reply_lost_response(httpx_mock: HTTPXMock) -> None:
    import httpx

    httpx_mock.add_exception(httpx.RemoteProtocolError("Server disconnected"))
    # reconcile_timeout=0: the lost answer itself (reconciliation: test_reconcile.py)
    async with make_client(reconcile_timeout=0) as client:
        with pytest.raises(SendOutcomeUnknownError):
            await client.messaging.reply(CONV, text="hi")
    assert len(httpx_mock.get_requests()) == 1


async def test_reply_unknown_conversation(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        status_code=404,
        json={
            "httpStatus": "Not Found",
            "httpStatusCode": 404,
            "status": "ERROR",
            "message": f"Message conversation does not exist: {CONV}",
        },
    )
    async with make_client() as client:
        with pytest.raises(NotFoundError, match="does not exist"):
            await client.messaging.reply(CONV, text="hi")


# --- feedback / recipients ---------------------------------------------------------------------
async def test_send_feedback(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", **created(CONV))
    httpx_mock.add_response(method="GET", json=conversation_json(messageType="TICKET"))
    async with make_client() as client:
        ticket = await client.messaging.send_feedback(subject="Bug: login", text="It fails\r\n")
    post = httpx_mock.get_requests()[0]
    assert post.url.path == "/api/messageConversations/feedback"
    assert query(post) == [("subject", "Bug: login")]
    assert post.headers["content-type"] == "text/plain; charset=utf-8"
    assert post.content == b"It fails\r\n"
    assert ticket.message_type is MessageType.TICKET


async def test_send_feedback_without_location_finds_ticket(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", status_code=201, json={"message": "Feedback created"})
    httpx_mock.add_response(method="GET", json=page_json([CONV], page=1, page_count=1, total=1))
    httpx_mock.add_response(method="GET", json=conversation_json(messageType="TICKET"))
    async with make_client() as client:
        ticket = await client.messaging.send_feedback(subject="S", text="T")
    assert ticket.id == CONV
    lookup = httpx_mock.get_requests()[1]
    assert ("filter", "subject:eq:S") in query(lookup)
    assert ("filter", "messageType:eq:TICKET") in query(lookup)


async def test_add_recipients(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=204)
    async with make_client() as client:
        await client.messaging.add_recipients(CONV, users=[USER2], user_groups=[GROUP])
    request = only_request(httpx_mock)
    assert request.method == "POST"
    assert request.url.path == f"/api/messageConversations/{CONV}/recipients"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"users": [{"id": USER2}], "userGroups": [{"id": GROUP}]}


async def test_add_recipients_needs_someone(httpx_mock: HTTPXMock) -> None:
    async with make_client() as client:
        with pytest.raises(InvalidInputError, match="no recipients"):
            await client.messaging.add_recipients(CONV)
    assert httpx_mock.get_requests() == []


# --- read state, follow-up ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method_name", "endpoint", "key"),
    [
        ("mark_read", "read", "markedRead"),
        ("mark_unread", "unread", "markedUnread"),
        ("follow_up", "followup", "markedFollowup"),
        ("unfollow_up", "unfollowup", "unmarkedFollowup"),
    ],
)
async def test_bulk_state(httpx_mock: HTTPXMock, method_name: str, endpoint: str, key: str) -> None:
    httpx_mock.add_response(json={key: [CONV]})
    async with make_client() as client:
        changed = await getattr(client.messaging, method_name)([CONV, CONV2])
    assert changed == [CONV]
    request = only_request(httpx_mock)
    assert request.method == "POST"
    assert request.url.path == f"/api/messageConversations/{endpoint}"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == [CONV, CONV2]


async def test_mark_read_single_uid_string(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"markedRead": []})
    async with make_client() as client:
        assert await client.messaging.mark_read(CONV) == []
    assert json.loads(only_request(httpx_mock).content) == [CONV]


async def test_mark_read_chunks_1000_uids(httpx_mock: HTTPXMock) -> None:
    uids = [uid(n) for n in range(1000)]
    for start in range(0, 1000, 200):
        httpx_mock.add_response(json={"markedRead": uids[start : start + 200]})
    async with make_client() as client:
        changed = await client.messaging.mark_read(uids)
    assert changed == uids
    bodies = [json.loads(r.content) for r in httpx_mock.get_requests()]
    assert len(bodies) == 5 and all(len(b) == 200 for b in bodies)


async def test_mark_read_none_exist(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        status_code=404, json={"message": "No MessageConversations found for the given IDs."}
    )
    async with make_client() as client:
        with pytest.raises(NotFoundError, match="No MessageConversations found"):
            await client.messaging.mark_read([CONV])


# --- delete -----------------------------------------------------------------------------------
async def test_delete_one_is_soft(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="GET", json={"id": ME, "username": "admin"})
    httpx_mock.add_response(method="DELETE", json={"removed": [CONV]})
    async with make_client() as client:
        removed = await client.messaging.delete_conversation(CONV)
    me, delete = httpx_mock.get_requests()
    assert me.url.path == "/api/me"
    assert delete.method == "DELETE"
    assert delete.url.path == f"/api/messageConversations/{CONV}/{ME}"
    assert removed == [CONV]


async def test_delete_many_is_bulk_and_me_is_cached(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="GET", json={"id": ME, "username": "admin"})
    httpx_mock.add_response(method="DELETE", json={"removed": [CONV, CONV2]})
    httpx_mock.add_response(method="DELETE", json={"removed": [CONV]})
    async with make_client() as client:
        assert await client.messaging.delete_conversation([CONV, CONV2]) == [CONV, CONV2]
        assert await client.messaging.delete_conversation([CONV]) == [CONV]
    _me, bulk, single = httpx_mock.get_requests()
    assert bulk.url.path == "/api/messageConversations"
    assert query(bulk) == [("mc", CONV), ("mc", CONV2), ("user", ME)]
    assert single.url.path == f"/api/messageConversations/{CONV}/{ME}"


async def test_delete_many_chunks(httpx_mock: HTTPXMock) -> None:
    uids = [uid(n) for n in range(450)]
    httpx_mock.add_response(method="GET", json={"id": ME})
    for start in range(0, 450, 200):
        httpx_mock.add_response(method="DELETE", json={"removed": uids[start : start + 200]})
    async with make_client() as client:
        assert await client.messaging.delete_conversation(uids) == uids
    deletes = [r for r in httpx_mock.get_requests() if r.method == "DELETE"]
    assert [len(r.url.params.get_list("mc")) for r in deletes] == [200, 200, 50]
    assert all(r.url.params["user"] == ME for r in deletes)


async def test_delete_nothing(httpx_mock: HTTPXMock) -> None:
    async with make_client() as client:
        assert await client.messaging.delete_conversation([]) == []
    assert httpx_mock.get_requests() == []


# --- tickets ----------------------------------------------------------------------------------
async def test_set_priority(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"HIGH": [CONV]})
    async with make_client() as client:
        await client.messaging.set_priority(CONV, "high")
    request = only_request(httpx_mock)
    assert request.method == "POST"
    assert request.url.path == f"/api/messageConversations/{CONV}/priority"
    assert query(request) == [("messageConversationPriority", "HIGH")]


async def test_set_status(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"SOLVED": [CONV]})
    async with make_client() as client:
        await client.messaging.set_status(CONV, "Solved")
    request = only_request(httpx_mock)
    assert request.url.path == f"/api/messageConversations/{CONV}/status"
    assert query(request) == [("messageConversationStatus", "SOLVED")]


async def test_set_status_bad_value(httpx_mock: HTTPXMock) -> None:
    async with make_client() as client:
        with pytest.raises(InvalidInputError, match="SOLVED"):
            await client.messaging.set_status(CONV, "done")
    assert httpx_mock.get_requests() == []


async def test_assign_and_unassign(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"message": "User John was assigned successfully"})
    httpx_mock.add_response(json={"message": "Message is no longer assigned to user"})
    async with make_client() as client:
        await client.messaging.assign(CONV, USER)
        await client.messaging.unassign(CONV)
    assign, unassign = httpx_mock.get_requests()
    assert assign.method == "POST"
    assert assign.url.path == f"/api/messageConversations/{CONV}/assign"
    assert query(assign) == [("userId", USER)]
    assert unassign.method == "DELETE"
    assert unassign.url.path == f"/api/messageConversations/{CONV}/assign"


async def test_assign_unknown_user(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=404, json={"message": "Could not find user to assign"})
    async with make_client() as client:
        with pytest.raises(NotFoundError, match="Could not find user"):
            await client.messaging.assign(CONV, USER)


# --- attachments ------------------------------------------------------------------------------
async def test_download_attachment_bytes(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        content=b"%PDF-1.4 data",
        headers={"Content-Type": "application/pdf", "Content-Disposition": "filename=r.pdf"},
    )
    async with make_client() as client:
        data = await client.messaging.download_attachment(CONV, MSG, FILE)
    assert data == b"%PDF-1.4 data"
    request = only_request(httpx_mock)
    assert request.url.path == f"/api/messageConversations/{CONV}/{MSG}/attachments/{FILE}"


async def test_download_attachment_to_folder(httpx_mock: HTTPXMock, tmp_path: Path) -> None:
    payload = bytes(range(256)) * 1000
    httpx_mock.add_response(
        content=payload,
        headers={"Content-Disposition": "filename=lab results.csv"},
    )
    progress: list[tuple[int, int | None]] = []
    async with make_client() as client:
        written = await client.messaging.download_attachment(
            CONV, MSG, FILE, tmp_path, progress=lambda done, total: progress.append((done, total))
        )
    assert written == tmp_path / "lab results.csv"
    assert isinstance(written, Path) and written.read_bytes() == payload
    assert progress[-1] == (len(payload), len(payload))
    assert not list(tmp_path.glob("*.part"))


async def test_download_attachment_internal_forbidden(httpx_mock: HTTPXMock) -> None:
    from dhis2w import ConflictError

    httpx_mock.add_response(
        status_code=409,
        json={
            "httpStatus": "Conflict",
            "httpStatusCode": 409,
            "status": "ERROR",
            "message": "Not authorized to access this message",
        },
    )
    async with make_client() as client:
        with pytest.raises(ConflictError, match="Not authorized"):
            await client.messaging.download_attachment(CONV, MSG, FILE)


async def test_send_feedback_lost_response(httpx_mock: HTTPXMock) -> None:
    import httpx

    httpx_mock.add_exception(httpx.ReadError("connection reset"))
    # reconcile_timeout=0: the lost answer itself (reconciliation: test_reconcile.py)
    async with make_client(reconcile_timeout=0) as client:
        with pytest.raises(SendOutcomeUnknownError, match="may or may not"):
            await client.messaging.send_feedback(subject="S", text="T")
    assert len(httpx_mock.get_requests()) == 1  # never retried


async def test_send_answer_cut_off_is_outcome_unknown(httpx_mock: HTTPXMock) -> None:
    import httpx

    class CutOff(httpx.AsyncByteStream):
        async def __aiter__(self):  # type: ignore[no-untyped-def]
            yield b'{"httpStatus":"Cre'
            raise httpx.ReadError("connection reset")

    httpx_mock.add_response(
        status_code=201,
        stream=CutOff(),
        headers={"Location": f"https://dhis2.example.org/api/messageConversations/{CONV}"},
    )
    # reconcile_timeout=0: the lost answer itself (reconciliation: test_reconcile.py)
    async with make_client(reconcile_timeout=0) as client:
        with pytest.raises(SendOutcomeUnknownError, match="cut off"):
            await client.messaging.send(subject="s", text="t", users=[USER])
    assert len(httpx_mock.get_requests()) == 1
