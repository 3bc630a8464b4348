"""The conversation filters' one home (``ConversationFilters``), as help() and editors see
it, and the Jupyter HTML of a page and a thread (escaped)."""

from __future__ import annotations

import inspect
import typing
from datetime import datetime

import pytest

from dhis2w import AsyncClient, Client, ConversationFilters
from dhis2w._filters import FILTER_NAMES
from dhis2w.models import (
    ConversationPage,
    FileResource,
    Message,
    MessageConversation,
    Pager,
    Ref,
)

METHODS = ["list_conversations", "iter_conversations", "watch"]


@pytest.mark.parametrize("client_class", [Client, AsyncClient])
@pytest.mark.parametrize("method", METHODS)
def test_every_method_shows_the_filter_keywords(client_class: type, method: str) -> None:
    from dhis2w._async.messaging import AsyncMessaging
    from dhis2w._sync.messaging import Messaging

    messaging = AsyncMessaging if client_class is AsyncClient else Messaging
    signature = inspect.signature(getattr(messaging, method))
    names = list(signature.parameters)
    assert names[: 1 + len(FILTER_NAMES)] == ["self", *FILTER_NAMES]
    for name in FILTER_NAMES:
        parameter = signature.parameters[name]
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY and parameter.default is None
    assert "**" not in str(signature)  # help() shows a plain signature, no **filters


def test_help_reads_like_a_hand_written_signature() -> None:
    from dhis2w._sync.messaging import Messaging

    text = str(inspect.signature(Messaging.watch))
    assert "unread: 'bool | None' = None" in text
    assert "interval: 'float' = 30.0" in text


def test_the_typed_dict_is_the_one_declaration() -> None:
    hints = typing.get_type_hints(ConversationFilters)
    assert tuple(hints) == FILTER_NAMES
    assert len(FILTER_NAMES) == 8
    assert ConversationFilters.__total__ is False


@pytest.mark.parametrize("method", METHODS)
def test_an_unknown_filter_keyword_is_a_type_error(method: str) -> None:
    from dhis2w import Profile

    client = Client(Profile(base_url="http://127.0.0.1:9", username="a", password="b"))
    with pytest.raises(TypeError, match=f"{method}\\(\\) got an unexpected keyword argument"):
        getattr(client.messaging, method)(unred=True)


# --- HTML ---------------------------------------------------------------------------------------
HOSTILE = '<script>alert("x")</script>&'


def test_a_page_is_a_table_with_the_cli_columns_escaped() -> None:
    page = ConversationPage(
        conversations=[
            MessageConversation(
                id="Conv0000001",
                subject=HOSTILE,
                read=False,
                message_count=3,
                last_message=datetime(2030, 5, 1, 8, 30),
                last_sender=Ref(id="U0000000001", display_name="Fatmata <b>"),
            )
        ],
        pager=Pager(page=1, page_count=2, total=60, page_size=50),
    )
    html = page._repr_html_()
    for header in ("id", "read", "type", "subject", "last sender", "messages", "last message"):
        assert f"<th>{header}</th>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp;" in html
    assert "Fatmata &lt;b&gt;" in html and "2030-05-01 08:30" in html
    assert "page 1 of 2, total 60" in html


def test_a_thread_is_a_table_of_its_messages_escaped() -> None:
    thread = MessageConversation(
        id="Conv0000001",
        subject="Stock <i>",
        messages=[
            Message(
                id="M1",
                text=HOSTILE,
                sender=Ref(id="U1", display_name="Ibrahim"),
                created=datetime(2030, 5, 1, 8, 0),
                attachments=[FileResource(id="F1", name="report<1>.pdf")],
            ),
            Message(id="M2", text="system note", internal=True),
        ],
    )
    html = thread._repr_html_()
    assert "<caption>Stock &lt;i&gt; (id Conv0000001)</caption>" in html
    assert html.count("<tr>") == 3  # header + two messages
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "report&lt;1&gt;.pdf (F1)" in html and "system [internal]" in html
