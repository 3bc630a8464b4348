"""``/api/fileResources`` and ``/api/documents``, as FileResourceController and
DocumentController (2.42.5.2) answer them.

Uploads are streamed to disk by the multipart parser, checked in the controller's order
(size, the image domains' rules, empty, duplicate uid, FileResourceBlocklist; BUGS.md S1-S3)
and answered 202 with ``storageStatus: PENDING``; the resource reads as
``STORED`` once ``storage_delay`` seconds have passed (a timestamp, not a thread), which is
how a client learns to poll like it must against a real server.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
import time
from typing import Any

import jsonpatch
import msgspec

from dhis2w.emulator.common import (
    Call,
    enum_param,
    get_object,
    gist_list,
    gist_object,
    list_objects,
    read_json,
)
from dhis2w.emulator.exchange import Response, WebMessageError, json_response, web_message
from dhis2w.emulator.fields import STAR, compile_plan, render
from dhis2w.emulator.images import (
    DIMENSIONS,
    IMAGE_CONTENT_TYPES,
    MULTI_IMAGE_DOMAINS,
    PROBED_CONTENT_TYPES,
    ResizeError,
    image_variants,
    resize_upload,
)
from dhis2w.emulator.messaging import (
    SECURITY_HEADERS,
    file_response,
    not_found_or_method,
    read_chunks,
)
from dhis2w.emulator.multipart import MultipartError, boundary_of, parse_multipart
from dhis2w.emulator.schema import DOMAINS, SCHEMAS, storage_key, storage_status
from dhis2w.emulator.store import new_uid

__all__ = ["route_documents", "route_file_resources"]

VALID_UID = re.compile(r"^[a-zA-Z][a-zA-Z0-9]{10}$")

# FileResourceBlocklist (2.42): content types are compared lower-cased, extensions are those
# of the lower-cased name. Nothing else is refused (an .svg or a .exe-less script is fine).
BLOCKED_CONTENT_TYPES = frozenset(
    {
        # web
        "text/html",
        "text/css",
        "text/javascript",
        "font/otf",
        "application/x-shockwave-flash",
        # executable
        "application/vnd.debian.binary-package",
        "application/x-rpm",
        "application/java-archive",
        "application/x-ms-dos-executable",
        "application/vnd.microsoft.portable-executable",
        "application/vnd.apple.installer+xml",
        "application/vnd.mozilla.xul+xml",
        "application/x-httpd-php",
        "application/x-sh",
        "application/x-csh",
    }
)
BLOCKED_EXTENSIONS = frozenset(
    {
        "html", "htm", "css", "js", "mjs", "otf", "swf",  # web
        "deb", "rpm", "jar", "jsp", "exe", "msi", "mpkg", "xul", "php", "bin", "sh", "csh",
        "bat",  # executable
    }
)  # fmt: skip
# what Spring's MimeTypeUtils.parseMimeType accepts: type/subtype, then parameters
_MIME = re.compile(r"^[\w.+-]+/[\w.+-]+(\s*;.*)?$")

# FileResourceUtils: the image domains' own checks, in the order the controller runs them
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif")
IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "gif")
# domain -> (content types or None, extensions, byte limit, (width, height, imgscalr mode))
IMAGE_DOMAIN_RULES: dict[str, tuple[tuple[str, ...] | None, tuple[str, ...], int, Any]] = {
    "ICON": (None, ("png",), 25_000_000, (48, 48, "FIT_EXACT")),
    "USER_AVATAR": (IMAGE_TYPES, IMAGE_EXTENSIONS, 2_000_000, (200, 200, "AUTOMATIC")),
    "ORG_UNIT": (IMAGE_TYPES, IMAGE_EXTENSIONS, 8_000_000, (800, 800, "AUTOMATIC")),
}
# fileresource.uid is ``character varying(11)``; 2.42 takes ``uid`` as a plain string
UID_MAX = 11
DIMENSION_CHOICES = tuple(DIMENSIONS)


def _extension(filename: str) -> str:
    """commons-io ``FilenameUtils.getExtension``: after the last dot of the last segment."""
    name = _base_name(filename)
    return name.rsplit(".", 1)[-1] if "." in name else ""


def _base_name(filename: str) -> str:
    """commons-io ``FilenameUtils.getName``: the part after the last ``/`` or ``\\``."""
    return re.split(r"[/\\]", filename)[-1]


def _blocked(filename: str, content_type: str) -> bool:
    return (
        content_type.lower() in BLOCKED_CONTENT_TYPES
        or _extension(filename.lower()) in BLOCKED_EXTENSIONS
    )


def _size_limit(limit: int, size: int) -> None:
    if size > limit:
        raise WebMessageError.wm(
            409, f"File size can't be bigger than {limit}, current file size {size}"
        )


def _check_image_upload(domain: str, filename: str, content_type: str | None, size: int) -> None:
    """validateCustomIconFile / validateUserAvatar / validateOrgUnitImage (IllegalQuery: 409)."""
    types, extensions, limit, _ = IMAGE_DOMAIN_RULES[domain]
    if types is not None:
        if content_type is None:
            raise WebMessageError.wm(409, "Invalid content type, content type is NULL")
        if content_type.split(";")[0].strip() not in types:
            raise WebMessageError.wm(
                409, f"Invalid content type, valid content types are: {','.join(types)}"
            )
    if _extension(filename) not in extensions:
        raise WebMessageError.wm(
            409, f"Wrong file extension, valid extensions are: {','.join(extensions)}"
        )
    _size_limit(limit, size)


def _md5(path: str) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _dimension(call: Call) -> str:
    """``@RequestParam ImageFileDimension dimension`` (``small`` or ``SMALL``)."""
    value = call.req.param("dimension")
    if value is None or value == "":
        return "ORIGINAL"
    return enum_param("dimension", value, DIMENSION_CHOICES)


def _file_json(call: Call, file: dict[str, Any]) -> dict[str, Any]:
    ctx = call.context()
    plan = compile_plan(SCHEMAS, "FileResource", STAR)
    return render(plan, file, ctx)


def upload(call: Call) -> Response:
    """FileResourceController.saveFileResource: the checks in the order 2.42 runs them."""
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
    temp_files = [p.path for p in parsed.files.values()]
    try:
        if part is None:
            raise WebMessageError.wm(400, "Required part 'file' is not present.")
        domain = enum_param(
            "domain", req.param("domain") or parsed.fields.get("domain") or "DATA_VALUE", DOMAINS
        )
        uid = req.param("uid") or parsed.fields.get("uid") or None
        _size_limit(call.app.max_upload_size, part.size)
        original = part.filename or ""
        content_type = part.content_type
        path, size, md5 = part.path, part.size, part.md5
        if domain in IMAGE_DOMAIN_RULES:
            _check_image_upload(domain, original, content_type, size)
            width, height, mode = IMAGE_DOMAIN_RULES[domain][3]
            try:
                path, size = resize_upload(
                    path, original, width, height, mode, store.temp_upload_path
                )
            except ResizeError as exc:
                raise WebMessageError.wm(500, f"Failed to resize image: {exc}") from None
            temp_files.append(path)
            md5 = _md5(path)
            content_type = PROBED_CONTENT_TYPES.get(_extension(original))
        filename = _base_name(original).strip() or "untitled"
        ctype = content_type.strip() if content_type and _MIME.match(content_type.strip()) else ""
        ctype = ctype or "application/octet-stream"
        if size <= 0:
            raise WebMessageError.wm(409, "Could not read file or file is empty.", "E1004")
        if uid is not None and store.get_file(uid) is not None:
            raise WebMessageError.wm(409, f"FileResource already exists: `{uid}`", "E1119")
        if _blocked(filename, ctype):  # the service's validateFileResource
            raise WebMessageError.wm(409, "File type not allowed", "E6101")
        if uid is not None and len(uid) > UID_MAX:  # the INSERT fails (see BUGS.md E10)
            raise WebMessageError.wm(
                409, f"ERROR: value too long for type character varying({UID_MAX})"
            )
        uid = uid if uid is not None else new_uid()
        stored_at = time.time() + call.app.storage_delay
        variants: dict[str, str] = {}
        if ctype in IMAGE_CONTENT_TYPES and domain in MULTI_IMAGE_DOMAINS:
            variants = image_variants(path, ctype, store.temp_upload_path)
            temp_files.extend(variants.values())
            if not variants:  # createImages gave up: DHIS2 never stores the content
                stored_at = math.inf
        added = store.add_file_resource(
            uid=uid,
            name=filename,
            content_type=ctype,
            content_path=path,
            size=size,
            md5=md5,
            domain=domain,
            created_by=call.user.uid,
            stored_at=stored_at,
            variants=variants,
        )
        if not added:
            raise WebMessageError.wm(409, f"FileResource already exists: `{uid}`", "E1119")
        file = store.get_file(uid)
        assert file is not None
        body = _file_json(call, file)
        body["storageStatus"] = "PENDING"
        body["hasMultipleStorageFiles"] = False
        return web_message(202, response={"responseType": "FileResource", "fileResource": body})
    finally:
        for leftover in temp_files:
            with contextlib.suppress(OSError):
                if os.path.basename(leftover).startswith(".upload-"):
                    os.remove(leftover)


def _not_found(kind: str, uid: str) -> WebMessageError:
    return WebMessageError.wm(404, f"{kind} with id {uid} could not be found.", "E1005")


def get_file_resource(call: Call, uid: str) -> Response:
    if call.req.param("fields"):  # the generic getObject mapping (``params = "fields"``)
        file = call.store.get_file(uid)
        if file is None:
            raise _not_found("FileResource", uid)
        return get_object(call, "FileResource", file)
    _dimension(call)  # bound (and refused when invalid) before the handler runs
    file = call.store.get_file(uid)
    if file is None:
        raise _not_found("FileResource", uid)
    return json_response(200, _file_json(call, file))


def file_data(call: Call, uid: str) -> Response:
    """getFileResourceData: no storage-status check; content not (yet) in the store is the
    content store's ``NoSuchElementException``, a 500 with its message."""
    dimension = _dimension(call)
    file = call.store.get_file(uid)
    if file is None:
        raise _not_found("FileResource", uid)
    suffix = ""
    if (
        file["content_type"] in IMAGE_CONTENT_TYPES
        and file["domain"] in MULTI_IMAGE_DOMAINS
        and storage_status(file) == "STORED"
        and call.store.has_image_variants(uid)
    ):
        suffix = DIMENSIONS[dimension][0]
    if file["domain"] in ("DATA_VALUE", "PUSH_ANALYSIS") or not _may_read_avatar(call, file):
        raise WebMessageError.wm(
            403,
            f"You don't have access to fileResource '{uid}' or this fileResource is not "
            "available from this endpoint",
            "E1006",
        )
    path = call.store.file_path(uid, suffix)
    if storage_status(file) != "STORED" or not os.path.exists(path):
        raise WebMessageError.wm(500, f"key '{storage_key(file)}{suffix}' not found.")
    headers = [
        ("Content-Type", file["content_type"]),
        ("Content-Disposition", f"filename={file['name']}"),
        *SECURITY_HEADERS,
    ]
    return Response(200, headers, stream=read_chunks(path), length=os.path.getsize(path))


