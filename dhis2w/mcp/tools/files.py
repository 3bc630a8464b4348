"""File resources: metadata, and uploads from the folders the operator allowed (none by
default: an agent must never ship ``/etc/shadow`` or a profiles file because a message asked)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from ...enums import FileResourceDomain
from ...errors import InvalidInputError
from ...models import to_builtins
from .. import schemas
from ..config import UPLOAD_DIRS_ENV
from ..registry import Call, ToolSpec, reader, writer

__all__ = ["TOOLS", "allowed_upload"]


def allowed_upload(path: str, roots: Sequence[Path]) -> Path:
    """``path`` resolved (links followed), if it lies inside one of ``roots`` and no part of
    it below that root is hidden (``.dhis2/profiles.toml``, ``.ssh/...``, ``.env``)."""
    if not roots:
        raise InvalidInputError(
            "refusing to upload: this server was started without an upload folder; the user "
            "can allow one with `dhis2w mcp serve --upload-dir DIR` or "
            f"{UPLOAD_DIRS_ENV}=DIR"
        )
    local = Path(path).expanduser()
    if not local.is_absolute():
        local = roots[0] / local
    resolved = local.resolve()
    for root in roots:
        if resolved.is_relative_to(root):
            hidden = [p for p in resolved.relative_to(root).parts if p.startswith(".")]
            if hidden:
                raise InvalidInputError(
                    f"refusing to upload {resolved}: hidden files and folders "
                    f"({', '.join(hidden)}) may hold credentials"
                )
            if not resolved.is_file():
                raise InvalidInputError(f"no such file: {resolved}")
            return resolved
    allowed = ", ".join(str(root) for root in roots)
    raise InvalidInputError(
        f"refusing to upload {resolved}: it is outside the folders this server may upload "
        f"from ({allowed}); the user can allow more with `dhis2w mcp serve --upload-dir DIR` "
        f"or {UPLOAD_DIRS_ENV}"
    )


async def files_resource_get(
    call: Call,
    uid: Annotated[str, Field(description="UID of the file resource.", min_length=1)],
) -> dict[str, Any]:
    """Get a file resource's metadata (not its content).

    Returns {id, name, contentType, contentLength, contentMd5, domain, assigned,
    storageStatus, created}. assigned=true means a message already uses it.
    """
    data: dict[str, Any] = to_builtins(await call.client.files.get_file_resource(uid))
    return data


async def files_resource_upload(
    call: Call,
    path: Annotated[
        str,
        Field(
            description=(
                "Path of a local file on the machine running this server (~ is expanded; "
                "a relative path is taken from the first allowed folder). Only files "
                "inside the folders the user allowed with --upload-dir (none unless they "
                "did), never hidden ones. At most 10 MB by DHIS2's default limit."
            ),
            min_length=1,
        ),
    ],
    domain: Annotated[
        FileResourceDomain,
        Field(
            description=(
                "What the file is for: MESSAGE_ATTACHMENT (default) for messaging_send / "
                "messaging_reply attachments, DOCUMENT, DATA_VALUE, ..."
            ),
        ),
    ] = FileResourceDomain.MESSAGE_ATTACHMENT,
) -> dict[str, Any]:
    """Upload a local file to DHIS2 as a file resource and wait until it is stored.

    Only from the folders the user allowed when starting this server (none by default: then
    every upload is refused, and the user must restart it with --upload-dir). Returns the
    file resource {id, name, contentType, contentLength, domain, storageStatus: "STORED",
    ...}. Pass its id in the attachments of messaging_send or messaging_reply; each upload
    can be attached to one message only.
    """
    local = allowed_upload(path, call.config.upload_roots)
    resource = await call.client.files.upload_file_resource(local, domain=domain, wait=True)
    data: dict[str, Any] = to_builtins(resource)
    return data


TOOLS: tuple[ToolSpec, ...] = (
    reader(
        "files_resource_get",
        "Get a file resource's metadata",
        files_resource_get,
        schemas.FileResourceResult,
    ),
    writer(
        "files_resource_upload",
        "Upload a local file as a file resource",
        files_resource_upload,
        schemas.FileResourceResult,
        idempotent=False,
    ),
)
