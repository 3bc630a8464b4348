"""``dhis2w messaging ...``: the inbox, threads, sending and the ticket workflow.

Each command is one or two library calls; recipient names go through
``client.directory`` so people can type ``--user admin`` instead of an 11-character UID.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .commands import EnumChoice, Group, check_paging, json_option, jsonl_option, with_client
from .output import (
    Progress,
    collect_listing,
    echo,
    echo_json,
    echo_jsonl_stream,
    emit,
    info,
)
from .state import AppState

if TYPE_CHECKING:
    from dhis2w import Client, ConversationFilters
    from dhis2w._names import Recipients
    from dhis2w.models import MessageConversation

F = TypeVar("F", bound=Callable[..., Any])


@click.group(cls=Group)
def messaging() -> None:
    """Read, send and manage message conversations."""


# -- shared options ---------------------------------------------------------------------


def recipient_options(f: F) -> F:
    """``--user``, ``--user-group``, ``--org-unit``: UIDs or names, repeatable."""
    f = click.option(
        "--org-unit",
        "--ou",
        "org_units",
        multiple=True,
        metavar="OU",
        help="Organisation unit (UID, name or code): all its users. Repeatable.",
    )(f)
    f = click.option(
        "-g",
        "--user-group",
        "user_groups",
        multiple=True,
        metavar="GROUP",
        help="User group (UID, name or code): all its members. Repeatable.",
    )(f)
    f = click.option(
        "-u",
        "--user",
        "users",
        multiple=True,
        metavar="USER",
        help="Recipient user (UID or username / name). Repeatable.",
    )(f)
    return f


def attachment_options(f: F) -> F:
    """``--attachment FR_UID`` (already uploaded) and ``--attach PATH`` (upload now)."""
    f = click.option(
        "--attach",
        "attach_paths",
        multiple=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Upload this file as a MESSAGE_ATTACHMENT, wait until stored, attach it.",
    )(f)
    f = click.option(
        "-a",
        "--attachment",
        "attachments",
        multiple=True,
        metavar="FR_UID",
        help="A MESSAGE_ATTACHMENT file resource UID to attach. Repeatable.",
    )(f)
    f = click.option(
        "--max-size",
        type=click.IntRange(min=1),
        default=None,
        metavar="BYTES",
        help="Raise dhis2w's own limit for --attach files (default 10,000,000 bytes) for a "
        "server that accepts bigger ones.",
    )(f)
    return f


def read_text(text: str, what: str = "text") -> str:
    """``-`` means standard input (long or multi-line bodies); trailing newlines dropped.

    Blank text is refused here, before any recipient lookup or ``--attach`` upload: DHIS2
    would refuse it anyway, after the files had been uploaded for nothing.
    """
    from_stdin = text == "-"
    if from_stdin:
        from .state import _isatty

        if _isatty(sys.stdin):
            info(f"reading the {what} from standard input; end it with Ctrl-D")
        text = read_stdin_utf8(what).rstrip("\n")
    return require_text(text, what, " (standard input was empty)" if from_stdin else "")


def read_stdin_utf8(what: str) -> str:
    """Standard input as UTF-8 text, whatever the locale; other bytes are a clear error."""
    raw = sys.stdin.buffer.read()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        from dhis2w.errors import InvalidInputError

        raise InvalidInputError(
            f"the {what} on standard input is not UTF-8 text (byte 0x{raw[exc.start]:02X} at "
            f"position {exc.start}); convert it first, e.g. with iconv -f LATIN1 -t UTF-8"
        ) from None


def require_text(text: str, what: str, note: str = "") -> str:
    """Refuse a blank subject or text before anything is sent or uploaded (exit 2)."""
    if not text.strip():
        from dhis2w.errors import InvalidInputError

        raise InvalidInputError(f"{what} is empty{note}")
    return text


def resolve_recipients(
    client: Client, users: Sequence[str], groups: Sequence[str], org_units: Sequence[str]
) -> Recipients:
    """UIDs, usernames, names and codes -> UIDs, by the library (as the MCP server does)."""
    return client.directory.resolve_recipients(
        users=users, user_groups=groups, organisation_units=org_units
    )


def upload_attachments(
    state: AppState,
    client: Client,
    uids: Sequence[str],
    paths: Sequence[Path],
    max_size: int | None = None,
) -> list[str]:
    """The attachment UIDs to send: the given ones, then each ``--attach`` file uploaded.

    Given UIDs are checked first, so a typo never leaves an orphan upload behind.
    """
    from dhis2w import check_uid

    result = [check_uid(uid, "attachment") for uid in uids]
    for path in paths:
        with (
            Progress(state, f"uploading {path.name}") as progress,
            state.write(f"uploading {path.name}", UPLOAD_AGAIN),
        ):
            fr = client.files.upload_file_resource(
                path,
                domain="MESSAGE_ATTACHMENT",
                wait=True,
                progress=progress.bytes,
                max_size=max_size,
            )
        if not state.json:
            info(f"uploaded {path.name} as {fr.id}")
        result.append(fr.id)
    return result


#: What an interrupted upload leaves: at most a file resource nothing refers to.
UPLOAD_AGAIN = (
    "an interrupted upload leaves at most an unused file resource: uploading again is safe"
)


def write_message(
    state: AppState, what: str, check: str, call: Callable[[], MessageConversation]
) -> MessageConversation | None:
    """Run a send / reply / feedback ``call``; ``None`` when it was stored but not read back.

    That case is a success: the stored UID goes to stdout (alone, or as JSON) and a warning to
    stderr, and the exit code is 0, because a script that saw a failure would send the
    message a second time. Ctrl-C during the call says the message may already be sent.
    """
    from dhis2w.errors import ReadBackError

    try:
        with Progress(state, what) as progress, state.write(what, check):
            progress.status("…")
            return call()
    except ReadBackError as exc:
        state.writing = None  # the write is done; only reading it back failed
        if state.json:
            echo_json({"id": exc.uid, "readBack": False})
        else:
            echo(state, exc.uid)
        info(f"dhis2w: warning: {exc}")
        return None


# -- reading ----------------------------------------------------------------------------


def conversation_filter_options(command: F) -> F:
    """The conversation filters (``list``, ``watch``): one declaration, as the library's
    ``ConversationFilters`` is one declaration of the keywords they map to."""
    options = [
        click.option(
            "--filter",
            "filters",
            multiple=True,
            metavar="PROP:OP:VALUE",
            help="A DHIS2 filter, e.g. read:eq:false. Repeatable (AND).",
        ),
        click.option("--unread", is_flag=True, help="Only unread conversations."),
        click.option(
            "--type", "message_type", type=EnumChoice("MessageType"), help="Only this type."
        ),
        click.option("--status", type=EnumChoice("Status"), help="Only this ticket status."),
        click.option("--priority", type=EnumChoice("Priority"), help="Only this priority."),
        click.option("--follow-up", is_flag=True, help="Only conversations marked for follow-up."),
        click.option(
            "--assignee", metavar="USER", help="Only tickets assigned to USER (UID or name)."
        ),
        click.option("-q", "--query", help="Search subject, text and sender."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def chosen_filters(
    client: Client,
    *,
    filters: tuple[str, ...],
    query: str | None,
    message_type: Any,
    status: Any,
    priority: Any,
    unread: bool,
    follow_up: bool,
    assignee: str | None,
) -> ConversationFilters:
    """The options of :func:`conversation_filter_options` as the library's filter keywords
    (a flag not given filters nothing; an assignee may be a username)."""
    return {
        "filter": list(filters) or None,
        "query": query,
        "message_type": message_type,
        "status": status,
        "priority": priority,
        "unread": True if unread else None,
        "follow_up": True if follow_up else None,
        "assignee": client.directory.resolve_users([assignee])[0] if assignee else None,
    }


@messaging.command("list")
@conversation_filter_options
@click.option("--order", default="lastMessage:desc", show_default=True, help="DHIS2 order.")
@click.option("--page", type=click.IntRange(min=1), help="Page number.  [default: 1]")
@click.option("--page-size", type=click.IntRange(1, 10_000), help="[default: 50, --all: 200]")
@click.option("--all", "all_pages", is_flag=True, help="Stream every page.")
@click.option("--limit", type=click.IntRange(min=1), help="Stop after N (implies --all).")
@json_option
@jsonl_option
@with_client
def list_conversations(
    state: AppState,
    client: Client,
    filters: tuple[str, ...],
    unread: bool,
    message_type: Any,
    status: Any,
    priority: Any,
    follow_up: bool,
    assignee: str | None,
    query: str | None,
    order: str,
    page: int | None,
    page_size: int | None,
    all_pages: bool,
    limit: int | None,
) -> None:
    """List conversations of your inbox, newest first (one page, or --all)."""
    from . import views

    check_paging(page, all_pages, limit)

    criteria: dict[str, Any] = {
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
        "order": order,
    }
    if page_size is not None:
        criteria["page_size"] = page_size
    if not (all_pages or limit):
        result = client.messaging.list_conversations(page=page or 1, **criteria)
        if state.jsonl:
            echo_jsonl_stream(result.conversations)
            return
        emit(state, result, show=views.show_page)
        return
    conversations = collect_listing(
        state,
        "conversations fetched:",
        limit,
        lambda on_pager: client.messaging.iter_conversations(
            limit=limit, on_pager=on_pager, **criteria
        ),
    )
    if conversations is not None:
        views.show_conversations(state, conversations, f"total {len(conversations)}")


@messaging.command("get")
@click.argument("uid")
@json_option
@with_client
def get_conversation(state: AppState, client: Client, uid: str) -> None:
    """Show one conversation: header, participants and the whole thread."""
    from . import views

    conv = client.messaging.get_conversation(uid)
    emit(state, conv, show=views.show_conversation)


@messaging.command("unread-count")
@click.option("--type", "message_type", type=EnumChoice("MessageType"), help="Only this type.")
@json_option
@with_client
def unread_count(state: AppState, client: Client, message_type: Any) -> None:
    """Print how many conversations are unread (a number alone)."""
    n = client.messaging.unread_count(message_type=message_type)
    emit(state, n, str(n))


# -- writing ----------------------------------------------------------------------------


@messaging.command("send")
@click.argument("subject")
@click.argument("text")
@recipient_options
@attachment_options
@json_option
@with_client
def send(
    state: AppState,
    client: Client,
    subject: str,
    text: str,
    users: tuple[str, ...],
    user_groups: tuple[str, ...],
    org_units: tuple[str, ...],
    attachments: tuple[str, ...],
    attach_paths: tuple[Path, ...],
    max_size: int | None,
) -> None:
    """Start a conversation; prints its UID. TEXT '-' reads standard input."""
    require_text(subject, "subject")
    body = read_text(text)
    recipients = resolve_recipients(client, users, user_groups, org_units)
    files = upload_attachments(state, client, attachments, attach_paths, max_size)
    conv = write_message(
        state,
        "sending the message",
        "`dhis2w messaging list --limit 5` shows whether it arrived before you send it again",
        lambda: client.messaging.send(subject=subject, text=body, attachments=files, **recipients),
    )
    if conv is None:
        return
    if state.json:
        echo_json(conv)
        return
    echo(state, conv.id)
    info(f"sent {subject!r} to {len(conv.user_messages) or 'its'} participants")


@messaging.command("reply")
@click.argument("uid")
@click.argument("text")
@click.option("--internal", is_flag=True, help="An internal note (ticket managers only).")
@attachment_options
@json_option
@with_client
def reply(
    state: AppState,
    client: Client,
    uid: str,
    text: str,
    internal: bool,
    attachments: tuple[str, ...],
    attach_paths: tuple[Path, ...],
    max_size: int | None,
) -> None:
    """Reply to a conversation. TEXT '-' reads standard input."""
    from dhis2w import check_uid

    check_uid(uid, "conversation")  # before any --attach upload
    body = read_text(text)
    files = upload_attachments(state, client, attachments, attach_paths, max_size)
    conv = write_message(
        state,
        "sending the reply",
        f"`dhis2w messaging get {uid}` shows whether it arrived before you reply again",
        lambda: client.messaging.reply(uid, text=body, internal=internal, attachments=files),
    )
    if conv is None:
        return
    if state.json:
        echo_json(conv)
        return
    count = f" ({conv.message_count} messages)" if conv.message_count is not None else ""
    echo(state, f"replied to {conv.id} {conv.subject or ''!r}{count}")


@messaging.command("feedback")
@click.argument("subject")
@click.argument("text")
@json_option
@with_client
def feedback(state: AppState, client: Client, subject: str, text: str) -> None:
    """Send feedback to the system's feedback recipients (a TICKET); prints its UID."""
    require_text(subject, "subject")
    body = read_text(text)
    conv = write_message(
        state,
        "sending the feedback",
        "`dhis2w messaging list --type TICKET --limit 5` shows whether it arrived "
        "before you send it again",
        lambda: client.messaging.send_feedback(subject=subject, text=body),
    )
    if conv is not None:
        emit(state, conv, conv.id)


