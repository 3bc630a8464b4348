"""The few pieces of DHIS2's Java test API the ported tests need, in Python.

They mirror ``org.hisp.dhis.http.HttpClientAdapter`` and ``org.hisp.dhis.test.webapi.Assertions``
(dhis-2/dhis-support/dhis-support-test, branch 2.42), so that each port reads like its Java
original: ``POST(url, "{'a':1}")`` sends a JSON5-ish body with single quotes as JSON,
``content(response, 201)`` checks the status before returning the JSON, ``assert_status``
returns the UID from ``Location`` and ``assert_web_message`` checks the WebMessage fields.
"""

from __future__ import annotations

from typing import Any

import httpx

API = "/api"


def json5(body: str) -> str:
    """DHIS2's tests write JSON with single quotes; the adapter turns them into double."""
    return body.replace("'", '"')


def POST(client: httpx.Client, url: str, body: str | None = None) -> httpx.Response:
    """``HttpClientAdapter.POST(url, body)``: a JSON body (``Content-Type: application/json``)."""
    if body is None:
        return client.post(API + url)
    return client.post(
        API + url, content=json5(body).encode(), headers={"Content-Type": "application/json"}
    )


def PUT(client: httpx.Client, url: str, body: str) -> httpx.Response:
    return client.put(
        API + url, content=json5(body).encode(), headers={"Content-Type": "application/json"}
    )


def PATCH(client: httpx.Client, url: str, body: str) -> httpx.Response:
    """``HttpClientAdapter.PATCH(url, body)``: ``application/json-patch+json``."""
    return client.patch(
        API + url,
        content=json5(body).encode(),
        headers={"Content-Type": "application/json-patch+json"},
    )


def GET(client: httpx.Client, url: str, **params: str) -> httpx.Response:
    return client.get(API + url, params=params or None)


def DELETE(client: httpx.Client, url: str, body: str | None = None) -> httpx.Response:
    if body is None:
        return client.delete(API + url)
    return client.request(
        "DELETE",
        API + url,
        content=json5(body).encode(),
        headers={"Content-Type": "application/json"},
    )


def POST_MULTIPART(
    client: httpx.Client, url: str, name: str, filename: str, content_type: str, data: bytes
) -> httpx.Response:
    """``POST_MULTIPART(url, new MockMultipartFile(name, filename, contentType, bytes))``."""
    return client.post(API + url, files={name: (filename, data, content_type)})


def content(response: httpx.Response, expected: int = 200) -> Any:
    """``HttpResponse.content(HttpStatus)``: the status must be ``expected``; the JSON body."""
    assert response.status_code == expected, (response.status_code, response.text)
    return response.json()


def assert_status(expected: int, response: httpx.Response) -> str | None:
    """``HttpAssertions.assertStatus``: the status, and the created object's UID (the last
    segment of ``Location``) when there is one."""
    assert response.status_code == expected, (response.status_code, response.text)
    location = response.headers.get("Location")
    return None if location is None else location.rstrip("/").rsplit("/", 1)[-1]


def assert_web_message(
    http_status: str, http_status_code: int, status: str, message: str | None, actual: Any
) -> dict[str, Any]:
    """``Assertions.assertWebMessage(httpStatus, httpStatusCode, status, message, json)``."""
    assert isinstance(actual, dict), actual
    assert {"httpStatusCode", "httpStatus", "status"} <= set(actual), actual
    assert actual["httpStatusCode"] == http_status_code
    assert actual["httpStatus"] == http_status
    assert actual["status"] == status
    assert actual.get("message") == message
    return actual
