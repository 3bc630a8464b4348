"""Long-running commands: ``dhis2w emulator serve`` and ``dhis2w mcp serve``.

Their heavy imports (the emulator's HTTP stack, the MCP SDK) happen inside the callbacks.
"""

from __future__ import annotations

import click

from .commands import Group


@click.group(cls=Group)
def emulator() -> None:
    """The offline DHIS2 2.42 emulator (for demos, tests and benchmarks)."""


@emulator.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    help="SQLite file to keep state in (default: in memory, fresh each start).",
)
@click.option("--seed", type=click.Choice(["demo", "empty"]), default="demo", show_default=True)
@click.option(
    "--max-upload-size",
    type=click.IntRange(min=1),
    default=10_000_000,
    show_default=True,
    help="Bytes; like DHIS2's max.file_upload_size.",
)
@click.option("--latency", type=click.FloatRange(min=0), help="Seconds added to every answer.")
@click.option("--fail-next", type=click.IntRange(min=1), help="Fail the next N requests.")
@click.option(
    "--fail-status",
    type=click.IntRange(429, 599),
    default=503,
    show_default=True,
    help="Status for --fail-next (429 or 5xx).",
)
def serve_emulator(
    host: str,
    port: int,
    db: str | None,
    seed: str,
    max_upload_size: int,
    latency: float | None,
    fail_next: int | None,
    fail_status: int,
) -> None:
    """Serve the emulator until Ctrl-C; prints its URL and demo credentials on stderr.

    With the root --debug every request is logged on stderr.
    """
    from dhis2w.emulator import EmulatorServer, banner

    from .state import AppState

    debug = click.get_current_context().ensure_object(AppState).debug
    srv = EmulatorServer(
        host=host,
        port=port,
        db=db,
        seed=seed,
        max_upload_size=max_upload_size,
        log_requests=debug,
    )
    try:
        if latency:
            srv.faults.latency(latency)
        if fail_next:
            srv.faults.fail_next(fail_next, status=fail_status)
        click.echo(banner(srv), err=True)
        srv.serve_forever()  # returns on Ctrl-C, after a clean stop
    except KeyboardInterrupt:
        pass  # Ctrl-C before serving started: still a clean exit
    finally:
        srv.stop()


@click.group(cls=Group)
def mcp() -> None:
    """The MCP server: dhis2w's messaging and files as tools for AI agents."""


@mcp.command("serve")
@click.option(
    "--read-only",
    is_flag=True,
    envvar="DHIS2W_MCP_READONLY",
    help="Hide and refuse every tool that changes state.",
)
@click.pass_context
def serve_mcp(ctx: click.Context, read_only: bool) -> None:
    """Serve MCP over stdio (stdout carries the protocol and nothing else)."""
    from dhis2w.mcp_server import serve_stdio

    from .state import AppState

    serve_stdio(ctx.ensure_object(AppState).profile_name, read_only)
