# ruff: noqa: E501
"""File resources, attachment downloads and documents (dhis2-api.md §1 attachments, §3)."""

from __future__ import annotations

import hashlib
import time

import httpx
from emu_helpers import image_size, png, send, upload, wm

from dhis2w.emulator import seed

MC = "/api/messageConversations"


def _wait_stored(client: httpx.Client, uid: str) -> dict[str, object]:
    for _ in range(500):
        body = client.get(f"/api/fileResources/{uid}").json()
        if body["storageStatus"] == "STORED":
            return body  # type: ignore[no-any-return]
        time.sleep(0.01)
    raise AssertionError("never STORED")


def test_upload_202_pending(admin: httpx.Client) -> None:
    """dhis2-api.md §3: 202 WebMessage, responseType FileResource, storageStatus PENDING, no Location."""
    data = b"weekly numbers\n"
    r = upload(admin, data, name="week.txt")
    assert r.status_code == 202 and "location" not in r.headers
    body = r.json()
    assert list(body)[:3] == ["httpStatus", "httpStatusCode", "status"]
    assert body["httpStatus"] == "Accepted" and body["response"]["responseType"] == "FileResource"
    fr = body["response"]["fileResource"]
    assert fr["storageStatus"] == "PENDING" and fr["assigned"] is False
    assert fr["name"] == "week.txt" and fr["contentLength"] == len(data)
    assert fr["contentMd5"] == hashlib.md5(data).hexdigest()
    assert fr["domain"] == "MESSAGE_ATTACHMENT" and fr["contentType"] == "text/plain"


def test_upload_becomes_stored(admin: httpx.Client) -> None:
    """dhis2-api.md §3: GET /{uid} shows STORED once the content is in the store."""
    uid = upload(admin).json()["response"]["fileResource"]["id"]
    assert _wait_stored(admin, uid)["id"] == uid


def test_upload_default_domain(admin: httpx.Client) -> None:
    """dhis2-api.md §3: domain defaults to DATA_VALUE."""
    r = admin.post("/api/fileResources", files={"file": ("a.txt", b"x", "text/plain")})
    assert r.json()["response"]["fileResource"]["domain"] == "DATA_VALUE"


def test_upload_domain_as_query_param(admin: httpx.Client) -> None:
    """dhis2-api.md §3/§1: ?domain=MESSAGE_ATTACHMENT as the messaging app sends it."""
    r = admin.post(
        "/api/fileResources",
        params={"domain": "MESSAGE_ATTACHMENT"},
        files={"file": ("a.txt", b"x", "text/plain")},
    )
    assert r.json()["response"]["fileResource"]["domain"] == "MESSAGE_ATTACHMENT"


def test_upload_too_large_409(as_user, emu) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §3: over max upload size -> 409 "File size can't be bigger than N, current file size M"."""
    emu.server.app.max_upload_size = 10
    try:
        r = upload(as_user("admin"), b"x" * 11)
    finally:
        emu.server.app.max_upload_size = 10_000_000
    assert r.status_code == 409
    assert r.json() == wm(409, "File size can't be bigger than 10, current file size 11")


def test_upload_empty_409(admin: httpx.Client) -> None:
    """dhis2-api.md §3: empty file -> 409 "Could not read file or file is empty."."""
    r = upload(admin, b"")
    assert r.status_code == 409 and r.json()["message"] == "Could not read file or file is empty."


def test_upload_blocked_extension_409(admin: httpx.Client) -> None:
    """dhis2-api.md §3: blocked extension -> 409 "File type not allowed" E6101."""
    r = upload(admin, b"echo hi", name="run.sh", content_type="application/octet-stream")
    assert r.status_code == 409 and r.json() == wm(409, "File type not allowed", "E6101")


def test_upload_blocked_content_type_409(admin: httpx.Client) -> None:
    """dhis2-api.md §3: blocked content type (text/html) -> 409 E6101."""
    r = upload(admin, b"<p>x</p>", name="page.txt", content_type="text/html")
    assert r.status_code == 409 and r.json()["errorCode"] == "E6101"


def test_upload_duplicate_uid_409(admin: httpx.Client) -> None:
    """dhis2-api.md §3: duplicate uid -> 409 "FileResource already exists: `X`" E1119."""
    assert upload(admin, uid="MyFileUid01").status_code == 202
    r = upload(admin, uid="MyFileUid01")
    assert r.status_code == 409 and r.json() == wm(
        409, "FileResource already exists: `MyFileUid01`", "E1119"
    )


def test_upload_missing_name_untitled_and_bad_type(admin: httpx.Client) -> None:
    """dhis2-api.md §3: no filename -> "untitled"; invalid content type -> application/octet-stream."""
    boundary = "XyZ"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename=""\r\n'
        f"Content-Type: not a type\r\n\r\nabc\r\n--{boundary}--\r\n"
    ).encode()
    r = admin.post(
        "/api/fileResources",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    fr = r.json()["response"]["fileResource"]
    assert fr["name"] == "untitled" and fr["contentType"] == "application/octet-stream"


def test_get_file_resource_404(admin: httpx.Client) -> None:
    """dhis2-api.md §3: unknown uid -> 404 "FileResource with id X could not be found." E1005."""
    r = admin.get("/api/fileResources/Nofile00001")
    assert r.status_code == 404 and r.json() == wm(
        404, "FileResource with id Nofile00001 could not be found.", "E1005"
    )


def test_file_data_message_attachment(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §3: MESSAGE_ATTACHMENT data is readable by any authenticated user."""
    r = as_user("ibrahim").get("/api/fileResources/FrStockCsv1/data")
    assert r.status_code == 200 and r.content == seed.FILE_STOCK_REPORT.content


