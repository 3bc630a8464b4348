"""The tool listing (names, input and output schemas, annotations), read-only mode and the
``profile`` parameter, all derived from the one registry (``dhis2w.mcp.TOOLS``)."""

from __future__ import annotations

from typing import Any

import pytest
from mcp.types import Tool

from dhis2w.emulator import seed
from dhis2w.mcp import TOOL_NAMES, TOOLS, WRITE_TOOLS, build_server

pytestmark = pytest.mark.anyio

EXPECTED_TOOLS = {
    "messaging_list",
    "messaging_search",
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
    "messaging_unfollow_up",
    "messaging_add_recipients",
    "files_resource_get",
    "files_resource_upload",
}
READ_TOOLS = {
    "messaging_list",
    "messaging_search",
    "messaging_get",
    "messaging_unread_count",
    "files_resource_get",
}


async def _tools(session: Any) -> dict[str, Tool]:
    listing = await session.client.list_tools()
    return {tool.name: tool for tool in listing.tools}


async def test_names(mcp_session: Any) -> None:
    async with mcp_session() as s:
        tools = await _tools(s)
    assert set(tools) == EXPECTED_TOOLS == set(TOOL_NAMES)
    assert WRITE_TOOLS == EXPECTED_TOOLS - READ_TOOLS
    assert len(TOOL_NAMES) == len(set(TOOL_NAMES))  # each declared once


async def test_every_tool_is_annotated_from_its_declaration(mcp_session: Any) -> None:
    async with mcp_session() as s:
        tools = await _tools(s)
    for spec in TOOLS:
        hints = tools[spec.name].annotations
        assert hints is not None, spec.name
        assert tools[spec.name].title == spec.title
        if spec.writes:
            assert hints.read_only_hint is False, spec.name
            assert hints.destructive_hint is (spec.name == "messaging_delete"), spec.name
        else:
            assert hints.read_only_hint is True, spec.name
            assert hints.idempotent_hint is True, spec.name
    idempotent = {name for name, tool in tools.items() if tool.annotations.idempotent_hint}  # type: ignore[union-attr]
    assert {"messaging_send", "messaging_reply", "files_resource_upload"}.isdisjoint(idempotent)
    assert {
        "messaging_mark_read",
        "messaging_mark_unread",
        "messaging_delete",
        "messaging_set_status",
        "messaging_assign",
    } <= idempotent


async def test_every_tool_declares_an_output_schema(mcp_session: Any) -> None:
    async with mcp_session() as s:
        tools = await _tools(s)
    for name, tool in tools.items():
        schema = tool.output_schema
        assert schema is not None and schema["type"] == "object", name
        assert schema.get("properties"), name
    thread = tools["messaging_get"].output_schema
    assert thread is not None
    assert {"messages", "window", "participantCount"} <= set(thread["required"])


async def test_input_schemas(mcp_session: Any) -> None:
    async with mcp_session() as s:
        tools = await _tools(s)
    for name, tool in tools.items():
        schema = tool.input_schema
        assert schema["type"] == "object", name
        # No other profile was allowed: no tool can be pointed at another server.
        assert "profile" not in schema["properties"], name
        assert tool.description and "    " not in tool.description, name
        assert "<text_chars>" not in tool.description, name  # the bound is filled in
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
    assert listing["properties"]["page_size"]["maximum"] == 100  # capped
    assert "pager" in (tools["messaging_list"].description or "")
    assert "TICKET" in str(listing["$defs"]["MessageType"]["enum"])

    get = tools["messaging_get"]
    assert get.input_schema["properties"]["limit"]["maximum"] == 200
    assert {"before", "offset"} <= set(get.input_schema["properties"])
    assert "newest 20" in (get.description or "")
    assert "4,000 characters" in (get.description or "")
    assert "nextBefore" in (get.description or "")
    search = tools["messaging_search"].input_schema
    assert search["required"] == ["query"]
    assert search["properties"]["limit"]["maximum"] == 50

    assert tools["messaging_reply"].input_schema["required"] == ["uid", "text"]
    uids = tools["messaging_mark_read"].input_schema["properties"]["uids"]
    assert {"type": "array", "items": {"type": "string"}, "minItems": 1} in uids["anyOf"]
    assert {"type": "string", "minLength": 1} in uids["anyOf"]
    upload = tools["files_resource_upload"].input_schema
    assert upload["required"] == ["path"]
    assert upload["properties"]["domain"]["default"] == "MESSAGE_ATTACHMENT"
    assert set(tools["messaging_set_priority"].input_schema["required"]) == {"uid", "priority"}


async def test_profile_parameter_only_with_allowed_profiles(
    dhis2_emulator: Any, connect_server: Any
) -> None:
    server = build_server(dhis2_emulator.profile(), allow_profiles=["hq", "bo"])
    async with connect_server(server) as s:
        tools = await _tools(s)
    for name, tool in tools.items():
        profile = tool.input_schema["properties"]["profile"]
        assert "profile" not in tool.input_schema.get("required", []), name
        assert "'hq', 'bo'" in profile["description"], name
        assert {"enum": ["hq", "bo"], "type": "string"} in profile["anyOf"]


async def test_configured_text_bound_is_described(dhis2_emulator: Any, connect_server: Any) -> None:
    async with connect_server(build_server(dhis2_emulator.profile(), max_text_chars=500)) as s:
        tools = await _tools(s)
    assert "500 characters" in (tools["messaging_get"].description or "")


async def test_read_only_hides_every_write_tool(mcp_session: Any) -> None:
    async with mcp_session(read_only=True) as s:
        tools = await _tools(s)
    assert set(tools) == {spec.name for spec in TOOLS if not spec.writes} == READ_TOOLS


async def test_read_only_refuses_every_write_tool(mcp_session: Any) -> None:
    """Each write tool, called anyway, is refused before anything else (even without its
    arguments), and nothing changed."""
    async with mcp_session("admin", read_only=True) as s:
        before = await s.ok("messaging_list", page_size=100)
        for spec in TOOLS:
            if not spec.writes:
                continue
            error = await s.fails(spec.name, "read_only")
            assert "read-only" in error["message"]
        error = await s.fails(
            "messaging_send", "read_only", subject="s", text="t", users=["fatmata"]
        )
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
