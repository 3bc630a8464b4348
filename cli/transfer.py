"""Where downloaded bytes go: a file (named after the server's filename by default), a
directory, or standard output (``-``), with a progress line on a terminal.

Shared by attachment, file-resource and document downloads so they behave the same.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .output import Progress, echo, echo_json, info
from .state import AppState

#: fetch(dest_path_or_None, progress_callback) -> bytes (dest None) or the path written
Fetch = Callable[[Path | None, Any], Any]


def safe_name(name: str, fallback: str) -> str:
    """A server-supplied filename reduced to its last component (no ``../`` escapes)."""
    base = Path(name.replace("\\", "/")).name.strip()
    return base if base not in ("", ".", "..") else fallback


def deliver(
    state: AppState, fetch: Fetch, dest: str | None, default_name: Callable[[], str]
) -> None:
    """Run ``fetch`` into the right place and report it (path on stdout, or JSON)."""
    if dest == "-":
        data = fetch(None, None)
        out = click.get_binary_stream("stdout")
        out.write(data)
        out.flush()
        return
    target = Path(dest) if dest else None
    if target is None or target.is_dir():
        name = safe_name(default_name(), "download")
        target = (target or Path.cwd()) / name
        if dest is None:
            target = Path(name)
    with Progress(state, f"downloading {target.name}") as progress:
        written = fetch(target, progress.bytes)
    path = Path(written) if isinstance(written, (str, Path)) else target
    if isinstance(written, (bytes, bytearray)):  # a library that returned bytes anyway
        path.write_bytes(written)
    size = path.stat().st_size
    if state.json:
        echo_json({"path": str(path), "bytes": size})
    else:
        echo(state, str(path))
        info(f"saved {size} bytes")
