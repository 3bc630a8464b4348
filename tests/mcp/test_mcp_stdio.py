"""End to end: the MCP server as a subprocess over stdio, against an emulator subprocess."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from dhis2w.emulator import seed
from dhis2w.mcp import TOOLS
from dhis2w.testing import EmulatorHandle

pytestmark = pytest.mark.anyio

_LISTENING = re.compile(r"listening on (http://\S+)")


def _console_script() -> str:
    """The installed ``dhis2w`` console script: next to this Python, else on PATH.

    The project is always installed with ``pip install -e '.[dev]'``, which creates it, so a
    missing script is a broken entry point: fail loudly rather than fall back to a module.
    """
    here = Path(sys.executable).with_name("dhis2w")
    found = str(here) if here.exists() else shutil.which("dhis2w")
    if not found:
        pytest.fail(
            f"the dhis2w console script is missing: not at {here} nor on PATH; "
            "reinstall with pip install -e '.[dev]' (is the entry point broken?)",
            pytrace=False,
        )
    return found


@pytest.fixture
def emulator_url() -> Iterator[str]:
    """``dhis2w emulator serve --port 0`` in a subprocess; its URL read from the banner."""
    command = [_console_script(), "emulator", "serve", "--port", "0"]
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stderr is not None
        first = process.stderr.readline()
        found = _LISTENING.search(first)
        assert found, f"the emulator did not start: {first!r}"
        # Keep reading its log so a full pipe can never block the emulator.
        threading.Thread(target=process.stderr.read, daemon=True).start()
        yield found.group(1)
    finally:
        process.send_signal(signal.SIGINT)  # the CLI stops cleanly on Ctrl-C
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _server_command() -> tuple[str, list[str]]:
    """``dhis2w mcp serve`` through the installed console script."""
    return _console_script(), ["mcp", "serve"]


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
        assert sent.structured_content["lastSenderName"] == seed.ADMIN.display_name

        listed = await client.call_tool("messaging_list", {"query": "Over stdio"})
        assert not listed.is_error, listed.content
        assert listed.structured_content is not None
        assert [c["id"] for c in listed.structured_content["conversations"]] == [uid]

        replied = await client.call_tool("messaging_reply", {"uid": uid, "text": "a reply"})
        assert not replied.is_error, replied.content
        assert replied.structured_content is not None
        texts = [m["text"] for m in replied.structured_content["messages"]]
        assert texts == ["sent by a subprocess", "a reply"]
        assert replied.structured_content["lastSenderName"] == seed.ADMIN.display_name
        got = await client.call_tool("messaging_get", {"uid": uid})
        assert got.structured_content is not None
        assert got.structured_content["lastSenderName"] == seed.ADMIN.display_name

        missing = await client.call_tool("messaging_get", {"uid": "AbCdEfGhIj1"})
        assert missing.is_error
        assert missing.structured_content is not None
        assert missing.structured_content["error"]["kind"] == "not_found"


async def test_demo_profile_read_only_over_stdio(tmp_path: Path) -> None:
    """``dhis2w --profile demo mcp serve --read-only``: the embedded emulator, reads only."""
    command, args = _console_script(), ["--profile", "demo", "mcp", "serve", "--read-only"]
    params = StdioServerParameters(
        command=command,
        args=args,
        env={
            "DHIS2W_DEMO_DB": str(tmp_path / "demo.sqlite3"),
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
        },
        cwd=tmp_path,
    )
    async with Client(params, read_timeout_seconds=120) as client:
        listing = await client.list_tools()
        assert {tool.name for tool in listing.tools} == {
            spec.name for spec in TOOLS if not spec.writes
        }
        inbox = await client.call_tool("messaging_list", {"page_size": 100})
        assert not inbox.is_error, inbox.content
        assert inbox.structured_content is not None
        ids = {c["id"] for c in inbox.structured_content["conversations"]}
        assert seed.CONV_STOCK_OUT.uid in ids
        writes = [spec.name for spec in TOOLS if spec.writes]
        assert writes
        for name in writes:
            refused = await client.call_tool(name, {"uids": [seed.CONV_STOCK_OUT.uid]})
            assert refused.is_error, name
            assert refused.structured_content is not None
            assert refused.structured_content["error"]["kind"] == "read_only", name
        again = await client.call_tool("messaging_list", {"page_size": 100})
        assert again.structured_content == inbox.structured_content  # nothing changed


def test_stdout_carries_only_protocol(emulator_url: str, tmp_path: Path) -> None:
    """Raw JSON-RPC over the pipe: every stdout line is a protocol message, logs go to stderr."""
    command, args = _server_command()
    requests = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "raw", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "messaging_unread_count", "arguments": {}},
        },
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/call",
            "params": {"name": "messaging_get", "arguments": {"uid": "AbCdEfGhIj1"}},
        },
    ]
    password = seed.ADMIN.password
    log = tmp_path / "stderr.log"
    with log.open("w", encoding="utf-8") as stderr:
        process = subprocess.Popen(
            [command, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            cwd=tmp_path,
            env={
                "PATH": os.environ.get("PATH", ""),
                "HOME": str(tmp_path),
                "DHIS2_URL": emulator_url,
                "DHIS2_USERNAME": seed.ADMIN.username,
                "DHIS2_PASSWORD": password,
            },
        )
        assert process.stdin is not None and process.stdout is not None
        lines: list[str] = []
        try:
            for request in requests:
                process.stdin.write(json.dumps(request) + "\n")
                process.stdin.flush()
                if "id" in request:  # wait for its answer before going on
                    while True:
                        line = process.stdout.readline()
                        assert line, "the server closed stdout"
                        lines.append(line)
                        if json.loads(line).get("id") == request["id"]:
                            break
        finally:
            process.stdin.close()  # end of input: the server exits
            lines.extend(process.stdout.readlines())
            process.wait(timeout=60)
    errors = log.read_text(encoding="utf-8")
    replies = [json.loads(line) for line in lines]  # every line is JSON-RPC
    assert all(reply["jsonrpc"] == "2.0" for reply in replies)
    by_id = {reply["id"]: reply for reply in replies if "id" in reply}
    assert set(by_id) == {1, 2, 3}, errors
    assert by_id[2]["result"]["structuredContent"]["unread"] > 0
    assert by_id[3]["result"]["isError"] is True
    assert "not_found" in errors  # the failure was logged, on stderr
    assert password not in "".join(lines) + errors


def _params(
    emulator: EmulatorHandle,
    tmp_path: Path,
    *serve_args: str,
    username: str = "admin",
    cwd: str | Path | None = None,
    profiles: bool = False,
) -> StdioServerParameters:
    """``dhis2w mcp serve ...`` logged in to the in-process emulator as ``username``; with
    ``profiles``, a profiles file names two more ("bo", "prod") in the server's folder."""
    user = emulator.user(username)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "DHIS2_URL": emulator.url,
        "DHIS2_USERNAME": user.username,
        "DHIS2_PASSWORD": user.password,
    }
    if profiles:
        config = tmp_path / "config" / "dhis2"
        config.mkdir(parents=True)
        (config / "profiles.toml").write_text(
            f'[profiles.bo]\nbase_url = "{emulator.url}"\nauth = "pat"\n'
            f'token = "{seed.FATMATA.token}"\n\n'
            f'[profiles.prod]\nbase_url = "{emulator.url}"\nauth = "pat"\n'
            f'token = "{seed.MOHAMED.token}"\n',
            encoding="utf-8",
        )
        (config / "profiles.toml").chmod(0o600)
    command = _console_script()
    return StdioServerParameters(
        command=command, args=["mcp", "serve", *serve_args], env=env, cwd=cwd or tmp_path
    )


