"""client.files: uploads (multipart shape, PENDING -> STORED), downloads, documents."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from dhis2w import (
    ExternalDocumentError,
    FileTooLargeError,
    InvalidInputError,
    StorageStatus,
    StorageTimeoutError,
)

from .helpers import API, DOC, FILE, created, make_client, only_request, query

pytestmark = pytest.mark.anyio


def file_resource(status: str = "PENDING", **extra: Any) -> dict[str, Any]:
    body = {
        "id": FILE,
        "name": "report.pdf",
        "contentType": "application/pdf",
        "contentLength": 11,
        "domain": "MESSAGE_ATTACHMENT",
        "assigned": False,
        "storageStatus": status,
    }
    body.update(extra)
    return body


def accepted(status: str = "PENDING") -> dict[str, Any]:
    return {
        "json": {
            "httpStatus": "Accepted",
            "httpStatusCode": 202,
            "status": "OK",
            "response": {"responseType": "FileResource", "fileResource": file_resource(status)},
        },
        "status_code": 202,
    }


def multipart_part(request: httpx.Request) -> bytes:
    content_type = request.headers["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    return request.content


async def test_upload_bytes_waits_until_stored(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", **accepted())
    httpx_mock.add_response(method="GET", json=file_resource("PENDING"))
    httpx_mock.add_response(method="GET", json=file_resource("STORED"))
    async with make_client() as client:
        resource = await client.files.upload_file_resource(
            b"%PDF-1.4 hi", filename="report.pdf", domain="message_attachment"
        )
    assert resource.storage_status is StorageStatus.STORED
    post, poll1, poll2 = httpx_mock.get_requests()
    assert post.method == "POST" and post.url.path == "/api/fileResources"
    assert query(post) == [("domain", "MESSAGE_ATTACHMENT")]
    body = multipart_part(post)
    assert b'Content-Disposition: form-data; name="file"; filename="report.pdf"' in body
    assert b"Content-Type: application/pdf" in body
    assert b"\r\n\r\n%PDF-1.4 hi\r\n" in body
    assert poll1.url.path == poll2.url.path == f"/api/fileResources/{FILE}"


async def test_upload_no_wait(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", **accepted())
    async with make_client() as client:
        resource = await client.files.upload_file_resource(b"abc", wait=False)
    assert resource.storage_status is StorageStatus.PENDING
    post = only_request(httpx_mock)
    assert query(post) == [("domain", "MESSAGE_ATTACHMENT")]  # what send and reply accept
    assert b'filename="upload.bin"' in post.content
    assert b"Content-Type: application/octet-stream" in post.content


async def test_upload_path_streams_with_progress(httpx_mock: HTTPXMock, tmp_path: Path) -> None:
    source = tmp_path / "lab.csv"
    payload = b"a,b\n" * 50_000
    source.write_bytes(payload)
    httpx_mock.add_response(method="POST", **accepted("STORED"))
    progress: list[tuple[int, int | None]] = []
    async with make_client() as client:
        await client.files.upload_file_resource(
            source,
            domain="DOCUMENT",
            progress=lambda done, total: progress.append((done, total)),
        )
    post = only_request(httpx_mock)
    assert b'name="file"; filename="lab.csv"' in post.content
    assert b"Content-Type: text/csv" in post.content
    assert payload in post.content
    assert progress[-1] == (len(payload), len(payload))
    assert len(progress) > 1  # streamed in chunks


async def test_upload_file_object(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", **accepted("STORED"))
    async with make_client() as client:
        await client.files.upload_file_resource(
            io.BytesIO(b"image"), filename="x.png", content_type="image/png"
        )
    post = only_request(httpx_mock)
    assert b'filename="x.png"' in post.content
    assert b"Content-Type: image/png" in post.content


async def test_upload_storage_timeout(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", **accepted())
    httpx_mock.add_response(method="GET", json=file_resource("PENDING"), is_reusable=True)
    async with make_client(storage_poll_interval=0.01) as client:
        with pytest.raises(StorageTimeoutError, match="not stored within") as info:
            await client.files.upload_file_resource(b"abc", timeout=0.05)
    assert info.value.uid == FILE
    assert info.value.last_status == "PENDING"


async def test_upload_too_large_sends_nothing(httpx_mock: HTTPXMock, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(b"\0" * 10_000_001)
    async with make_client() as client:
        with pytest.raises(FileTooLargeError, match="10,000,000"):
            await client.files.upload_file_resource(big)
    async with make_client(max_upload_size=10) as client:
        with pytest.raises(FileTooLargeError):
            await client.files.upload_file_resource(b"x" * 11)
    assert httpx_mock.get_requests() == []


@pytest.mark.parametrize("data", ["/no/such/file.pdf", b"", 42])
async def test_upload_bad_input(httpx_mock: HTTPXMock, data: Any) -> None:
    async with make_client() as client:
        with pytest.raises(InvalidInputError):
            await client.files.upload_file_resource(data)
    assert httpx_mock.get_requests() == []


async def test_upload_bad_domain(httpx_mock: HTTPXMock) -> None:
    async with make_client() as client:
        with pytest.raises(InvalidInputError, match="domain"):
            await client.files.upload_file_resource(b"x", domain="ATTACHMENTS")
    assert httpx_mock.get_requests() == []


async def test_upload_rejected(httpx_mock: HTTPXMock) -> None:
    from dhis2w import ConflictError

    httpx_mock.add_response(
        status_code=409,
        json={"httpStatusCode": 409, "status": "ERROR", "message": "File type not allowed"},
    )
    async with make_client() as client:
        with pytest.raises(ConflictError, match="File type not allowed"):
            await client.files.upload_file_resource(b"<script>", filename="x.html")
    assert len(httpx_mock.get_requests()) == 1


async def test_get_file_resource(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=file_resource("STORED", created="2024-05-01T10:11:12.123"))
    async with make_client() as client:
        resource = await client.files.get_file_resource(FILE)
    assert resource.name == "report.pdf"
    assert resource.created is not None
    assert only_request(httpx_mock).url.path == f"/api/fileResources/{FILE}"


async def test_wait_until_stored(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=file_resource("STORED"))
    async with make_client() as client:
        resource = await client.files.wait_until_stored(FILE, timeout=5)
    assert resource.storage_status is StorageStatus.STORED


async def test_download_file_resource_to_path(httpx_mock: HTTPXMock, tmp_path: Path) -> None:
    payload = b"x" * 300_000
    httpx_mock.add_response(content=payload, headers={"Content-Type": "application/pdf"})
    dest = tmp_path / "out.pdf"
    async with make_client() as client:
        written = await client.files.download_file_resource(FILE, dest)
    assert written == dest and dest.read_bytes() == payload
    request = only_request(httpx_mock)
    assert request.url.path == f"/api/fileResources/{FILE}/data"
    assert request.headers["accept"] == "*/*"


async def test_download_failure_leaves_no_file(httpx_mock: HTTPXMock, tmp_path: Path) -> None:
    from dhis2w import PermissionDeniedError

    httpx_mock.add_response(
        status_code=403,
        json={"httpStatusCode": 403, "status": "ERROR", "message": "You don't have access"},
    )
    async with make_client() as client:
        with pytest.raises(PermissionDeniedError):
            await client.files.download_file_resource(FILE, tmp_path / "x.bin")
    assert list(tmp_path.iterdir()) == []


async def test_download_retried_on_503(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=503)
    httpx_mock.add_response(content=b"data")
    async with make_client() as client:
        assert await client.files.download_file_resource(FILE) == b"data"


# --- documents ---------------------------------------------------------------------------------
DOC_JSON = {"id": DOC, "name": "SOP", "url": FILE, "external": False, "attachment": True}


async def test_list_documents(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        json={"pager": {"page": 1, "pageCount": 1, "total": 1}, "documents": [DOC_JSON]}
    )
    async with make_client() as client:
        page = await client.files.list_documents(query="SOP", page_size=5)
    assert [d.name for d in page.documents] == ["SOP"]
    request = only_request(httpx_mock)
    assert request.url.path == "/api/documents"
    params = dict(query(request))
    assert params["query"] == "SOP" and params["pageSize"] == "5" and "fields" in params


async def test_get_document(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=DOC_JSON)
    async with make_client() as client:
        document = await client.files.get_document(DOC)
    assert document.url == FILE
    assert only_request(httpx_mock).url.path == f"/api/documents/{DOC}"


async def test_upload_document(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=f"{API}/fileResources?domain=DOCUMENT", **accepted())
    httpx_mock.add_response(method="GET", json=file_resource("STORED"))
    httpx_mock.add_response(method="POST", url=f"{API}/documents", **created(DOC, "documents"))
    httpx_mock.add_response(method="GET", json=DOC_JSON)
    async with make_client() as client:
        document = await client.files.upload_document(b"sop text", name="SOP", filename="sop.txt")
    assert document.id == DOC
    create = httpx_mock.get_requests()[2]
    assert create.headers["content-type"] == "application/json"
    assert json.loads(create.content) == {
        "name": "SOP",
        "url": FILE,
        "external": False,
        "attachment": True,
    }


async def test_create_external_document_uid_from_object_report(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST",
        status_code=201,
        json={"status": "OK", "response": {"responseType": "ObjectReport", "uid": DOC}},
    )
    httpx_mock.add_response(method="GET", json={"id": DOC, "external": True, "url": "https://x"})
    async with make_client() as client:
        document = await client.files.create_external_document(name="Site", url="https://x")
    assert document.external is True
    assert json.loads(httpx_mock.get_requests()[0].content) == {
        "name": "Site",
        "url": "https://x",
        "external": True,
    }


async def test_create_external_document_bad_url(httpx_mock: HTTPXMock) -> None:
    async with make_client() as client:
        with pytest.raises(InvalidInputError, match="http"):
            await client.files.create_external_document(name="x", url="ftp://x")
    assert httpx_mock.get_requests() == []


async def test_download_and_delete_document(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="GET", content=b"sop text")
    httpx_mock.add_response(method="DELETE", json={"status": "OK"})
    async with make_client() as client:
        assert await client.files.download_document(DOC) == b"sop text"
        await client.files.delete_document(DOC)
    download, delete = httpx_mock.get_requests()
    assert download.url.path == f"/api/documents/{DOC}/data"
    assert delete.method == "DELETE" and delete.url.path == f"/api/documents/{DOC}"


async def test_upload_lost_response_is_outcome_unknown(httpx_mock: HTTPXMock) -> None:
    from dhis2w import SendOutcomeUnknownError

    httpx_mock.add_exception(httpx.ReadTimeout("read timed out"))
    async with make_client() as client:
        with pytest.raises(SendOutcomeUnknownError):
            await client.files.upload_file_resource(b"abc")
    assert len(httpx_mock.get_requests()) == 1  # an upload is never repeated blindly


class CutOffDownload(httpx.AsyncByteStream):
    """A body that breaks after two chunks, like a connection dropped mid-download."""

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        yield b"a" * 65536
        yield b"b" * 65536
        raise httpx.ReadError("connection reset by peer")


async def test_cut_off_download_leaves_no_half_file(httpx_mock: HTTPXMock, tmp_path: Path) -> None:
    from dhis2w import TransportError

    dest = tmp_path / "report.pdf"
    dest.write_bytes(b"previous version")
    httpx_mock.add_response(stream=CutOffDownload())
    httpx_mock.add_response(stream=CutOffDownload())
    async with make_client() as client:
        with pytest.raises(TransportError, match="cut off after 131,072 bytes"):
            await client.files.download_file_resource(FILE, dest)
        with pytest.raises(TransportError, match="cut off"):
            await client.files.download_file_resource(FILE, tmp_path)  # a folder
    assert dest.read_bytes() == b"previous version"  # never replaced by half a file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.pdf"]  # no .part left


async def test_download_streams_to_disk(httpx_mock: HTTPXMock, tmp_path: Path) -> None:
    # Each chunk is on disk (in the temporary file) before the next one is received.
    dest = tmp_path / "big.bin"
    on_disk: list[int] = []

    class Chunks(httpx.AsyncByteStream):
        async def __aiter__(self):  # type: ignore[no-untyped-def]
            for _ in range(4):
                (part,) = [p for p in tmp_path.iterdir() if p.name != "big.bin"]
                on_disk.append(part.stat().st_size)
                yield b"z" * 262144

    httpx_mock.add_response(stream=Chunks())
    async with make_client() as client:
        assert await client.files.download_file_resource(FILE, dest) == dest
    assert on_disk == [0, 262144, 524288, 786432]
    assert dest.stat().st_size == 1048576
    assert [p.name for p in tmp_path.iterdir()] == ["big.bin"]


class ReadRecorder(io.RawIOBase):
    """A binary file object that records every read httpx makes."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self._data = io.BytesIO(b"q" * size)
        self.reads: list[int] = []

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._data.seek(offset, whence)

    def tell(self) -> int:
        return self._data.tell()

    def read(self, size: int = -1) -> bytes:
        self.reads.append(size)
        return self._data.read(size)

    def readinto(self, buffer: Any) -> int:
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


