"""Port of DHIS2's end-to-end ``FileStoreTest`` (2.42).

Source: dhis2/dhis2-core, branch 2.42,
dhis-2/dhis-test-e2e/src/test/java/org/hisp/dhis/icons/FileStoreTest.java. Same name
(``test_`` + the Java name), same assertions: as the superuser, an ICON upload of
``dhis2.png`` (a generated PNG of the same 160x100 size) answers 202, reads STORED within
4 s (polled every 200 ms) and its data is served with 200.
"""

from __future__ import annotations

import time

import httpx
from dhis2_test_api import GET, content
from images import E2E_DHIS2_PNG


def test_shouldStoreFileResourceInExternalStore(admin: httpx.Client) -> None:
    response = admin.post(
        "/api/fileResources",
        params={"domain": "ICON"},
        files={"file": ("dhis2.png", E2E_DHIS2_PNG, "image/png")},
    )
    file_resource_id = content(response, 202)["response"]["fileResource"]["id"]

    deadline = time.monotonic() + 4.0
    while content(GET(admin, f"/fileResources/{file_resource_id}"))["storageStatus"] != "STORED":
        assert time.monotonic() < deadline, "not STORED within 4 s"
        time.sleep(0.2)

    assert GET(admin, f"/fileResources/{file_resource_id}/data").status_code == 200
