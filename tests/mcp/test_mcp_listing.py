"""The tool listing (names, input schemas, annotations) and read-only mode."""

from __future__ import annotations

from typing import Any

import pytest
from mcp.types import Tool

from dhis2w.emulator import seed
from dhis2w.mcp_server import TOOL_NAMES, WRITE_TOOLS, build_server

pytestmark = pytest.mark.anyio

EXPECTED_TOOLS = {
    "messaging_list",
    "messaging_get",
    "messaging_send",
    "messaging_reply",
    "messaging_mark_read",
    "messaging_mark_unread",
    "messaging_delete",
    "messaging_unread_count",
    "messaging_set_priority",
    "messaging_set_status",
    "messaging_assign",
    "messaging_unassign",
    "messaging_follow_up",
    "messaging_add_recipients",
    "files_resource_get",
    "files_resource_upload",
}
READ_TOOLS = {"messaging_list", "messaging_get", "messaging_unread_count", "files_resource_get"}


async def _tools(session: Any) -> dict[str, Tool]:
    listing = await session.client.list_tools()
    return {tool.name: tool for tool in listing.tools}


async def test_names(mcp_session: Any) -> None:
    async with mcp_session() as s:
        tools = await _tools(s)
    assert set(tools) == EXPECTED_TOOLS == set(TOOL_NAMES)
    assert WRITE_TOOLS == EXPECTED_TOOLS - READ_TOOLS


async def test_annotations(mcp_session: Any) -> None:
    async with mcp_session() as s:
        tools = await _tools(s)
    for name in READ_TOOLS:
        hints = tools[name].annotations
        assert hints is not None
        assert hints.read_only_hint is True, name
    for name in WRITE_TOOLS:
        hints = tools[name].annotations
        assert hints is not None
        assert hints.read_only_hint is False, name
        assert hints.destructive_hint is (name == "messaging_delete"), name
    idempotent = {name for name, tool in tools.items() if tool.annotations.idempotent_hint}  # type: ignore[union-attr]
    assert {"messaging_send", "messaging_reply", "files_resource_upload"}.isdisjoint(idempotent)
    assert {
        "messaging_mark_read",
        "messaging_mark_unread",
        "messaging_delete",
        "messaging_set_status",
        "messaging_assign",
    } <= idempotent
    assert all(tool.title for tool in tools.values())


async def test_input_schemas(mcp_session: Any) -> None:
    async with mcp_session() as s:
        tools = await _tools(s)
    for name, tool in tools.items():
        schema = tool.input_schema
        assert schema["type"] == "object", name
        # Every tool can be pointed at another configured server.
        assert "profile" in schema["properties"], name
        assert "profile" not in schema.get("required", []), name
        assert tool.description and "    " not in tool.description, name
        for prop, spec in schema["properties"].items():
            assert spec.get("description"), f"{name}.{prop} has no description"

    send = tools["messaging_send"].input_schema
    assert set(send["required"]) == {"subject", "text"}
    for recipients in ("users", "user_groups", "organisation_units", "attachments"):
        assert recipients in send["properties"]
    assert "username" in send["properties"]["users"]["description"]

    listing = tools["messaging_list"].input_schema
    assert "required" not in listing or not listing["required"]
    filter_help = listing["properties"]["filter"]["description"]
    for example in ("read:eq:false", "messageType:eq:TICKET", "assignee.id:eq:"):
        assert example in filter_help
    assert listing["properties"]["page"]["minimum"] == 1
    assert listing["properties"]["page_size"]["maximum"] == 500
    assert "pager" in (tools["messaging_list"].description or "")
    assert "TICKET" in str(listing["$defs"]["MessageType"]["enum"])

    assert tools["messaging_reply"].input_schema["required"] == ["uid", "text"]
    uids = tools["messaging_mark_read"].input_schema["properties"]["uids"]
    assert {"type": "array", "items": {"type": "string"}, "minItems": 1} in uids["anyOf"]
    assert {"type": "string", "minLength": 1} in uids["anyOf"]
    upload = tools["files_resource_upload"].input_schema
    assert upload["required"] == ["path"]
    assert upload["properties"]["domain"]["default"] == "MESSAGE_ATTACHMENT"
    assert set(tools["messaging_set_priority"].input_schema["required"]) == {"uid", "priority"}


async def test_read_only_hides_state_changing_tools(mcp_session: Any) -> None:
    async with mcp_session(read_only=True) as s:
        tools = await _tools(s)
    assert set(tools) == READ_TOOLS


async def test_read_only_refuses_hidden_tools(mcp_session: Any) -> None:
    async with mcp_session("admin", read_only=True) as s:
        before = await s.ok("messaging_list", page_size=100)
        for name, arguments in {
            "messaging_send": {"subject": "s", "text": "t", "users": ["fatmata"]},
            "messaging_reply": {"uid": seed.CONV_STOCK_OUT.uid, "text": "t"},
            "messaging_delete": {"uids": [seed.CONV_STOCK_OUT.uid]},
            "messaging_mark_read": {"uids": [seed.CONV_IDSR_WEEKLY.uid]},
        }.items():
            error = await s.fails(name, "read_only", **arguments)
            assert "read-only" in error["message"]
        after = await s.ok("messaging_list", page_size=100)
        # Reads still work; nothing changed.
        assert after == before
        await s.ok("messaging_get", uid=seed.CONV_STOCK_OUT.uid)


async def test_read_only_from_environment(
    dhis2_emulator: Any, connect_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DHIS2W_MCP_READONLY", "1")
    async with connect_server(build_server(dhis2_emulator.profile())) as s:
        tools = await _tools(s)
        await s.fails("messaging_unassign", "read_only", uid=seed.CONV_TICKET_DHIS2_LOGIN.uid)
    assert set(tools) == READ_TOOLS
    # An explicit choice wins over the environment.
    async with connect_server(build_server(dhis2_emulator.profile(), read_only=False)) as s:
        assert set(await _tools(s)) == EXPECTED_TOOLS


def test_the_library_does_not_import_the_sdk() -> None:
    import subprocess
    import sys

    code = "import sys, dhis2w, dhis2w.models, dhis2w.errors; print('mcp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
