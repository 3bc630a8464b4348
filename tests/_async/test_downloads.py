"""Downloads at the file-system boundary: pipes and devices, planted links, the temporary
file, file objects, and server-given file names (against the emulator, over loopback)."""

from __future__ import annotations

import io
import os
import stat
import threading
from pathlib import Path

import httpx
import pytest
from pytest_httpx import HTTPXMock

from dhis2w import AsyncClient, FileResourceDomain, InvalidInputError, TransportError
from dhis2w.testing import EmulatorHandle

from .helpers import FILE, make_client

pytestmark = pytest.mark.anyio

CONTENT = b"week,cases\n1,3\n" * 5000  # 75 kB: several chunks on the wire


async def upload(client: AsyncClient, name: str = "cases.csv", data: bytes = CONTENT) -> str:
    resource = await client.files.upload_file_resource(
        data, filename=name, domain=FileResourceDomain.MESSAGE_ATTACHMENT
    )
    return resource.id


def client_for(emulator: EmulatorHandle) -> AsyncClient:
    return AsyncClient(emulator.profile("admin"), backoff_base=0.0, storage_poll_interval=0.01)


class FifoReader:
    """Reads a named pipe to its end in a thread, as ``cat p`` would."""

    def __init__(self, path: Path) -> None:
        self.data = b""
        self._thread = threading.Thread(target=self._read, args=(path,), daemon=True)
        self._thread.start()

    def _read(self, path: Path) -> None:
        with open(path, "rb") as pipe:
            self.data = pipe.read()

    def join(self) -> bytes:
        self._thread.join(timeout=60)
        assert not self._thread.is_alive(), "the pipe was never closed by the writer"
        return self.data


async def test_download_into_fifo_writes_into_it(
    dhis2_emulator: EmulatorHandle, tmp_path: Path
) -> None:
    # A named pipe as DEST is written into (curl -o does the same), never replaced by a file.
    fifo = tmp_path / "p"
    os.mkfifo(fifo)
    async with client_for(dhis2_emulator) as client:
        uid = await upload(client)
        reader = FifoReader(fifo)
        written = await client.files.download_file_resource(uid, fifo)
    assert reader.join() == CONTENT
    assert written == fifo
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p"]  # no temporary file left


async def test_download_through_own_link_to_fifo(
    dhis2_emulator: EmulatorHandle, tmp_path: Path
) -> None:
    # Like /dev/stdout: a link (ours or root's) to a pipe is followed and written into.
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "stdout"
    link.symlink_to(fifo)
    async with client_for(dhis2_emulator) as client:
        uid = await upload(client)
        reader = FifoReader(fifo)
        await client.files.download_file_resource(uid, link)
    assert reader.join() == CONTENT
    assert link.is_symlink() and stat.S_ISFIFO(os.stat(link).st_mode)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
