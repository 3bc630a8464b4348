"""Shared helpers for the client tests: a profile, a fast client, request inspection."""

from __future__ import annotations

from typing import Any

import httpx
from pytest_httpx import HTTPXMock

from dhis2w import AsyncClient, Profile

BASE = "https://dhis2.example.org"
API = BASE + "/api"
MC = API + "/messageConversations"
PROFILE = Profile(base_url=BASE, username="admin", password="district")
TOKEN_PROFILE = Profile(base_url=BASE, token="d2pat_secretsecret0000")

CONV = "Abcdefghij1"
CONV2 = "Abcdefghij2"
MSG = "Mbcdefghij1"
USER = "Ubcdefghij1"
USER2 = "Ubcdefghij2"
GROUP = "Gbcdefghij1"
ORG = "Obcdefghij1"
FILE = "Fbcdefghij1"
DOC = "Dbcdefghij1"
ME = "MeUserUid01"


def make_client(profile: Profile = PROFILE, **options: Any) -> AsyncClient:
    """A client with no backoff delay and instant storage polling (fast tests)."""
    options.setdefault("backoff_base", 0.0)
    options.setdefault("storage_poll_interval", 0.0)
    return AsyncClient(profile, **options)


def only_request(httpx_mock: HTTPXMock) -> httpx.Request:
    requests = httpx_mock.get_requests()
    assert len(requests) == 1, [str(r.url) for r in requests]
    return requests[0]


def query(request: httpx.Request) -> list[tuple[str, str]]:
    return list(request.url.params.multi_items())


def conversation_json(uid: str = CONV, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": uid,
        "subject": "Stock-out at Bo clinic",
        "messageType": "PRIVATE",
        "priority": "NONE",
        "status": "NONE",
        "lastMessage": "2024-05-01T10:11:12.123",
        "messages": [
            {
                "id": MSG,
                "text": "Hello",
                "created": "2024-05-01T10:11:12.123",
                "sender": {"id": USER, "displayName": "John Traore"},
                "attachments": [],
            }
        ],
        "userMessages": [{"read": True, "followUp": False, "user": {"id": USER}}],
    }
    body.update(extra)
    return body


def page_json(uids: list[str], *, page: int, page_count: int, total: int) -> dict[str, Any]:
    return {
        "pager": {"page": page, "pageCount": page_count, "total": total, "pageSize": 50},
        "messageConversations": [{"id": uid, "subject": f"s {uid}"} for uid in uids],
    }


def serve_pages(httpx_mock: HTTPXMock, pages: dict[int, dict[str, Any]]) -> None:
    """Answer list requests by their ``page`` parameter, whatever order they arrive in.

    iter_conversations fetches several pages concurrently, so responses must be matched to
    requests by page number, not by arrival order.
    """

    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=pages[int(request.url.params["page"])])

    httpx_mock.add_callback(respond, is_reusable=True)


def requested_pages(httpx_mock: HTTPXMock) -> list[int]:
    return sorted(int(r.url.params["page"]) for r in httpx_mock.get_requests())


def created(uid: str, path: str = "messageConversations") -> dict[str, Any]:
    """201 answer kwargs for ``httpx_mock.add_response``: WebMessage + Location."""
    return {
        "status_code": 201,
        "json": {
            "httpStatus": "Created",
            "httpStatusCode": 201,
            "status": "OK",
            "message": "Message conversation created",
        },
        "headers": {"Location": f"{API}/{path}/{uid}"},
    }


def uid(n: int) -> str:
    return f"A{n:010d}"
