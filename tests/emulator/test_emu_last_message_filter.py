"""``lastMessage`` filters with ``gt``/``ge`` as DHIS2 2.42 parses them (BUGS.md E13): to the
millisecond, in every accepted date form, on the SQL list path and the Python one alike.
The inbox watcher relies on this: ``ge`` keeps a millisecond's ties, ``gt`` drops them."""

from __future__ import annotations

import httpx
import pytest

from dhis2w.testing import EmulatorHandle

STAMPS = {
    "early": "2030-01-01T10:00:00.122",
    "tie_a": "2030-01-01T10:00:00.123",
    "tie_b": "2030-01-01T10:00:00.123",
    "late": "2030-01-01T10:00:00.124",
}
# a filter through messages cannot be translated to SQL: it forces the Python path
PATHS = {"sql": [], "python": [("filter", "messages.text:!null")]}


@pytest.fixture
def stamped(dhis2_emulator: EmulatorHandle) -> dict[str, str]:
    """Four new conversations for admin with lastMessage stamps around one millisecond."""
    uids = dhis2_emulator.bulk_create_conversations(4, recipients=["fatmata"])
    names = dict(zip(uids, STAMPS, strict=True))
    with dhis2_emulator.server.store.write() as conn:
        for uid, name in names.items():
            conn.execute(
                "UPDATE conversations SET last_message = ? WHERE uid = ?", (STAMPS[name], uid)
            )
    return names


def matching(emulator: EmulatorHandle, expr: str, path: str) -> set[str]:
    admin = emulator.user("admin")
    with httpx.Client(base_url=emulator.url, auth=(admin.username, admin.password)) as client:
        response = client.get(
            "/api/messageConversations",
            params=[("filter", expr), ("fields", "id"), ("paging", "false"), *PATHS[path]],
        )
    assert response.status_code == 200, response.text
    return {c["id"] for c in response.json()["messageConversations"]}


@pytest.mark.parametrize("path", sorted(PATHS))
@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("lastMessage:ge:2030-01-01T10:00:00.123", {"tie_a", "tie_b", "late"}),
        ("lastMessage:gt:2030-01-01T10:00:00.123", {"late"}),
        ("lastMessage:gt:2030-01-01T10:00:00.122", {"tie_a", "tie_b", "late"}),
        ("lastMessage:ge:2030-01-01T10:00:00.124", {"late"}),
        # more digits are cut to milliseconds, as a java.util.Date holds them
        ("lastMessage:ge:2030-01-01T10:00:00.123999", {"tie_a", "tie_b", "late"}),
        # shorter forms mean the start of that second, minute, hour or day
        ("lastMessage:ge:2030-01-01T10:00:00", {"early", "tie_a", "tie_b", "late"}),
        ("lastMessage:gt:2030-01-01T10", {"early", "tie_a", "tie_b", "late"}),
        ("lastMessage:ge:20300101", {"early", "tie_a", "tie_b", "late"}),
        ("lastMessage:ge:2030-01-02", set()),
        # an offset is converted to the server's zone (UTC here)
        ("lastMessage:ge:2030-01-01T12:00:00.123+02:00", {"tie_a", "tie_b", "late"}),
        ("lastMessage:gt:2030-01-01T10:00:00.123Z", {"late"}),
    ],
)
def test_gt_and_ge_to_the_millisecond(
    dhis2_emulator: EmulatorHandle,
    stamped: dict[str, str],
    path: str,
    expr: str,
    expected: set[str],
) -> None:
    found = {stamped[uid] for uid in matching(dhis2_emulator, expr, path) if uid in stamped}
    assert found == expected


@pytest.mark.parametrize("value", ["yesterday", "2030-13-01", "2030-01-01 10:00:00", "1/2/2030"])
def test_an_unparsable_date_is_dhis2s_400(dhis2_emulator: EmulatorHandle, value: str) -> None:
    admin = dhis2_emulator.user("admin")
    with httpx.Client(base_url=dhis2_emulator.url, auth=(admin.username, admin.password)) as c:
        response = c.get(
            "/api/messageConversations", params=[("filter", f"lastMessage:gt:{value}")]
        )
    assert response.status_code == 400
    assert response.json()["message"] == f"Unable to parse `{value}` as `Date`."
