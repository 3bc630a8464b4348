"""Port of DHIS2's ``SchemaBasedControllerTest`` (2.42), for the one schema we emulate:
``document`` (``/api/documents``).

Source: dhis2/dhis2-core, branch 2.42,
dhis-2/dhis-test-web-api/src/test/java/org/hisp/dhis/webapi/controller/
SchemaBasedControllerTest.java. The Java ``@TestFactory generateSchemaBasedTests`` builds, per
schema, a container of dynamic tests that run in order against one created object: create
object, patch object, query object, query object list, query object Gist, query object list
Gist, update object attribute value, delete object. The port runs the ``/documents``
container's tests in that order, with the same assertions.

The object to create comes from DHIS2's ``JsonGenerator`` (every required property:
``name`` a unique string, ``url`` ``http://example.com``, the boolean ``external`` ``true``).
"update object attribute value" is not ported: it first creates an ``/api/attributes``
object, an endpoint the emulator does not have (README.md).
"""

from __future__ import annotations

import httpx
from dhis2_test_api import DELETE, GET, PATCH, POST, assert_status, content

ENDPOINT = "/documents"
PLURAL = "documents"


def _run_create_object(admin: httpx.Client) -> str:
    body = '{"name":"name_document_1","url":"http://example.com","external":true}'
    uid = assert_status(201, POST(admin, ENDPOINT, body))
    assert uid is not None
    return uid


def _run_patch_object(admin: httpx.Client, uid: str) -> None:
    json = '[{ "op": "add", "path": "/name", "value": "new_name_patch" }]'
    assert_status(200, PATCH(admin, f"{ENDPOINT}/{uid}", json))


def _run_query_object(admin: httpx.Client, uid: str) -> None:
    obj = content(GET(admin, f"{ENDPOINT}/{uid}"))
    assert obj is not None
    assert obj["id"] == uid


def _run_query_object_list(admin: httpx.Client, uid: str) -> None:
    gist = content(GET(admin, ENDPOINT))
    assert isinstance(gist.get("pager"), dict)
    entries = gist[PLURAL]
    assert entries
    # only if there is only one we are sure it is the one we created
    if len(entries) == 1:
        assert entries[0]["id"] == uid


def _run_query_object_gist(admin: httpx.Client, uid: str) -> None:
    obj = content(GET(admin, f"{ENDPOINT}/{uid}/gist"))
    assert obj is not None
    assert obj["id"] == uid


def _run_query_object_list_gist(admin: httpx.Client, uid: str) -> None:
    gist = content(GET(admin, f"{ENDPOINT}/gist"))
    assert isinstance(gist.get("pager"), dict)
    entries = gist[PLURAL]
    assert entries
    if len(entries) == 1:
        assert entries[0]["id"] == uid


def _run_delete_object(admin: httpx.Client, uid: str) -> None:
    assert_status(200, DELETE(admin, f"{ENDPOINT}/{uid}"))


def test_generateSchemaBasedTests(admin: httpx.Client) -> None:
    """The ``documents`` container of ``generateSchemaBasedTests``, in its order."""
    uid = _run_create_object(admin)  # create object
    _run_patch_object(admin, uid)  # patch object
    _run_query_object(admin, uid)  # query object
    _run_query_object_list(admin, uid)  # query object list
    _run_query_object_gist(admin, uid)  # query object Gist
    _run_query_object_list_gist(admin, uid)  # query object list Gist
    _run_delete_object(admin, uid)  # delete object