@messaging.command("add-recipients")
@click.argument("uid")
@recipient_options
@json_option
@with_client
def add_recipients(
    state: AppState,
    client: Client,
    uid: str,
    users: tuple[str, ...],
    user_groups: tuple[str, ...],
    org_units: tuple[str, ...],
) -> None:
    """Add users, groups or org units to an existing conversation."""
    recipients = resolve_recipients(client, users, user_groups, org_units)
    with state.write("adding the recipients", _check_get(uid)):
        client.messaging.add_recipients(uid, **recipients)
    if state.json:
        echo_json(
            {
                "id": uid,
                "users": recipients["users"],
                "userGroups": recipients["user_groups"],
                "organisationUnits": recipients["organisation_units"],
            }
        )
    else:
        added = sum(
            len(uids)
            for uids in (
                recipients["users"],
                recipients["user_groups"],
                recipients["organisation_units"],
            )
        )
        echo(state, f"{uid}  added {added} recipient(s)")


# -- per-user state on many conversations -----------------------------------------------


def _bulk(name: str, method: str, done: str, not_done: str, doc: str) -> click.Command:
    """One ``messaging <name> UID...`` command over a library call returning changed UIDs."""

    @click.argument("uids", nargs=-1, required=True, metavar="UID...")
    @json_option
    @with_client
    def command(state: AppState, client: Client, uids: tuple[str, ...]) -> None:
        check = _check_get(uids[0]) if len(uids) == 1 else "`dhis2w messaging list`"
        with state.write(f"changing {len(uids)} conversation(s)", check):
            changed = getattr(client.messaging, method)(list(uids))
        if state.json:
            echo_json(changed)
        else:
            from .views import show_uid_report

            show_uid_report(state, uids, changed, done, not_done)

    command.__doc__ = doc
    return messaging.command(name)(command)