def _may_read_avatar(call: Call, file: dict[str, Any]) -> bool:
    """checkSharing: a USER_AVATAR needs ``F_USER_VIEW`` (``ALL`` implies it) or being the
    caller's current avatar."""
    if file["domain"] != "USER_AVATAR":
        return True
    if set(call.user.authorities) & {"ALL", "F_USER_VIEW"}:
        return True
    avatar, _ = call.store.profile(call.user.uid)
    return avatar is not None and avatar == str(file["uid"])


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


# DocumentObjectBundleHook's check of external URLs
_DOC_URL = re.compile(r"^https?://[-a-zA-Z0-9+&@#/%?=~_|!:,.;]*[-a-zA-Z0-9+&@#/%=~_|]$")


def _error_report(message: str, code: str, prop: str, *values: str) -> Response:
    report = {
        "responseType": "ObjectReport",
        "klass": DOC_KLASS,
        "errorReports": [
            {
                "message": message,
                "mainKlass": DOC_KLASS,
                "errorCode": code,
                "errorProperty": prop,
                "errorProperties": [prop, *values],
            }
        ],
    }
    return web_message(
        409,
        "One or more errors occurred, please see full details in import report.",
        response=report,
    )


def _checked_document(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    """The owner properties of a document to save, after the importer's checks: required
    properties (E4000), then DocumentObjectBundleHook.validate (E4004, E4015, E4016)."""
    name = body.get("name")
    url = body.get("url")
    external = body.get("external") is True
    if not isinstance(name, str) or not name:
        raise WebMessageError(_error_report("Missing required property `name`.", "E4000", "name"))
    if not isinstance(url, str) or not url:
        raise WebMessageError(_error_report("Missing required property `url`.", "E4000", "url"))
    content_type = body.get("contentType") if isinstance(body.get("contentType"), str) else None
    if external and not _DOC_URL.match(url):
        raise WebMessageError(
            _error_report(
                f"Property `url` requires a valid URL, was given `{url}`", "E4004", "url", url
            )
        )
    if not external:
        file = call.store.get_file(url)
        if file is None:
            raise WebMessageError(
                _error_report(
                    f"Property `url` refers to an object that does not exist, could not find "
                    f"`{url}`",
                    "E4015",
                    "url",
                    url,
                )
            )
        if file["assigned"]:
            raise WebMessageError(
                _error_report(
                    "Object referenced by the `url` property is already associated with another "
                    f"object, value: `{url}`",
                    "E4016",
                    "url",
                    url,
                )
            )
        content_type = file["content_type"]
    return {
        "name": name,
        "url": url,
        "external": external,
        "content_type": content_type,
        "attachment": body.get("attachment") is True,
    }


def create_document(call: Call) -> Response:
    body = read_json(call, consumes=True)
    if not isinstance(body, dict):
        raise WebMessageError.wm(400, "JSON parse error: expected an object")
    doc = _checked_document(call, body)
    given = body.get("id")
    uid: str = given if isinstance(given, str) and VALID_UID.match(given) else new_uid()
    if not call.store.add_document(uid=uid, created_by=call.user.uid, **doc):
        raise WebMessageError.wm(409, f"Document already exists: `{uid}`", "E5003")
    return _object_report(201, uid, DOC_KLASS, [call.location(f"/documents/{uid}")])


def _owner_json(doc: dict[str, Any]) -> dict[str, Any]:
    out = {
        "id": doc["uid"],
        "name": doc["name"],
        "url": doc["url"],
        "external": bool(doc["external"]),
        "attachment": bool(doc["attachment"]),
    }
    if doc["content_type"] is not None:
        out["contentType"] = doc["content_type"]
    return out


def patch_document(call: Call, uid: str) -> Response:
    """AbstractCrudController.patchObject: RFC 6902 on the stored object, then the importer
    (an UPDATE) with the same checks as a create; the UID never changes."""
    ctype = call.req.content_type
    if ctype != "application/json-patch+json":
        raw = call.req.header("content-type") or "application/octet-stream"
        raise WebMessageError.wm(415, f"Content-Type '{raw}' is not supported")
    doc = call.store.get_document(uid)
    if doc is None:
        raise _not_found("Document", uid)
    try:
        operations = msgspec.json.decode(call.req.body)
        patched = jsonpatch.JsonPatch(operations).apply(_owner_json(doc))
    except (msgspec.DecodeError, jsonpatch.JsonPatchException, jsonpatch.JsonPointerException,
            TypeError, AttributeError) as exc:  # fmt: skip
        raise WebMessageError.wm(400, str(exc) or "Invalid JSON patch") from None
    if not isinstance(patched, dict):
        raise WebMessageError.wm(400, "JSON patch must leave an object")
    call.store.update_document(uid, **_checked_document(call, patched))
    return _object_report(200, uid, DOC_KLASS, [])


def document_data(call: Call, uid: str) -> Response:
    doc = call.store.get_document(uid)
    if doc is None:
        raise WebMessageError.wm(404, f"Document not found for uid: {uid}")
    if doc["external"]:
        return Response(302, [("Location", doc["url"]), ("Content-Length", "0")])
    file = call.store.get_file(doc["url"])
    if file is None:
        raise WebMessageError.wm(409, f"Document file resource does not exist: {doc['url']}")
    return file_response(call, file)


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
    elif parts == ["gist"] and method == "GET":
        return gist_list(call, "Document", "documents", call.store.list_documents())
    elif len(parts) == 1:
        if method == "GET":
            doc = call.store.get_document(parts[0])
            if doc is None:
                raise _not_found("Document", parts[0])
            return get_object(call, "Document", doc)
        if method == "PATCH":
            return patch_document(call, parts[0])
        if method == "DELETE":
            return delete_document(call, parts[0])
    elif len(parts) == 2 and parts[1] == "gist" and method == "GET":
        doc = call.store.get_document(parts[0])
        if doc is None:
            raise _not_found("Document", parts[0])
        return gist_object(call, "Document", doc)
    elif len(parts) == 2 and parts[1] == "data" and method == "GET":
        return document_data(call, parts[0])
    raise not_found_or_method(call, method)