async def test_upload_file_object_is_streamed(httpx_mock: HTTPXMock) -> None:
    size = 1_000_000
    source = ReadRecorder(size)
    httpx_mock.add_response(method="POST", **accepted("STORED"))
    async with make_client() as client:
        await client.files.upload_file_resource(source, filename="big.bin")
    assert len(source.reads) > 1
    assert all(0 < n < size for n in source.reads)  # never read(-1), never the whole file
    post = only_request(httpx_mock)
    assert post.headers["content-length"] == str(len(post.content))
    assert post.content.count(b"q") == size
    assert not source.closed  # the caller's file stays open


async def test_download_into_folder_never_overwrites(httpx_mock: HTTPXMock, tmp_path: Path) -> None:
    # A folder destination takes the server's filename, numbered if a file already has it.
    (tmp_path / "report.pdf").write_bytes(b"my own report")
    disposition = {"Content-Disposition": "filename=report.pdf"}
    httpx_mock.add_response(content=b"first", headers=disposition)
    httpx_mock.add_response(content=b"second", headers=disposition)
    async with make_client() as client:
        first = await client.files.download_file_resource(FILE, tmp_path)
        second = await client.files.download_file_resource(FILE, tmp_path)
    assert (tmp_path / "report.pdf").read_bytes() == b"my own report"
    assert first == tmp_path / "report (1).pdf" and first.read_bytes() == b"first"
    assert second == tmp_path / "report (2).pdf" and second.read_bytes() == b"second"


async def test_download_to_missing_folder_sends_nothing(
    httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    async with make_client() as client:
        with pytest.raises(InvalidInputError, match="does not exist"):
            await client.files.download_file_resource(FILE, tmp_path / "nope" / "out.pdf")
    assert httpx_mock.get_requests() == []


async def test_download_external_document_says_it_is_a_link(httpx_mock: HTTPXMock) -> None:
    url = "https://www.who.int/publications/idsr"
    httpx_mock.add_response(status_code=302, headers={"Location": url})
    async with make_client() as client:
        with pytest.raises(ExternalDocumentError, match="is a link to") as info:
            await client.files.download_document(DOC)
    assert info.value.url == url and info.value.uid == DOC
