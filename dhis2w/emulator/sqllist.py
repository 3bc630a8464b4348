"""The conversation list served from SQL: filters, order and paging pushed into the query.

:func:`dhis2w.emulator.common.list_objects` evaluates the query language in Python over
every row (:mod:`dhis2w.emulator.query`); on a large inbox that costs O(inbox) per page.
When a request can be expressed in SQL, this module translates it instead: each filter to a
parameterised WHERE clause, ``order`` to ORDER BY with UID as the last tie-breaker, the
page to LIMIT/OFFSET and the pager total to a COUNT(*). Only the page's rows become dicts.

Anything it cannot translate (``queryString``, paths through ``messages`` or
``userMessages``, ``like`` over booleans, ordering by the user-name properties) returns
``None`` and the caller takes the Python path, so the answer never changes, only its cost.
The translation mirrors the Python semantics exactly:

* a null value fails every operator except ``null``/``!null`` (``!like``, ``ne`` and
  ``!in`` included): every leaf is wrapped in ``COALESCE(..., 0)`` and negations test
  ``IS NOT NULL`` first;
* ``like`` is case-sensitive substring (``instr``, no LIKE wildcards); ``ilike``/``token``
  and ``iasc``/``idesc`` fold with Python's ``str.lower`` (:data:`store.FOLD_SQL`);
* ascending order puts nulls last, descending first; ties fall back to UID ascending, which
  is also the order the Python path starts from, so its stable sorts agree;
* user references (``assignee.id``, ``lastSender.displayName``, ``createdBy``...) are
  matched by evaluating the filter itself over the (small, in-memory) directory of users
  and testing the UID column against the matching set (a null or unknown UID counts as no
  user, as in the getters).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dhis2w.emulator.fields import Prop
from dhis2w.emulator.query import Filter, coerce_value, order_terms, split_list
from dhis2w.emulator.schema import SCHEMAS, Context
from dhis2w.emulator.store import FOLD_SQL, Store

__all__ = [
    "ConversationQuery",
    "ConversationRows",
    "compile_conversation_query",
    "conversation_rows",
]

# directory sizes beyond this go to the Python path (keeps the IN lists small)
MAX_USER_SET = 400

TEXT = "text"
INT = "int"
BOOL = "bool"


@dataclass(frozen=True)
class Col:
    """A property stored in a column: its SQL, whether it can be null, its value kind."""

    expr: str
    nullable: bool = False
    kind: str = TEXT


CONVERSATION_COLUMNS: dict[str, Col] = {
    "id": Col("c.uid"),
    "name": Col("c.subject"),
    "displayName": Col("c.subject"),
    "subject": Col("c.subject"),
    "created": Col("c.created"),
    "lastUpdated": Col("c.last_updated"),
    "messageType": Col("c.message_type"),
    "priority": Col("c.priority"),
    "status": Col("c.status"),
    "lastMessage": Col("c.last_message"),
    "messageCount": Col("c.message_count", kind=INT),
    "extMessageId": Col("c.ext_message_id", nullable=True),
    "read": Col("um.read", kind=BOOL),
    "followUp": Col("um.follow_up", kind=BOOL),
}

# ``href`` is the API base plus the UID: it sorts like the UID (filters on it fall back)
ORDER_ONLY: dict[str, Col] = {"href": Col("c.uid")}

# properties whose value is the same for every conversation: a filter on them is all or
# nothing, and ordering by them changes nothing
CONSTANTS = frozenset({"access", "favorite", "favorites", "translations", "attributeValues"})

# properties read from the directory user a column names (the getters' keys are set to one
# UID in a probe object, see ``_user_leaf``)
USER_COLUMNS: dict[str, str] = {
    "lastSender": "c.last_sender",
    "assignee": "c.assignee",
    "createdBy": "c.created_by",
    "user": "c.created_by",
    "lastUpdatedBy": "COALESCE(NULLIF(c.last_sender, ''), c.created_by)",
    "userFirstname": "c.created_by",
    "userSurname": "c.created_by",
    "lastSenderFirstname": "c.last_sender",
    "lastSenderSurname": "c.last_sender",
}

Sql = tuple[str, list[Any]]


@dataclass(frozen=True)
class ConversationQuery:
    """A list request translated to SQL: WHERE (with its parameters) and ORDER BY."""

    where: str
    params: list[Any]
    order_by: str


def compile_conversation_query(
    props: dict[str, Prop],
    filters: Sequence[Filter],
    junction_or: bool,
    order: str | None,
    default_order: Sequence[str],
    ctx: Context,
) -> ConversationQuery | None:
    """The SQL for this request, or ``None`` when part of it has no translation."""
    order_by = _order_by(props, order, default_order)
    if order_by is None:
        return None
    leaves: list[str] = []
    params: list[Any] = []
    for f in filters:
        leaf = _leaf(f, ctx)
        if leaf is None:
            return None
        sql, args = leaf
        leaves.append(f"COALESCE(({sql}), 0)")
        params.extend(args)
    where = (" OR " if junction_or else " AND ").join(leaves)
    return ConversationQuery(where, params, order_by)


def _order_by(props: dict[str, Prop], order: str | None, default: Sequence[str]) -> str | None:
    """ORDER BY equal to :func:`query.apply_order` over rows that start in UID order."""
    parts: list[str] = []
    for name, _prop, direction in order_terms(props, order, default):
        if name in CONSTANTS:
            continue
        col = CONVERSATION_COLUMNS.get(name) or ORDER_ONLY.get(name)
        if col is None:
            return None
        fold = direction in ("iasc", "idesc")
        desc = direction in ("desc", "idesc")
        expr = FOLD_SQL.format(col.expr) if fold and col.kind == TEXT else col.expr
        if col.nullable:
            parts.append(f"({col.expr} IS NULL){' DESC' if desc else ''}")
        parts.append(f"{expr}{' DESC' if desc else ''}")
    parts.append("c.uid")
    return ", ".join(parts)


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _leaf(f: Filter, ctx: Context) -> Sql | None:
    head = f.names[0]
    if head in CONSTANTS and len(f.names) == 1:
        return ("1" if f.matches(ctx, {}) else "0", [])
    if head in USER_COLUMNS:
        return _user_leaf(f, ctx, USER_COLUMNS[head])
    col = CONVERSATION_COLUMNS.get(head)
    if col is None or len(f.names) != 1:
        return None
    return _column_leaf(f, col)


def _user_leaf(f: Filter, ctx: Context, expr: str) -> Sql | None:
    """``expr`` (a user UID column) against the directory users the filter accepts."""
    users = list(ctx.directory.users)
    if len(users) > MAX_USER_SET:
        return None

    def probe(uid: str | None) -> dict[str, Any]:
        return {"assignee": uid, "last_sender": uid, "created_by": uid}

    matching = [u for u in users if f.matches(ctx, probe(u))]
    parts: list[str] = []
    params: list[Any] = []
    if matching:
        parts.append(f"{expr} IN ({_marks(len(matching))})")
        params.extend(matching)
    if f.matches(ctx, probe(None)):  # a null or unknown UID reads as no user
        parts.append(f"({expr} IS NULL OR {expr} NOT IN ({_marks(len(users))}))")
        params.extend(users)
    if not parts:
        return ("0", [])
    return (" OR ".join(parts), params)


def _bind(col: Col, value: Any) -> Any:
    return int(value) if col.kind == BOOL else value


def _column_leaf(f: Filter, col: Col) -> Sql | None:
    op, raw, prop, e = f.op, f.raw, f.steps[-1], col.expr
    if op == "null":
        return (f"{e} IS NULL", [])
    if op == "!null":
        return (f"{e} IS NOT NULL", [])
    if raw is None:  # parse_filters already refused this
        return None
    if op in ("in", "!in"):
        values = list(dict.fromkeys(_bind(col, coerce_value(prop, v)) for v in split_list(raw)))
        neg = "NOT " if op == "!in" else ""
        return (f"{e} {neg}IN ({_marks(len(values))})", values)
    text_ops = ("like", "ilike", "$like", "$ilike", "like$", "ilike$", "token")
    if op.lstrip("!") in text_ops:
        if col.kind == BOOL:  # str(True) is "True", SQLite's is 1
            return None
        return _text_leaf(op, raw, e)
    cmp = {"eq": "=", "!eq": "!=", "ne": "!=", "neq": "!=", "gt": ">", "ge": ">=", "lt": "<"}
    cmp["le"] = "<="
    if op not in cmp:
        return None
    return (f"{e} {cmp[op]} ?", [_bind(col, coerce_value(prop, raw))])


def _text_leaf(op: str, raw: str, e: str) -> Sql:
    neg = op.startswith("!")
    base = op.lstrip("!")
    if base == "token":
        tokens = [t for t in raw.lower().split() if t]
        folded = FOLD_SQL.format(e)
        hit = " AND ".join(f"instr({folded}, ?) > 0" for _ in tokens)
        return _negate(e, hit, neg), list(tokens)
    fold = "ilike" in base
    needle = raw.lower() if fold else raw
    value = FOLD_SQL.format(e) if fold else e
    if not needle:  # "" is in, starts and ends every string
        return _negate(e, "", neg), []
    if base.startswith("$"):
        return _negate(e, f"instr({value}, ?) = 1", neg), [needle]
    if base.endswith("$"):
        return _negate(e, f"substr({value}, ?) = ?", neg), [-len(needle), needle]
    return _negate(e, f"instr({value}, ?) > 0", neg), [needle]


def _negate(e: str, hit: str, neg: bool) -> str:
    """``hit`` (empty: always true) for a non-null value, negated if ``neg``."""
    if not hit:
        return "0" if neg else f"{e} IS NOT NULL"
    return f"{e} IS NOT NULL AND {'NOT ' if neg else ''}({hit})"


class ConversationRows:
    """The user's conversations selected by a :class:`ConversationQuery` (count and pages)."""

    def __init__(self, store: Store, user_uid: str, query: ConversationQuery) -> None:
        self.store = store
        self.user_uid = user_uid
        self.query = query

    def _uids(self) -> list[str]:
        q = self.query
        return self.store.ordered_conversation_uids(
            self.user_uid, where=q.where, params=q.params, order_by=q.order_by
        )

    def count(self) -> int:
        return len(self._uids())

    def rows(self, offset: int, limit: int | None) -> list[dict[str, Any]]:
        if limit is None:  # paging=false: everything, straight from one query
            q = self.query
            return self.store.select_conversations_for(
                self.user_uid, where=q.where, params=q.params, order_by=q.order_by
            )
        window = self._uids()[offset : offset + limit]
        return self.store.conversations_by_uid_for(self.user_uid, window)


def conversation_rows(
    store: Store,
    user_uid: str,
    filters: Sequence[Filter],
    junction_or: bool,
    order: str | None,
    default_order: Sequence[str],
    ctx: Context,
) -> ConversationRows | None:
    """:class:`ConversationRows` for the request, or ``None`` (take the Python path)."""
    query = compile_conversation_query(
        SCHEMAS["MessageConversation"], filters, junction_or, order, default_order, ctx
    )
    return None if query is None else ConversationRows(store, user_uid, query)
