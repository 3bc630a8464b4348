"""Port of DHIS2's ``FileResourceControllerMockTest`` (2.42).

Source: dhis2/dhis2-core, branch 2.42,
dhis-2/dhis-test-web-api/src/test/java/org/hisp/dhis/webapi/controller/
FileResourceControllerMockTest.java. The Java tests call ``getFileResourceData`` on a
controller with a mocked service and verify that the content is copied (ORG_UNIT) or that a
ForbiddenException is thrown (DATA_VALUE). Here the same two resources are uploaded to the
emulator and fetched over HTTP: copied content is a 200 with the bytes, the ForbiddenException
is DHIS2's 403.
"""

from __future__ import annotations

import time

import httpx
from dhis2_test_api import GET, POST_MULTIPART, content
from emu_helpers import image_size
from images import WEB_API_DHIS2_PNG


def _stored(client: httpx.Client, domain: str) -> str:
    response = POST_MULTIPART(
        client, f"/fileResources?domain={domain}", "file", "id.png", "image/png", WEB_API_DHIS2_PNG
    )
    uid: str = content(response, 202)["response"]["fileResource"]["id"]
    for _ in range(500):  # the 202 comes before the content is stored
        if content(GET(client, f"/fileResources/{uid}"))["storageStatus"] == "STORED":
            return uid
        time.sleep(0.01)
    raise AssertionError("never STORED")


def testGetOrgUnitImage(admin: httpx.Client) -> None:
    uid = _stored(admin, "ORG_UNIT")
    response = GET(admin, f"/fileResources/{uid}/data")
    assert response.status_code == 200  # copyFileResourceContent was called
    assert response.headers["content-type"] == "image/png"
    assert image_size(response.content) == (800, 243)  # resizeOrgToDefaultSize


def testGetDataValue(admin: httpx.Client) -> None:
    uid = _stored(admin, "DATA_VALUE")
    response = GET(admin, f"/fileResources/{uid}/data")
    assert content(response, 403)["httpStatus"] == "Forbidden"  # ForbiddenException
