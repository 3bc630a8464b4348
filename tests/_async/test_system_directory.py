"""client.system, client.directory and the raw escape hatch."""

from __future__ import annotations

import json

import pytest
from pytest_httpx import HTTPXMock

from dhis2w import AmbiguousNameError, InvalidInputError, UnknownNameError
from dhis2w._async.client import open_client

from .helpers import GROUP, ORG, PROFILE, USER, USER2, make_client, only_request, query

pytestmark = pytest.mark.anyio


async def test_me(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        json={
            "id": USER,
            "username": "admin",
            "displayName": "John Traore",
            "authorities": ["ALL"],
            "userGroups": [{"id": GROUP}],
            "settings": {"keyUiLocale": "en"},
        }
    )
    async with make_client() as client:
        me = await client.system.me()
    assert me.username == "admin" and me.is_superuser
    request = only_request(httpx_mock)
    assert request.url.path == "/api/me"
    # the names of groups, org units and roles, not bare UIDs (DHIS2's default for /api/me)
    assert "userGroups[id,name,displayName]" in request.url.params["fields"]


async def test_info(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        json={
            "version": "2.42.1-SNAPSHOT",
            "revision": "abc",
            "serverDate": "2024-05-01T10:11:12.123",
        }
    )
    async with make_client() as client:
        info = await client.system.info()
    assert info.version == "2.42.1-SNAPSHOT"
    assert info.version_tuple == (2, 42, 1)
    assert only_request(httpx_mock).url.path == "/api/system/info"


async def test_open_client(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"id": USER})
    async with open_client(PROFILE) as client:
        assert (await client.system.me()).id == USER


# --- directory ---------------------------------------------------------------------------------
async def test_uids_are_checked_in_one_request_per_kind(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"users": [{"id": USER}, {"id": USER2}]})
    httpx_mock.add_response(json={"userGroups": [{"id": GROUP}]})
    httpx_mock.add_response(json={"organisationUnits": [{"id": ORG}]})
    async with make_client() as client:
        assert await client.directory.resolve_users([USER, USER2, USER]) == [USER, USER2, USER]
        assert await client.directory.resolve_user_groups(GROUP) == [GROUP]
        assert await client.directory.resolve_organisation_units([ORG]) == [ORG]
    users, groups, units = httpx_mock.get_requests()
    assert users.url.path == "/api/users"
    assert ("filter", f"id:in:[{USER},{USER2}]") in query(users)
    assert ("fields", "id") in query(users)
    assert groups.url.path == "/api/userGroups"
    assert ("filter", f"id:in:[{GROUP}]") in query(groups)
    assert units.url.path == "/api/organisationUnits"


async def test_uids_found_once_are_not_checked_again(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"users": [{"id": USER}]})
    httpx_mock.add_response(json={"users": [{"id": USER2, "username": "aminata"}]})
    httpx_mock.add_response(json={"users": []})  # the second check: Xbcdefghij9 only
    httpx_mock.add_response(json={"users": []})
    httpx_mock.add_response(json={"users": [{"id": USER2, "username": "Xbcdefghij9"}]})
    async with make_client() as client:
        assert await client.directory.resolve_users(USER) == [USER]
        assert await client.directory.resolve_users("aminata") == [USER2]
        # USER and USER2 are known now: only the new UID-shaped name is checked.
        resolved = await client.directory.resolve_users([USER, USER2, "Xbcdefghij9"])
        assert resolved == [USER, USER2, USER2]
    requests = httpx_mock.get_requests()
    assert len(requests) == 5
    assert ("filter", "id:in:[Xbcdefghij9]") in query(requests[2])


async def test_no_names_no_requests(httpx_mock: HTTPXMock) -> None:
    async with make_client() as client:
        assert await client.directory.resolve_recipients() == {
            "users": [],
            "user_groups": [],
            "organisation_units": [],
        }
    assert httpx_mock.get_requests() == []


async def test_uid_shaped_username_that_is_no_uid_is_looked_up_by_name(
    httpx_mock: HTTPXMock,
) -> None:
    httpx_mock.add_response(json={"users": []})  # no user has the id 'fatmatakama'
    httpx_mock.add_response(json={"users": [{"id": USER, "username": "fatmatakama"}]})
    async with make_client() as client:
        assert await client.directory.resolve_users("fatmatakama") == [USER]
    check, by_name = httpx_mock.get_requests()
    assert ("filter", "id:in:[fatmatakama]") in query(check)
    assert ("filter", "username:eq:fatmatakama") in query(by_name)


