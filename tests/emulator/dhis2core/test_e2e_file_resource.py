"""Port of DHIS2's end-to-end ``FileResourceTest`` (2.42), the tests whose endpoints the
emulator has.

Source: dhis2/dhis2-core, branch 2.42,
dhis-2/dhis-test-e2e/src/test/java/org/hisp/dhis/fileresource/FileResourceTest.java.
One test per Java test (``test_`` + its name), same assertions. The Java tests run as the
superuser, so do these (``admin``). ``awaitAssigned`` and ``assertMultiImageState`` poll
like Awaitility (at most 3 s, as the Java helpers). The PNG resources are generated at the
same size (images.py). Not ported (README.md): ``iconFileResourceTest`` (``/api/icons``),
``avatarDeleteFileResourceTest`` (``PUT /api/users``), ``imageUpdateFileResourceTest`` and
``imageDeleteFileResourceTest`` (``POST``/``PUT /api/organisationUnits``).
"""

from __future__ import annotations

import time

import httpx
from dhis2_test_api import DELETE, GET, POST, PUT, content
from images import E2E_DHIS2_PNG, E2E_DHIS3_PNG, E2E_ORG_UNIT_PNG, E2E_USER_AVATAR_PNG

AT_MOST = 3.0  # Awaitility.await().atMost(3, TimeUnit.SECONDS)


def _await(condition: object, what: str) -> None:
    deadline = time.monotonic() + AT_MOST
    while True:
        if callable(condition) and condition():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {AT_MOST} s: {what}")
        time.sleep(0.05)


def _await_assigned(admin: httpx.Client, fr_uid: str, assigned: bool) -> None:
    _await(
        lambda: content(GET(admin, f"/fileResources/{fr_uid}"))["assigned"] is assigned,
        f"{fr_uid} assigned={assigned}",
    )


def _avatar(fr_uid: str) -> str:
    return '{"avatar": {"id": "' + fr_uid + '"}}'


def _post_file_resource(admin: httpx.Client, data: bytes, domain: str) -> str:
    """``multiPart("file", file, "image/png").formParam("domain", domain)`` -> 202."""
    response = admin.post(
        "/api/fileResources",
        files={"file": ("dhis2.png", data, "image/png")},
        data={"domain": domain},
    )
    uid: str = content(response, 202)["response"]["fileResource"]["id"]
    return uid


def test_documentFileResourceTest(admin: httpx.Client) -> None:
    """Creating and deleting a Document flips the FileResource assigned value."""
    # given a FileResource exists
    fr_uid = _post_file_resource(admin, E2E_DHIS2_PNG, "DOCUMENT")
    assert fr_uid

    # and it is unassigned
    _await_assigned(admin, fr_uid, False)

    # when creating a Document with a ref to the FileResource
    body = (
        '{"id":"docUid000x1","name": "doc1","type": "UPLOAD_FILE","attachment": false,'
        f'"url": "{fr_uid}"}}'
    )
    assert POST(admin, "/documents", body).status_code == 201

    # then the FileResource should now be assigned
    _await_assigned(admin, fr_uid, True)

    # and when the Document is deleted
    assert DELETE(admin, "/documents/docUid000x1").status_code == 200

    # then the FileResource should now be unassigned
    _await_assigned(admin, fr_uid, False)


def test_avatarUpdateFileResourceTest(admin: httpx.Client) -> None:
    """Adding and then updating a user avatar flips the FileResource assigned value."""
    # given 2 FileResources exist
    fr_uid1 = _post_file_resource(admin, E2E_DHIS2_PNG, "USER_AVATAR")
    fr_uid2 = _post_file_resource(admin, E2E_DHIS3_PNG, "USER_AVATAR")
    assert fr_uid1
    assert fr_uid2

    # and they are unassigned
    _await_assigned(admin, fr_uid1, False)
    _await_assigned(admin, fr_uid2, False)

    # when adding the 1st avatar to a user
    assert PUT(admin, "/me", _avatar(fr_uid1)).status_code == 200

    # then the FileResource should now be assigned
    _await_assigned(admin, fr_uid1, True)

    # and when the avatar is updated
    assert PUT(admin, "/me", _avatar(fr_uid2)).status_code == 200

    # then the old FileResource should now be unassigned
    _await_assigned(admin, fr_uid1, False)

    # and the new FileResource should now be assigned
    _await_assigned(admin, fr_uid2, True)
    assert content(GET(admin, f"/fileResources/{fr_uid2}"))["assigned"] is True


def test_orgUnitMultiImageTest(admin: httpx.Client) -> None:
    """Adding an org unit file resource results in 3 extra images saved (small, medium, large)."""
    # when creating an org unit file resource
    fr_uid = _post_file_resource(admin, E2E_ORG_UNIT_PNG, "ORG_UNIT")
    assert fr_uid

    # then there are small, medium & large versions of the original file
    _assert_multi_image_state(admin, fr_uid)


def test_avatarMultiImageTest(admin: httpx.Client) -> None:
    """Adding a user avatar file resource results in 3 extra images saved (small, medium,
    large)."""
    # when creating an avatar file resource
    fr_uid = _post_file_resource(admin, E2E_USER_AVATAR_PNG, "USER_AVATAR")
    assert fr_uid

    # then there are small, medium & large versions of the original file
    _assert_multi_image_state(admin, fr_uid)


def _assert_multi_image_state(admin: httpx.Client, fr_uid: str) -> None:
    # wait 3 seconds at most until multiple file sizes exist
    _await(lambda: _two_diff_file_sizes_present(admin, fr_uid), "small < medium")

    small = _size_by_dimension(admin, fr_uid, "small")
    medium = _size_by_dimension(admin, fr_uid, "medium")
    large = _size_by_dimension(admin, fr_uid, "large")

    # all are positive sizes
    assert small > 0 and medium > 0 and large > 0

    # 3 different sizes exist
    assert large > medium
    assert medium > small


def _two_diff_file_sizes_present(admin: httpx.Client, fr_uid: str) -> bool:
    small = _size_by_dimension(admin, fr_uid, "small")
    medium = _size_by_dimension(admin, fr_uid, "medium")
    return 0 < small < medium


def _size_by_dimension(admin: httpx.Client, uid: str, dimension: str) -> int:
    response = admin.get(f"/api/fileResources/{uid}/data", params={"dimension": dimension})
    header = response.headers.get("Content-Length")
    return int(header) if header is not None else -1
