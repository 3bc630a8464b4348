"""A session that ends mid-way: the server, after answering JSON, answers 200 with an HTML
page. A login page of any kind (a form, or a single-page login app with no password field in
its HTML, as DHIS2 2.41+ serves) is AuthenticationError; any other page stays
UnexpectedResponseError."""

from __future__ import annotations

import pytest
from pytest_httpx import HTTPXMock

from dhis2w import AuthenticationError, UnexpectedResponseError

from .helpers import make_client

pytestmark = pytest.mark.anyio

ME = {"id": "MeUserUid01", "username": "admin", "displayName": "Admin"}
HTML = {"Content-Type": "text/html;charset=UTF-8"}

#: The shape of DHIS2's login app page: a module script, a root div, no password field.
LOGIN_APP = (
    b'<!doctype html><html lang="en"><head><meta charset="UTF-8">'
    b'<base href="/dhis-web-login/"><title>DHIS 2</title>'
    b'<script type="module" crossorigin src="./assets/index-B1x2.js"></script></head>'
    b'<body><div id="root"></div></body></html>'
)
#: A login app served from a login path with no marker text of DHIS2's in its HTML.
LOGIN_APP_BY_PATH = (
    b"<!doctype html><html><head><title>Health Ministry</title>"
    b'<script type="module" src="/login/assets/index-9f.js"></script></head>'
    b'<body><div id="root"></div></body></html>'
)
SSO_LOGIN = b"<html><head><title>Sign in - Keycloak</title></head><body><div id=kc></div></body>"
PROXY_ERROR = b"<html><head><title>503 Service Unavailable</title></head><body>nginx</body></html>"


@pytest.mark.parametrize(
    "page",
    [LOGIN_APP, LOGIN_APP_BY_PATH, SSO_LOGIN],
    ids=["dhis2 login app", "login app by path", "sso"],
)
async def test_login_app_page_after_json_is_authentication_error(
    httpx_mock: HTTPXMock, page: bytes
) -> None:
    httpx_mock.add_response(json=ME)
    httpx_mock.add_response(content=page, headers=HTML)
    async with make_client() as client:
        assert (await client.system.me()).username == "admin"
        with pytest.raises(AuthenticationError, match="login page"):
            await client.system.me()


async def test_other_html_page_stays_unexpected_response(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=ME)
    httpx_mock.add_response(content=PROXY_ERROR, headers=HTML, is_reusable=True)
    async with make_client() as client:
        await client.system.me()
        with pytest.raises(UnexpectedResponseError, match="HTML page") as info:
            await client.system.me()
    assert not isinstance(info.value, AuthenticationError)


async def test_login_app_page_instead_of_a_download_is_authentication_error(
    httpx_mock: HTTPXMock,
) -> None:
    httpx_mock.add_response(content=LOGIN_APP, headers=HTML)
    async with make_client() as client:
        with pytest.raises(AuthenticationError):
            await client.files.download_file_resource("Fbcdefghij1")
