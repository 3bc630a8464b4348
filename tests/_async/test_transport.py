"""Errors, retries, auth headers and logging of the request loop."""

from __future__ import annotations

import logging

import httpx
import pytest
from pytest_httpx import HTTPXMock

from dhis2w import (
    ApiError,
    AsyncClient,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    Profile,
    RateLimitedError,
    SendOutcomeUnknownError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)

from .helpers import BASE, CONV, PROFILE, TOKEN_PROFILE, USER, make_client, only_request

pytestmark = pytest.mark.anyio


def web_message(code: int, message: str, error_code: str | None = None) -> dict[str, object]:
    body: dict[str, object] = {
        "httpStatus": "x",
        "httpStatusCode": code,
        "status": "ERROR",
        "message": message,
    }
    if error_code:
        body["errorCode"] = error_code
    return body


@pytest.mark.parametrize(
    ("status", "body", "error", "text"),
    [
        (401, web_message(401, "Unauthorized"), AuthenticationError, "Unauthorized"),
        (
            403,
            web_message(403, "Not authorized to access this conversation.", "E1006"),
            PermissionDeniedError,
            "Not authorized",
        ),
        (
            404,
            web_message(404, "MessageConversation with id X could not be found.", "E1005"),
            NotFoundError,
            "could not be found",
        ),
        (409, web_message(409, "No recipients selected.", "E1004"), ConflictError, "No recip"),
        (500, web_message(500, "Cannot construct instance"), ServerError, "Cannot construct"),
        (400, {"error": "Bad Request", "status": 400}, ApiError, "Bad Request"),
    ],
)
async def test_error_classes(
    httpx_mock: HTTPXMock, status: int, body: dict[str, object], error: type[ApiError], text: str
) -> None:
    # every answer the same: a 5xx GET is retried (max_retries=0 would hide that it is)
    httpx_mock.add_response(status_code=status, json=body, is_reusable=True)
    async with make_client() as client:
        with pytest.raises(error, match=text) as info:
            await client.system.me()
    assert info.value.status_code == status
    assert info.value.path == "/api/me"
    assert "GET /api/me" in str(info.value)
    assert "district" not in str(info.value)


async def test_error_code_parsed(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=409, json=web_message(409, "No recipients.", "E1004"))
    async with make_client() as client:
        with pytest.raises(ConflictError) as info:
            await client.get_raw("messageConversations")
    assert info.value.error_code == "E1004"
    assert info.value.status == "ERROR"
    assert "[E1004]" in str(info.value)


async def test_login_redirect_is_authentication_error(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        status_code=302,
        headers={"Location": "https://dhis2.example.org/dhis-web-login/"},
        content=b"",
    )
    async with make_client() as client:
        with pytest.raises(AuthenticationError, match="login page"):
            await client.messaging.list_conversations()
    assert len(httpx_mock.get_requests()) == 1  # the redirect is not followed


async def test_other_redirect_is_unexpected(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=301, headers={"Location": "https://elsewhere/"})
    async with make_client() as client:
        with pytest.raises(UnexpectedResponseError, match="redirect"):
            await client.system.info()


async def test_html_where_json_expected(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        content=b"<!DOCTYPE html><html><body>Login</body></html>",
        headers={"Content-Type": "text/html"},
    )
    async with make_client() as client:
        with pytest.raises(UnexpectedResponseError, match="HTML page"):
            await client.system.me()


async def test_html_error_page(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        status_code=500,
        content=b"<html>Tomcat error</html>",
        headers={"Content-Type": "text/html"},
        is_reusable=True,
    )
    async with make_client() as client:
        with pytest.raises(ServerError, match="HTML page"):
            await client.system.me()


