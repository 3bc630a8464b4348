"""Authentication (dhis2-api.md §4), /api/me, /api/system/info, directory lists, config, paths."""

from __future__ import annotations

import json

import httpx
from emu_helpers import NO_CACHE, wm

from dhis2w.emulator import seed


def test_basic_auth_ok(admin: httpx.Client) -> None:
    """dhis2-api.md §4: Basic auth with admin/district answers /api/me."""
    r = admin.get("/api/me")
    assert r.status_code == 200
    assert r.json()["username"] == "admin"


def test_bad_basic_credentials_401_webmessage(anon: httpx.Client) -> None:
    """dhis2-api.md §4: bad Basic credentials -> 401 WebMessage "Unauthorized", no
    WWW-Authenticate."""
    r = anon.get("/api/me", auth=("admin", "wrong"))
    assert r.status_code == 401
    assert r.json() == wm(401, "Unauthorized")
    assert list(r.json()) == ["httpStatus", "httpStatusCode", "status", "message"]
    assert "www-authenticate" not in r.headers
    assert r.headers["cache-control"] == NO_CACHE


def test_unknown_user_401(anon: httpx.Client) -> None:
    """dhis2-api.md §4: unknown user is the same 401."""
    r = anon.get("/api/me", auth=("nobody", "district"))
    assert r.status_code == 401


def test_api_token_auth(anon: httpx.Client) -> None:
    """dhis2-api.md §4: Authorization: ApiToken d2pat_... authenticates."""
    r = anon.get("/api/me", headers={"Authorization": f"ApiToken {seed.FATMATA.token}"})
    assert r.status_code == 200
    assert r.json()["id"] == seed.FATMATA.uid


def test_api_token_scheme_case_insensitive(anon: httpx.Client) -> None:
    """dhis2-api.md §4: the ApiToken pattern is matched case-insensitively."""
    r = anon.get("/api/me", headers={"Authorization": f"apitoken {seed.ADMIN.token}"})
    assert r.status_code == 200


def test_unknown_api_token_401(anon: httpx.Client) -> None:
    """dhis2-api.md §4: an unknown token -> 401 "The API token does not exists" (sic)."""
    r = anon.get("/api/me", headers={"Authorization": "ApiToken d2pat_" + "x" * 40})
    assert r.status_code == 401
    assert r.json() == wm(401, "The API token does not exists")


def test_no_credentials_redirects_to_login(anon: httpx.Client) -> None:
    """dhis2-api.md §4: no credentials -> 302 to /dhis-web-login/."""
    r = anon.get("/api/me")
    assert r.status_code == 302
    assert r.headers["location"].endswith("/dhis-web-login/")


def test_no_credentials_xhr_401(anon: httpx.Client) -> None:
    """dhis2-api.md §4: no credentials with X-Requested-With: XMLHttpRequest -> 401 JSON."""
    r = anon.get("/api/me", headers={"X-Requested-With": "XMLHttpRequest"})
    assert r.status_code == 401
    assert r.json()["httpStatusCode"] == 401


def test_root_redirects_to_login(anon: httpx.Client) -> None:
    """GET / redirects to the login app when not logged in (as DHIS2 does)."""
    r = anon.get("/")
    assert r.status_code == 302
    assert r.headers["location"].endswith("/dhis-web-login/")


def test_root_redirects_logged_in_to_dashboard(admin: httpx.Client) -> None:
    """GET / with credentials goes to the dashboard app."""
    r = admin.get("/")
    assert r.status_code == 302
    assert r.headers["location"].endswith("/dhis-web-dashboard/")


def test_me_keys(admin: httpx.Client) -> None:
    """dhis2-api.md §4 /api/me: MeDto keys including authorities, userGroups, organisationUnits."""
    me = admin.get("/api/me").json()
    for key in (
        "id",
        "username",
        "firstName",
        "surname",
        "name",
        "displayName",
        "email",
        "organisationUnits",
        "userGroups",
        "userRoles",
        "authorities",
        "settings",
    ):
        assert key in me
    assert "ALL" in me["authorities"]
    assert me["organisationUnits"] == [{"id": seed.SIERRA_LEONE.uid}]
    assert {"id": seed.NATIONAL_HMIS_TEAM.uid} in me["userGroups"]


