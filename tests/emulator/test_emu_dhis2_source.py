"""Behaviour taken from the DHIS2 2.42.5.2 source beyond what its own tests check (BUGS.md
S1-S10); the ported DHIS2 tests themselves are in ``dhis2core/``."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from emu_helpers import image_size, png, upload, wm

from dhis2w.emulator import seed
from dhis2w.testing import EmulatorHandle


def _id(r: httpx.Response) -> str:
    assert r.status_code == 202, r.text
    uid: str = r.json()["response"]["fileResource"]["id"]
    return uid


# --- uploads (S1-S4) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type", "blocked"),
    [
        ("style.css", "text/plain", True),  # extension
        ("notes.txt", "text/css", True),  # content type
        ("PAGE.HTML", "text/plain", True),  # the lower-cased name's extension
        ("run.sh", "text/plain", True),
        ("drawing.svg", "image/svg+xml", False),  # not on DHIS2's list
        ("script.ps1", "text/plain", False),
        ("page.xhtml", "application/xhtml+xml", False),
    ],
)
def test_blocklist_is_dhis2s(
    admin: httpx.Client, name: str, content_type: str, blocked: bool
) -> None:
    r = upload(admin, b"x", name=name, content_type=content_type)
    if blocked:
        assert r.status_code == 409 and r.json() == wm(409, "File type not allowed", "E6101")
    else:
        assert r.status_code == 202, r.text


def test_icon_svg_fails_the_png_check_before_the_blocklist(admin: httpx.Client) -> None:
    r = upload(admin, b"<svg/>", name="logo.svg", content_type="image/svg+xml", domain="ICON")
    assert r.json() == wm(409, "Wrong file extension, valid extensions are: png")


def test_existing_uid_is_checked_before_the_blocklist(admin: httpx.Client) -> None:
    _id(upload(admin, b"a", uid="abcdefghij1"))
    r = upload(admin, b"b", name="x.css", uid="abcdefghij1")
    assert r.json() == wm(409, "FileResource already exists: `abcdefghij1`", "E1119")


def test_empty_upload_is_a_conflict_exception_with_e1004(admin: httpx.Client) -> None:
    r = upload(admin, b"")
    assert r.json() == wm(409, "Could not read file or file is empty.", "E1004")


def test_uid_is_any_string_up_to_the_column_length(admin: httpx.Client) -> None:
    assert _id(upload(admin, b"a", uid="0123456789a")) == "0123456789a"
    assert _id(upload(admin, b"a", uid="a/b..c")) == "a/b..c"  # stored safely, not as a path
    r = upload(admin, b"a", uid="abcdefghijkl")
    assert r.json() == wm(409, "ERROR: value too long for type character varying(11)")


def test_icon_is_stored_48_by_48(admin: httpx.Client, emu: EmulatorHandle) -> None:
    emu.faults.storage_delay(0)
    uid = _id(upload(admin, png(300, 100), name="i.png", content_type="image/png", domain="ICON"))
    data = admin.get(f"/api/fileResources/{uid}/data")
    assert data.status_code == 200 and image_size(data.content) == (48, 48)
    meta = admin.get(f"/api/fileResources/{uid}").json()
    assert meta["contentLength"] == len(data.content) and meta["name"] == "i.png"


def test_scaled_copies_by_dimension_any_case(
    as_user: Callable[..., httpx.Client], emu: EmulatorHandle
) -> None:
    emu.faults.storage_delay(0)
    admin = as_user("admin")
    uid = _id(
        upload(admin, png(300, 200), name="p.png", content_type="image/png", domain="ORG_UNIT")
    )
    assert admin.get(f"/api/fileResources/{uid}").json()["hasMultipleStorageFiles"] is True
    sizes = {
        dim: image_size(admin.get(f"/api/fileResources/{uid}/data?dimension={dim}").content)
        for dim in ("small", "MEDIUM", "Large", "ORIGINAL")
    }
    assert sizes == {
        "small": (256, 171),
        "MEDIUM": (512, 341),
        "Large": (1024, 682),  # scaled from the stored 800x533
        "ORIGINAL": (800, 533),  # resizeOrgToDefaultSize
    }
    r = admin.get(f"/api/fileResources/{uid}/data?dimension=huge")
    assert r.status_code == 400 and r.json()["message"] == (
        "Value 'huge' is not valid for parameter dimension. "
        "Valid values are: [SMALL, MEDIUM, LARGE, ORIGINAL]"
    )


def test_a_data_value_image_that_is_not_one_is_never_stored(
    admin: httpx.Client, emu: EmulatorHandle
) -> None:
    emu.faults.storage_delay(0)
    uid = _id(
        upload(admin, b"not a png", name="x.png", content_type="image/png", domain="DATA_VALUE")
    )
    assert admin.get(f"/api/fileResources/{uid}").json()["storageStatus"] == "PENDING"
    text = _id(
        upload(admin, b"plain", name="x.txt", content_type="text/plain", domain="DATA_VALUE")
    )
    assert admin.get(f"/api/fileResources/{text}").json()["storageStatus"] == "STORED"


def test_data_while_pending_is_the_content_stores_500(
    admin: httpx.Client, emu: EmulatorHandle
) -> None:
    emu.faults.storage_delay(30.0)  # PENDING for this whole test
    uid = _id(upload(admin, b"later"))
    assert admin.get(f"/api/fileResources/{uid}").json()["storageStatus"] == "PENDING"
    r = admin.get(f"/api/fileResources/{uid}/data")
    assert r.status_code == 500
    message = r.json()["message"]
    assert message.startswith("key 'messageAttachment/") and message.endswith("' not found.")
    assert emu.server.app.storage_delay == 30.0
    emu.faults.storage_delay(None)  # back to the server's few milliseconds
    assert emu.server.app.storage_delay < 0.05
    emu.faults.storage_delay(0)
    now = _id(upload(admin, b"at once"))
    assert admin.get(f"/api/fileResources/{now}").json()["storageStatus"] == "STORED"


# --- /api/me (S7) ----------------------------------------------------------------------------


def test_put_me_avatar_checks(as_user: Callable[..., httpx.Client]) -> None:
    ibrahim, isatu = as_user("ibrahim"), as_user("isatu")
    theirs = _id(upload(isatu, png(), name="a.png", content_type="image/png", domain="USER_AVATAR"))
    r = ibrahim.put("/api/me", json={"avatar": {"id": theirs}})
    assert r.json() == wm(409, "Not the owner of the file", "E1004")
    r = ibrahim.put("/api/me", json={"avatar": {"id": "NoSuchFile1"}})
    assert r.json() == wm(409, "File does not exist", "E1004")
    mine = _id(upload(ibrahim, b"any domain will do", name="n.txt"))
    r = ibrahim.put("/api/me", json={"avatar": {"id": mine}, "firstName": "Ibra", "surname": ""})
    assert r.status_code == 200 and r.json()["firstName"] == "Ibra"
    me = ibrahim.get("/api/me").json()
    assert me["avatar"] == {"id": mine} and me["surname"] == seed.IBRAHIM.surname
    assert ibrahim.get(f"/api/fileResources/{mine}").json()["assigned"] is True


def test_dashboard_counts_unread_conversations(as_user: Callable[..., httpx.Client]) -> None:
    fatmata = as_user("fatmata")
    listed = fatmata.get(
        "/api/messageConversations", params={"filter": "read:eq:false", "pageSize": 1}
    ).json()
    r = fatmata.get("/api/me/dashboard")
    assert r.headers["cache-control"] == "no-store"
    assert r.json() == {
        "unreadMessageConversations": listed["pager"]["total"],
        "unreadInterpretations": 0,
    }


# --- documents (S8) --------------------------------------------------------------------------


def _document(admin: httpx.Client, **body: object) -> str:
    r = admin.post("/api/documents", json=body)
    assert r.status_code == 201, r.text
    return str(r.headers["Location"]).rsplit("/", 1)[-1]


def test_patch_document(admin: httpx.Client) -> None:
    uid = _document(admin, name="Old", url="https://example.org/a", external=True)
    patch = [
        {"op": "replace", "path": "/name", "value": "New"},
        {"op": "add", "path": "/id", "value": "x"},
    ]
    r = admin.patch(
        f"/api/documents/{uid}", json=patch, headers={"Content-Type": "application/json-patch+json"}
    )
    assert r.status_code == 200 and r.json()["response"]["uid"] == uid
    assert admin.get(f"/api/documents/{uid}").json()["name"] == "New"
    r = admin.patch(f"/api/documents/{uid}", json=patch)  # application/json
    assert r.status_code == 415
    bad = [{"op": "test", "path": "/name", "value": "Other"}]
    r = admin.patch(
        f"/api/documents/{uid}", json=bad, headers={"Content-Type": "application/json-patch+json"}
    )
    assert r.status_code == 400


def test_document_checks_of_the_bundle_hook(admin: httpx.Client, emu: EmulatorHandle) -> None:
    emu.faults.storage_delay(0)  # the upload below is STORED at once
    r = admin.post("/api/documents", json={"name": "n", "url": "ftp://x", "external": True})
    assert r.status_code == 409
    assert r.json()["response"]["errorReports"][0]["errorCode"] == "E4004"
    r = admin.post("/api/documents", json={"name": "n", "url": "NoSuchFile1"})
    assert r.json()["response"]["errorReports"][0]["errorCode"] == "E4015"
    fr = _id(upload(admin, b"minutes", name="m.txt", domain="MESSAGE_ATTACHMENT"))
    uid = _document(admin, name="Minutes", url=fr)
    assert admin.get(f"/api/fileResources/{fr}").json()["domain"] == "DOCUMENT"
    r = admin.post("/api/documents", json={"name": "again", "url": fr})
    assert r.json()["response"]["errorReports"][0]["errorCode"] == "E4016"
    data = admin.get(f"/api/documents/{uid}/data")
    assert data.content == b"minutes" and data.headers["content-disposition"] == "filename=m.txt"
    r = admin.get("/api/documents/NoSuchDoc01/data")
    assert r.json() == wm(404, "Document not found for uid: NoSuchDoc01")
    emu.faults.storage_delay(30.0)  # a document whose content is not stored yet
    pending = _id(upload(admin, b"later", name="l.txt", domain="DOCUMENT"))
    later = _document(admin, name="Later", url=pending)
    r = admin.get(f"/api/documents/{later}/data")
    assert r.status_code == 500 and r.json()["message"].startswith("key 'document/")


def test_document_gist(admin: httpx.Client) -> None:
    body = admin.get("/api/documents/gist", params={"pageSize": 1, "total": "true"}).json()
    assert body["pager"]["page"] == 1 and body["pager"]["total"] == 2
    assert body["pager"]["pageCount"] == 2 and "nextPage" in body["pager"]
    assert len(body["documents"]) == 1 and "href" not in body["documents"][0]
    plain = admin.get("/api/documents/gist").json()
    assert "total" not in plain["pager"] and len(plain["documents"]) == 2
    assert isinstance(admin.get("/api/documents/gist?headless=true").json(), list)
    one = admin.get("/api/documents/DocWhoGuid1/gist").json()
    assert one["id"] == "DocWhoGuid1" and "access" not in one
    named = admin.get("/api/documents/gist", params={"fields": "id,name"}).json()["documents"]
    assert all(set(d) == {"id", "name"} for d in named)


# --- fields=:owner (S9), system/info (S10) ----------------------------------------------------


def test_owner_fields(admin: httpx.Client) -> None:
    doc = admin.get("/api/documents/DocWhoGuid1", params={"fields": ":owner"}).json()
    assert {"id", "name", "url", "external", "created"} <= set(doc)
    assert not {"access", "displayName", "href", "favorite", "user"} & set(doc)
    everything = admin.get("/api/documents/DocWhoGuid1", params={"fields": "*"}).json()
    assert {"access", "displayName", "href", "favorite"} <= set(everything)


def test_system_info_shape(as_user: Callable[..., httpx.Client]) -> None:
    info = as_user("admin").get("/api/system/info").json()
    assert info["version"] == "2.42.5.2"
    for key in (
        "lastAnalyticsTableRuntime",
        "lastSystemMonitoringSuccess",
        "lastAnalyticsTablePartitionSuccess",
        "intervalSinceLastAnalyticsTablePartitionSuccess",
        "lastAnalyticsTablePartitionRuntime",
        "databaseInfo",
        "fileStoreProvider",
        "readReplicaCount",
        "systemMetadataVersion",
        "systemMonitoringUrl",
        "lastMetadataVersionSyncAttempt",
        "isMetadataSyncEnabled",
    ):
        assert key in info, key
    assert "metadataSyncEnabled" not in info
    limited = as_user("isatu").get("/api/system/info").json()
    assert "javaVersion" not in limited and "fileStoreProvider" not in limited
    assert set(limited["databaseInfo"]) == {"spatialSupport", "time"}
