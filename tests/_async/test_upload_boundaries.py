"""Uploads at the boundaries: the default domain is the one messages accept, a refused
attachment says why, dhis2w's own size limit can be raised per call, and sources that are
not plain files (devices, /proc) get errors that say what they are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dhis2w import (
    AsyncClient,
    ConflictError,
    FileResourceDomain,
    FileTooLargeError,
    InvalidInputError,
)
from dhis2w.testing import EmulatorHandle

pytestmark = pytest.mark.anyio


def client_for(emulator: EmulatorHandle, **options: object) -> AsyncClient:
    return AsyncClient(
        emulator.profile("admin"), backoff_base=0.0, storage_poll_interval=0.01, **options
    )


async def test_default_domain_is_message_attachment_and_can_be_sent(
    dhis2_emulator: EmulatorHandle,
) -> None:
    fatmata = dhis2_emulator.user("fatmata").uid
    async with client_for(dhis2_emulator) as client:
        resource = await client.files.upload_file_resource(b"a,b\n1,2\n", filename="t.csv")
        assert resource.domain is FileResourceDomain.MESSAGE_ATTACHMENT
        sent = await client.messaging.send(
            subject="Default domain", text="attached", users=[fatmata], attachments=[resource.id]
        )
    assert [a.id for a in sent.messages[0].attachments] == [resource.id]


async def test_attachment_of_another_domain_says_so(dhis2_emulator: EmulatorHandle) -> None:
    fatmata = dhis2_emulator.user("fatmata").uid
    async with client_for(dhis2_emulator) as client:
        other = await client.files.upload_file_resource(
            b"1,2\n", filename="v.csv", domain=FileResourceDomain.DATA_VALUE
        )
        with pytest.raises(ConflictError, match="domain DATA_VALUE") as info:
            await client.messaging.send(
                subject="Wrong domain", text="x", users=[fatmata], attachments=[other.id]
            )
        assert info.value.status_code == 409 and "MESSAGE_ATTACHMENT" in str(info.value)
        conversation = (await client.messaging.list_conversations(page_size=1)).conversations[0]
        with pytest.raises(ConflictError, match="domain DATA_VALUE"):
            await client.messaging.reply(conversation.id, text="x", attachments=[other.id])


async def test_attachment_used_twice_says_so(dhis2_emulator: EmulatorHandle) -> None:
    fatmata = dhis2_emulator.user("fatmata").uid
    async with client_for(dhis2_emulator) as client:
        resource = await client.files.upload_file_resource(b"1,2\n", filename="once.csv")
        await client.messaging.send(
            subject="First", text="x", users=[fatmata], attachments=[resource.id]
        )
        with pytest.raises(ConflictError, match="already attached to another message"):
            await client.messaging.send(
                subject="Second", text="x", users=[fatmata], attachments=[resource.id]
            )


async def test_upload_limit_is_dhis2ws_and_can_be_raised_per_call(
    dhis2_emulator: EmulatorHandle,
) -> None:
    async with client_for(dhis2_emulator, max_upload_size=10) as client:
        with pytest.raises(FileTooLargeError, match="dhis2w's upload limit of 10 bytes") as info:
            await client.files.upload_file_resource(b"x" * 11, filename="a.csv")
        assert "max_size" in str(info.value)
        resource = await client.files.upload_file_resource(
            b"x" * 11, filename="a.csv", max_size=100
        )
        assert resource.content_length == 11
        document = await client.files.upload_document(
            b"y" * 11, name="Doc", filename="d.txt", max_size=100
        )
        assert document.name == "Doc"
        with pytest.raises(FileTooLargeError):  # the client's limit is unchanged
            await client.files.upload_file_resource(b"x" * 11, filename="a.csv")


@pytest.mark.parametrize("bad", [0, -1, True, 1.5])
async def test_bad_max_size_is_refused(dhis2_emulator: EmulatorHandle, bad: object) -> None:
    async with client_for(dhis2_emulator) as client:
        with pytest.raises(InvalidInputError, match="max_size"):
            await client.files.upload_file_resource(b"x", max_size=bad)  # type: ignore[arg-type]


async def test_device_is_empty_not_missing(dhis2_emulator: EmulatorHandle) -> None:
    async with client_for(dhis2_emulator) as client:
        with pytest.raises(InvalidInputError, match="/dev/null is empty") as info:
            await client.files.upload_file_resource("/dev/null")
    assert "no such file" not in str(info.value)


async def test_folder_is_not_a_file(dhis2_emulator: EmulatorHandle, tmp_path: Path) -> None:
    async with client_for(dhis2_emulator) as client:
        with pytest.raises(InvalidInputError, match="is a folder"):
            await client.files.upload_file_resource(tmp_path)


@pytest.mark.skipif(not os.path.exists("/proc/version"), reason="no /proc")
async def test_proc_file_uploads_what_it_holds(dhis2_emulator: EmulatorHandle) -> None:
    # /proc reports size 0 (and /sys 4096) whatever the file holds: the bytes read are sent.
    with open("/proc/version", "rb") as handle:
        expected = handle.read()
    async with client_for(dhis2_emulator) as client:
        resource = await client.files.upload_file_resource("/proc/version")
        assert resource.content_length == len(expected)
        assert await client.files.download_file_resource(resource.id) == expected


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
async def test_endless_device_stops_at_the_limit(dhis2_emulator: EmulatorHandle) -> None:
    async with client_for(dhis2_emulator, max_upload_size=1000) as client:
        with pytest.raises(FileTooLargeError, match="more than 1,000 bytes"):
            await client.files.upload_file_resource("/dev/zero")