async def test_garbage_json_is_unexpected(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(content=b'{"id": 12', headers={"Content-Type": "application/json"})
    async with make_client() as client:
        with pytest.raises(UnexpectedResponseError, match="not the expected JSON"):
            await client.system.me()


# --- retries ----------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
async def test_get_retried_then_succeeds(httpx_mock: HTTPXMock, status: int) -> None:
    httpx_mock.add_response(status_code=status, headers={"Retry-After": "0"})
    httpx_mock.add_response(json={"id": "MeUserUid01"})
    async with make_client() as client:
        me = await client.system.me()
    assert me.id == "MeUserUid01"
    assert len(httpx_mock.get_requests()) == 2


async def test_get_retry_gives_up(httpx_mock: HTTPXMock) -> None:
    for _ in range(3):
        httpx_mock.add_response(status_code=503, json=web_message(503, "busy"))
    async with make_client(max_retries=2) as client:
        with pytest.raises(ServerError, match="busy"):
            await client.system.me()
    assert len(httpx_mock.get_requests()) == 3


async def test_get_retried_on_connect_error(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ConnectError("refused"))
    httpx_mock.add_exception(httpx.ReadError("reset"))
    httpx_mock.add_response(json={"id": "MeUserUid01"})
    async with make_client() as client:
        assert (await client.system.me()).id == "MeUserUid01"


async def test_read_timeout_not_retried_and_names_the_timeout(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("slow"))
    profile = Profile(base_url=BASE, username="admin", password="district", timeout=2.5)
    async with make_client(profile) as client:
        with pytest.raises(TransportError, match=r"timed out: no answer within 2\.5 s") as info:
            await client.system.me()
    assert not isinstance(info.value, SendOutcomeUnknownError)
    assert len(httpx_mock.get_requests()) == 1


async def test_send_timeout_is_outcome_unknown(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("slow"))
    async with make_client(reconcile_timeout=0) as client:
        with pytest.raises(SendOutcomeUnknownError, match="timed out: no answer within 30 s"):
            await client.messaging.send(subject="s", text="t", users=[USER])
    assert len(httpx_mock.get_requests()) == 1


async def test_get_transport_error_after_retries(httpx_mock: HTTPXMock) -> None:
    for _ in range(2):
        httpx_mock.add_exception(httpx.ConnectError("refused"))
    async with make_client(max_retries=1) as client:
        with pytest.raises(TransportError, match="could not connect"):
            await client.system.me()


@pytest.mark.parametrize("status", [503, 500])
async def test_post_never_retried_on_status(httpx_mock: HTTPXMock, status: int) -> None:
    httpx_mock.add_response(status_code=status, json=web_message(status, "down"))
    async with make_client() as client:
        with pytest.raises(ServerError):
            await client.messaging.mark_read([CONV])
    assert len(httpx_mock.get_requests()) == 1


async def test_post_not_retried_on_read_error(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ReadError("reset"))
    async with make_client() as client:
        with pytest.raises(TransportError):
            await client.messaging.mark_read([CONV])
    assert len(httpx_mock.get_requests()) == 1


async def test_delete_not_retried_on_503(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=503, json=web_message(503, "busy"))
    async with make_client() as client:
        with pytest.raises(ServerError):
            await client.delete_raw("documents/Dbcdefghij1")
    assert len(httpx_mock.get_requests()) == 1


# --- auth headers, logging, secrets --------------------------------------------------------------
async def test_basic_auth_header(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"id": "MeUserUid01"})
    async with make_client(PROFILE) as client:
        await client.system.me()
    request = only_request(httpx_mock)
    assert request.headers["authorization"] == "Basic YWRtaW46ZGlzdHJpY3Q="
    assert request.headers["accept"] == "application/json"


async def test_token_auth_header(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"id": "MeUserUid01"})
    async with make_client(TOKEN_PROFILE) as client:
        await client.system.me()
    assert only_request(httpx_mock).headers["authorization"] == "ApiToken d2pat_secretsecret0000"


async def test_base_url_with_context_path(httpx_mock: HTTPXMock) -> None:
    from dhis2w import Profile

    httpx_mock.add_response(json={"id": "MeUserUid01"})
    profile = Profile(base_url="https://play.example.org/2.42/", token="d2pat_x")
    async with make_client(profile) as client:
        await client.system.me()
    url = only_request(httpx_mock).url
    assert str(url.copy_with(query=None)) == "https://play.example.org/2.42/api/me"


