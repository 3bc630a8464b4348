"""Port of DHIS2's ``FileResourceControllerTest`` (2.42).

Source: dhis2/dhis2-core, branch 2.42,
dhis-2/dhis-test-web-api/src/test/java/org/hisp/dhis/webapi/controller/
FileResourceControllerTest.java. One test per Java test, same name, same assertions.
``file/dhis2.png`` is replaced by a generated PNG of the same size (images.py).
"""

from __future__ import annotations

import httpx
from dhis2_test_api import GET, POST_MULTIPART, assert_web_message, content
from images import WEB_API_DHIS2_PNG


def testSaveTooBigFileSize(admin: httpx.Client) -> None:
    data = bytes(10_000_001)
    response = POST_MULTIPART(
        admin,
        "/fileResources?domain=USER_AVATAR",
        "file",
        "OU_profile_image.png",
        "image/png",
        data,
    )
    assert (
        content(response, 409)["message"]
        == "File size can't be bigger than 10000000, current file size 10000001"
    )


def testSaveBadAvatarImageData(admin: httpx.Client) -> None:
    response = POST_MULTIPART(
        admin,
        "/fileResources?domain=USER_AVATAR",
        "file",
        "OU_profile_image.png",
        "image/png",
        b"<<png data>>",
    )
    assert content(response, 500)["message"] == "Failed to resize image: src cannot be null"


def testSaveBadAvatarContentType(admin: httpx.Client) -> None:
    response = POST_MULTIPART(
        admin,
        "/fileResources?domain=USER_AVATAR",
        "file",
        "OU_profile_image.png",
        "image/tiff",
        b"<<png data>>",
    )
    assert (
        content(response, 409)["message"]
        == "Invalid content type, valid content types are: image/jpeg,image/png,image/gif"
    )


def testSaveBadAvatarFileExtension(admin: httpx.Client) -> None:
    response = POST_MULTIPART(
        admin,
        "/fileResources?domain=USER_AVATAR",
        "file",
        "OU_profile_image.tiff",
        "image/png",
        b"<<png data>>",
    )
    assert (
        content(response, 409)["message"]
        == "Wrong file extension, valid extensions are: jpg,jpeg,png,gif"
    )


def testSaveBadAvatarFileSize(admin: httpx.Client) -> None:
    data = bytes(2_000_001)
    response = POST_MULTIPART(
        admin,
        "/fileResources?domain=USER_AVATAR",
        "file",
        "OU_profile_image.png",
        "image/png",
        data,
    )
    assert (
        content(response, 409)["message"]
        == "File size can't be bigger than 2000000, current file size 2000001"
    )


def testSaveGoodAvatar(admin: httpx.Client) -> None:
    response = POST_MULTIPART(
        admin,
        "/fileResources?domain=USER_AVATAR",
        "file",
        "dhis2.png",
        "image/png",
        WEB_API_DHIS2_PNG,
    )
    saved = content(response, 202)["response"]["fileResource"]
    assert saved["name"] == "dhis2.png"


def testSaveOrgUnitImage(admin: httpx.Client) -> None:
    response = POST_MULTIPART(
        admin,
        "/fileResources?domain=ORG_UNIT",
        "file",
        "OU_profile_image.png",
        "image/png",
        WEB_API_DHIS2_PNG,
    )
    saved = content(response, 202)["response"]["fileResource"]
    assert saved["name"] == "OU_profile_image.png"

    uid = saved["id"]
    fr = content(GET(admin, f"/fileResources/{uid}"))
    assert fr["domain"] == "ORG_UNIT"

    large = content(GET(admin, f"/fileResources/{uid}", dimension="LARGE"))
    assert large["domain"] == "ORG_UNIT"


def testSaveOrgUnitImageWithUid(admin: httpx.Client) -> None:
    response = POST_MULTIPART(
        admin,
        "/fileResources?domain=ORG_UNIT&uid=0123456789a",
        "file",
        "OU_profile_image.png",
        "image/png",
        WEB_API_DHIS2_PNG,
    )
    saved = content(response, 202)["response"]["fileResource"]
    assert saved["name"] == "OU_profile_image.png"
    assert saved["id"] == "0123456789a"


def testSaveOrgUnitImageWithUid_Update(admin: httpx.Client) -> None:
    response = POST_MULTIPART(
        admin,
        "/fileResources?domain=ORG_UNIT&uid=0123456789x",
        "file",
        "OU_profile_image.png",
        "image/png",
        WEB_API_DHIS2_PNG,
    )
    saved = content(response, 202)["response"]["fileResource"]
    assert saved["name"] == "OU_profile_image.png"
    assert saved["id"] == "0123456789x"

    # now update the resource with a different image but the same UID
    message = assert_web_message(
        "Conflict",
        409,
        "ERROR",
        "FileResource already exists: `0123456789x`",
        content(
            POST_MULTIPART(
                admin,
                "/fileResources?domain=ORG_UNIT&uid=0123456789x",
                "file",
                "OU_profile_image2.png",
                "image/png",
                WEB_API_DHIS2_PNG,
            ),
            409,
        ),
    )
    assert message["errorCode"] == "E1119"
