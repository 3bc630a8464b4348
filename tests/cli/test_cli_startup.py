"""Start-up stays lazy, and every command in the tree builds and documents itself."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner
from dhis2w.cli.main import cli

_PROBE = """
import json, sys
from dhis2w.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"httpx", "msgspec", "mcp", "anyio"}
               or m.startswith(("dhis2w.models", "dhis2w._sync", "dhis2w._async")))
print("\\nLOADED=" + json.dumps(heavy))
"""


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["messaging", "--help"], ["files", "--help"], ["profile", "--help"]],
)
def test_help_imports_no_heavy_module(argv: list[str]) -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv], capture_output=True, text=True, check=True
    ).stdout
    assert "Usage: " in out
    loaded = json.loads(out.rsplit("LOADED=", 1)[1])
    assert loaded == [], f"dhis2w {' '.join(argv)} imported {loaded}"


def _walk(group: click.Group, ctx: click.Context, path: list[str]) -> list[list[str]]:
    found = []
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None, name
        found.append([*path, name])
        if isinstance(cmd, click.Group):
            found.extend(_walk(cmd, ctx, [*path, name]))
    return found


ALL_COMMANDS = _walk(cli, click.Context(cli), [])


def test_the_whole_tree_is_there() -> None:
    names = {" ".join(p) for p in ALL_COMMANDS}
    expected = {
        "messaging list", "messaging get", "messaging send", "messaging reply",
        "messaging mark-read", "messaging mark-unread", "messaging delete",
        "messaging follow-up", "messaging unfollow-up", "messaging set-priority",
        "messaging set-status", "messaging assign", "messaging unassign",
        "messaging add-recipients", "messaging feedback", "messaging unread-count",
        "messaging attachment download", "files resources upload", "files resources get",
        "files resources download", "files documents list", "files documents get",
        "files documents upload", "files documents add-url", "files documents download",
        "files documents delete", "profile list", "profile show", "profile add",
        "profile remove", "profile default", "profile verify", "system me", "system info",
        "mcp serve", "emulator serve",
    }  # fmt: skip
    assert expected <= names, expected - names


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=lambda p: " ".join(p))
def test_every_command_has_help(path: list[str]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.stdout


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("dhis2w ")


def test_enum_choices_are_case_insensitive_and_listed() -> None:
    result = CliRunner().invoke(cli, ["messaging", "list", "--help"])
    assert "PRIVATE|SYSTEM|VALIDATION_RESULT|TICKET" in result.stdout
    bad = CliRunner().invoke(cli, ["messaging", "list", "--type", "nonsense"])
    assert bad.exit_code == 2
    assert "'nonsense' is not one of" in bad.stderr


def test_completion_script_is_offered() -> None:
    result = CliRunner().invoke(
        cli, [], env={"_DHIS2W_COMPLETE": "bash_source"}, prog_name="dhis2w"
    )
    assert result.exit_code == 0
    assert "_dhis2w_completion" in result.stdout


def test_completion_of_subcommands_and_enum_values() -> None:
    env = {
        "_DHIS2W_COMPLETE": "bash_complete",
        "COMP_WORDS": "dhis2w messaging li",
        "COMP_CWORD": "2",
    }
    result = CliRunner().invoke(cli, [], env=env, prog_name="dhis2w")
    assert "plain,list" in result.stdout
    env = {"_DHIS2W_COMPLETE": "bash_complete", "COMP_WORDS": "dhis2w messaging list --type ti",
           "COMP_CWORD": "4"}  # fmt: skip
    result = CliRunner().invoke(cli, [], env=env, prog_name="dhis2w")
    assert "plain,TICKET" in result.stdout