async def test_debug_log_has_no_secrets(
    httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture
) -> None:
    httpx_mock.add_response(json={"id": "MeUserUid01"})
    caplog.set_level(logging.DEBUG, logger="dhis2w")
    async with make_client(TOKEN_PROFILE) as client:
        await client.get_raw("me", params={"fields": "id"})
    records = [r for r in caplog.records if r.name == "dhis2w"]
    assert len(records) == 1
    line = records[0].getMessage()
    assert line.startswith("GET https://dhis2.example.org/api/me?fields=id -> 200 in ")
    assert line.endswith(" ms")
    assert "d2pat" not in caplog.text and "ApiToken" not in caplog.text


async def test_client_repr_has_no_secrets() -> None:
    async with make_client(TOKEN_PROFILE) as client:
        assert "d2pat" not in repr(client)
        assert "d2pat" not in repr(client.profile)


async def test_insecure_http_refused_before_any_request(httpx_mock: HTTPXMock) -> None:
    from dhis2w import Profile, ProfileError

    with pytest.raises(ProfileError, match="plain http"):
        make_client(Profile(base_url="http://dhis2.example.org", token="d2pat_x"))
    assert httpx_mock.get_requests() == []


async def test_timeout_from_profile(httpx_mock: HTTPXMock) -> None:
    from dhis2w import Profile

    httpx_mock.add_response(json={"id": "MeUserUid01"})
    profile = Profile(base_url="https://dhis2.example.org", token="d2pat_x", timeout=7.5)
    async with make_client(profile) as client:
        await client.system.me()
    timeouts = only_request(httpx_mock).extensions["timeout"]
    # waiting for a free pooled connection is queueing behind our own requests: no deadline
    assert timeouts == {"connect": 7.5, "read": 7.5, "write": 7.5, "pool": None}


async def test_userinfo_base_url_never_in_url_logs_or_errors(
    httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture
) -> None:
    from dhis2w import Profile

    httpx_mock.add_response(json={"id": "MeUserUid01"})
    httpx_mock.add_response(status_code=404, json=web_message(404, "nope"))
    caplog.set_level(logging.DEBUG)  # dhis2w's and httpx's own loggers
    profile = Profile(base_url="https://jo:s3cretpw@dhis2.example.org")
    async with make_client(profile) as client:
        assert "s3cretpw" not in repr(client)
        await client.system.me()
        with pytest.raises(NotFoundError) as info:
            await client.get_raw("nothing")
    first = httpx_mock.get_requests()[0]
    assert str(first.url.copy_with(query=None)) == "https://dhis2.example.org/api/me"
    assert first.headers["authorization"] == "Basic am86czNjcmV0cHc="  # jo:s3cretpw
    assert "s3cretpw" not in str(info.value) and "s3cretpw" not in repr(info.value)
    assert caplog.records and "s3cretpw" not in caplog.text