async def test_uid_shaped_name_that_matches_nothing_says_so(httpx_mock: HTTPXMock) -> None:
    for _ in range(3):
        httpx_mock.add_response(json={"users": []})
    async with make_client() as client:
        with pytest.raises(UnknownNameError, match="id, username or displayName 'Xbcdefghij9'"):
            await client.directory.resolve_users("Xbcdefghij9")


async def test_uids_pass_unchecked_when_the_directory_is_forbidden(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        status_code=403, json={"httpStatusCode": 403, "status": "ERROR", "message": "no access"}
    )
    async with make_client() as client:
        assert await client.directory.resolve_users([USER]) == [USER]
    assert len(httpx_mock.get_requests()) == 1


async def test_resolve_user_by_username(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"users": [{"id": USER2}]})  # USER2 exists
    httpx_mock.add_response(json={"users": [{"id": USER, "username": "admin"}]})
    async with make_client() as client:
        assert await client.directory.resolve_users(["admin", USER2]) == [USER, USER2]
    check, request = httpx_mock.get_requests()
    assert ("filter", f"id:in:[{USER2}]") in query(check)
    assert request.url.path == "/api/users"
    assert ("filter", "username:eq:admin") in query(request)


async def test_resolve_user_by_display_name(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"users": []})
    httpx_mock.add_response(json={"users": [{"id": USER, "displayName": "John Traore"}]})
    async with make_client() as client:
        assert await client.directory.resolve_users("John Traore") == [USER]
    first, second = httpx_mock.get_requests()
    assert ("filter", "username:eq:John Traore") in query(first)
    assert ("filter", "displayName:eq:John Traore") in query(second)


async def test_resolve_user_ambiguous(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"users": []})
    httpx_mock.add_response(
        json={
            "users": [
                {"id": USER, "username": "jtraore", "displayName": "John Traore"},
                {"id": USER2, "username": "jtraore2", "displayName": "John Traore"},
            ]
        }
    )
    async with make_client() as client:
        with pytest.raises(AmbiguousNameError, match="matches 2") as info:
            await client.directory.resolve_users("John Traore")
    assert USER in str(info.value) and USER2 in str(info.value)


async def test_resolve_user_unknown(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"users": []})
    httpx_mock.add_response(json={"users": []})
    async with make_client() as client:
        with pytest.raises(UnknownNameError, match="nobody"):
            await client.directory.resolve_users("nobody")


async def test_resolve_user_group(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"userGroups": [{"id": GROUP, "name": "Bo team"}]})
    async with make_client() as client:
        assert await client.directory.resolve_user_groups("Bo team") == [GROUP]
    request = only_request(httpx_mock)
    assert request.url.path == "/api/userGroups"
    assert ("filter", "name:eq:Bo team") in query(request)


async def test_resolve_org_unit_code_then_name(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"organisationUnits": []})
    httpx_mock.add_response(json={"organisationUnits": [{"id": ORG, "name": "Bo"}]})
    async with make_client() as client:
        assert await client.directory.resolve_organisation_units("Bo") == [ORG]
    first, second = httpx_mock.get_requests()
    assert first.url.path == "/api/organisationUnits"
    assert ("filter", "code:eq:Bo") in query(first)
    assert ("filter", "name:eq:Bo") in query(second)


async def test_resolve_empty_name(httpx_mock: HTTPXMock) -> None:
    async with make_client() as client:
        with pytest.raises(InvalidInputError):
            await client.directory.resolve_users(["  "])
    assert httpx_mock.get_requests() == []


# --- raw ---------------------------------------------------------------------------------------
async def test_get_raw(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"a": [1, 2]})
    async with make_client() as client:
        assert await client.get_raw("/dataElements", params={"fields": "id"}) == {"a": [1, 2]}
    request = only_request(httpx_mock)
    assert request.url.path == "/api/dataElements"
    assert query(request) == [("fields", "id")]


