"""``dhis2w messaging watch``: new messages as they arrive, one line each (or JSON lines).

A thin skin over ``client.messaging.watch``. With ``--cursor-file`` the watch resumes where
the last run stopped (the file is replaced atomically after every event), so a cron job with
``--once`` prints each message exactly once across runs: the line is printed first and the
cursor saved after it, so a run killed in between prints that one event again, never skips it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from dhis2w._printable import printable

from .commands import with_client
from .messaging import chosen_filters, conversation_filter_options, messaging
from .output import styled
from .state import AppState

if TYPE_CHECKING:
    from dhis2w import Client
    from dhis2w.models import InboxEvent, Message

#: How much of a message's text a line shows.
TEXT_PREVIEW = 80


@messaging.command("watch")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    metavar="S",
    help="Seconds between polls (give or take 10 %).",
)
@click.option(
    "--cursor-file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="Resume from the cursor in PATH and keep it there after each event.",
)
@click.option("--once", is_flag=True, help="Poll once and exit (for cron).")
@click.option("--jsonl", is_flag=True, help="One JSON object per event, one per line.")
@conversation_filter_options
@with_client
def watch(
    state: AppState,
    client: Client,
    interval: float,
    cursor_file: Path | None,
    once: bool,
    jsonl: bool,
    filters: tuple[str, ...],
    unread: bool,
    message_type: Any,
    status: Any,
    priority: Any,
    follow_up: bool,
    assignee: str | None,
    query: str | None,
) -> None:
    """Print new messages as they arrive: time, sender, subject, the start of the text.

    Without --cursor-file it starts after what is already in the inbox. Network and server
    errors are retried with backoff (a warning on stderr); Ctrl-C stops it.
    """
    cursor = read_cursor(cursor_file) if cursor_file is not None else None
    stream = client.messaging.watch(
        interval=interval,
        cursor=cursor,
        once=once,
        **chosen_filters(
            client,
            filters=filters,
            query=query,
            message_type=message_type,
            status=status,
            priority=priority,
            unread=unread,
            follow_up=follow_up,
            assignee=assignee,
        ),
    )
    as_json = jsonl or state.json
    handler = _warnings_on_stderr()
    try:
        for event in stream:
            if as_json:
                click.echo(event_json(event))
            else:
                for line in event_lines(state, event):
                    click.echo(line, color=state.color)
            sys.stdout.flush()
            if cursor_file is not None:
                write_cursor(cursor_file, event.cursor)
        if cursor_file is not None and stream.cursor is not None:
            write_cursor(cursor_file, stream.cursor)  # also when nothing arrived
    except KeyboardInterrupt:
        click.get_current_context().exit(130)
    finally:
        logging.getLogger("dhis2w.watch").removeHandler(handler)


def _warnings_on_stderr() -> logging.Handler:
    """The watcher's retry warnings as ``dhis2w: warning: ...`` lines on stderr, made
    printable (they quote the server's error messages)."""
    from .debuglog import CurrentStderrHandler

    handler = CurrentStderrHandler()
    handler.setFormatter(logging.Formatter("dhis2w: warning: %(message)s"))
    handler.setLevel(logging.WARNING)
    logging.getLogger("dhis2w.watch").addHandler(handler)
    return handler


def read_cursor(path: Path) -> str | None:
    """The stored cursor, or ``None`` when the file does not exist yet (first run)."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        from dhis2w.errors import InvalidInputError

        raise InvalidInputError(f"{path} does not hold a watch cursor") from None
    return text or None


def write_cursor(path: Path, cursor: str) -> None:
    """Replace ``path`` with ``cursor`` atomically: a crash leaves the old or the new one."""
    folder = path.parent if str(path.parent) else Path(".")
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(cursor + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def preview(text: str, width: int = TEXT_PREVIEW) -> str:
    """The start of a message on one line."""
    one_line = " ".join(text.split())
    if len(one_line) > width:
        one_line = one_line[: width - 1] + "…"
    return printable(one_line)


def event_lines(state: AppState, event: InboxEvent) -> list[str]:
    """One line per new message: time, sender, [type] subject, the start of the text.

    Colours as ``messaging list``: the type in its colour, the line bold yellow while the
    conversation is unread.
    """
    from .output import fmt_time
    from .views import type_style

    conversation = event.conversation
    mtype = "" if conversation.message_type is None else conversation.message_type.value
    unread = conversation.read is False
    subject = printable(conversation.subject or conversation.display_name or conversation.id)
    lines = []
    for message in event.messages:
        parts = [fmt_time(message.created), styled(state, printable(_sender(message)), bold=True)]
        if mtype:
            parts.append(styled(state, f"[{mtype}]", **type_style(mtype)))
        body = f"{subject}: {preview(message.text or message.name or '')}"
        parts.append(styled(state, body, fg="yellow", bold=True) if unread else body)
        lines.append("  ".join(parts))
    return lines


def _sender(message: Message) -> str:
    return message.sender.label if message.sender is not None else "system"


def event_json(event: InboxEvent) -> str:
    """The event as one compact JSON line (the wire's camelCase field names)."""
    import msgspec

    from dhis2w.models import to_builtins

    return msgspec.json.encode(to_builtins(event)).decode()