def _error(result: Any) -> dict[str, Any]:
    assert result.is_error, result.content
    assert result.structured_content is not None
    error: dict[str, Any] = result.structured_content["error"]
    return error


async def test_no_upload_folder_refuses_etc_passwd_from_cwd_root(
    dhis2_emulator: EmulatorHandle, tmp_path: Path
) -> None:
    """Started as many MCP clients start servers (cwd=/) and without --upload-dir."""
    params = _params(dhis2_emulator, tmp_path, cwd="/")
    async with Client(params, read_timeout_seconds=120) as client:
        for path in ("/etc/passwd", "etc/passwd", "/etc/hostname"):
            error = _error(await client.call_tool("files_resource_upload", {"path": path}))
            assert error["kind"] == "invalid_input"
            assert "--upload-dir" in error["message"]
    store = dhis2_emulator.server.store
    assert not store.query("SELECT uid FROM file_resources WHERE name = 'passwd'")


async def test_a_profile_not_allowed_is_refused(
    dhis2_emulator: EmulatorHandle, tmp_path: Path
) -> None:
    params = _params(dhis2_emulator, tmp_path, "--allow-profile", "bo", profiles=True)
    async with Client(params, read_timeout_seconds=120) as client:
        listing = await client.list_tools()
        profile = listing.tools[0].input_schema["properties"]["profile"]
        assert "'bo'" in profile["description"] and "prod" not in profile["description"]
        refused = await client.call_tool(
            "messaging_send",
            {"subject": "Exfiltrate", "text": "t", "users": "admin", "profile": "prod"},
        )
        error = _error(refused)
        assert error["kind"] == "profile_not_allowed"
        assert "'bo'" not in json.dumps(error)  # nothing about the other profiles
        allowed = await client.call_tool("messaging_unread_count", {"profile": "bo"})
        assert not allowed.is_error, allowed.content
    found = dhis2_emulator.server.store.query(
        "SELECT uid FROM conversations WHERE subject = 'Exfiltrate'"
    )
    assert found == []