async def test_link_to_a_device_planted_by_another_user_is_refused(
    httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    fifo = tmp_path / "device"
    os.mkfifo(fifo)
    planted = tmp_path / "out.csv"
    planted.symlink_to(fifo)
    os.lchown(planted, 12345, 12345)
    async with make_client() as client:
        with pytest.raises(InvalidInputError, match="owned by another user"):
            await client.files.download_file_resource(FILE, planted)
    assert httpx_mock.get_requests() == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
async def test_link_to_a_folder_planted_by_another_user_is_refused(
    httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    planted = tmp_path / "out.csv"
    planted.symlink_to(elsewhere)
    os.lchown(planted, 12345, 12345)
    async with make_client() as client:
        with pytest.raises(InvalidInputError, match="owned by another user"):
            await client.files.download_file_resource(FILE, planted)
    assert httpx_mock.get_requests() == [] and list(elsewhere.iterdir()) == []


async def test_planted_link_at_the_old_part_name_is_not_written_through(
    dhis2_emulator: EmulatorHandle, tmp_path: Path
) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    (tmp_path / "out.csv.part").symlink_to(victim)
    dest = tmp_path / "out.csv"
    async with client_for(dhis2_emulator) as client:
        uid = await upload(client)
        assert await client.files.download_file_resource(uid, dest) == dest
    assert victim.read_bytes() == b"precious"
    assert not dest.is_symlink() and dest.read_bytes() == CONTENT


async def test_planted_link_in_a_folder_is_never_written_through(
    dhis2_emulator: EmulatorHandle, tmp_path: Path
) -> None:
    # A dangling link with the server's file name: the download takes the next free name.
    victim = tmp_path / "elsewhere" / "victim"
    (tmp_path / "cases.csv").symlink_to(victim)
    async with client_for(dhis2_emulator) as client:
        uid = await upload(client)
        written = await client.files.download_file_resource(uid, tmp_path)
    assert not victim.exists()
    assert written == tmp_path / "cases (1).csv" and written.read_bytes() == CONTENT


async def test_temporary_file_is_private_and_unpredictable(
    httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    dest = tmp_path / "report.pdf"
    seen: list[tuple[str, int]] = []

    class Chunks(httpx.AsyncByteStream):
        async def __aiter__(self):  # type: ignore[no-untyped-def]
            for part in tmp_path.iterdir():
                seen.append((part.name, stat.S_IMODE(os.lstat(part).st_mode)))
            yield b"data"

    httpx_mock.add_response(stream=Chunks())
    httpx_mock.add_response(stream=Chunks())
    async with make_client() as client:
        await client.files.download_file_resource(FILE, dest)
        dest.unlink()
        await client.files.download_file_resource(FILE, dest)
    (first, first_mode), (second, second_mode) = seen
    assert first_mode == second_mode == 0o600
    assert first != second and "report.pdf" not in first
    assert first.startswith(".") and first.endswith(".part")
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(dest.stat().st_mode) == 0o666 & ~umask  # an ordinary file once renamed


async def test_download_into_binary_file_object(
    dhis2_emulator: EmulatorHandle,
) -> None:
    sink = io.BytesIO()
    async with client_for(dhis2_emulator) as client:
        uid = await upload(client)
        assert await client.files.download_file_resource(uid, sink) == len(CONTENT)
    assert sink.getvalue() == CONTENT
    assert not sink.closed  # the caller's file object stays open


class CutOffDownload(httpx.AsyncByteStream):
    async def __aiter__(self):  # type: ignore[no-untyped-def]
        yield b"a" * 1000
        raise httpx.ReadError("connection reset by peer")


async def test_cut_off_download_into_file_object_says_what_was_written(
    httpx_mock: HTTPXMock,
) -> None:
    httpx_mock.add_response(stream=CutOffDownload())
    sink = io.BytesIO()
    async with make_client() as client:
        with pytest.raises(TransportError, match="first 1,000 bytes were already written"):
            await client.files.download_file_resource(FILE, sink)
    assert sink.getvalue() == b"a" * 1000


async def test_closed_file_object_is_refused_before_any_request(httpx_mock: HTTPXMock) -> None:
    sink = io.BytesIO()
    sink.close()
    async with make_client() as client:
        with pytest.raises(InvalidInputError, match="closed"):
            await client.files.download_file_resource(FILE, sink)
    assert httpx_mock.get_requests() == []


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (b"attachment; filename=x.pdf; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf", "résumé.pdf"),
        (b'attachment; filename="minutes; final.pdf"', "minutes; final.pdf"),
        (b"filename=../../\xe2\x80\xaefdp.exe", "fdp.exe"),
        ("filename=ລາວ ሰላም 👩‍⚕️.txt".encode(), "ລາວ ሰላም 👩‍⚕️.txt"),
        (b"filename=.bashrc", "bashrc"),
    ],
)
async def test_server_file_name_in_a_folder(
    httpx_mock: HTTPXMock, tmp_path: Path, header: bytes, expected: str
) -> None:
    httpx_mock.add_response(content=b"body", headers=[(b"Content-Disposition", header)])
    async with make_client() as client:
        written = await client.files.download_file_resource(FILE, tmp_path)
    assert written == tmp_path / expected
    assert [p.name for p in tmp_path.iterdir()] == [expected]


async def test_long_server_file_name_is_shortened_keeping_extension(
    httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    name = "ລາວ" * 60 + ".pdf"  # 544 bytes in UTF-8
    httpx_mock.add_response(
        content=b"body", headers=[(b"Content-Disposition", f"filename={name}".encode())]
    )
    async with make_client() as client:
        written = await client.files.download_file_resource(FILE, tmp_path)
    assert isinstance(written, Path) and written.read_bytes() == b"body"
    assert written.suffix == ".pdf" and len(written.name.encode()) <= 255
    assert name.startswith(written.stem)


@pytest.mark.skipif(not os.path.exists("/proc/version"), reason="no /proc")
async def test_unwritable_destination_is_named_not_a_temporary_file(
    dhis2_emulator: EmulatorHandle,
) -> None:
    before = Path("/proc/version").read_bytes()
    async with client_for(dhis2_emulator) as client:
        uid = await upload(client)
        with pytest.raises(InvalidInputError, match="cannot save to '/proc/version'") as info:
            await client.files.download_file_resource(uid, "/proc/version")
    assert ".part" not in str(info.value) and ".dhis2w-" not in str(info.value)
    assert Path("/proc/version").read_bytes() == before


@pytest.mark.parametrize("name", ["ລາວ.txt", "ሰላም ዓለም.csv", "👩‍⚕️ 👍🏽 report.txt", "été.txt"])
async def test_non_ascii_names_are_kept_end_to_end(
    dhis2_emulator: EmulatorHandle, tmp_path: Path, name: str
) -> None:
    fatmata = dhis2_emulator.user("fatmata").uid
    async with client_for(dhis2_emulator) as client:
        uid = await upload(client, name=name, data=b"data\n")
        sent = await client.messaging.send(
            subject="Names", text="see attached", users=[fatmata], attachments=[uid]
        )
        message = sent.messages[0].id
        folder = tmp_path / "attachments"
        folder.mkdir()
        via_attachment = await client.messaging.download_attachment(sent.id, message, uid, folder)
        via_resource = await client.files.download_file_resource(uid, tmp_path)
    assert via_attachment == folder / name and via_attachment.read_bytes() == b"data\n"
    assert via_resource == tmp_path / name


async def test_mangled_header_name_falls_back_to_the_stored_name(
    httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    httpx_mock.add_response(
        url=f"https://dhis2.example.org/api/fileResources/{FILE}/data",
        content=b"body",
        headers={"Content-Disposition": "filename=???.txt"},
    )
    httpx_mock.add_response(
        url=f"https://dhis2.example.org/api/fileResources/{FILE}",
        json={"id": FILE, "name": "ລາວ.txt", "storageStatus": "STORED"},
    )
    async with make_client() as client:
        written = await client.files.download_file_resource(FILE, tmp_path)
    assert written == tmp_path / "ລາວ.txt"


async def test_header_name_is_used_without_extra_request(
    httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    httpx_mock.add_response(
        content=b"body", headers=[(b"Content-Disposition", "filename=été.txt".encode())]
    )
    async with make_client() as client:
        assert await client.files.download_file_resource(FILE, tmp_path) == tmp_path / "été.txt"
    assert len(httpx_mock.get_requests()) == 1