_bulk(
    "mark-read",
    "mark_read",
    "marked read",
    "unchanged (already read, or not yours)",
    "Mark conversations read for you; reports which changed.",
)
_bulk(
    "mark-unread",
    "mark_unread",
    "marked unread",
    "unchanged (already unread, or not yours)",
    "Mark conversations unread for you; reports which changed.",
)
_bulk(
    "delete",
    "delete_conversation",
    "removed from your inbox",
    "not removed (not in your inbox)",
    "Remove conversations from your inbox (others keep their copy).",
)
_bulk(
    "follow-up",
    "follow_up",
    "marked for follow-up",
    "unchanged",
    "Mark conversations for follow-up.",
)
_bulk(
    "unfollow-up",
    "unfollow_up",
    "follow-up cleared",
    "unchanged",
    "Clear the follow-up mark.",
)


# -- ticket workflow --------------------------------------------------------------------


@messaging.command("set-priority")
@click.argument("uid")
@click.argument("priority", type=EnumChoice("Priority"))
@json_option
@with_client
def set_priority(state: AppState, client: Client, uid: str, priority: Any) -> None:
    """Set a conversation's priority (NONE, LOW, MEDIUM, HIGH; any case)."""
    with state.write("setting the priority", _check_get(uid)):
        client.messaging.set_priority(uid, priority)
    _report(state, {"id": uid, "priority": priority.value}, f"{uid}  priority {priority.value}")


