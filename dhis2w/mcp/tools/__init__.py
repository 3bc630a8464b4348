"""Every tool the server offers, by area, in listing order."""

from __future__ import annotations

from ..registry import ToolSpec
from . import files, inbox, sending, tickets

__all__ = ["TOOLS"]

TOOLS: tuple[ToolSpec, ...] = (*inbox.TOOLS, *sending.TOOLS, *tickets.TOOLS, *files.TOOLS)
