"""Bad input is refused before any request, with a message that says what is wrong."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_httpx import HTTPXMock

from dhis2w import AsyncClient, InvalidInputError, InvalidUidError

from .helpers import CONV, FILE, GROUP, MSG, ORG, USER, make_client

pytestmark = pytest.mark.anyio

BAD = "not-a-uid"

Call = Callable[[AsyncClient], Any]

#: Every call that takes a UID, with the malformed one in each UID position.
UID_CALLS: list[tuple[str, Call, str]] = [
    ("get", lambda c: c.messaging.get_conversation(BAD), "conversation"),
    ("reply", lambda c: c.messaging.reply(BAD, text="x"), "conversation"),
    ("reply-att", lambda c: c.messaging.reply(CONV, text="x", attachments=[BAD]), "attachment"),
    ("send-user", lambda c: c.messaging.send(subject="s", text="t", users=[USER, BAD]), "user"),
    (
        "send-group",
        lambda c: c.messaging.send(subject="s", text="t", user_groups=BAD),
        "user group",
    ),
    (
        "send-ou",
        lambda c: c.messaging.send(subject="s", text="t", organisation_units=[BAD]),
        "organisation unit",
    ),
    (
        "send-att",
        lambda c: c.messaging.send(subject="s", text="t", users=USER, attachments=BAD),
        "attachment",
    ),
    ("recip-conv", lambda c: c.messaging.add_recipients(BAD, users=[USER]), "conversation"),
    ("recip-user", lambda c: c.messaging.add_recipients(CONV, users=["admin"]), "user"),
    (
        "recip-group",
        lambda c: c.messaging.add_recipients(CONV, user_groups=[GROUP, BAD]),
        "user group",
    ),
    (
        "recip-ou",
        lambda c: c.messaging.add_recipients(CONV, organisation_units=[ORG, BAD]),
        "organisation unit",
    ),
    ("mark-read", lambda c: c.messaging.mark_read([CONV, BAD]), "conversation"),
    ("mark-unread", lambda c: c.messaging.mark_unread(BAD), "conversation"),
    ("follow-up", lambda c: c.messaging.follow_up([BAD]), "conversation"),
    ("unfollow-up", lambda c: c.messaging.unfollow_up([BAD]), "conversation"),
    ("delete", lambda c: c.messaging.delete_conversation([CONV, BAD]), "conversation"),
    ("priority", lambda c: c.messaging.set_priority(BAD, "HIGH"), "conversation"),
    ("status", lambda c: c.messaging.set_status(BAD, "OPEN"), "conversation"),
    ("assign-conv", lambda c: c.messaging.assign(BAD, USER), "conversation"),
    ("assign-user", lambda c: c.messaging.assign(CONV, "admin"), "user"),
    ("unassign", lambda c: c.messaging.unassign(BAD), "conversation"),
    ("att-conv", lambda c: c.messaging.download_attachment(BAD, MSG, FILE), "conversation"),
    ("att-msg", lambda c: c.messaging.download_attachment(CONV, BAD, FILE), "message"),
    ("att-file", lambda c: c.messaging.download_attachment(CONV, MSG, BAD), "file"),
    ("list-assignee", lambda c: c.messaging.list_conversations(assignee=BAD), "assignee"),
    ("fr-get", lambda c: c.files.get_file_resource(BAD), "file resource"),
    ("fr-wait", lambda c: c.files.wait_until_stored(BAD), "file resource"),
    ("fr-download", lambda c: c.files.download_file_resource(BAD), "file resource"),
    ("doc-get", lambda c: c.files.get_document(BAD), "document"),
    ("doc-download", lambda c: c.files.download_document(BAD), "document"),
    ("doc-delete", lambda c: c.files.delete_document(BAD), "document"),
]


@pytest.mark.parametrize(
    ("call", "what"), [(call, what) for _, call, what in UID_CALLS], ids=[i for i, *_ in UID_CALLS]
)
async def test_malformed_uid_sends_nothing(httpx_mock: HTTPXMock, call: Call, what: str) -> None:
    async with make_client() as client:
        with pytest.raises(InvalidUidError, match="is not a DHIS2 UID") as info:
            await call(client)
    assert str(info.value).startswith(f"{what} ")
    assert httpx_mock.get_requests() == []


async def test_iter_conversations_bad_uid_fails_at_call(httpx_mock: HTTPXMock) -> None:
    async with make_client() as client:
        with pytest.raises(InvalidUidError, match="assignee"):
            client.messaging.iter_conversations(assignee=BAD)
    assert httpx_mock.get_requests() == []


async def test_not_a_uid_list(httpx_mock: HTTPXMock) -> None:
    async with make_client() as client:
        with pytest.raises(InvalidUidError, match="conversation 42"):
            await client.messaging.mark_read(42)  # type: ignore[arg-type]
    assert httpx_mock.get_requests() == []


ENUM_CALLS: list[tuple[str, Call, str]] = [
    ("priority", lambda c: c.messaging.set_priority(CONV, "urgent"), "NONE, LOW, MEDIUM, HIGH"),
    (
        "status",
        lambda c: c.messaging.set_status(CONV, "closed"),
        "NONE, OPEN, PENDING, INVALID, SOLVED",
    ),
    ("list-priority", lambda c: c.messaging.list_conversations(priority="urgent"), "HIGH"),
    ("list-type", lambda c: c.messaging.list_conversations(message_type="memo"), "TICKET"),
    ("unread-type", lambda c: c.messaging.unread_count("memo"), "VALIDATION_RESULT"),
    ("domain", lambda c: c.files.upload_file_resource(b"x", domain="inbox"), "MESSAGE_ATTACHMENT"),
]


@pytest.mark.parametrize(
    ("call", "choices"),
    [(call, choices) for _, call, choices in ENUM_CALLS],
    ids=[i for i, *_ in ENUM_CALLS],
)
async def test_invalid_enum_lists_valid_values(
    httpx_mock: HTTPXMock, call: Call, choices: str
) -> None:
    async with make_client() as client:
        with pytest.raises(InvalidInputError, match="is not one of") as info:
            await call(client)
    assert choices in str(info.value)
    assert httpx_mock.get_requests() == []


async def test_priority_urgent_message(httpx_mock: HTTPXMock) -> None:
    async with make_client() as client:
        with pytest.raises(ValueError) as info:
            await client.messaging.set_priority(CONV, "urgent")
    assert str(info.value) == "priority 'urgent' is not one of NONE, LOW, MEDIUM, HIGH"


PAGING_CALLS: list[tuple[str, Call]] = [
    ("list-page-0", lambda c: c.messaging.list_conversations(page=0)),
    ("list-size-0", lambda c: c.messaging.list_conversations(page_size=0)),
    ("list-size-neg", lambda c: c.messaging.list_conversations(page_size=-5)),
    ("docs-page-0", lambda c: c.files.list_documents(page=0)),
    ("docs-size-0", lambda c: c.files.list_documents(page_size=0)),
]


@pytest.mark.parametrize(
    "call", [call for _, call in PAGING_CALLS], ids=[i for i, _ in PAGING_CALLS]
)
async def test_page_and_page_size_below_one(httpx_mock: HTTPXMock, call: Call) -> None:
    async with make_client() as client:
        with pytest.raises(InvalidInputError, match="from 1 up"):
            await call(client)
    assert httpx_mock.get_requests() == []


async def test_iter_conversations_page_size_below_one(httpx_mock: HTTPXMock) -> None:
    async with make_client() as client:
        with pytest.raises(InvalidInputError, match="page_size"):
            client.messaging.iter_conversations(page_size=0)
    assert httpx_mock.get_requests() == []


TEXT_CALLS: list[tuple[str, Call, str]] = [
    ("feedback-subject", lambda c: c.messaging.send_feedback(subject=" ", text="t"), "subject"),
    ("feedback-text", lambda c: c.messaging.send_feedback(subject="s", text=""), "text is empty"),
    ("feedback-nul", lambda c: c.messaging.send_feedback(subject="s\x00", text="t"), "NUL"),
    ("doc-name", lambda c: c.files.upload_document(b"x", name="\t"), "document name"),
    (
        "ext-doc-nul",
        lambda c: c.files.create_external_document(name="a\x00", url="https://x"),
        "NUL",
    ),
    ("reply-not-text", lambda c: c.messaging.reply(CONV, text=b"bytes"), "must be text"),
]


@pytest.mark.parametrize(
    ("call", "error"), [(call, err) for _, call, err in TEXT_CALLS], ids=[i for i, *_ in TEXT_CALLS]
)
async def test_bad_text_sends_nothing(httpx_mock: HTTPXMock, call: Call, error: str) -> None:
    async with make_client() as client:
        with pytest.raises(InvalidInputError, match=error):
            await call(client)
    assert httpx_mock.get_requests() == []


async def test_missing_and_oversized_files_name_the_problem(
    httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    from dhis2w import FileTooLargeError

    async with make_client() as client:
        with pytest.raises(InvalidInputError, match="no such file"):
            await client.files.upload_file_resource(tmp_path / "missing.pdf")
        with pytest.raises(InvalidInputError, match="no such file"):
            await client.files.upload_document(tmp_path / "missing.pdf", name="SOP")
        big = tmp_path / "big.bin"
        with big.open("wb") as handle:
            handle.truncate(10_000_001)  # sparse: no 10 MB written
        with pytest.raises(FileTooLargeError, match="10,000,001 bytes") as info:
            await client.files.upload_file_resource(big)
        assert "10,000,000" in str(info.value)
        with big.open("rb") as handle, pytest.raises(FileTooLargeError):
            await client.files.upload_file_resource(handle)
        exact = tmp_path / "exact.bin"
        with exact.open("wb") as handle:
            handle.truncate(10_000_000)
        httpx_mock.add_response(
            status_code=202,
            json={"response": {"fileResource": {"id": FILE, "storageStatus": "STORED"}}},
        )
        assert (await client.files.upload_file_resource(exact)).id == FILE  # the limit itself
