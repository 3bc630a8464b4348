"""Fixtures for the MCP server tests: an in-process MCP session over the emulator.

Test modules here have names unique across the whole suite (``test_mcp_*``) and the helpers
are reached through fixtures, because ``tests/mcp`` must not become a package named ``mcp``
(it would shadow the SDK).
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

if importlib.util.find_spec("mcp") is None:  # the optional extra 'mcp' is not installed
    collect_ignore_glob = ["test_mcp_*.py"]
else:
    from mcp import Client
    from mcp.server.mcpserver import MCPServer
    from mcp.types import CallToolResult

    from dhis2w.mcp import build_server

_PROFILE_ENV = (
    "DHIS2_PROFILE",
    "DHIS2_URL",
    "DHIS2_PAT",
    "DHIS2_USERNAME",
    "DHIS2_PASSWORD",
    "DHIS2W_MCP_READONLY",
)


@pytest.fixture(autouse=True)
def _isolated_profiles(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """No profile from the developer's environment or files leaks into a test."""
    for name in _PROFILE_ENV:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.chdir(home)


def structured(result: CallToolResult) -> dict[str, Any]:
    """The structured result, after checking the text content carries the same JSON."""
    assert result.structured_content is not None, result.content
    text = result.content[0].text  # type: ignore[union-attr]
    if not result.is_error:
        assert json.loads(text) == result.structured_content
    return result.structured_content


class Session:
    """An MCP client session with assertions for the two outcomes of a tool call."""

    def __init__(self, client: Client) -> None:
        self.client = client

    async def call(self, tool: str, **arguments: Any) -> CallToolResult:
        return await self.client.call_tool(tool, arguments)

    async def ok(self, tool: str, **arguments: Any) -> dict[str, Any]:
        """Call a tool that must succeed; return its structured (plain JSON) result."""
        result = await self.call(tool, **arguments)
        assert not result.is_error, result.content
        return structured(result)

    async def fails(self, tool: str, kind: str, **arguments: Any) -> dict[str, Any]:
        """Call a tool that must fail with an error of ``kind``; return the error object."""
        result = await self.call(tool, **arguments)
        assert result.is_error, result.structured_content
        error: dict[str, Any] = structured(result)["error"]
        assert error["kind"] == kind, error
        text = result.content[0].text  # type: ignore[union-attr]
        assert text.startswith(f"{kind}: ")
        assert "Traceback" not in text
        return error


Connect = Callable[..., AbstractAsyncContextManager[Session]]


@asynccontextmanager
async def session_for(server: MCPServer[Any]) -> AsyncIterator[Session]:
    async with Client(server) as client:
        yield Session(client)


@pytest.fixture
def mcp_session(dhis2_emulator: Any, tmp_path: Path) -> Connect:
    """``async with mcp_session("fatmata", read_only=False) as s:`` -> a session with a fresh
    server whose default profile logs in to the test's emulator as that user; uploads are
    allowed from the test's ``tmp_path``."""

    def connect(username: str = "admin", *, read_only: bool = False) -> Any:
        server = build_server(
            dhis2_emulator.profile(username=username),
            read_only=read_only,
            upload_dirs=[tmp_path],
        )
        return session_for(server)

    return connect


@pytest.fixture
def connect_server() -> Callable[[MCPServer[Any]], AbstractAsyncContextManager[Session]]:
    """Connect a session to a server the test built itself."""
    return session_for
