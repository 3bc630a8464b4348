"""Conformance details found in the fidelity review: URLs, pager links, selectors, robustness.

Each test drives the emulator over loopback HTTP with plain httpx and cites the rule of
``docs/dhis2-api.md`` (or the DHIS2 source, where that document defers to it).
"""

from __future__ import annotations

import base64
import os
import socket
import time

import httpx
import pytest
from emu_helpers import send, wm

from dhis2w.emulator import seed

MC = "/api/messageConversations"


def test_pager_links_follow_link_service_format(admin: httpx.Client) -> None:
    """dhis2-api.md §0 (DefaultLinkService.generatePagerLinks): nextPage is
    ``?page=N&pageSize=S&rest``
    with pageSize moved after page and the other parameters kept in request order."""
    r = admin.get(MC, params={"fields": "id", "pageSize": 2, "order": "subject:asc", "page": 2})
    pager = r.json()["pager"]
    base = f"{admin.base_url}".rstrip("/") + MC
    assert pager["nextPage"] == f"{base}?page=3&pageSize=2&fields=id&order=subject%3Aasc"
    # back to page 1: no page parameter at all
    assert pager["prevPage"] == f"{base}?pageSize=2&fields=id&order=subject%3Aasc"


def test_pager_links_omit_default_page_size(admin: httpx.Client, emu) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §0: with the default pageSize (50) the links carry no pageSize; page 1 prev is
    bare."""
    emu.bulk_create_conversations(120, recipients=[seed.FATMATA.uid])
    base = f"{admin.base_url}".rstrip("/") + MC
    pager = admin.get(MC, params={"page": 2}).json()["pager"]
    assert pager["nextPage"] == f"{base}?page=3"
    assert pager["prevPage"] == base
    pager = admin.get(MC, params={"page": 2, "pageSize": 50}).json()["pager"]
    assert pager["nextPage"] == f"{base}?page=3"


def test_pager_links_keep_json_suffix(admin: httpx.Client) -> None:
    """dhis2-api.md §0 (getContentTypeSuffix): a ``.json`` request keeps ``.json`` in pager
    links."""
    pager = admin.get(f"{MC}.json", params={"pageSize": 1}).json()["pager"]
    assert pager["nextPage"].startswith(f"{admin.base_url}".rstrip("/") + f"{MC}.json?page=2")


@pytest.mark.parametrize(
    ("headers", "origin"),
    [
        (
            {"X-Forwarded-Proto": "https", "X-Forwarded-Port": "8443"},
            "https://dhis.example.org:8443",
        ),
        ({"X-Forwarded-Proto": "https", "X-Forwarded-Port": "443"}, "https://dhis.example.org"),
        ({"X-Forwarded-Proto": "https"}, "https://dhis.example.org:9090"),
        ({"X-Forwarded-Proto": "http", "X-Forwarded-Port": "443"}, "http://dhis.example.org"),
        ({"X-Forwarded-Proto": "ftp", "X-Forwarded-Port": "8443"}, "http://dhis.example.org:8443"),
        ({"X-Forwarded-Port": "junk"}, "http://dhis.example.org:9090"),
    ],
)
def test_forwarded_headers_in_location_and_pager(
    admin: httpx.Client, headers: dict[str, str], origin: str
) -> None:
    """dhis2-api.md §0 (HttpServletRequestPaths.getContextPath): X-Forwarded-Proto counts only for
    http/https, X-Forwarded-Port only when numeric, and ports 80/443 are always omitted;
    the same base goes into Location and into pager links, with ``/api/42`` when used."""
    hdrs = {"Host": "dhis.example.org:9090", **headers}
    r = admin.post(
        f"/api/42{MC[4:]}",
        json={"subject": "fwd", "text": "t", "users": [{"id": seed.FATMATA.uid}]},
        headers=hdrs,
    )
    assert r.status_code == 201
    assert r.headers["Location"].startswith(f"{origin}/api/42/messageConversations/")
    pager = admin.get(f"/api/42{MC[4:]}", params={"pageSize": 1}, headers=hdrs).json()["pager"]
    assert pager["nextPage"] == f"{origin}/api/42/messageConversations?page=2&pageSize=1"


def test_host_default_port_omitted(admin: httpx.Client) -> None:
    """dhis2-api.md §0: a Host of ``name:80`` yields ``http://name`` (port 80 never printed)."""
    r = admin.post(
        MC,
        json={"subject": "p80", "text": "t", "users": [{"id": seed.FATMATA.uid}]},
        headers={"Host": "dhis.example.org:80"},
    )
    assert r.headers["Location"].startswith("http://dhis.example.org/api/messageConversations/")