# --- backoff and Retry-After ----------------------------------------------------------------------
@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The delays the client waits, recorded instead of slept."""
    from dhis2w._async import client as client_module

    recorded: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(client_module, "async_sleep", fake_sleep)
    return recorded


async def test_backoff_is_exponential_and_capped(
    httpx_mock: HTTPXMock, sleeps: list[float]
) -> None:
    for _ in range(4):
        httpx_mock.add_response(status_code=503, json=web_message(503, "busy"))
    httpx_mock.add_response(json={"id": "MeUserUid01"})
    async with make_client(max_retries=4, backoff_base=1.0, backoff_cap=3.0) as client:
        await client.system.me()
    assert sleeps == [1.0, 2.0, 3.0, 3.0]


async def test_retry_after_seconds_honoured(httpx_mock: HTTPXMock, sleeps: list[float]) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "7"})
    httpx_mock.add_response(json={"id": "MeUserUid01"})
    async with make_client(backoff_base=0.5) as client:
        await client.system.me()
    assert sleeps == [7.0]


async def test_retry_after_http_date_honoured(httpx_mock: HTTPXMock, sleeps: list[float]) -> None:
    import email.utils
    import time

    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    httpx_mock.add_response(status_code=503, headers={"Retry-After": when})
    httpx_mock.add_response(json={"id": "MeUserUid01"})
    async with make_client(backoff_base=0.5) as client:
        await client.system.me()
    assert len(sleeps) == 1 and 10.0 < sleeps[0] <= 20.0


async def test_retry_after_past_date_or_garbage_falls_back(
    httpx_mock: HTTPXMock, sleeps: list[float]
) -> None:
    httpx_mock.add_response(
        status_code=503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}
    )
    httpx_mock.add_response(status_code=503, headers={"Retry-After": "soon"})
    httpx_mock.add_response(json={"id": "MeUserUid01"})
    async with make_client(backoff_base=0.25) as client:
        await client.system.me()
    assert sleeps == [0.25, 0.5]


async def test_retry_after_beyond_cap_raises_at_once(
    httpx_mock: HTTPXMock, sleeps: list[float]
) -> None:
    httpx_mock.add_response(
        status_code=429, headers={"Retry-After": "3600"}, json=web_message(429, "Too many")
    )
    async with make_client(backoff_cap=30.0) as client:
        with pytest.raises(RateLimitedError, match="Too many") as info:
            await client.system.me()
    assert info.value.status_code == 429 and isinstance(info.value, ApiError)
    assert sleeps == []
    assert len(httpx_mock.get_requests()) == 1


async def test_connect_errors_back_off_too(httpx_mock: HTTPXMock, sleeps: list[float]) -> None:
    httpx_mock.add_exception(httpx.ConnectError("refused"))
    httpx_mock.add_exception(httpx.ConnectTimeout("slow"))
    httpx_mock.add_response(json={"id": "MeUserUid01"})
    async with make_client(backoff_base=1.0) as client:
        await client.system.me()
    assert sleeps == [1.0, 2.0]


async def write(client: AsyncClient, method: str) -> object:
    """One raw write call of ``method``."""
    if method == "POST":
        return await client.post_raw("documents", json={"name": "x"})
    if method == "PUT":
        return await client.put_raw("documents/x", json={"name": "x"})
    return await client.delete_raw("documents/x")


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
@pytest.mark.parametrize("status", [429, 502, 503, 504])
async def test_writes_never_retried_on_status(
    httpx_mock: HTTPXMock, sleeps: list[float], method: str, status: int
) -> None:
    httpx_mock.add_response(
        status_code=status, headers={"Retry-After": "1"}, json=web_message(status, "later")
    )
    async with make_client() as client:
        with pytest.raises(ApiError, match="later"):
            await write(client, method)
    assert len(httpx_mock.get_requests()) == 1
    assert sleeps == []


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
@pytest.mark.parametrize(
    "exc", [httpx.ReadError("reset"), httpx.ReadTimeout("slow"), httpx.WriteError("broken")]
)
async def test_writes_never_retried_once_sent(
    httpx_mock: HTTPXMock, method: str, exc: Exception
) -> None:
    httpx_mock.add_exception(exc)
    expected = "timed out" if isinstance(exc, httpx.TimeoutException) else type(exc).__name__
    async with make_client() as client:
        with pytest.raises(TransportError, match=expected):
            await write(client, method)
    assert len(httpx_mock.get_requests()) == 1


async def test_every_request_names_dhis2w_and_its_version(httpx_mock: HTTPXMock) -> None:
    import dhis2w

    httpx_mock.add_response(url=f"{BASE}/api/me", json={"id": USER, "username": "admin"})
    async with make_client() as client:
        await client.get_raw("/api/me")
    assert only_request(httpx_mock).headers["User-Agent"] == f"dhis2w/{dhis2w.__version__}"
