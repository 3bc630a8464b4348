"""Transport security end to end: TLS verification, plain http, and redirects elsewhere.

Real servers on loopback (``stub_servers``): a TLS endpoint whose certificate nobody trusts,
and servers that redirect to another origin while a third one records what reaches it.
"""

from __future__ import annotations

import pytest

from dhis2w import (
    AsyncClient,
    AuthenticationError,
    InsecureTransportWarning,
    Profile,
    ProfileError,
    TransportError,
    UnexpectedResponseError,
)

from ..conftest import Tally
from ..stub_servers import json_answer, redirect_answer, serve, untrusted_tls

pytestmark = pytest.mark.anyio

SECRET = "Tls-Canary-Pw-51d0"


def basic(url: str, **options: object) -> Profile:
    return Profile(base_url=url, username="admin", password=SECRET, **options)  # type: ignore[arg-type]


# --- TLS ------------------------------------------------------------------------------------
async def test_tls_is_verified_by_default_and_fails_at_once(tally: Tally) -> None:
    with serve(json_answer, tls=untrusted_tls()) as stub:
        async with AsyncClient(basic(stub.url), backoff_base=0.01) as client:
            with pytest.raises(TransportError, match=r"certificate of 127\.0\.0\.1 could not be"):
                await client.system.me()
        seen = stub.requests
    tally.add("faults")
    assert seen == []  # the handshake failed: no request, no credentials, reached the server


async def test_turning_verification_off_warns_and_then_works(tally: Tally) -> None:
    with serve(json_answer, tls=untrusted_tls()) as stub:
        with pytest.warns(InsecureTransportWarning, match="verification is off") as caught:
            client = AsyncClient(basic(stub.url, verify=False, name="field-laptop"))
        async with client:
            me = await client.system.me()
        seen = stub.requests
    assert me.username == "admin"
    assert [method for method, _, _ in seen] == ["GET"]
    assert "profile 'field-laptop'" in str(caught[0].message)
    assert SECRET not in str(caught[0].message)


# --- plain http -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "http://dhis2.example.org",
        "http://10.0.0.5:8080/dhis",
        "http://127.0.0.1.nip.io",
        "http://localhost.evil.example",
        "http://0.0.0.0:8080",
    ],
)
async def test_plain_http_with_credentials_to_another_host_is_refused(url: str) -> None:
    with pytest.raises(ProfileError, match="refusing to send credentials over plain http"):
        AsyncClient(basic(url))
    token = Profile(base_url=url, token="d2pat_CanaryToken000000000000000000000")
    with pytest.raises(ProfileError, match="allow_insecure_http"):
        AsyncClient(token)


async def test_plain_http_allowed_when_the_profile_says_so_or_on_loopback() -> None:
    with serve(json_answer) as stub:
        async with AsyncClient(basic(stub.url)) as loopback:  # 127.0.0.1 is this machine
            assert (await loopback.system.me()).username == "admin"
    AsyncClient(basic("http://10.0.0.5:8080", allow_insecure_http=True))  # the user accepted it
    AsyncClient(Profile(base_url="http://dhis2.example.org"))  # no credentials to protect


# --- redirects ------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_credentials_never_follow_a_redirect_to_another_host(
    tally: Tally, status: int
) -> None:
    with serve(json_answer) as elsewhere:
        target = elsewhere.url.replace("127.0.0.1", "localhost") + "/api/me"
        with serve(redirect_answer(target, status)) as origin:
            async with AsyncClient(basic(origin.url), backoff_base=0.01) as client:
                with pytest.raises(UnexpectedResponseError, match="unexpected redirect") as info:
                    await client.system.me()
                with pytest.raises(UnexpectedResponseError):
                    await client.post_raw("messageConversations/read", json=["Abcdefghij1"])
            asked = origin.requests
        reached = elsewhere.requests
    tally.add("faults", 2)
    assert info.value.location == target  # the error says where the server wanted us to go
    assert len(asked) == 2 and all(auth for _, _, auth in asked)
    assert reached == []  # nothing, credentials least of all, went to the other host


async def test_redirect_to_a_login_page_is_an_authentication_error(tally: Tally) -> None:
    with serve(json_answer) as sso:
        login = sso.url.replace("127.0.0.1", "localhost") + "/sso/login?next=/api/me"
        with serve(redirect_answer(login)) as origin:
            async with AsyncClient(basic(origin.url)) as client:
                with pytest.raises(AuthenticationError, match="login page"):
                    await client.messaging.list_conversations()
        reached = sso.requests
    tally.add("faults")
    assert reached == []
