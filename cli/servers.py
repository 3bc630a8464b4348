"""Long-running commands: ``dhis2w emulator serve`` and ``dhis2w mcp serve``.

Their heavy imports (the emulator's HTTP stack, the MCP SDK) happen inside the callbacks.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from .commands import Group

if TYPE_CHECKING:
    from dhis2w.emulator import EmulatorServer, Faults


class FailStatus(click.ParamType):  # type: ignore[type-arg]  # generic only in newer Click
    """An HTTP status ``fail_next`` accepts: 429 or 500-599 (anything else is a usage error)."""

    name = "CODE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            status = value
        else:
            try:
                status = int(str(value).strip(), 10)
            except ValueError:
                self.fail(f"{value!r} is not an HTTP status code.", param, ctx)
        if status == 429 or 500 <= status <= 599:
            return status
        self.fail(f"{status} is not 429 or 5xx (500-599).", param, ctx)


class Seconds(click.ParamType):  # type: ignore[type-arg]  # generic only in newer Click
    """A finite, non-negative number of seconds (``nan``, ``inf`` and negatives are refused;
    so is 0 when ``positive``)."""

    name = "SECONDS"

    def __init__(self, *, positive: bool = False) -> None:
        self.positive = positive

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds.", param, ctx)
        if not math.isfinite(seconds) or seconds < 0 or (self.positive and seconds == 0):
            bound = "> 0" if self.positive else ">= 0"
            self.fail(f"{value} is not a finite number of seconds {bound}.", param, ctx)
        return seconds


@dataclass(frozen=True)
class FaultOptions:
    """The fault switches of ``dhis2w emulator serve``, as given on the command line."""

    latency: float = 0.0
    latency_jitter: float = 0.0
    fail_next: int = 0
    fail_status: int = 503
    retry_after: float | None = None
    drop_after_commit: int = 0
    truncate_next: int = 0
    unauthorized_next: int = 0
    login_page_next: int = 0

    def apply(self, faults: Faults) -> None:
        """Switch the faults on, through the same Python API a test would use."""
        if self.latency or self.latency_jitter:
            faults.latency(self.latency, jitter=self.latency_jitter)
        if self.fail_next:
            faults.fail_next(self.fail_next, status=self.fail_status, retry_after=self.retry_after)
        if self.drop_after_commit:
            faults.drop_after_commit(self.drop_after_commit)
        if self.truncate_next:
            faults.truncate_next(self.truncate_next)
        if self.unauthorized_next:
            faults.unauthorized_next(self.unauthorized_next)
        if self.login_page_next:
            faults.login_page_next(self.login_page_next)

    def counted(self) -> bool:
        """Whether a "next N" fault is on (with several workers, N counts per process)."""
        return bool(
            self.fail_next
            or self.drop_after_commit
            or self.truncate_next
            or self.unauthorized_next
            or self.login_page_next
        )

    def describe(self) -> list[str]:
        """One phrase per active fault (empty when none is)."""
        out: list[str] = []
        if self.latency and self.latency_jitter:
            out.append(
                f"latency {self.latency:g}s + up to {self.latency_jitter:g}s random "
                "on every request"
            )
        elif self.latency:
            out.append(f"latency {self.latency:g}s on every request")
        elif self.latency_jitter:
            out.append(f"random latency up to {self.latency_jitter:g}s on every request")
        if self.fail_next:
            retry = "" if self.retry_after is None else f", Retry-After: {self.retry_after:g}"
            requests = _count(self.fail_next, "request")
            out.append(f"next {requests} answered {self.fail_status}{retry}")
        if self.drop_after_commit:
            writes = _count(self.drop_after_commit, "write")
            out.append(f"next {writes} committed, then the connection closed unanswered")
        if self.truncate_next:
            out.append(f"next {_count(self.truncate_next, 'response')} truncated")
        if self.unauthorized_next:
            out.append(f"next {_count(self.unauthorized_next, 'request')} answered 401")
        if self.login_page_next:
            requests = _count(self.login_page_next, "request")
            out.append(f"next {requests} answered with an HTML login page")
        return out


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# Tomcat's defaults, which the emulator's server shares (dhis2w.emulator.http11.Limits)
_IDLE_TIMEOUT = 60.0
_REQUEST_TIMEOUT = 60.0
_MAX_CONNECTIONS = 8192


def build_emulator_server(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    db: str | None = None,
    seed: str = "demo",
    max_upload_size: int = 10_000_000,
    log_requests: bool = False,
    faults: FaultOptions | None = None,
    workers: int = 1,
    idle_timeout: float = _IDLE_TIMEOUT,
    request_timeout: float = _REQUEST_TIMEOUT,
    max_connections: int = _MAX_CONNECTIONS,
    storage_delay: float | None = None,
) -> EmulatorServer:
    """The server ``dhis2w emulator serve`` runs, bound and with its faults switched on.

    ``workers > 1`` serves the port from that many processes on one SQLite file; the fault
    switches reach each of them, and counts ("the next N requests") are per process.
    """
    import dhis2w.emulator as emulator

    # only what differs from the server's own defaults is passed on
    kwargs: dict[str, Any] = {"workers": workers} if workers != 1 else {}
    if idle_timeout != _IDLE_TIMEOUT:
        kwargs["idle_timeout"] = idle_timeout
    if request_timeout != _REQUEST_TIMEOUT:
        kwargs["request_timeout"] = request_timeout
    if max_connections != _MAX_CONNECTIONS:
        kwargs["max_connections"] = max_connections
    if storage_delay is not None:
        kwargs["storage_delay"] = storage_delay
    srv = emulator.EmulatorServer(
        host=host,
        port=port,
        db=db,
        seed=seed,
        max_upload_size=max_upload_size,
        log_requests=log_requests,
        **kwargs,
    )
    try:
        (faults or FaultOptions()).apply(srv.faults)
    except BaseException:
        srv.stop()
        raise
    return srv


@click.group(cls=Group)
def emulator() -> None:
    """The offline DHIS2 2.42 emulator (for demos, tests and benchmarks)."""


_SECONDS = Seconds()
_TIMEOUT = Seconds(positive=True)
_COUNT = click.IntRange(min=0)


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
@click.option(
    "--storage-delay",
    type=_SECONDS,
    default=None,
    metavar="SECONDS",
    help="How long an upload stays PENDING before it is STORED (default: a few milliseconds, "
    "like a local DHIS2; widen it to test a client's polling).",
)
@click.option(
    "--latency",
    type=_SECONDS,
    default=0.0,
    metavar="SECONDS",
    help="Fault: fixed delay added to every request.",
)
@click.option(
    "--latency-jitter",
    type=_SECONDS,
    default=0.0,
    metavar="SECONDS",
    help="Fault: plus a random delay, uniform in [0, SECONDS], on every request.",
)
@click.option(
    "--fail-next",
    type=_COUNT,
    default=0,
    metavar="N",
    help="Fault: answer the next N requests with --fail-status instead of handling them.",
)
@click.option(
    "--fail-status",
    type=FailStatus(),
    default=503,
    show_default=True,
    help="Status for --fail-next: 429 or 500-599.",
)
@click.option(
    "--retry-after",
    type=_SECONDS,
    default=None,
    metavar="SECONDS",
    help="Send a Retry-After header with the --fail-next answers.",
)
@click.option(
    "--drop-after-commit",
    type=_COUNT,
    default=0,
    metavar="N",
    help="Fault: for the next N writes, commit the change, then close the connection "
    "without answering.",
)
@click.option(
    "--truncate-next",
    type=_COUNT,
    default=0,
    metavar="N",
    help="Fault: the next N responses announce their full length but send only half the body.",
)
@click.option(
    "--unauthorized-next",
    type=_COUNT,
    default=0,
    metavar="N",
    help="Fault: answer the next N requests 401, as if the credentials had been revoked.",
)
@click.option(
    "--login-page-next",
    type=_COUNT,
    default=0,
    metavar="N",
    help="Fault: answer the next N requests with a 200 HTML login page, as a proxy in front "
    "of DHIS2 does when its session ends.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    metavar="N",
    help="Serve the port from N processes sharing one SQLite file (a temporary one without "
    "--db), like a multi-threaded DHIS2. Fault counts (--fail-next ...) are per process.",
)
@click.option(
    "--idle-timeout",
    type=_TIMEOUT,
    default=_IDLE_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="Close a connection that sends no request for this long (Tomcat's keepAliveTimeout).",
)
@click.option(
    "--request-timeout",
    type=_TIMEOUT,
    default=_REQUEST_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="Close a connection whose request head takes longer than this to arrive, or whose "
    "body or answer stalls this long.",
)
@click.option(
    "--max-connections",
    type=click.IntRange(min=1),
    default=_MAX_CONNECTIONS,
    show_default=True,
    metavar="N",
    help="Connections served at once (per worker); more wait to be accepted, as with "
    "Tomcat's maxConnections.",
)
def serve_emulator(
    host: str,
    port: int,
    db: str | None,
    seed: str,
    max_upload_size: int,
    storage_delay: float | None,
    latency: float,
    latency_jitter: float,
    fail_next: int,
    fail_status: int,
    retry_after: float | None,
    drop_after_commit: int,
    truncate_next: int,
    unauthorized_next: int,
    login_page_next: int,
    workers: int,
    idle_timeout: float,
    request_timeout: float,
    max_connections: int,
) -> None:
    """Serve the emulator until Ctrl-C; prints its URL, demo credentials and active faults
    on stderr.

    With the root --debug every request is logged on stderr.
    """
    from .state import AppState

    ctx = click.get_current_context()
    status_given = ctx.get_parameter_source("fail_status") is not ParameterSource.DEFAULT
    if not fail_next and (status_given or retry_after is not None):
        given = "--fail-status" if status_given else "--retry-after"
        raise click.UsageError(f"{given} only applies with --fail-next N (N >= 1).")
    faults = FaultOptions(
        latency=latency,
        latency_jitter=latency_jitter,
        fail_next=fail_next,
        fail_status=fail_status,
        retry_after=retry_after,
        drop_after_commit=drop_after_commit,
        truncate_next=truncate_next,
        unauthorized_next=unauthorized_next,
        login_page_next=login_page_next,
    )
    debug = ctx.ensure_object(AppState).debug
    from dhis2w.emulator import banner

    srv = build_emulator_server(
        host=host,
        port=port,
        db=db,
        seed=seed,
        max_upload_size=max_upload_size,
        log_requests=debug,
        faults=faults,
        workers=workers,
        idle_timeout=idle_timeout,
        request_timeout=request_timeout,
        max_connections=max_connections,
        storage_delay=storage_delay,
    )
    restore = _stop_on_sigterm()
    try:
        active = faults.describe()
        click.echo(banner(srv), err=True)
        if storage_delay is not None:
            click.echo(
                f"  Storage:    uploads are STORED {storage_delay:g}s after their 202", err=True
            )
        if workers > 1:
            srv.start_workers()  # now, so the banner can name them
            pids = ", ".join(str(p) for p in srv.worker_pids)
            click.echo(
                f"  Workers:    {workers} processes on one port (this one and pids {pids}), "
                f"sharing {srv.db_path}",
                err=True,
            )
        else:
            click.echo("  Workers:    1 process", err=True)
        per_worker = " (counted in each worker)" if workers > 1 and faults.counted() else ""
        click.echo(f"  Faults:     {'; '.join(active) if active else 'none'}{per_worker}", err=True)
        srv.serve_forever()  # returns on Ctrl-C, after a clean stop
    except KeyboardInterrupt:
        pass  # Ctrl-C before serving started: still a clean exit
    finally:
        srv.stop()
        if restore is not None:
            restore()


def _stop_on_sigterm() -> Callable[[], None] | None:
    """SIGTERM stops the server like Ctrl-C does, so the workers and the temporary folder
    (in-memory state keeps uploaded files there) are removed; returns how to put the previous
    handler back (None off the main thread). A second SIGTERM during that clean-up is
    ignored, so it cannot cut the clean-up short."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(signum: int, frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore


@click.group(cls=Group)
def mcp() -> None:
    """The MCP server: dhis2w's messaging and files as tools for AI agents."""


def _mcp_sdk_installed() -> bool:
    """Whether the optional MCP SDK is importable (a folder named ``mcp`` is not enough)."""
    import importlib.util

    try:
        return importlib.util.find_spec("mcp.server") is not None
    except ImportError:
        return False


@mcp.command("serve")
@click.option(
    "--read-only",
    is_flag=True,
    envvar="DHIS2W_MCP_READONLY",
    help="Hide and refuse every tool that changes state.",
)
@click.option(
    "--upload-dir",
    "upload_dirs",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help=(
        "A folder files_resource_upload may read from (repeatable). Default: "
        "DHIS2W_MCP_UPLOAD_DIRS, else none (every upload is refused). Never a filesystem "
        "root or the home folder; hidden files are always refused."
    ),
)
@click.option(
    "--allow-profile",
    "allow_profiles",
    multiple=True,
    metavar="NAME",
    help=(
        "Another profile tool calls may name (repeatable). Default: DHIS2W_MCP_PROFILES "
        "(comma-separated), else none: the server talks to its own profile only."
    ),
)
@click.option(
    "--max-text-chars",
    type=click.IntRange(min=100),
    default=None,
    envvar="DHIS2W_MCP_MAX_TEXT_CHARS",
    help="Cut message texts longer than this in answers (default 4000), with a marker.",
)
@click.pass_context
def serve_mcp(
    ctx: click.Context,
    read_only: bool,
    upload_dirs: tuple[Path, ...],
    allow_profiles: tuple[str, ...],
    max_text_chars: int | None,
) -> None:
    """Serve MCP over stdio (stdout carries the protocol and nothing else)."""
    from .errors import EXIT_USAGE, CommandFailed
    from .state import AppState

    if not _mcp_sdk_installed():  # the SDK is an optional extra
        raise CommandFailed(
            "dhis2w mcp serve: the MCP SDK is not installed",
            EXIT_USAGE,
            hint="pip install 'dhis2w[mcp]'",
        )
    from dhis2w.mcp import serve_stdio

    serve_stdio(
        ctx.ensure_object(AppState).profile_name,
        read_only,
        upload_dirs or None,
        allow_profiles or None,
        max_text_chars,
    )
