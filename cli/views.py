"""How library objects look in a terminal: rows and blocks built from the msgspec models.

Only attribute access on the models the library returns; no wire knowledge lives here.
Every line goes out through :mod:`.output` (``echo``, ``echo_parts``, ``echo_fields``,
tables), which makes the server's text printable before adding colour: nothing here calls
``click.echo`` on server text directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .output import (
    Cell,
    Column,
    echo,
    echo_fields,
    echo_parts,
    echo_table,
    fmt_bytes,
    fmt_time,
    terminal_width,
)
from .state import AppState

if TYPE_CHECKING:
    from dhis2w.models import (
        ConversationPage,
        Document,
        FileResource,
        Me,
        MessageConversation,
        Pager,
        SystemInfo,
    )

#: Conversation types shown in magenta (machine or support traffic) and blue (people).
MAGENTA_TYPES = frozenset({"TICKET", "SYSTEM", "VALIDATION_RESULT", "SYSTEM_VERSION_UPDATE"})
BLUE_TYPES = frozenset({"PRIVATE", "DIRECT"})

#: On a narrow terminal the type gives way first, then the sender, then the subject; when
#: that is not enough the message count and then the date are hidden (never cut: a date
#: cut to ``2024-09-1…`` says nothing). The id is never cut either.
CONVERSATION_COLUMNS = (
    Column("id", max_width=11),
    Column("read", max_width=4),
    Column("type", max_width=17, min_width=7, shrink=1),
    Column("subject", flex=True, min_width=24, floor=12, keep=20, shrink=3),
    Column("last sender", max_width=24, min_width=10, shrink=2),
    Column("messages", max_width=8, align=">", min_width=8, drop=1),
    Column("last message", max_width=16, min_width=16, drop=2),
)


def _value(enum_or_str: Any) -> str:
    return "" if enum_or_str is None else str(getattr(enum_or_str, "value", enum_or_str))


def type_style(message_type: str) -> dict[str, Any]:
    if message_type in MAGENTA_TYPES:
        return {"fg": "magenta"}
    if message_type in BLUE_TYPES:
        return {"fg": "blue"}
    return {}


def conversation_row(conv: MessageConversation) -> list[Cell]:
    """One list row; unread rows are bold yellow, the type keeps its own colour."""
    unread = conv.read is False
    base: dict[str, Any] = {"fg": "yellow", "bold": True} if unread else {}
    mtype = _value(conv.message_type)
    tstyle = {**type_style(mtype), **({"bold": True} if unread else {})}
    count = "" if conv.message_count is None else str(conv.message_count)
    return [
        Cell(conv.id, base),
        Cell("no" if unread else ("yes" if conv.read else ""), base),
        Cell(mtype, tstyle),
        Cell(conv.subject or conv.display_name or "", base),
        Cell(conv.last_sender_name or "", base),
        Cell(count, base),
        Cell(fmt_time(conv.last_message), base),
    ]


def pager_footer(pager: Pager | None, shown: int) -> str:
    if pager is None:
        return f"total {shown}"
    return f"page {pager.page} of {pager.page_count}, total {pager.total}"


def show_conversations(
    state: AppState, conversations: Sequence[MessageConversation], footer: str
) -> None:
    if conversations:
        echo_table(state, CONVERSATION_COLUMNS, [conversation_row(c) for c in conversations])
    else:
        echo(state, "no conversations")
    echo(state, footer, dim=True)


def show_page(state: AppState, page: ConversationPage) -> None:
    show_conversations(state, page.conversations, pager_footer(page.pager, len(page.conversations)))


def show_conversation(state: AppState, conv: MessageConversation) -> None:
    """The header (who, what state) and then the thread, oldest message first."""
    echo(state, conv.subject or conv.display_name or conv.id, bold=True)
    mtype = _value(conv.message_type)
    echo_fields(
        state,
        [
            ("id", conv.id),
            ("type", Cell(mtype, type_style(mtype))),
            ("status", _value(conv.status)),
            ("priority", _value(conv.priority)),
            ("assignee", conv.assignee.label if conv.assignee else None),
            ("follow-up", "yes" if conv.follow_up else None),
            ("messages", conv.message_count),
            ("last message", fmt_time(conv.last_message)),
        ],
    )
    if conv.user_messages:
        echo(state, "participants:", bold=True)
        for um in conv.user_messages:
            who = um.user.label if um.user else "?"
            if um.user and um.user.username and um.user.username != who:
                who = f"{who} ({um.user.username})"
            state_txt = Cell("read") if um.read else Cell("unread", {"fg": "yellow", "bold": True})
            flag = ", follow-up" if um.follow_up else ""
            echo_parts(state, f"  {who}: ", state_txt, flag)
    for msg in conv.messages:
        echo(state)
        sender = msg.sender.label if msg.sender else "system"
        internal = Cell(" [internal]", {"fg": "magenta"}) if msg.internal else ""
        echo_parts(state, f"── {fmt_time(msg.created)}  ", Cell(sender, {"bold": True}), internal)
        for text_line in wrap_text(msg.text or msg.name or ""):
            echo(state, f"   {text_line}")
        for att in msg.attachments:
            size = f", {fmt_bytes(att.content_length)}" if att.content_length else ""
            label = att.name or att.display_name or "?"
            echo_parts(state, f"   attachment: {label} ({att.id}{size}) [message {msg.id}]")


def wrap_text(text: str, width: int | None = None) -> list[str]:
    """A message body wrapped to ``width`` (default: the terminal, less the 3-column indent),
    keeping its own line breaks.

    Measured in terminal cells (``wcwidth``), not characters: a line of Chinese or emoji is
    twice as wide as its length, and a text without spaces (Chinese, Lao, a long URL) is
    broken where it has to be rather than left running past the edge. Each line is made
    printable first, so an escape sequence in the text is shown, never run, and the escapes
    are measured as the characters they are drawn as.
    """
    import wcwidth

    from dhis2w._printable import printable

    width = max((terminal_width() if width is None else width) - 3, 20)
    out: list[str] = []
    for line in text.splitlines() or [""]:
        line = printable(line.expandtabs(4))
        out.extend(wcwidth.wrap(line, width, break_long_words=True, break_on_hyphens=False) or [""])
    return out


def show_uid_report(
    state: AppState, asked: Iterable[str], changed: Iterable[str], done: str, not_done: str
) -> None:
    """Which of the UIDs the command changed, one per line: scripts can grep for them."""
    changed_set = set(changed)
    for uid in dict.fromkeys(asked):
        if uid in changed_set:
            echo(state, f"{uid}  {done}", fg="green")
        else:
            echo(state, f"{uid}  {not_done}", dim=True)


def show_file_resource(state: AppState, fr: FileResource) -> None:
    echo_fields(
        state,
        [
            ("id", fr.id),
            ("name", fr.name or fr.display_name),
            ("content type", fr.content_type),
            ("size", fmt_bytes(fr.content_length)),
            ("md5", fr.content_md5),
            ("domain", _value(fr.domain)),
            ("storage", _value(fr.storage_status)),
            ("assigned", None if fr.assigned is None else ("yes" if fr.assigned else "no")),
            ("created", fmt_time(fr.created)),
        ],
    )


DOCUMENT_COLUMNS = (
    Column("id", max_width=11),
    Column("name", flex=True, min_width=10, shrink=1),
    Column("kind", max_width=8),
    Column("content type", max_width=24, min_width=8, shrink=2, drop=1),
    Column("last updated", max_width=16, drop=2),
)


def document_row(doc: Document) -> list[str]:
    kind = "external" if doc.external else "file"
    return [
        doc.id,
        doc.name or doc.display_name or "",
        kind,
        doc.content_type or "",
        fmt_time(doc.last_updated),
    ]


def show_document(state: AppState, doc: Document) -> None:
    echo_fields(
        state,
        [
            ("id", doc.id),
            ("name", doc.name or doc.display_name),
            ("kind", "external" if doc.external else "file"),
            ("url" if doc.external else "file resource", doc.url),
            ("content type", doc.content_type),
            ("created", fmt_time(doc.created)),
            ("last updated", fmt_time(doc.last_updated)),
        ],
    )


def show_me(state: AppState, me: Me) -> None:
    name = me.display_name or me.name or " ".join(p for p in (me.first_name, me.surname) if p)
    echo_fields(
        state,
        [
            ("id", me.id),
            ("username", me.username),
            ("name", name),
            ("email", me.email),
            ("superuser", "yes" if me.is_superuser else "no"),
            ("user groups", ", ".join(g.label for g in me.user_groups)),
            ("org units", ", ".join(o.label for o in me.organisation_units)),
            ("user roles", ", ".join(r.label for r in me.user_roles)),
        ],
    )


def show_system_info(state: AppState, si: SystemInfo) -> None:
    echo_fields(
        state,
        [
            ("version", si.version),
            ("revision", si.revision),
            ("build time", fmt_time(si.build_time)),
            ("server date", fmt_time(si.server_date)),
            ("time zone", si.server_time_zone_id),
            ("system name", si.system_name),
            ("system id", si.system_id),
            ("base url", si.instance_base_url),
        ],
    )
