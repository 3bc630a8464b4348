"""Per-invocation state shared by every command: the root options and how to open a client.

Kept free of library imports so the root group can build it on ``--help`` for free.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dhis2w import Client, Profile


class AppState:
    """What the root options decided; passed to commands as the Click context ``obj``.

    A plain class, not a dataclass: ``dataclasses`` pulls in ``inspect``, which alone costs
    more start-up time than the rest of this package.
    """

    def __init__(self) -> None:
        self.profile_name: str | None = None
        self.json = False
        self.jsonl = False  # --jsonl: one JSON object per line, streamed
        self.debug = False
        self.color_flag: bool | None = None  # --color / --no-color; None means "auto"
        self.command_path = "dhis2w"  # the command being run, for error lines
        self.profile: Profile | None = None  # the profile in use, once loaded (for hints)
        #: (what is being done, how to find out whether it happened) while a command is
        #: changing something on the server: Ctrl-C then warns it may already be done.
        self.writing: tuple[str, str] | None = None

    @property
    def color(self) -> bool:
        """Colour on stdout: NO_COLOR always wins, then the flag, then "is it a terminal?"."""
        if "NO_COLOR" in os.environ and os.environ["NO_COLOR"] != "":
            return False
        if self.color_flag is not None:
            return self.color_flag
        return _isatty(sys.stdout)

    @property
    def progress(self) -> bool:
        """Progress indicators go to stderr, and only when a person is watching it."""
        return _isatty(sys.stderr)

    def enable_debug_logging(self) -> None:
        """Send the library's per-request log (logger ``dhis2w``, no secrets) to stderr."""
        from .debuglog import enable

        enable()

    def load_profile(self) -> Profile:
        """The profile named by ``--profile``, else the library's precedence rules."""
        from dhis2w import load_profile

        self.profile = load_profile(self.profile_name)
        return self.profile

    @contextmanager
    def write(self, what: str, check: str) -> Iterator[None]:
        """Mark a change being made on the server: ``what`` ("sending the message") and
        ``check``, how to see whether it happened ("run `dhis2w messaging list`").

        Left set when the block raises, so the Ctrl-C handler (which runs after the block
        was left) still knows a write was under way.
        """
        self.writing = (what, check)
        yield
        self.writing = None

    @contextmanager
    def client(self) -> Iterator[Client]:
        """Open the sync client for one command and close it afterwards."""
        from dhis2w import Client

        with Client(self.load_profile()) as client:
            yield client


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
