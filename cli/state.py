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
        self.debug = False
        self.color_flag: bool | None = None  # --color / --no-color; None means "auto"
        self.command_path = "dhis2w"  # the command being run, for error lines

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

        return load_profile(self.profile_name)

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
