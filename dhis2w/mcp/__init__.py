"""The MCP server: DHIS2 messaging and files as tools, resources and prompts for AI agents.

Built on the official ``mcp`` SDK (2.x, ``mcp.server.mcpserver.MCPServer``) over the async
client. This package is the only part of dhis2w that imports the SDK (the optional extra
``mcp``), so the library and the rest of the CLI never pay for it.

Safe by default, because the model giving orders reads text written by strangers: the server
talks to its own profile only (``--allow-profile`` opens others), uploads only from folders
named with ``--upload-dir`` (none by default), hides and refuses every writing tool with
``--read-only``, and bounds every answer (a window of a thread's newest messages, long texts
cut with a marker).

- :mod:`.config` what the operator allows and the bounds; :mod:`.registry` the one
  declaration of each tool; :mod:`.tools` the tools by area; :mod:`.params` /
  :mod:`.schemas` their input and output shapes; :mod:`.failures` exceptions -> tool errors;
  :mod:`.shaping` bounded answers; :mod:`.resources`, :mod:`.prompts`; :mod:`.server`.

Run it with ``dhis2w mcp serve`` (or ``python -m dhis2w.mcp``); stdout carries nothing but
the protocol, logs go to stderr.
"""

from __future__ import annotations

from .config import (
    MAX_TEXT_ENV,
    PROFILES_ENV,
    READONLY_ENV,
    UPLOAD_DIRS_ENV,
    Bounds,
    McpConfigError,
    ServerConfig,
)
from .server import build_server, main, serve_stdio
from .tools import TOOLS

__all__ = [
    "MAX_TEXT_ENV",
    "PROFILES_ENV",
    "READONLY_ENV",
    "TOOLS",
    "TOOL_NAMES",
    "UPLOAD_DIRS_ENV",
    "WRITE_TOOLS",
    "Bounds",
    "McpConfigError",
    "ServerConfig",
    "build_server",
    "main",
    "serve_stdio",
]

TOOL_NAMES: tuple[str, ...] = tuple(spec.name for spec in TOOLS)
"""Every tool the server can offer, in listing order (derived from the registry)."""

WRITE_TOOLS: frozenset[str] = frozenset(spec.name for spec in TOOLS if spec.writes)
"""The tools that change state (derived from the registry): hidden and refused read-only."""
