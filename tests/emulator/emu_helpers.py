"""Small helpers shared by the emulator conformance tests."""

from __future__ import annotations

import io
from typing import Any

import httpx
from PIL import Image

NO_CACHE = "no-cache, private"


def uid_from_location(response: httpx.Response) -> str:
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]


def send(
    client: httpx.Client, users: list[str], subject: str = "Hello", text: str = "Hi", **extra: Any
) -> str:
    """Create a conversation; returns its UID."""
    body = {"subject": subject, "text": text, "users": [{"id": u} for u in users], **extra}
    r = client.post("/api/messageConversations", json=body)
    assert r.status_code == 201, r.text
    return uid_from_location(r)


def upload(
    client: httpx.Client,
    data: bytes = b"hello",
    *,
    name: str = "note.txt",
    content_type: str = "text/plain",
    domain: str = "MESSAGE_ATTACHMENT",
    **extra: str,
) -> httpx.Response:
    return client.post(
        "/api/fileResources",
        files={"file": (name, data, content_type)},
        data={"domain": domain, **extra},
    )


def wm(status: int, message: str, error_code: str | None = None) -> dict[str, Any]:
    """The WebMessage DHIS2 sends for an error (dhis2-api.md §0 key order)."""
    phrases = {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        409: "Conflict",
        415: "Unsupported Media Type",
        500: "Internal Server Error",
    }
    out: dict[str, Any] = {
        "httpStatus": phrases[status],
        "httpStatusCode": status,
        "status": "ERROR",
        "message": message,
    }
    if error_code:
        out["errorCode"] = error_code
    return out


def png(width: int = 64, height: int = 48, colour: tuple[int, int, int] = (200, 30, 60)) -> bytes:
    """A real PNG image (the image domains decode and resize what they receive)."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def image_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as img:
        return img.size
