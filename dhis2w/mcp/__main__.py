"""``python -m dhis2w.mcp``: the MCP server over stdio."""

from __future__ import annotations

from .server import main

main()