def test_reply_empty_body_400_before_conversation_lookup(admin: httpx.Client) -> None:
    """dhis2-api.md §0/§1 reply: ``@RequestBody String`` is resolved before the handler runs, so an
    empty body is 400 (HttpMessageNotReadable) even for an unknown conversation."""
    r = admin.post(f"{MC}/NoSuchConv1", content=b"")
    assert r.status_code == 400
    assert r.json()["httpStatusCode"] == 400


def test_reply_bad_internal_flag_400(admin: httpx.Client) -> None:
    """dhis2-api.md §0 (MethodArgumentTypeMismatch on primitive ``boolean internal``): 400
    WebMessage
    ``Value 'X' is not valid for parameter internal. It should be of type boolean``."""
    r = admin.post(f"{MC}/{seed.CONV_STOCK_OUT.uid}", params={"internal": "maybe"}, content=b"x")
    assert r.status_code == 400
    assert r.json() == wm(
        400, "Value 'maybe' is not valid for parameter internal. It should be of type boolean"
    )
    # Spring's boolean converter also takes yes/no/on/off/1/0
    r = admin.post(f"{MC}/{seed.CONV_STOCK_OUT.uid}", params={"internal": "no"}, content=b"x")
    assert r.status_code == 201


def test_recipients_malformed_body_400_before_lookup(admin: httpx.Client) -> None:
    """dhis2-api.md §0/§1 recipients: the JSON body is parsed before the handler runs (400, then
    404)."""
    r = admin.post(
        f"{MC}/NoSuchConv1/recipients",
        content=b"{bad",
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400
    r = admin.post(f"{MC}/NoSuchConv1/recipients", json={"users": []})
    assert r.status_code == 404
    assert r.json() == wm(404, "Message conversation does not exist: NoSuchConv1")


def test_bulk_remove_without_mc_400(admin: httpx.Client) -> None:
    """dhis2-api.md §0/§1 bulk DELETE: ``mc`` is a required @RequestParam -> Spring's 400 (BUGS.md
    E2)."""
    r = admin.delete(MC)
    assert r.status_code == 400
    assert "'mc'" in r.json()["message"]


@pytest.mark.parametrize(
    ("body", "ctype"),
    [(b"{bad", "application/json"), (b"", "application/json"), (b'{"a":', "application/json")],
)
def test_malformed_json_create_400_not_500(admin: httpx.Client, body: bytes, ctype: str) -> None:
    """dhis2-api.md §0: HttpMessageNotReadable (bad or missing body) -> 400 WebMessage, never a
    500."""
    r = admin.post(MC, content=body, headers={"Content-Type": ctype})
    assert r.status_code == 400
    assert r.json()["status"] == "ERROR" and r.headers["Cache-Control"] == "no-cache, private"


@pytest.mark.parametrize(
    "ctype", ["text/plain", "application/xml", "application/x-www-form-urlencoded"]
)
def test_create_wrong_content_type_415(admin: httpx.Client, ctype: str) -> None:
    """dhis2-api.md §1 POST: JSON only in 2.42 (XML dropped) -> 415 HttpMediaTypeNotSupported."""
    r = admin.post(MC, content=b"<x/>", headers={"Content-Type": ctype})
    assert r.status_code == 415
    assert r.json()["httpStatus"] == "Unsupported Media Type"


def _raw(emu, data: bytes) -> socket.socket:  # type: ignore[no-untyped-def]
    sock = socket.create_connection(("127.0.0.1", emu.server.port), timeout=30)
    sock.sendall(data)
    return sock


def _basic() -> str:
    return "Basic " + base64.b64encode(b"admin:district").decode()


def test_stalled_clients_do_not_wedge_others(emu, admin: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    """Robustness: a client stalled mid-headers and one stalled inside a huge declared body
    hold only their own connection; other clients are still served."""
    stalled = [
        _raw(emu, b"GET /api/me HTTP/1.1\r\nHost: x\r\n"),
        _raw(
            emu,
            f"POST {MC} HTTP/1.1\r\nHost: x\r\nAuthorization: {_basic()}\r\n"
            "Content-Type: application/json\r\nContent-Length: 999999999999\r\n\r\n{".encode(),
        ),
    ]
    try:
        for _ in range(3):
            assert admin.get("/api/me", params={"fields": "id"}).status_code == 200
    finally:
        for sock in stalled:
            sock.close()


def test_disconnect_mid_body_writes_nothing(emu, admin: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    """Robustness: clients that vanish mid-body (JSON create, multipart upload) leave no
    conversation, no file and no temp file behind, and the server keeps serving."""
    before = admin.get(MC, params={"pageSize": 1}).json()["pager"]["total"]
    head = f"Host: x\r\nAuthorization: {_basic()}\r\n"
    _raw(
        emu,
        f"POST {MC} HTTP/1.1\r\n{head}Content-Type: application/json\r\n"
        'Content-Length: 1000\r\n\r\n{"subject": "half'.encode(),
    ).close()
    part = (
        b'------b\r\nContent-Disposition: form-data; name="file"; filename="x.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\n" + b"x" * 5000
    )
    _raw(
        emu,
        f"POST /api/fileResources HTTP/1.1\r\n{head}"
        "Content-Type: multipart/form-data; boundary=----b\r\n"
        "Content-Length: 100000\r\n\r\n".encode()
        + part,
    ).close()
    # a complete request on a fresh connection is answered after both aborted ones
    assert admin.get(MC, params={"pageSize": 1}).json()["pager"]["total"] == before
    files_dir = emu.server.store.files_dir
    # the aborted upload's thread cleans up on its own schedule: wait for it (no timing asserted)
    deadline = time.monotonic() + 20
    while any(f.startswith(".upload-") for f in os.listdir(files_dir)):
        assert time.monotonic() < deadline, "temp upload file left behind"
        time.sleep(0.02)


@pytest.mark.parametrize(
    "request_head",
    [b"GARBAGE\r\n\r\n", b"POST /api/me HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"],
)
def test_malformed_http_is_400(emu, request_head: bytes) -> None:  # type: ignore[no-untyped-def]
    """Robustness: a malformed request line or Content-Length gets a 400 and a closed
    connection (as Tomcat does), not a silent hang-up."""
    sock = _raw(emu, request_head)
    try:
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
    finally:
        sock.close()
    assert data.startswith(b"HTTP/1.1 400 ")


def test_fields_exclusion_unknown_and_all(admin: httpx.Client) -> None:
    """dhis2-api.md §2: ``!x`` removes a field from ``*``, unknown names are silently ignored,
    ``:all``
    is ``*``; with ``*`` the assignee renders ``{id}`` only."""
    uid = seed.CONV_TICKET_DHIS2_LOGIN.uid
    star = admin.get(f"{MC}/{uid}").json()
    assert star["assignee"] == {"id": seed.MOHAMED.uid}
    assert admin.get(f"{MC}/{uid}", params={"fields": ":all"}).json() == star
    trimmed = admin.get(f"{MC}/{uid}", params={"fields": "*,!messages,!userMessages,nope"}).json()
    assert "messages" not in trimmed and "userMessages" not in trimmed and "nope" not in trimmed
    assert set(star) - set(trimmed) == {"messages", "userMessages"}
    assert admin.get(f"{MC}/{uid}", params={"fields": "nope,id"}).json() == {"id": uid}


def test_filters_on_ticket_status_and_priority(admin: httpx.Client) -> None:
    """dhis2-api.md §0/§1: filter on status, priority (eq and in), combined with AND by default."""
    uid = send(admin, [seed.FATMATA.uid], subject="Ticket-like")
    assert admin.post(
        f"{MC}/{uid}/priority", params={"messageConversationPriority": "HIGH"}
    ).json() == {"HIGH": [uid]}
    assert admin.post(
        f"{MC}/{uid}/status", params={"messageConversationStatus": "PENDING"}
    ).json() == {"PENDING": [uid]}

    def ids(*filters: str, **extra: str) -> list[str]:
        params = [("filter", f) for f in filters] + list(extra.items())
        return [c["id"] for c in admin.get(MC, params=params).json()["messageConversations"]]

    assert ids("priority:eq:HIGH") == [uid]
    assert ids("status:in:[PENDING,SOLVED]", "priority:eq:HIGH") == [uid]
    assert ids("status:eq:PENDING", "priority:eq:LOW") == []
    assert uid in ids("status:eq:PENDING", "priority:eq:LOW", rootJunction="OR")
    assert ids("subject:like:Ticket-like", "followUp:eq:false", "read:eq:true") == [uid]


def test_json_endpoints_without_content_type_415(admin: httpx.Client) -> None:
    """dhis2-api.md §0/§1: no Content-Type is application/octet-stream to Spring: 415 on the
    JSON-only
    create (and on /read with a body); /read with no body at all is the 400 missing body."""
    r = admin.post(MC, content=b'{"subject":"x"}')
    assert r.status_code == 415
    assert r.json()["message"] == "Content-Type 'application/octet-stream' is not supported"
    assert admin.post(MC, content=b"").status_code == 415
    assert admin.post(f"{MC}/read", content=b'["CvStockOut1"]').status_code == 415
    assert admin.post(f"{MC}/read", content=b"").status_code == 400
