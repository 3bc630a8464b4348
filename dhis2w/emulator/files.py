"""``/api/fileResources`` and ``/api/documents`` (reference §3).

Uploads are streamed to disk by the multipart parser, checked (empty, size, blocked type,
duplicate uid) and answered 202 with ``storageStatus: PENDING``; the resource reads as
``STORED`` once ``storage_delay`` seconds have passed (a timestamp, not a thread), which is
how a client learns to poll like it must against a real server.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from typing import Any

from dhis2w.emulator.common import (
    Call,
    bad_enum,
    get_object,
    list_objects,
    read_json,
)
from dhis2w.emulator.exchange import Response, WebMessageError, json_response, web_message
from dhis2w.emulator.fields import STAR, compile_plan, render
from dhis2w.emulator.messaging import file_response, not_found_or_method
from dhis2w.emulator.multipart import MultipartError, boundary_of, parse_multipart
from dhis2w.emulator.schema import DOMAINS, SCHEMAS, storage_status
from dhis2w.emulator.store import new_uid

__all__ = ["route_documents", "route_file_resources"]

VALID_UID = re.compile(r"^[a-zA-Z][a-zA-Z0-9]{10}$")

# FileResourceBlocklist (abridged): executable and script-like content
BLOCKED_EXTENSIONS = frozenset(
    {
        "bat", "bin", "cmd", "com", "cpl", "dll", "exe", "gadget", "hta", "htm", "html",
        "inf", "ins", "jar", "js", "jse", "jsp", "lnk", "msc", "msi", "msp", "mst", "php",
        "pif", "ps1", "reg", "scr", "sct", "sh", "shb", "shs", "svg", "vb", "vbe", "vbs",
        "ws", "wsc", "wsf", "wsh", "xhtml",
    }
)  # fmt: skip
BLOCKED_CONTENT_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "text/javascript",
        "application/javascript",
        "application/x-javascript",
        "application/x-sh",
        "application/x-shellscript",
        "application/x-msdownload",
        "application/x-ms-dos-executable",
        "application/x-bat",
        "application/x-msi",
        "application/java-archive",
        "application/x-httpd-php",
        "image/svg+xml",
    }
)
_MIME = re.compile(r"^[\w.+-]+/[\w.+-]+$")


def _blocked(filename: str, content_type: str) -> bool:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return ext in BLOCKED_EXTENSIONS or content_type.lower() in BLOCKED_CONTENT_TYPES


def _file_json(call: Call, file: dict[str, Any]) -> dict[str, Any]:
    ctx = call.context()
    plan = compile_plan(SCHEMAS, "FileResource", STAR)
    return render(plan, file, ctx)


def upload(call: Call) -> Response:
    req = call.req
    if req.content_type != "multipart/form-data":
        raise WebMessageError.wm(500, "Current request is not a multipart request")
    boundary = boundary_of(req.header("content-type") or "")
    if not boundary:
        raise WebMessageError.wm(500, "Failed to parse multipart servlet request")
    store = call.store
    try:
        parsed = parse_multipart(req.stream, boundary, store.temp_upload_path)
    except MultipartError as exc:
        raise WebMessageError.wm(500, f"Failed to parse multipart servlet request; {exc}") from None
    part = parsed.files.get("file")
    extra = [p.path for name, p in parsed.files.items() if name != "file"]
    try:
        if part is None:
            raise WebMessageError.wm(400, "Required part 'file' is not present.")
        domain = req.param("domain") or parsed.fields.get("domain") or "DATA_VALUE"
        if domain not in DOMAINS:
            raise bad_enum("domain", domain, DOMAINS)
        uid = req.param("uid") or parsed.fields.get("uid") or None
        if part.size == 0:
            raise WebMessageError.wm(409, "Could not read file or file is empty.")
        limit = call.app.max_upload_size
        if part.size > limit:
            raise WebMessageError.wm(
                409, f"File size can't be bigger than {limit}, current file size {part.size}"
            )
        filename = part.filename or "untitled"
        ctype = (part.content_type or "").split(";", 1)[0].strip()
        if not _MIME.match(ctype):
            ctype = "application/octet-stream"
        if _blocked(filename, ctype):
            raise WebMessageError.wm(409, "File type not allowed", "E6101")
        if uid is not None:
            if not VALID_UID.match(uid):
                raise WebMessageError.wm(
                    409, f"Invalid UID `{uid}` for property `FileResource`", "E4014"
                )
            if store.get_file(uid) is not None:
                raise WebMessageError.wm(409, f"FileResource already exists: `{uid}`", "E1119")
        else:
            uid = new_uid()
        added = store.add_file_resource(
            uid=uid,
            name=filename,
            content_type=ctype,
            content_path=part.path,
            size=part.size,
            md5=part.md5,
            domain=domain,
            created_by=call.user.uid,
            stored_at=time.time() + call.app.storage_delay,
        )
        if not added:
            raise WebMessageError.wm(409, f"FileResource already exists: `{uid}`", "E1119")
        file = store.get_file(uid)
        assert file is not None
        body = _file_json(call, file)
        body["storageStatus"] = "PENDING"
        return web_message(202, response={"responseType": "FileResource", "fileResource": body})
    finally:
        for path in [*extra, *([part.path] if part is not None else [])]:
            with contextlib.suppress(OSError):
                if os.path.basename(path).startswith(".upload-"):
                    os.remove(path)


def _not_found(kind: str, uid: str) -> WebMessageError:
    return WebMessageError.wm(404, f"{kind} with id {uid} could not be found.", "E1005")


def get_file_resource(call: Call, uid: str) -> Response:
    file = call.store.get_file(uid)
    if file is None:
        raise _not_found("FileResource", uid)
    if call.req.param("fields"):
        return get_object(call, "FileResource", file)
    return json_response(200, _file_json(call, file))


def file_data(call: Call, uid: str) -> Response:
    file = call.store.get_file(uid)
    if file is None:
        raise _not_found("FileResource", uid)
    if file["domain"] in ("DATA_VALUE", "PUSH_ANALYSIS") or not _may_read_avatar(call, file):
        raise WebMessageError.wm(
            403,
            f"You don't have access to fileResource '{uid}' or this fileResource is not "
            "available from this endpoint",
            "E1006",
        )
    if storage_status(file) != "STORED":
        raise WebMessageError.wm(
            409, "The content is being processed and is not available yet. Try again later."
        )
    return file_response(call, file)


def _may_read_avatar(call: Call, file: dict[str, Any]) -> bool:
    """ref §3: a USER_AVATAR needs ``F_USER_VIEW`` (or ``ALL``) or being its owner."""
    if file["domain"] != "USER_AVATAR":
        return True
    auths = set(call.user.authorities)
    return bool(auths & {"ALL", "F_USER_VIEW"}) or file["created_by"] == call.user.uid


def route_file_resources(call: Call, method: str, parts: list[str]) -> Response:
    if not parts and method == "POST":
        return upload(call)
    if len(parts) == 1 and method == "GET":
        return get_file_resource(call, parts[0])
    if len(parts) == 2 and parts[1] == "data" and method == "GET":
        return file_data(call, parts[0])
    raise not_found_or_method(call, method)


# --- documents -------------------------------------------------------------------------------

DOC_KLASS = "org.hisp.dhis.document.Document"


def _object_report(status: int, uid: str, klass: str, headers: list[tuple[str, str]]) -> Response:
    return web_message(
        status,
        response={"responseType": "ObjectReport", "uid": uid, "klass": klass, "errorReports": []},
        headers=headers,
    )


def _error_report(message: str, code: str, prop: str) -> Response:
    report = {
        "responseType": "ObjectReport",
        "klass": DOC_KLASS,
        "errorReports": [
            {
                "message": message,
                "mainKlass": DOC_KLASS,
                "errorCode": code,
                "errorProperty": prop,
                "errorProperties": [prop],
            }
        ],
    }
    return web_message(
        409,
        "One or more errors occurred, please see full details in import report.",
        response=report,
    )


def create_document(call: Call) -> Response:
    body = read_json(call, consumes=True)
    if not isinstance(body, dict):
        raise WebMessageError.wm(400, "JSON parse error: expected an object")
    name = body.get("name")
    url = body.get("url")
    external = bool(body.get("external", False))
    if not isinstance(name, str) or not name:
        raise WebMessageError(_error_report("Missing required property `name`.", "E4000", "name"))
    if not isinstance(url, str) or not url:
        raise WebMessageError(_error_report("Missing required property `url`.", "E4000", "url"))
    store = call.store
    content_type = body.get("contentType") if isinstance(body.get("contentType"), str) else None
    if not external:
        file = store.get_file(url)
        if file is None or file["domain"] != "DOCUMENT":
            raise WebMessageError.wm(409, f"Document file resource does not exist: {url}")
        content_type = file["content_type"]
    given = body.get("id")
    uid: str = given if isinstance(given, str) and VALID_UID.match(given) else new_uid()
    added = store.add_document(
        uid=uid,
        name=name,
        url=url,
        external=external,
        content_type=content_type,
        attachment=bool(body.get("attachment")),
        created_by=call.user.uid,
    )
    if not added:
        raise WebMessageError.wm(409, f"Document already exists: `{uid}`", "E5003")
    return _object_report(201, uid, DOC_KLASS, [call.location(f"/documents/{uid}")])


def document_data(call: Call, uid: str) -> Response:
    doc = call.store.get_document(uid)
    if doc is None:
        raise _not_found("Document", uid)
    if doc["external"]:
        return Response(302, [("Location", doc["url"]), ("Content-Length", "0")])
    file = call.store.get_file(doc["url"])
    if file is None:
        raise WebMessageError.wm(409, f"Document file resource does not exist: {doc['url']}")
    disposition = "attachment" if doc["attachment"] else "inline"
    return file_response(call, file, disposition=f'{disposition}; filename="{file["name"]}"')


def delete_document(call: Call, uid: str) -> Response:
    doc = call.store.get_document(uid)
    if doc is None:
        raise _not_found("Document", uid)
    call.store.delete_document(uid)
    return _object_report(200, uid, DOC_KLASS, [])


def route_documents(call: Call, method: str, parts: list[str]) -> Response:
    if not parts:
        if method == "GET":
            return list_objects(call, "Document", "documents", call.store.list_documents())
        if method == "POST":
            return create_document(call)
    elif len(parts) == 1:
        if method == "GET":
            doc = call.store.get_document(parts[0])
            if doc is None:
                raise _not_found("Document", parts[0])
            return get_object(call, "Document", doc)
        if method == "DELETE":
            return delete_document(call, parts[0])
    elif len(parts) == 2 and parts[1] == "data" and method == "GET":
        return document_data(call, parts[0])
    raise not_found_or_method(call, method)