async def test_get_raw_accepts_api_prefix(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=[])
    async with make_client() as client:
        assert await client.get_raw("/api/42/me") == []
    assert only_request(httpx_mock).url.path == "/api/42/me"


async def test_post_raw_json(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=201, json={"status": "OK"})
    async with make_client() as client:
        result = await client.post_raw("messageConversations", json={"subject": "x"})
    assert result == {"status": "OK"}
    request = only_request(httpx_mock)
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"subject": "x"}


async def test_post_raw_text_and_headers(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=204)
    async with make_client() as client:
        result = await client.post_raw(
            "x", content="hello", params={"a": "1"}, headers={"X-Extra": "y"}
        )
    assert result is None
    request = only_request(httpx_mock)
    assert request.content == b"hello"
    assert request.headers["content-type"] == "text/plain; charset=utf-8"
    assert request.headers["x-extra"] == "y"
    assert query(request) == [("a", "1")]


async def test_put_and_delete_raw(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="PUT", json={"ok": True})
    httpx_mock.add_response(method="DELETE", content=b"")
    async with make_client() as client:
        assert await client.put_raw("documents/x", content=b"\x00\x01") == {"ok": True}
        assert await client.delete_raw("documents/x") is None
    put, delete = httpx_mock.get_requests()
    assert put.content == b"\x00\x01" and put.method == "PUT"
    assert delete.method == "DELETE"


SPECIAL_NAMES = [
    "Ops: Bo, [east]",
    "a:eq:b",
    "in:[x,y]",
    "Équipe santé — Kénéma 🌍",
    "50% & more?#",
]


@pytest.mark.parametrize("name", SPECIAL_NAMES)
async def test_special_characters_travel_verbatim(httpx_mock: HTTPXMock, name: str) -> None:
    httpx_mock.add_response(json={"userGroups": [{"id": GROUP, "name": name}]})
    async with make_client() as client:
        assert await client.directory.resolve_user_groups(name) == [GROUP]
    request = only_request(httpx_mock)
    # one filter, the value untouched after the first two colons (DHIS2 splits prop:op:value)
    assert request.url.params.get_list("filter") == [f"name:eq:{name}"]


async def test_ambiguous_group_and_org_unit_list_candidates(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        json={"userGroups": [{"id": GROUP, "name": "Team"}, {"id": USER, "name": "Team"}]}
    )
    httpx_mock.add_response(
        json={
            "organisationUnits": [
                {"id": ORG, "code": "X", "path": "/Sl/Bo"},
                {"id": USER2, "code": "X", "path": "/Sl/Ke"},
            ]
        }
    )
    async with make_client() as client:
        with pytest.raises(AmbiguousNameError) as group_info:
            await client.directory.resolve_user_groups("Team")
        with pytest.raises(AmbiguousNameError) as ou_info:
            await client.directory.resolve_organisation_units("X")
    assert f"{GROUP} (Team)" in str(group_info.value) and USER in str(group_info.value)
    assert f"{ORG} (/Sl/Bo)" in str(ou_info.value) and f"{USER2} (/Sl/Ke)" in str(ou_info.value)
    assert "use the UID" in str(ou_info.value)


async def test_unknown_group_and_org_unit(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"userGroups": []}, is_reusable=True)
    httpx_mock.add_response(json={"organisationUnits": []}, is_reusable=True)
    async with make_client() as client:
        with pytest.raises(UnknownNameError, match="no user group with name or code 'Nobody'"):
            await client.directory.resolve_user_groups("Nobody")
        with pytest.raises(UnknownNameError, match="code or name 'Atlantis'"):
            await client.directory.resolve_organisation_units(["Atlantis"])


async def test_user_group_by_code_after_name(httpx_mock: HTTPXMock) -> None:
    # A group code (what admins script with) resolves when no group has that name.
    httpx_mock.add_response(json={"userGroups": []})
    httpx_mock.add_response(json={"userGroups": [{"id": GROUP, "name": "Bo team", "code": "BO"}]})
    async with make_client() as client:
        assert await client.directory.resolve_user_groups("BO") == [GROUP]
    filters = [dict(query(r))["filter"] for r in httpx_mock.get_requests()]
    assert filters == ["name:eq:BO", "code:eq:BO"]
    assert all(r.url.path == "/api/userGroups" for r in httpx_mock.get_requests())
