"""``client.files``: file resources (``/api/fileResources``) and documents (``/api/documents``).

Uploads stream from bytes, a path or a binary file object as the multipart part ``file``
with the ``domain`` query parameter. DHIS2 answers 202 with ``storageStatus: PENDING`` and
stores the content in the background, so by default the upload polls until ``STORED``
(bounded by ``timeout``). Downloads stream to a file without holding it in memory.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from .. import _filenames, _wire, models
from .._synchronization import async_sleep
from .._transfer import (
    DownloadDest,
    DownloadSink,
    Progress,
    UploadData,
    check_download_dest,
    open_upload,
    saves_under_server_name,
)
from ..enums import FileResourceDomain, StorageStatus
from ..errors import (
    Dhis2Error,
    ExternalDocumentError,
    InvalidInputError,
    StorageTimeoutError,
    TransportError,
    UnexpectedResponseError,
)
from .paging import iterate_pages

if TYPE_CHECKING:
    from .client import AsyncClient

__all__ = ["AsyncFiles"]


def _document_id(document: models.Document) -> str:
    return document.id


class AsyncFiles:
    """File resources (uploads for attachments, documents, data values) and documents."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    # --- file resources ------------------------------------------------------------------------
    async def upload_file_resource(
        self,
        data: UploadData,
        *,
        filename: str | None = None,
        domain: FileResourceDomain | str = FileResourceDomain.MESSAGE_ATTACHMENT,
        content_type: str | None = None,
        wait: bool = True,
        timeout: float | None = None,
        progress: Progress | None = None,
        max_size: int | None = None,
    ) -> models.FileResource:
        """Upload a file; returns the FileResource, ``STORED`` unless ``wait=False``.

        The default domain, ``MESSAGE_ATTACHMENT``, is the one ``messaging.send``/``reply``
        accept as attachments (DHIS2's own default, ``DATA_VALUE``, would be refused there).
        ``max_size`` raises (or lowers) the client's upload limit for this call only; it is
        dhis2w's own check, made before anything is sent.
        """
        params = _wire.upload_params(domain)
        source = open_upload(
            data,
            filename=filename,
            max_size=self._client.max_upload_size if max_size is None else max_size,
            progress=progress,
        )
        try:
            files = {
                "file": (
                    source.filename,
                    source.stream,
                    _wire.guess_content_type(source.filename, content_type),
                )
            }
            response = await self._client.request_json(
                "POST",
                _wire.FILE_RESOURCES,
                params=params,
                files=files,
                outcome_unknown_on_loss=True,
            )
        finally:
            source.close()
        envelope = _wire.decode(
            models.file_resource_envelope_decoder,
            response.content,
            method="POST",
            path=_wire.FILE_RESOURCES,
            status_code=response.status_code,
        )
        resource = envelope.response.file_resource if envelope.response else None
        if resource is None:
            raise _wire.api_error(
                "the upload answer holds no fileResource",
                method="POST",
                path=_wire.FILE_RESOURCES,
                status_code=response.status_code,
            )
        if not wait or resource.storage_status == StorageStatus.STORED:
            return resource
        return await self.wait_until_stored(resource.id, timeout=timeout)

    async def get_file_resource(self, uid: str) -> models.FileResource:
        """The FileResource's metadata, including its current ``storage_status``."""
        _wire.check_uid(uid, "file resource")
        path = f"{_wire.FILE_RESOURCES}/{uid}"
        return await self._client.get_decoded(path, models.file_resource_decoder)

    async def wait_until_stored(
        self, uid: str, *, timeout: float | None = None
    ) -> models.FileResource:
        """Poll until ``storageStatus`` is ``STORED``; :class:`StorageTimeoutError` otherwise."""
        limit = self._client.storage_timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        interval = self._client.storage_poll_interval
        while True:
            resource = await self.get_file_resource(uid)
            status = resource.storage_status
            if status == StorageStatus.STORED:
                return resource
            if status == StorageStatus.FAILED:
                raise Dhis2Error(f"the server failed to store file resource {uid}")
            if time.monotonic() + interval > deadline:
                raise StorageTimeoutError(
                    f"file resource {uid} was not stored within {limit:g} s "
                    f"(last status: {status.value if status else 'unknown'})",
                    uid=uid,
                    last_status=status.value if status else None,
                )
            await async_sleep(interval)
            interval = min(interval * 2, 2.0)

    async def download_file_resource(
        self,
        uid: str,
        dest: DownloadDest = None,
        progress: Progress | None = None,
    ) -> bytes | Path | int:
        """Stream a file resource's content: bytes, or the path written.

        ``dest`` may also be a binary file object (``sys.stdout.buffer``): the content is
        streamed into it and the number of bytes written is returned.
        """
        _wire.check_uid(uid, "file resource")
        return await self.download(
            f"{_wire.FILE_RESOURCES}/{uid}/data",
            dest,
            fallback_name=uid,
            progress=progress,
            resource_uid=uid,
        )

    async def download(
        self,
        path: str,
        dest: DownloadDest,
        *,
        fallback_name: str,
        progress: Progress | None = None,
        resource_uid: str | None = None,
    ) -> bytes | Path | int:
        """GET ``path`` streamed into memory or a file (shared by every download).

        ``resource_uid`` names the file resource being downloaded: when the file is saved
        into a folder under the server's name and ``Content-Disposition`` lost its non-ASCII
        letters (servlet containers write header values as ISO-8859-1, so ``ລາວ.txt``
        arrives as ``???.txt``), the name is taken from the file resource's JSON instead.
        """
        check_download_dest(dest)
        response = await self._client.send("GET", path, headers={"Accept": "*/*"}, stream=True)
        try:
            disposition = response.headers.get("content-disposition")
            filename = _filenames.filename_from_disposition(disposition)
            mangled = _filenames.name_was_mangled(filename)
            if resource_uid and saves_under_server_name(dest) and mangled:
                filename = await self._stored_name(resource_uid) or filename
            sink = DownloadSink(
                dest,
                filename=filename,
                fallback_name=fallback_name,
                total=_wire.content_length(response.headers),
                progress=progress,
            )
            try:
                if _wire.may_be_login_page(response.headers):
                    body = await response.aread()
                    _wire.check_not_login_page(
                        method="GET", path=path, status_code=response.status_code, body=body
                    )
                    sink.write(body)
                else:
                    async for chunk in response.aiter_bytes():
                        sink.write(chunk)
            except httpx.TransportError as exc:
                sink.abort()
                raise TransportError(
                    f"GET {path}: the download was cut off after {sink.received:,} bytes "
                    f"({type(exc).__name__}); {sink.lost_note()}"
                ) from None
            except BaseException:
                sink.abort()
                raise
            return sink.finish()
        finally:
            await response.aclose()

    async def _stored_name(self, uid: str) -> str | None:
        """A file resource's name from its metadata (UTF-8 JSON), made safe; ``None`` if the
        metadata cannot be read (the header's name is used then)."""
        try:
            resource = await self.get_file_resource(uid)
        except Dhis2Error:
            return None
        return _filenames.safe_filename(resource.name)

    # --- documents -------------------------------------------------------------------------------
    async def list_documents(
        self,
        *,
        filter: str | Sequence[str] | None = None,
        query: str | None = None,
        order: str | None = "name:asc",
        page: int = 1,
        page_size: int = 50,
    ) -> models.DocumentPage:
        """One page of documents."""
        params = _wire.document_list_params(
            filter=filter, query=query, order=order, page=page, page_size=page_size
        )
        return await self._client.get_decoded(
            _wire.DOCUMENTS, models.document_page_decoder, params=params
        )

    def iter_documents(
        self,
        *,
        filter: str | Sequence[str] | None = None,
        query: str | None = None,
        order: str | None = "name:asc",
        page_size: int = 200,
        limit: int | None = None,
        on_pager: Callable[[models.Pager | None], object] | None = None,
    ) -> AsyncIterator[models.Document]:
        """Every matching document, page by page, next pages fetched in the background (as
        :meth:`AsyncMessaging.iter_conversations`); each yielded once, up to ``limit``."""
        size = min(page_size, limit) if limit is not None and limit > 0 else page_size

        def params_for(page: int) -> _wire.QueryParams:
            return _wire.document_list_params(
                filter=filter, query=query, order=order, page=page, page_size=size
            )

        params_for(1)  # bad arguments fail here, before any request

        async def fetch(page: int) -> tuple[Sequence[models.Document], models.Pager | None]:
            result = await self._client.get_decoded(
                _wire.DOCUMENTS, models.document_page_decoder, params=params_for(page)
            )
            return result.documents, result.pager

        return iterate_pages(
            self._client.runner, fetch, key=_document_id, limit=limit, on_pager=on_pager
        )

    async def get_document(self, uid: str) -> models.Document:
        _wire.check_uid(uid, "document")
        path = f"{_wire.DOCUMENTS}/{uid}"
        return await self._client.get_decoded(
            path, models.document_decoder, params=[("fields", _wire.DOCUMENT_FIELDS)]
        )

    async def _create_document(self, body: dict[str, object]) -> models.Document:
        response = await self._client.request_json(
            "POST",
            _wire.DOCUMENTS,
            content=models.json_encoder.encode(body),
            content_type=_wire.JSON,
            outcome_unknown_on_loss=True,
        )
        uid = _wire.uid_from_response(response.headers.get("location"), response.content)
        if uid is None:
            raise _wire.api_error(
                "the server did not say which document it created",
                method="POST",
                path=_wire.DOCUMENTS,
                status_code=response.status_code,
            )
        return await self.get_document(uid)

    async def upload_document(
        self,
        data: UploadData,
        *,
        name: str,
        filename: str | None = None,
        content_type: str | None = None,
        progress: Progress | None = None,
        max_size: int | None = None,
    ) -> models.Document:
        """Upload a file as a DOCUMENT file resource, then create a document pointing at it."""
        _wire.check_text(name, "document name")
        resource = await self.upload_file_resource(
            data,
            filename=filename,
            domain=FileResourceDomain.DOCUMENT,
            content_type=content_type,
            progress=progress,
            max_size=max_size,
        )
        return await self._create_document(
            {"name": name, "url": resource.id, "external": False, "attachment": True}
        )

    async def create_external_document(self, *, name: str, url: str) -> models.Document:
        """A document that is a link to an external http(s) URL."""
        _wire.check_text(name, "document name")
        if not url.lower().startswith(("http://", "https://")):
            raise InvalidInputError(f"an external document needs an http(s) URL, not {url!r}")
        return await self._create_document({"name": name, "url": url, "external": True})

    async def download_document(
        self,
        uid: str,
        dest: DownloadDest = None,
        progress: Progress | None = None,
    ) -> bytes | Path | int:
        """Stream a file document's content (external documents are links: see ``url``).

        Returns bytes, the path written, or the bytes written into a file object ``dest``.
        """
        _wire.check_uid(uid, "document")
        try:
            return await self.download(
                f"{_wire.DOCUMENTS}/{uid}/data", dest, fallback_name=uid, progress=progress
            )
        except UnexpectedResponseError as exc:
            # DHIS2 answers an external document's /data with a redirect to its URL.
            if exc.location is None or not 300 <= exc.status_code < 400:
                raise
            raise ExternalDocumentError(
                f"document {uid} is a link to {exc.location}; there is no file to download",
                uid=uid,
                url=exc.location,
            ) from None

    async def delete_document(self, uid: str) -> None:
        _wire.check_uid(uid, "document")
        await self._client.request_json("DELETE", f"{_wire.DOCUMENTS}/{uid}")
