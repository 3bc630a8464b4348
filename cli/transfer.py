"""Where downloaded bytes go: a file, a directory (named after the server's filename, as
the library does), the current directory by default, or standard output (``-``), with a
progress line on a terminal.

Shared by attachment, file-resource and document downloads so they behave the same.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .output import Progress, echo, echo_json, info
from .state import AppState

#: fetch(dest, progress_callback) -> the path written, or the bytes written when ``dest`` is
#: a binary file object (standard output for ``-``)
Fetch = Callable[[Any, Any], Any]


def deliver(state: AppState, fetch: Fetch, dest: str | None, label: str) -> None:
    """Run ``fetch`` into the right place and report it (path on stdout, or JSON).

    ``-`` streams the body to standard output chunk by chunk (flat memory, whatever the
    size); a FIFO or a device given as DEST is written into by the library, never replaced.
    """
    if dest == "-":
        sys.stdout.flush()
        fetch(sys.stdout.buffer, None)
        sys.stdout.buffer.flush()
        return
    target = Path(dest) if dest else Path(".")
    check_destination(dest, target)
    received = [0]

    with Progress(state, f"downloading {label}") as progress:

        def count(done: int, total: int | None) -> None:
            received[0] = done
            progress.bytes(done, total)

        written = fetch(target, count)
    path = Path(written)
    size = path.stat().st_size if path.is_file() else received[0]
    if state.json:
        echo_json({"path": str(path), "bytes": size})
    else:
        echo(state, str(path))
        info(f"saved {size} bytes")


def check_destination(dest: str | None, target: Path) -> None:
    """Refuse a DEST that cannot be written before downloading anything, naming DEST
    itself (never the library's temporary file, a name the person never typed)."""
    import os

    from dhis2w.errors import InvalidInputError

    if dest and dest.endswith(("/", os.sep)) and not target.is_dir():
        raise InvalidInputError(f"no such directory: {dest}")
    if not target.is_dir() and not target.parent.is_dir():
        raise InvalidInputError(f"cannot save to {dest}: no such directory {target.parent}/")
