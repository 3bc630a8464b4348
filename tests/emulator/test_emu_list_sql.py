"""The SQL list path answers exactly like the in-Python path (``App(sql_lists=False)``).

A bulk-created inbox is varied with a seeded RNG (statuses, priorities, assignees
including unknown UIDs, per-user read/followUp, nullable extMessageId, mixed-case and
non-ASCII subjects, tied lastMessage stamps); then a seeded random set of list requests
(filters, rootJunction, order, paging) goes to two apps over the same store, and the
bodies (ids in order, the rendered fields and the pager) must be identical. A counter on
the Python path's loader proves the SQL path really served the translatable requests.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from dhis2w.emulator.app import App
from dhis2w.emulator.exchange import Request
from dhis2w.emulator.store import Store

ADMIN = "M5zQapPyTZI"
FATMATA = "FaKam4Bo001"
IBRAHIM = "IbSes4Ngl01"
USERS = {"admin": "district", "fatmata": "Fatmata#2024", "ibrahim": "Ibrahim#2024"}
FIELDS = "id,subject,lastMessage,read,followUp,assignee[id],status,priority,extMessageId"

SUBJECTS = ["alpha", "Alpha", "ÄRGER im Lager", "ärger", "İstanbul stock", "KELVIN \u212a", "beta"]
STAMPS = ["2024-03-01T10:00:00.000", "2024-03-01T10:00:00.000", "2024-05-05T08:30:00.000"]

TRANSLATED_FILTERS = [
    "read:eq:true",
    "read:eq:false",
    "followUp:eq:true",
    "followUp:!eq:true",
    "status:eq:OPEN",
    "status:in:[OPEN,PENDING]",
    "status:!in:[NONE]",
    "priority:ne:HIGH",
    "messageType:eq:PRIVATE",
    "assignee.id:eq:" + FATMATA,
    "assignee.id:in:[" + FATMATA + "," + IBRAHIM + "]",
    "assignee:null",
    "assignee:!null",
    "assignee.id:!eq:" + FATMATA,
    "assignee.displayName:ilike:kam",
    "lastSender.id:eq:" + ADMIN,
    "extMessageId:null",
    "extMessageId:!null",
    "extMessageId:like:ext-1",
    "extMessageId:!like:ext-1",
    "subject:like:alpha",
    "subject:ilike:alpha",
    "subject:!ilike:ärger",
    "subject:ilike:i",
    "subject:ilike:k",
    "subject:$ilike:al",
    "subject:ilike$:stock",
    "subject:!like$:a",
    "subject:like:",
    "subject:token:ärger lager",
    "subject:!token:alpha",
    "subject:eq:beta",
    "lastMessage:gt:2024-03-01T10:00:00.000",
    "lastMessage:le:2024-03-01",
    "created:lt:2025",
    "read:eq:maybe",  # Boolean.valueOf: false, as DHIS2 reads it
    "followUp:eq:TRUE",
    "messageCount:ge:2",
    "messageCount:like:1",
    "favorite:eq:false",
    "id:$like:A",
]
FALLBACK_FILTERS = ["messages.text:ilike:lorem", "userMessages.user.id:eq:" + IBRAHIM]
BAD_FILTERS = ["status:eq:BOGUS", "nothing:eq:1"]
ORDERS = [
    "lastMessage",
    "subject",
    "extMessageId",
    "status",
    "priority",
    "read",
    "followUp",
    "messageCount",
    "created",
    "id",
    "href",
    "favorite",
    "assignee",  # a reference: ignored by order, as in the Python path
    "nope",
]
DIRECTIONS = ["asc", "desc", "iasc", "idesc", "", "weird"]


@pytest.fixture(scope="module")
def apps() -> Iterator[tuple[App, App, Store, list[int]]]:
    store = Store(None, seed="demo")
    rng = random.Random(20240601)
    uids = store.bulk_create_conversations(400, recipients=["fatmata", "ibrahim"])
    with store.write() as conn:
        for i, uid in enumerate(uids):
            conn.execute(
                "UPDATE conversations SET status = ?, priority = ?, assignee = ?, "
                "ext_message_id = ?, subject = ?, last_message = ?, message_count = ? "
                "WHERE uid = ?",
                (
                    rng.choice(["NONE", "OPEN", "PENDING", "SOLVED"]),
                    rng.choice(["NONE", "LOW", "HIGH"]),
                    rng.choice([None, None, FATMATA, IBRAHIM, "Unknown0001"]),
                    rng.choice([None, None, f"ext-{i % 20}", f"EXT-{i % 7}"]),
                    f"{rng.choice(SUBJECTS)} {i % 13}" if rng.random() < 0.7 else "beta",
                    rng.choice(STAMPS) if rng.random() < 0.3 else f"2024-04-{i % 28 + 1:02d}",
                    rng.randint(1, 4),
                    uid,
                ),
            )
            for user in (ADMIN, FATMATA, IBRAHIM):
                conn.execute(
                    "UPDATE user_messages SET read = ?, follow_up = ? "
                    "WHERE conversation = ? AND user = ?",
                    (rng.random() < 0.5, rng.random() < 0.3, uid, user),
                )
        # fatmata leaves some conversations: inboxes differ per user
        conn.execute(
            "DELETE FROM user_messages WHERE user = ? AND conversation IN (?,?,?,?,?)",
            (FATMATA, *uids[:5]),
        )
    fallback_loads = [0]
    original = store.list_conversations_for

    def counting(user_uid: str) -> list[dict[str, Any]]:
        fallback_loads[0] += 1
        return original(user_uid)

    store.list_conversations_for = counting  # type: ignore[method-assign]
    yield App(store, sql_lists=True), App(store, sql_lists=False), store, fallback_loads
    store.close()


def _get(app: App, user: str, params: list[tuple[str, str]]) -> tuple[int, Any]:
    token = base64.b64encode(f"{user}:{USERS[user]}".encode()).decode()
    req = Request.build(
        "GET",
        "/api/messageConversations?" + urlencode(params),
        {"Authorization": f"Basic {token}", "Host": "emu"},
    )
    resp = app.handle(req)
    return resp.status, json.loads(resp.body)


def _random_request(rng: random.Random, filters: list[str]) -> list[tuple[str, str]]:
    params: list[tuple[str, str]] = [("fields", FIELDS)]
    for f in rng.sample(filters, rng.choice([0, 0, 1, 1, 2, 3])):
        params.append(("filter", f))
    if rng.random() < 0.3:
        params.append(("rootJunction", rng.choice(["OR", "or", "AND"])))
    if rng.random() < 0.85:
        terms = [
            f"{rng.choice(ORDERS)}:{rng.choice(DIRECTIONS)}".rstrip(":")
            for _ in range(rng.choice([1, 1, 2, 3]))
        ]
        params.append(("order", ",".join(terms)))
    if rng.random() < 0.1:
        params.append(("paging", "false"))
    else:
        params.append(("pageSize", str(rng.choice([1, 7, 50, 200, 1000]))))
        params.append(("page", str(rng.choice([1, 2, 3, 5, 40]))))
    return params


def _same(apps: tuple[App, App, Store, list[int]], user: str, params: list[tuple[str, str]]) -> Any:
    sql_app, py_app, _store, _loads = apps
    got = _get(sql_app, user, params)
    want = _get(py_app, user, params)
    assert got == want, params
    return got


def test_sql_path_matches_python_path_on_random_queries(
    apps: tuple[App, App, Store, list[int]],
) -> None:
    rng = random.Random(7)
    loads = apps[3]
    seen_rows = 0
    for _ in range(400):
        user = rng.choice(["admin", "admin", "fatmata", "ibrahim"])
        params = _random_request(rng, TRANSLATED_FILTERS)
        before = loads[0]
        status, body = _get(apps[0], user, params)
        assert loads[0] == before, f"SQL path did not serve {params}"
        assert (status, body) == _get(apps[1], user, params), params
        assert status == 200
        seen_rows += len(body["messageConversations"])
    assert seen_rows > 5000  # the queries are not all empty


def test_untranslatable_and_bad_requests_agree(apps: tuple[App, App, Store, list[int]]) -> None:
    rng = random.Random(11)
    for _ in range(60):
        params = _random_request(rng, TRANSLATED_FILTERS + FALLBACK_FILTERS + BAD_FILTERS)
        if rng.random() < 0.3:
            params.append(("queryString", rng.choice(["alpha", "lorem ipsum", "Fatmata", "zzz"])))
        _same(apps, rng.choice(["admin", "fatmata"]), params)
    status, _ = _same(apps, "admin", [("filter", "status:eq:BOGUS")])
    assert status == 400


def test_ties_nulls_and_case_folding_order(apps: tuple[App, App, Store, list[int]]) -> None:
    for order in ("extMessageId:asc", "extMessageId:desc", "subject:iasc", "subject:idesc"):
        status, body = _same(apps, "admin", [("fields", "id,subject"), ("order", order)])
        assert status == 200 and body["pager"]["total"] == 408  # 400 bulk + 8 seeded
    _, body = _same(apps, "admin", [("fields", "id"), ("order", "lastMessage:desc")])
    assert body["pager"]["nextPage"].startswith("http://emu/api/messageConversations?page=2")


def test_cached_listing_follows_writes(apps: tuple[App, App, Store, list[int]]) -> None:
    """The ordered-UID cache never outlives a change to the database."""
    sql_app, _py_app, store, _loads = apps
    params = [("fields", "id,read"), ("filter", "read:eq:false"), ("pageSize", "1000")]
    _, before = _same(apps, "ibrahim", params)
    unread = [c["id"] for c in before["messageConversations"]]
    assert unread
    with store.write() as conn:
        conn.execute(
            "UPDATE user_messages SET read = 1 WHERE conversation = ? AND user = ?",
            (unread[0], IBRAHIM),
        )
    _, after = _same(apps, "ibrahim", params)
    assert [c["id"] for c in after["messageConversations"]] == unread[1:]
    assert _get(sql_app, "ibrahim", params)[1] == after
