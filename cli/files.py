"""``dhis2w files resources|documents ...``: uploads and downloads through the library.

``files resources upload`` prints the new UID alone on stdout so a shell can capture it:
``fr=$(dhis2w files resources upload plan.pdf --domain MESSAGE_ATTACHMENT)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .commands import EnumChoice, Group, check_paging, json_option, jsonl_option, with_client
from .output import (
    Progress,
    collect_listing,
    echo,
    echo_json,
    echo_jsonl_stream,
    echo_table,
    emit,
)
from .state import AppState

if TYPE_CHECKING:
    from dhis2w import Client


@click.group(cls=Group)
def files() -> None:
    """File resources (message attachments) and documents."""


@files.group("resources")
def resources() -> None:
    """File resources (/api/fileResources): upload, inspect, download."""


@resources.command("upload")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--domain",
    type=EnumChoice("FileResourceDomain"),
    default="MESSAGE_ATTACHMENT",
    show_default=True,
    help="Storage domain (any case). MESSAGE_ATTACHMENT to attach it to a message.",
)
@click.option("--name", "filename", help="Filename to store (default: the file's own).")
@click.option("--content-type", help="MIME type (default: guessed from the name).")
@click.option("--no-wait", is_flag=True, help="Return at once, while still PENDING.")
@click.option(
    "--max-size",
    type=click.IntRange(min=1),
    default=None,
    metavar="BYTES",
    help="Raise dhis2w's own upload limit (default 10,000,000 bytes) for a server that "
    "accepts bigger files.",
)
@json_option
@with_client
def upload_resource(
    state: AppState,
    client: Client,
    path: Path,
    domain: Any,
    filename: str | None,
    content_type: str | None,
    no_wait: bool,
    max_size: int | None,
) -> None:
    """Upload a file; prints its UID (waits until the server has stored it)."""
    from .messaging import UPLOAD_AGAIN

    with (
        Progress(state, f"uploading {path.name}") as progress,
        state.write(f"uploading {path.name}", UPLOAD_AGAIN),
    ):
        fr = client.files.upload_file_resource(
            path,
            filename=filename,
            domain=domain,
            content_type=content_type,
            wait=not no_wait,
            progress=progress.bytes,
            max_size=max_size,
        )
    emit(state, fr, fr.id)


@resources.command("get")
@click.argument("uid")
@json_option
@with_client
def get_resource(state: AppState, client: Client, uid: str) -> None:
    """Show a file resource: name, type, size, domain, storage status."""
    from .views import show_file_resource

    fr = client.files.get_file_resource(uid)
    emit(state, fr, show=show_file_resource)


@resources.command("download")
@click.argument("uid")
@click.argument("dest", required=False, metavar="[DEST | -]")
@json_option
@with_client
def download_resource(state: AppState, client: Client, uid: str, dest: str | None) -> None:
    """Download a file resource's content to DEST (default: its name here) or '-'."""
    from .transfer import deliver

    def fetch(target: Any, progress: Any) -> Any:
        return client.files.download_file_resource(uid, dest=target, progress=progress)

    deliver(state, fetch, dest, uid)


# -- documents --------------------------------------------------------------------------

_CHECK_DOCUMENTS = (
    "`dhis2w files documents list` shows whether it was added before you add it again"
)


@files.group("documents")
def documents() -> None:
    """Documents (/api/documents): uploaded files and external links."""


@documents.command("list")
@click.option("-q", "--query", help="Only documents whose name matches.")
@click.option("--page", type=click.IntRange(min=1), help="Page number.  [default: 1]")
@click.option("--page-size", type=click.IntRange(1, 10_000), help="[default: 50, --all: 200]")
@click.option("--all", "all_pages", is_flag=True, help="Stream every page.")
@click.option("--limit", type=click.IntRange(min=1), help="Stop after N (implies --all).")
@json_option
@jsonl_option
@with_client
def list_documents(
    state: AppState,
    client: Client,
    query: str | None,
    page: int | None,
    page_size: int | None,
    all_pages: bool,
    limit: int | None,
) -> None:
    """List documents (one page, or --all)."""
    from .views import DOCUMENT_COLUMNS, document_row, pager_footer

    check_paging(page, all_pages, limit)
    if all_pages or limit:
        listed = collect_listing(
            state,
            "documents fetched:",
            limit,
            lambda on_pager: client.files.iter_documents(
                query=query, page_size=page_size or 200, limit=limit, on_pager=on_pager
            ),
        )
        if listed is None:
            return
        docs = listed
        footer = f"total {len(docs)}"
    else:
        result = client.files.list_documents(query=query, page=page or 1, page_size=page_size or 50)
        if state.jsonl:
            echo_jsonl_stream(result.documents)
            return
        if state.json:
            echo_json(result)
            return
        docs = result.documents
        footer = pager_footer(result.pager, len(docs))
    if docs:
        echo_table(state, DOCUMENT_COLUMNS, [document_row(d) for d in docs])
    else:
        echo(state, "no documents")
    echo(state, footer, dim=True)


@documents.command("get")
@click.argument("uid")
@json_option
@with_client
def get_document(state: AppState, client: Client, uid: str) -> None:
    """Show one document."""
    from .views import show_document

    doc = client.files.get_document(uid)
    emit(state, doc, show=show_document)


@documents.command("upload")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", help="Document name (default: the file name).")
@click.option(
    "--max-size",
    type=click.IntRange(min=1),
    default=None,
    metavar="BYTES",
    help="Raise dhis2w's own upload limit (default 10,000,000 bytes).",
)
@json_option
@with_client
def upload_document(
    state: AppState, client: Client, path: Path, name: str | None, max_size: int | None
) -> None:
    """Upload a file as a document; prints its UID."""
    with (
        Progress(state, f"uploading {path.name}") as progress,
        state.write(f"uploading {path.name}", _CHECK_DOCUMENTS),
    ):
        doc = client.files.upload_document(
            path, name=name or path.name, progress=progress.bytes, max_size=max_size
        )
    emit(state, doc, doc.id)


@documents.command("add-url")
@click.argument("name")
@click.argument("url")
@json_option
@with_client
def add_url(state: AppState, client: Client, name: str, url: str) -> None:
    """Add an external (link) document; prints its UID."""
    with state.write("adding the document", _CHECK_DOCUMENTS):
        doc = client.files.create_external_document(name=name, url=url)
    emit(state, doc, doc.id)


@documents.command("download")
@click.argument("uid")
@click.argument("dest", required=False, metavar="[DEST | -]")
@json_option
@with_client
def download_document(state: AppState, client: Client, uid: str, dest: str | None) -> None:
    """Download a document's file to DEST (default: its name here) or '-'."""
    from .transfer import deliver

    def fetch(target: Any, progress: Any) -> Any:
        return client.files.download_document(uid, dest=target, progress=progress)

    deliver(state, fetch, dest, uid)


@documents.command("delete")
@click.argument("uid")
@json_option
@with_client
def delete_document(state: AppState, client: Client, uid: str) -> None:
    """Delete a document."""
    gone = f"`dhis2w files documents get {uid}` shows whether it is gone"
    with state.write("deleting the document", gone):
        client.files.delete_document(uid)
    emit(state, {"id": uid, "deleted": True}, f"{uid}  deleted")
