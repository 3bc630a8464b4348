"""Port of the parts of DHIS2's ``MeControllerTest`` (2.42) that messaging clients use.

Source: dhis2/dhis2-core, branch 2.42,
dhis-2/dhis-test-web-api/src/test/java/org/hisp/dhis/webapi/controller/MeControllerTest.java.
One test per Java test, same name, same assertions; README.md lists the tests not ported.

Fixtures: the Java class runs as a fresh ``userA`` with the single authority ``ALL``; the
seeded superuser ``admin`` (authorities: ``ALL``) plays it. ``switchToNewUser(...)`` (no
authorities) is the seeded ``isatu``. Where the Java test sets the avatar through
``userService.updateUser`` (not an endpoint), the port sets it through ``PUT /api/me``, the
endpoint the web apps use. ``testGetDashboard``'s fresh user has no conversations: the
emulator is reset to its ``empty`` seed (only ``admin``, no messages) for it.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
from dhis2_test_api import DELETE, GET, POST_MULTIPART, PUT, assert_status, content
from images import WEB_API_DHIS2_PNG

from dhis2w.emulator import seed
from dhis2w.testing import EmulatorHandle


def testGetCurrentUser(admin: httpx.Client) -> None:
    assert content(GET(admin, "/me"))["id"] == seed.ADMIN.uid


def testGetCurrentUser_Fields(admin: httpx.Client) -> None:
    me = content(GET(admin, "/me", fields="name,settings[keyStyle]"))
    assert len(me) == 2
    assert set(me) == {"name", "settings"}
    settings = me["settings"]
    assert len(settings) == 1
    assert list(settings) == ["keyStyle"]


def testGetAuthorities(admin: httpx.Client) -> None:
    assert content(GET(admin, "/me/authorities"), 200) == ["ALL"]


def testUpdateCurrentUser(admin: httpx.Client) -> None:
    assert 200 <= PUT(admin, "/me", "{'surname':'Lars'}").status_code < 300
    assert content(GET(admin, "/me"))["surname"] == "Lars"


def testHasAuthority(admin: httpx.Client, as_user: Callable[..., httpx.Client]) -> None:
    assert content(GET(admin, "/me/authorities/ALL"), 200) is True
    # with no authorities
    kalle = as_user("isatu")
    assert content(GET(kalle, "/me/authorities/missing"), 200) is False


def testGetEmailVerifiedProperty(admin: httpx.Client) -> None:
    assert content(GET(admin, "/me"))["emailVerified"] is False


def testGetDashboard(emu: EmulatorHandle, admin: httpx.Client) -> None:
    emu.reset("empty")  # a user with no conversations, like the Java test's new userA
    dashboard = content(GET(admin, "/me/dashboard"))
    assert dashboard["unreadInterpretations"] == 0
    assert dashboard["unreadMessageConversations"] == 0


def testGetTwoFactorType(admin: httpx.Client) -> None:
    assert content(GET(admin, "/me"))["twoFactorType"] == "NOT_ENABLED"


def _upload_avatar(client: httpx.Client) -> str:
    response = POST_MULTIPART(
        client,
        "/fileResources?domain=USER_AVATAR",
        "file",
        "dhis2.png",
        "image/png",
        WEB_API_DHIS2_PNG,
    )
    uid: str = content(response, 202)["response"]["fileResource"]["id"]
    return uid


def _set_avatar(client: httpx.Client, file_resource_id: str) -> None:
    """``user.setAvatar(fileResource); userService.updateUser(user)``, through the API."""
    content(PUT(client, "/me", "{'avatar':{'id':'" + file_resource_id + "'}}"), 200)


def testRemoveAvatar(admin: httpx.Client) -> None:
    # First, upload an avatar image
    file_resource_id = _upload_avatar(admin)

    # Set the avatar on the current user
    _set_avatar(admin, file_resource_id)

    # Verify avatar is set
    user_with_avatar = content(GET(admin, "/me"))
    assert user_with_avatar.get("avatar") is not None
    assert user_with_avatar["avatar"]["id"] == file_resource_id

    # Now remove the avatar
    assert_status(204, DELETE(admin, "/me/avatar"))

    # Verify avatar is removed
    assert content(GET(admin, "/me")).get("avatar") is None

    # Verify file resource is marked as unassigned
    assert content(GET(admin, f"/fileResources/{file_resource_id}"))["assigned"] is False


def testRemoveAvatar_NoExistingAvatar(admin: httpx.Client) -> None:
    # Verify user has no avatar
    assert content(GET(admin, "/me")).get("avatar") is None

    # Removing avatar when there is none should succeed (idempotent operation)
    assert_status(204, DELETE(admin, "/me/avatar"))

    # Verify still no avatar
    assert content(GET(admin, "/me")).get("avatar") is None


def testRemoveAvatar_WithoutSpecialAuthorities(as_user: Callable[..., httpx.Client]) -> None:
    # Switch to a user without special authorities (simulating a guest user)
    guest = as_user("isatu")

    # First, upload an avatar image
    file_resource_id = _upload_avatar(guest)

    # Set the avatar on the current user
    _set_avatar(guest, file_resource_id)

    # Verify avatar is set
    assert content(GET(guest, "/me")).get("avatar") is not None

    # Remove the avatar - this should work even without special authorities
    assert_status(204, DELETE(guest, "/me/avatar"))

    # Verify avatar is removed
    assert content(GET(guest, "/me")).get("avatar") is None