async def test_a_10000_message_thread_is_bounded_and_pages_to_its_first_message(
    dhis2_emulator: EmulatorHandle, tmp_path: Path
) -> None:
    (uid,) = dhis2_emulator.bulk_create_conversations(
        1, recipients=["fatmata"], messages_per_conversation=10_000, text_size=300
    )
    store = dhis2_emulator.server.store
    ids = [m["uid"] for m in store.messages([uid])[uid]]
    params = _params(dhis2_emulator, tmp_path, username="fatmata")
    async with Client(params, read_timeout_seconds=120) as client:
        newest = await client.call_tool("messaging_get", {"uid": uid})
        assert not newest.is_error, newest.content
        size = len(newest.content[0].text.encode("utf-8"))  # type: ignore[union-attr]
        assert size < 100_000, size
        data = newest.structured_content
        assert data is not None
        assert [m["id"] for m in data["messages"]] == ids[-20:]
        assert data["window"]["total"] == 10_000
        older = await client.call_tool(
            "messaging_get", {"uid": uid, "before": data["window"]["nextBefore"], "limit": 200}
        )
        assert older.structured_content is not None
        assert [m["id"] for m in older.structured_content["messages"]] == ids[-220:-20]
        to_first = older.structured_content["window"]["olderMessages"]
        assert to_first == 10_000 - 220
        first = await client.call_tool(
            "messaging_get", {"uid": uid, "offset": 220 + to_first - 5, "limit": 5}
        )
        assert first.structured_content is not None
        assert [m["id"] for m in first.structured_content["messages"]] == ids[:5]
        assert first.structured_content["window"]["olderMessages"] == 0
        assert "nextBefore" not in first.structured_content["window"]


async def test_resources_and_prompts_list_and_read(
    dhis2_emulator: EmulatorHandle, tmp_path: Path
) -> None:
    stock = seed.CONV_STOCK_OUT
    params = _params(dhis2_emulator, tmp_path, "--read-only")
    async with Client(params, read_timeout_seconds=120) as client:
        templates = await client.list_resource_templates()
        assert "dhis2://conversations/{uid}" in {
            t.uri_template for t in templates.resource_templates
        }
        thread = await client.read_resource(f"dhis2://conversations/{stock.uid}")
        text = thread.contents[0].text  # type: ignore[union-attr]
        assert json.loads(text)["subject"] == stock.subject
        csv = await client.read_resource(
            f"dhis2://conversations/{stock.uid}/messages/{stock.messages[0].uid}"
            f"/attachments/{seed.FILE_STOCK_REPORT.uid}"
        )
        assert csv.contents[0].mime_type == "text/csv"
        assert csv.contents[0].text == seed.FILE_STOCK_REPORT.content.decode()  # type: ignore[union-attr]
        prompts = await client.list_prompts()
        assert {p.name for p in prompts.prompts} == {"triage_inbox", "draft_reply"}
        triage = await client.get_prompt("triage_inbox")
        assert "<dhis2-data>" in triage.messages[0].content.text  # type: ignore[union-attr]
        draft = await client.get_prompt("draft_reply", {"uid": stock.uid})
        assert stock.messages[-1].text[:40] in draft.messages[0].content.text  # type: ignore[union-attr]