def test_file_data_data_value_403(admin: httpx.Client) -> None:
    """dhis2-api.md §3: DATA_VALUE /data -> 403 with the "not available from this endpoint" text."""
    uid = upload(admin, domain="DATA_VALUE").json()["response"]["fileResource"]["id"]
    _wait_stored(admin, uid)
    r = admin.get(f"/api/fileResources/{uid}/data")
    assert r.status_code == 403
    assert (
        r.json()["message"]
        == f"You don't have access to fileResource '{uid}' or this fileResource is not available from this endpoint"
    )


def test_attachment_download_headers(admin: httpx.Client) -> None:
    """dhis2-api.md §1 attachment download: bytes, Content-Type, Content-Disposition: filename=<name>, security headers."""
    r = admin.get(f"{MC}/{seed.CONV_STOCK_OUT.uid}/MsStock0001/attachments/FrStockCsv1")
    assert r.status_code == 200
    assert r.content == seed.FILE_STOCK_REPORT.content
    assert r.headers["content-type"] == "text/csv"
    assert r.headers["content-length"] == str(len(seed.FILE_STOCK_REPORT.content))
    assert r.headers["content-disposition"] == "filename=ngelehun_stock_2024-09.csv"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-xss-protection"] == "1; mode=block"
    assert "content-security-policy" in r.headers


