"""What the operator allows the server to do, and how big its answers may be.

An MCP server runs with the operator's credentials but takes its orders from a model that reads
text written by strangers (every message it lists). So nothing is allowed implicitly: uploads
only from folders named with ``--upload-dir`` (never the working directory, a filesystem root
or the home folder), other profiles only when named with ``--allow-profile``, and every answer
is bounded so one long thread cannot flood the model's context.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InvalidInputError

__all__ = [
    "MAX_TEXT_ENV",
    "PROFILES_ENV",
    "READONLY_ENV",
    "UPLOAD_DIRS_ENV",
    "Bounds",
    "McpConfigError",
    "ServerConfig",
    "allowed_profiles",
    "env_read_only",
    "upload_roots",
]

READONLY_ENV = "DHIS2W_MCP_READONLY"
"""Set to ``1`` (or true/yes/on) to start the server in read-only mode."""
UPLOAD_DIRS_ENV = "DHIS2W_MCP_UPLOAD_DIRS"
"""Folders ``files_resource_upload`` may read from, separated by ``os.pathsep``."""
PROFILES_ENV = "DHIS2W_MCP_PROFILES"
"""Other profiles tool calls may name, separated by commas."""
MAX_TEXT_ENV = "DHIS2W_MCP_MAX_TEXT_CHARS"
"""How many characters of one message text an answer carries before cutting it."""

#: Messages ``messaging_get`` (and a send, a reply, a resource) returns by default.
DEFAULT_MESSAGES = 20
#: Hard limits of the tool schemas (what a model may ask for at most).
MAX_MESSAGES = 200
MAX_PAGE_SIZE = 100
MAX_SEARCH_RESULTS = 50


class McpConfigError(InvalidInputError):
    """The server cannot start with these settings (the message says why)."""


@dataclass(frozen=True)
class Bounds:
    """The sizes every answer is held to; the tool descriptions quote them."""

    text_chars: int = 4000
    """Characters of one message text before it is cut (with a marker and its full length)."""
    participants: int = 50
    """Participants (``userMessages``) listed with a thread; the count is always given."""
    subject_chars: int = 300
    """Characters of a subject (DHIS2 stores at most 255; a strange server may send more)."""
    attachment_bytes: int = 256_000
    """Largest text attachment the attachment resource inlines."""

    def __post_init__(self) -> None:
        if self.text_chars < 100:
            raise McpConfigError("the text bound must be at least 100 characters")


@dataclass(frozen=True)
class ServerConfig:
    """Everything :func:`dhis2w.mcp.build_server` was told, checked once at start-up."""

    read_only: bool = False
    upload_roots: tuple[Path, ...] = ()
    allowed_profiles: tuple[str, ...] = ()
    bounds: Bounds = field(default_factory=Bounds)


def env_read_only(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return env.get(READONLY_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def allowed_profiles(
    names: Iterable[str] | None, environ: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    """The other profiles calls may name: given, else ``DHIS2W_MCP_PROFILES``; none by default."""
    if names is None:
        env = os.environ if environ is None else environ
        names = env.get(PROFILES_ENV, "").split(",")
    cleaned = [name.strip() for name in names if name.strip()]
    return tuple(dict.fromkeys(cleaned))


def max_text_chars(value: int | None, environ: Mapping[str, str] | None = None) -> int:
    """The text bound: given, else ``DHIS2W_MCP_MAX_TEXT_CHARS``, else the default."""
    if value is not None:
        return value
    env = os.environ if environ is None else environ
    raw = env.get(MAX_TEXT_ENV, "").strip()
    if not raw:
        return Bounds.text_chars
    try:
        return int(raw)
    except ValueError:
        raise McpConfigError(f"{MAX_TEXT_ENV} must be a whole number, not {raw!r}") from None


def upload_roots(
    dirs: Iterable[str | os.PathLike[str]] | None, environ: Mapping[str, str] | None = None
) -> tuple[Path, ...]:
    """The folders uploads may come from: given, else ``DHIS2W_MCP_UPLOAD_DIRS``; none by default.

    The working directory is never implied: MCP clients often start servers with ``cwd=/``.
    Each folder must exist, and may be neither a filesystem root nor the home folder (nor one
    holding it, such as ``/home``): those hold every secret an upload could leak.
    """
    if dirs is None:
        env = os.environ if environ is None else environ
        dirs = [d for d in env.get(UPLOAD_DIRS_ENV, "").split(os.pathsep) if d.strip()]
    home = Path.home().resolve()
    roots: list[Path] = []
    for given in dirs:
        root = Path(given).expanduser().resolve()
        if not root.is_dir():
            raise McpConfigError(f"upload folder {str(given)!r} is not an existing folder")
        if root == Path(root.anchor):
            raise McpConfigError(
                f"upload folder {str(given)!r} is a filesystem root: every file on the machine "
                "could be uploaded; name a folder that holds only files meant for DHIS2"
            )
        if home == root or root in home.parents:
            raise McpConfigError(
                f"upload folder {str(given)!r} holds the home folder ({home}) and with it SSH "
                "keys, tokens and dhis2w's own profiles; name a folder that holds only files "
                "meant for DHIS2"
            )
        if root not in roots:
            roots.append(root)
    return tuple(roots)
