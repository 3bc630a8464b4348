"""End to end: the MCP server as a subprocess over stdio, against an emulator subprocess."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from dhis2w.emulator import seed

pytestmark = pytest.mark.anyio

# Starts an emulator on a free port, prints its URL, and serves until stdin closes.
_EMULATOR = """
import sys
from dhis2w.emulator import EmulatorServer
server = EmulatorServer(port=0, seed="demo")
server.start()
print(server.url, flush=True)
sys.stdin.read()
server.stop()
"""


@pytest.fixture
def emulator_url() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", _EMULATOR],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http"), f"the emulator did not start (got {url!r})"
        yield url
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _server_command() -> tuple[str, list[str]]:
    """``dhis2w mcp serve`` when the CLI is installed next to this Python, else the module."""
    dhis2w = shutil.which("dhis2w", path=str(Path(sys.executable).parent))
    if dhis2w is not None:
        return dhis2w, ["mcp", "serve"]
    return sys.executable, ["-m", "dhis2w.mcp_server"]


async def test_send_list_reply_over_stdio(emulator_url: str, tmp_path: Path) -> None:
    command, args = _server_command()
    params = StdioServerParameters(
        command=command,
        args=args,
        env={
            "DHIS2_URL": emulator_url,
            "DHIS2_USERNAME": seed.ADMIN.username,
            "DHIS2_PASSWORD": seed.ADMIN.password,
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
        },
        cwd=tmp_path,
    )
    async with Client(params, read_timeout_seconds=120) as client:
        assert client.server_info is not None
        assert client.server_info.name == "dhis2w"
        listing = await client.list_tools()
        assert "messaging_send" in {tool.name for tool in listing.tools}

        sent = await client.call_tool(
            "messaging_send",
            {"subject": "Over stdio", "text": "sent by a subprocess", "users": ["fatmata"]},
        )
        assert not sent.is_error, sent.content
        assert sent.structured_content is not None
        uid = sent.structured_content["id"]

        listed = await client.call_tool("messaging_list", {"query": "Over stdio"})
        assert not listed.is_error, listed.content
        assert listed.structured_content is not None
        assert [c["id"] for c in listed.structured_content["conversations"]] == [uid]

        replied = await client.call_tool("messaging_reply", {"uid": uid, "text": "a reply"})
        assert not replied.is_error, replied.content
        assert replied.structured_content is not None
        texts = [m["text"] for m in replied.structured_content["messages"]]
        assert texts == ["sent by a subprocess", "a reply"]

        missing = await client.call_tool("messaging_get", {"uid": "AbCdEfGhIj1"})
        assert missing.is_error
        assert missing.structured_content is not None
        assert missing.structured_content["error"]["kind"] == "not_found"
