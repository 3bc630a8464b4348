"""The conversation filters, in one place: ``list_conversations``, ``iter_conversations`` and
``watch`` all take exactly these keywords.

They are declared once, as a ``TypedDict``, and the methods take ``**filters:
Unpack[ConversationFilters]`` (PEP 692), so type checkers and editors offer and check each
keyword by name. ``help()`` does not expand ``Unpack`` by itself; :func:`takes_filters` gives
each method a ``__signature__`` with the keywords written out, so ``help(client.messaging.watch)``
reads like a hand-written signature. Unknown keywords are refused with the ``TypeError`` Python
gives any function, before a request is sent.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypedDict, TypeVar

from .enums import MessageType, Priority, Status

__all__ = ["FILTER_NAMES", "ConversationFilters", "check_filters", "takes_filters"]


class ConversationFilters(TypedDict, total=False):
    """Keyword filters on the caller's conversations; every one given is ANDed.

    ``filter``: raw DHIS2 ``prop:op:value`` filters (one or a list); ``query``: DHIS2's
    ``queryString`` search; ``message_type``/``status``/``priority``: one value each;
    ``unread``/``follow_up``: the caller's own read and follow-up state; ``assignee``: a user UID.
    """

    filter: str | Sequence[str] | None
    query: str | None
    message_type: MessageType | str | None
    status: Status | str | None
    priority: Priority | str | None
    unread: bool | None
    follow_up: bool | None
    assignee: str | None


#: The keywords, in the order signatures show them.
FILTER_NAMES: tuple[str, ...] = tuple(ConversationFilters.__annotations__)

# What help() shows for each keyword (the annotations above, as text).
_ANNOTATIONS: dict[str, str] = {
    "filter": "str | Sequence[str] | None",
    "query": "str | None",
    "message_type": "MessageType | str | None",
    "status": "Status | str | None",
    "priority": "Priority | str | None",
    "unread": "bool | None",
    "follow_up": "bool | None",
    "assignee": "str | None",
}


def check_filters(method: str, filters: Mapping[str, Any]) -> None:
    """Refuse a keyword that is not a filter, as Python would for a written-out signature."""
    for name in filters:
        if name not in _ANNOTATIONS:
            raise TypeError(f"{method}() got an unexpected keyword argument {name!r}")


F = TypeVar("F", bound=Callable[..., Any])


def takes_filters(function: F) -> F:
    """Give ``function`` (which takes ``**filters``) a signature listing each filter keyword.

    The filter keywords go where ``**filters`` stands, keyword-only, each defaulting to
    ``None``; the function itself is unchanged.
    """
    signature = inspect.signature(function)
    parameters: list[inspect.Parameter] = []
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            parameters.extend(
                inspect.Parameter(
                    name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=None,
                    annotation=_ANNOTATIONS[name],
                )
                for name in FILTER_NAMES
            )
        else:
            parameters.append(parameter)
    # keyword-only parameters declared after **filters cannot exist; those before it keep
    # their place, so the order reads: filters first, then the method's own options
    own = [p for p in parameters if p.name not in _ANNOTATIONS]
    positional = [p for p in own if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    keyword = [p for p in own if p.kind is inspect.Parameter.KEYWORD_ONLY]
    filters = [p for p in parameters if p.name in _ANNOTATIONS]
    function.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*positional, *filters, *keyword]
    )
    return function