def test_me_fields(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §0: fields selects keys, nested selectors expand references."""
    r = as_user("fatmata").get("/api/me", params={"fields": "id,username,userGroups[id,name]"})
    body = r.json()
    assert set(body) == {"id", "username", "userGroups"}
    assert {"id": seed.FEEDBACK_HANDLERS.uid, "name": "Feedback handlers"} in body["userGroups"]


def test_api_version_prefix(admin: httpx.Client) -> None:
    """dhis2-api.md §0: every endpoint also answers under /api/42/."""
    assert admin.get("/api/42/me").json()["username"] == "admin"


def test_system_info_superuser(admin: httpx.Client) -> None:
    """dhis2-api.md §4 system/info: version 2.42.x; superusers see the Java/OS fields."""
    r = admin.get("/api/system/info")
    info = r.json()
    assert info["version"].startswith("2.42.")
    assert "javaVersion" in info and "osName" in info
    assert "no-store" in r.headers["cache-control"]


def test_system_info_non_superuser_fewer_fields(as_user) -> None:  # type: ignore[no-untyped-def]
    """dhis2-api.md §4 system/info: non-superusers get the Java/OS/memory fields omitted."""
    info = as_user("ibrahim").get("/api/system/info").json()
    assert info["version"].startswith("2.42.")
    assert "javaVersion" not in info and "osName" not in info and "memoryInfo" not in info


def test_users_filter_username(admin: httpx.Client) -> None:
    """dhis2-api.md §0 list params: /api/users?filter=username:eq:admin finds the UID."""
    r = admin.get("/api/users", params={"filter": "username:eq:fatmata"})
    assert r.json()["users"] == [{"id": seed.FATMATA.uid, "displayName": "Fatmata Kamara"}]


def test_users_query(admin: httpx.Client) -> None:
    """dhis2-api.md §0 list params: query matches names."""
    r = admin.get("/api/users", params={"query": "kamara", "fields": "id,username"})
    assert r.json()["users"] == [{"id": seed.FATMATA.uid, "username": "fatmata"}]


def test_user_groups_filter_name(admin: httpx.Client) -> None:
    """dhis2-api.md §0: filter=name:eq:X on userGroups."""
    r = admin.get("/api/userGroups", params={"filter": "name:eq:Feedback handlers"})
    assert r.json()["userGroups"][0]["id"] == seed.FEEDBACK_HANDLERS.uid


def test_org_units_filter_code_and_ilike(admin: httpx.Client) -> None:
    """dhis2-api.md §0: filter by code, and displayName:ilike."""
    r = admin.get("/api/organisationUnits", params={"filter": "code:eq:OU_559"})
    assert r.json()["organisationUnits"][0]["id"] == seed.NGELEHUN_CHC.uid
    r = admin.get(
        "/api/organisationUnits", params={"filter": "displayName:ilike:hospital", "paging": "false"}
    )
    body = r.json()
    assert "pager" not in body
    assert len(body["organisationUnits"]) == 3


def test_org_unit_get_with_children(admin: httpx.Client) -> None:
    """Org-unit tree: Sierra Leone -> districts -> facilities."""
    r = admin.get(
        f"/api/organisationUnits/{seed.BO.uid}",
        params={"fields": "id,level,parent,children[id,name]"},
    )
    body = r.json()
    assert body["level"] == 2 and body["parent"] == {"id": seed.SIERRA_LEONE.uid}
    assert {c["name"] for c in body["children"]} == {"Ngelehun CHC", "Bo Government Hospital"}


def test_unknown_user_uid_404(admin: httpx.Client) -> None:
    """dhis2-api.md §0 exception mapping: NotFoundException -> 404 E1005."""
    r = admin.get("/api/users/Xxxxxxxxxx1")
    assert r.status_code == 404
    assert r.json() == wm(404, "User with id Xxxxxxxxxx1 could not be found.", "E1005")


def test_configuration_feedback_recipients(admin: httpx.Client) -> None:
    """/api/configuration names the feedback-recipient group."""
    body = admin.get("/api/configuration").json()
    assert body["feedbackRecipients"]["id"] == seed.FEEDBACK_HANDLERS.uid
    assert (
        admin.get("/api/configuration/feedbackRecipients").json()["id"]
        == seed.FEEDBACK_HANDLERS.uid
    )


def test_json_is_compact_utf8(admin: httpx.Client) -> None:
    """Bodies are UTF-8 JSON with application/json content type."""
    r = admin.get("/api/me")
    assert r.headers["content-type"].startswith("application/json")
    json.loads(r.content.decode("utf-8"))


def test_keep_alive_reuses_connection(admin: httpx.Client) -> None:
    """The server speaks HTTP/1.1 keep-alive (many requests, one connection)."""
    for _ in range(20):
        assert admin.get("/api/me", params={"fields": "id"}).status_code == 200
    assert admin.get("/api/me").http_version == "HTTP/1.1"


def test_empty_seed_has_only_superuser(emu, admin: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    """Seed "empty": only the superuser and no conversations."""
    emu.reset("empty")
    users = admin.get("/api/users", params={"paging": "false"}).json()["users"]
    assert [u["id"] for u in users] == [seed.ADMIN.uid]
    assert admin.get("/api/messageConversations").json()["pager"]["total"] == 0