def test_attachment_download_errors(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §1 attachment download: the 404/403/409 texts, including the 'C" typo."""
    admin = as_user("admin")
    r = admin.get(f"{MC}/Abcdefghij1/MsStock0001/attachments/FrStockCsv1")
    assert (
        r.status_code == 404
        and r.json()["message"] == "No message conversation with uid 'Abcdefghij1'"
    )
    r = admin.get(f"{MC}/{seed.CONV_STOCK_OUT.uid}/Nomsg000001/attachments/FrStockCsv1")
    assert r.status_code == 404
    assert (
        r.json()["message"]
        == f"No message with uid 'Nomsg000001' in messageConversation '{seed.CONV_STOCK_OUT.uid}"
    )
    r = admin.get(f"{MC}/{seed.CONV_STOCK_OUT.uid}/MsStock0002/attachments/FrStockCsv1")
    assert (
        r.status_code == 404
        and r.json()["message"] == "No messageattachment found with id 'FrStockCsv1'"
    )
    r = as_user("ibrahim").get(
        f"{MC}/{seed.CONV_CHOLERA_ALERT.uid}/MsChol00001/attachments/FrStockCsv1"
    )
    assert r.status_code == 403


def test_attachment_internal_message_409(as_user, emu) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §1 attachment download: internal message, caller not in the feedback group -> 409."""
    emu.faults.storage_delay(0)  # stored at once: the download below does not poll
    mohamed = as_user("mohamed")
    fr = upload(mohamed).json()["response"]["fileResource"]["id"]
    uid = seed.CONV_TICKET_DHIS2_LOGIN.uid
    mohamed.post(
        f"{MC}/{uid}", params={"internal": "true", "attachments": fr}, content=b"log attached"
    )
    msgs = mohamed.get(f"{MC}/{uid}", params={"fields": "messages[id,internal]"}).json()["messages"]
    internal_id = [m["id"] for m in msgs if m["internal"]][-1]
    assert mohamed.get(f"{MC}/{uid}/{internal_id}/attachments/{fr}").status_code == 200
    r = as_user("ibrahim").get(f"{MC}/{uid}/{internal_id}/attachments/{fr}")
    assert r.status_code == 409 and r.json()["message"] == "Not authorized to access this message"


def test_send_with_uploaded_attachment_roundtrip(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §1/§3: upload, send with {id}, the recipient downloads the same bytes."""
    admin = as_user("admin")
    data = bytes(range(256)) * 100
    fr = upload(admin, data, name="blob.dat", content_type="application/octet-stream").json()[
        "response"
    ]["fileResource"]["id"]
    _wait_stored(admin, fr)  # as a client must before anyone downloads it
    uid = send(admin, [seed.FATMATA.uid], attachments=[{"id": fr}])
    fat = as_user("fatmata")
    msg = fat.get(f"{MC}/{uid}", params={"fields": "messages[id]"}).json()["messages"][0]["id"]
    assert fat.get(f"{MC}/{uid}/{msg}/attachments/{fr}").content == data


def test_documents_list_and_get(admin: httpx.Client) -> None:
    """Documents: list envelope with key "documents"; GET /{uid} default fields *."""
    body = admin.get("/api/documents").json()
    assert list(body) == ["pager", "documents"] and body["pager"]["total"] == 2
    doc = admin.get("/api/documents/DocWhoGuid1").json()
    assert doc["external"] is True and doc["url"].startswith("https://")


def test_document_external_redirect(admin: httpx.Client) -> None:
    """Documents: /data of an external document redirects to its URL."""
    r = admin.get("/api/documents/DocWhoGuid1/data")
    assert r.status_code == 302 and r.headers["location"].startswith("https://www.who.int/")


def test_document_file_backed_create_data_delete(admin: httpx.Client) -> None:
    """Documents: create from a DOCUMENT fileResource (201 + Location), /data bytes, delete."""
    fr = upload(admin, b"minutes", name="minutes.txt", domain="DOCUMENT").json()["response"][
        "fileResource"
    ]["id"]
    _wait_stored(admin, fr)
    r = admin.post("/api/documents", json={"name": "Minutes", "url": fr, "external": False})
    assert r.status_code == 201 and "/api/documents/" in r.headers["Location"]
    uid = r.json()["response"]["uid"]
    data = admin.get(f"/api/documents/{uid}/data")
    assert data.status_code == 200 and data.content == b"minutes"
    assert admin.delete(f"/api/documents/{uid}").status_code == 200
    assert admin.get(f"/api/documents/{uid}").status_code == 404


def test_document_external_create(admin: httpx.Client) -> None:
    """Documents: external=true takes any URL."""
    r = admin.post(
        "/api/documents",
        json={"name": "Guide", "url": "https://example.org/g.pdf", "external": True},
    )
    assert r.status_code == 201
    assert (
        admin.get(r.headers["Location"].split("/api", 1)[1].join(["/api", ""])).json()["name"]
        == "Guide"
    )


def test_file_data_user_avatar_access(as_user) -> None:  # type: ignore[no-untyped-def]
    """/data of a USER_AVATAR: F_USER_VIEW (or ALL), or being the caller's current avatar
    (FileResourceController.checkSharing); the avatar is stored resized to 200 px."""
    owner = as_user("ibrahim")
    fr = upload(owner, png(400, 100), name="me.png", content_type="image/png", domain="USER_AVATAR")
    uid = fr.json()["response"]["fileResource"]["id"]
    _wait_stored(owner, uid)
    denied = (
        f"You don't have access to fileResource '{uid}' or this fileResource is not "
        "available from this endpoint"
    )
    r = owner.get(f"/api/fileResources/{uid}/data")  # uploaded, but not yet the avatar
    assert r.status_code == 403 and r.json()["message"] == denied
    assert owner.put("/api/me", json={"avatar": {"id": uid}}).status_code == 200
    data = owner.get(f"/api/fileResources/{uid}/data")
    assert data.status_code == 200 and image_size(data.content) == (200, 50)
    assert as_user("admin").get(f"/api/fileResources/{uid}/data").status_code == 200
    r = as_user("isatu").get(f"/api/fileResources/{uid}/data")
    assert r.status_code == 403 and r.json()["message"] == denied