@messaging.command("set-status")
@click.argument("uid")
@click.argument("status", type=EnumChoice("Status"))
@json_option
@with_client
def set_status(state: AppState, client: Client, uid: str, status: Any) -> None:
    """Set a ticket's status (NONE, OPEN, PENDING, INVALID, SOLVED; any case)."""
    with state.write("setting the status", _check_get(uid)):
        client.messaging.set_status(uid, status)
    _report(state, {"id": uid, "status": status.value}, f"{uid}  status {status.value}")


@messaging.command("assign")
@click.argument("uid")
@click.argument("user")
@json_option
@with_client
def assign(state: AppState, client: Client, uid: str, user: str) -> None:
    """Assign a conversation to USER (UID or username / name)."""
    user_uid = client.directory.resolve_users([user])[0]
    with state.write("assigning the conversation", _check_get(uid)):
        client.messaging.assign(uid, user_uid)
    _report(state, {"id": uid, "assignee": user_uid}, f"{uid}  assigned to {user} ({user_uid})")


@messaging.command("unassign")
@click.argument("uid")
@json_option
@with_client
def unassign(state: AppState, client: Client, uid: str) -> None:
    """Remove the assignee of a conversation."""
    with state.write("unassigning the conversation", _check_get(uid)):
        client.messaging.unassign(uid)
    _report(state, {"id": uid, "assignee": None}, f"{uid}  unassigned")


def _report(state: AppState, data: dict[str, Any], line: str) -> None:
    emit(state, data, line)


def _check_get(uid: str) -> str:
    return f"`dhis2w messaging get {uid}` shows whether it was done"


# -- attachments ------------------------------------------------------------------------


@messaging.group("attachment")
def attachment() -> None:
    """Files attached to messages."""


@attachment.command("download")
@click.argument("conversation")
@click.argument("message")
@click.argument("file")
@click.argument("dest", required=False, metavar="[DEST | -]")
@json_option
@with_client
def download_attachment(
    state: AppState,
    client: Client,
    conversation: str,
    message: str,
    file: str,
    dest: str | None,
) -> None:
    """Download an attachment to DEST (default: its own name here), or '-' for stdout.

    The UIDs are shown by `dhis2w messaging get CONVERSATION`.
    """
    from .transfer import deliver

    def fetch(target: Any, progress: Any) -> Any:
        return client.messaging.download_attachment(
            conversation, message, file, dest=target, progress=progress
        )

    deliver(state, fetch, dest, file)


# `messaging watch` lives in its own module; importing it registers it on this group.
from . import watch as _watch  # noqa: E402, F401
