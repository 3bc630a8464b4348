"""The list query language: ``filter``, ``rootJunction``, ``order``, ``page``/``pageSize``.

Filters are evaluated in memory over the same property getters that render objects, which
is also how DHIS2 handles the transient ``read``/``followUp`` fields. A path such as
``assignee.id`` walks references; over a collection (``messages.text``) any element may
match. Errors mirror DHIS2's ``QueryParserException`` (HTTP 400).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from dhis2w.emulator.fields import EMBEDDED, REF, REFS, SIMPLE, USER, Prop

__all__ = [
    "Filter",
    "QueryError",
    "apply_filters",
    "apply_order",
    "coerce_value",
    "java_int",
    "page_slice",
    "pager_window",
    "parse_filters",
    "split_list",
]

JAVA_ENUMS = {
    "MessageType": "org.hisp.dhis.message.MessageType",
    "MessageConversationPriority": "org.hisp.dhis.message.MessageConversationPriority",
    "MessageConversationStatus": "org.hisp.dhis.message.MessageConversationStatus",
    "FileResourceDomain": "org.hisp.dhis.fileresource.FileResourceDomain",
}

_USER_SUMMARY_TARGET = "User"


DEFAULT_PAGE_SIZE = 50

# java.lang.Integer: what DHIS2 parses an integer filter value as (Integer.parseInt accepts
# an optional sign and digits only, within 32 bits)
JAVA_INT_MIN = -(2**31)
JAVA_INT_MAX = 2**31 - 1
_JAVA_INT = re.compile(r"[+-]?[0-9]+")


class QueryError(Exception):
    """A bad ``filter``: rendered as a 400 WebMessage like DHIS2's QueryParserException."""

    def __init__(self, message: str, error_code: str | None = "E1003") -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code


# DHIS2 2.42 parses a date filter value with DateUtils.parseDate: the longest match among
# yyyyMMdd, yyyy-MM-dd, yyyy-MM, yyyy and yyyy-MM-dd'T'HH[:mm[:ss[.fraction]]] with an
# optional zone offset (also "yyyy-MM-dd HH:mm:ssZ"), to the millisecond; a zone-less value is
# the server's own time, as lastMessage/created are written (BUGS.md E13).
_DATE_ONLY = re.compile(r"(\d{4})(?:-?(\d{2})(?:-?(\d{2}))?)?")
_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
    r"| (\d{2}):(\d{2}):(\d{2}))(Z|[+-]\d{2}:?\d{2})?"
)


def _parse_date(value: str) -> str:
    """A filter value as the stored ``yyyy-MM-ddTHH:mm:ss.SSS`` (UTC, the emulator's zone)."""
    parsed = _date_value(value.strip())
    if parsed is None:
        raise QueryError(f"Unable to parse `{value}` as `Date`.")
    return parsed.strftime("%Y-%m-%dT%H:%M:%S.") + f"{parsed.microsecond // 1000:03d}"


def _date_value(text: str) -> datetime | None:
    try:
        whole = _DATE_ONLY.fullmatch(text)
        if whole is not None and (len(text) in (4, 7, 10) or text.isdigit()):
            if text.isdigit() and len(text) not in (4, 8):
                return None
            year, month, day = whole.group(1), whole.group(2) or "01", whole.group(3) or "01"
            if len(text) == 7 and whole.group(3) is not None:
                return None
            return datetime(int(year), int(month), int(day))
        m = _DATE_TIME.fullmatch(text)
        if m is None:
            return None
        (year, month, day, hour, minute, second, fraction, sp_h, sp_m, sp_s, zone) = m.groups()
        if sp_h is not None:
            if zone is None:  # the space form is only accepted with a zone
                return None
            hour, minute, second = sp_h, sp_m, sp_s
        micro = int((fraction or "0")[:3].ljust(3, "0")) * 1000
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute or 0), int(second or 0), micro
        )
    except ValueError:  # month 13, day 32, hour 25 ...
        return None
    if zone is not None and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        moment -= sign * offset
    return moment


def coerce_value(prop: Prop, raw: str) -> Any:
    """A filter value parsed as ``prop``'s type (``QueryError`` when it does not parse)."""
    return _coerce(prop, raw)


def _coerce(prop: Prop, raw: str) -> Any:
    if prop.vtype == "bool":
        # 2.42's QueryUtils.parseValue reads booleans with Boolean.valueOf, which never fails:
        # "true" in any case is true, anything else ("maybe", "1") is false (BUGS.md E13).
        return raw.lower() == "true"
    if prop.vtype == "int":
        value = java_int(raw)
        if value is None:
            raise QueryError(f"Unable to parse `{raw}` as `class java.lang.Integer`.")
        return value
    if prop.vtype == "date":
        return _parse_date(raw)
    if prop.vtype == "enum":
        if raw not in prop.choices:
            java = JAVA_ENUMS.get(prop.java_class, prop.java_class)
            raise QueryError(f"Unable to parse `{raw}` as `class {java}`.")
        return raw
    return raw


def java_int(raw: str) -> int | None:
    """``raw`` as ``Integer.parseInt`` reads it, or ``None`` where Java would throw (not a
    plain ASCII integer, or outside 32 bits; Python's ``int`` also takes ``1_0``, `` 1`` and
    values SQLite cannot bind)."""
    if not _JAVA_INT.fullmatch(raw) or len(raw.lstrip("+-").lstrip("0")) > 10:
        return None  # (the length test keeps int() away from huge digit strings)
    value = int(raw)
    return value if JAVA_INT_MIN <= value <= JAVA_INT_MAX else None


def split_list(raw: str) -> list[str]:
    """The items of an ``in`` value: ``[a,b]`` or ``a,b``."""
    return _split_list(raw)


def _split_list(raw: str) -> list[str]:
    text = raw.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return [v for v in text.split(",")]


Pred = Callable[[Any], bool]


def _tokens_match(value: Any, tokens: list[str]) -> bool:
    text = str(value).lower()
    return all(t in text for t in tokens)


def _make_pred(op: str, prop: Prop, raw: str | None) -> Pred:
    """One leaf predicate; ``None`` values fail every test but ``null``/``!null``/``ne``."""
    if op == "null":
        return lambda v: v is None
    if op == "!null":
        return lambda v: v is not None
    if raw is None:
        raise QueryError(f"Operator `{op}` needs a value.")
    if op in ("in", "!in"):
        values = {_coerce(prop, v) for v in _split_list(raw)}
        if op == "in":
            return lambda v: v is not None and v in values
        return lambda v: v is not None and v not in values
    if op in ("like", "!like", "ilike", "!ilike", "$like", "!$like", "$ilike", "!$ilike"):
        neg = op.startswith("!")
        base = op.lstrip("!")
        fold = base.lstrip("$").startswith("i")
        needle = raw.lower() if fold else raw
        starts = base.startswith("$")

        def like(v: Any) -> bool:
            if v is None:
                return False
            text = str(v).lower() if fold else str(v)
            hit = text.startswith(needle) if starts else needle in text
            return hit != neg

        return like
    if op in ("like$", "!like$", "ilike$", "!ilike$"):
        neg = op.startswith("!")
        fold = "ilike" in op
        needle = raw.lower() if fold else raw

        def ends(v: Any) -> bool:
            if v is None:
                return False
            text = str(v).lower() if fold else str(v)
            return text.endswith(needle) != neg

        return ends
    if op in ("token", "!token"):
        tokens = [t for t in raw.lower().split() if t]
        if op == "token":
            return lambda v: v is not None and _tokens_match(v, tokens)
        return lambda v: v is not None and not _tokens_match(v, tokens)
    value = raw if op in ("empty", "!empty") else _coerce(prop, raw)
    if op == "eq":
        return lambda v: v is not None and v == value
    if op in ("!eq", "ne", "neq"):
        return lambda v: v is not None and v != value
    if op == "gt":
        return lambda v: v is not None and v > value
    if op == "ge":
        return lambda v: v is not None and v >= value
    if op == "lt":
        return lambda v: v is not None and v < value
    if op == "le":
        return lambda v: v is not None and v <= value
    raise QueryError(f"`{op}` is not a valid operator.")


class Filter:
    """A parsed ``prop.path:op:value`` filter bound to a type's schema."""

    def __init__(self, schemas: dict[str, dict[str, Prop]], type_name: str, expr: str) -> None:
        parts = expr.split(":", 2)
        if len(parts) < 2:
            raise QueryError(f"Invalid filter `{expr}`, expected `property:operator[:value]`.")
        path, op = parts[0], parts[1]
        raw = parts[2] if len(parts) == 3 else None
        self.names = path.split(".")
        self.op = op
        self.raw = raw
        self.steps: list[Prop] = []
        current = type_name
        segments = path.split(".")
        for i, seg in enumerate(segments):
            props = schemas.get(current, {})
            prop = props.get(seg)
            if prop is None:
                raise QueryError(f"Unknown path property: {path}")
            self.steps.append(prop)
            last = i == len(segments) - 1
            if prop.kind in (REF, REFS, EMBEDDED):
                if last:
                    # DHIS2 compares a reference by its id
                    id_prop = schemas.get(prop.target or "", {}).get("id")
                    if id_prop is None:  # userMessages: objects without an id (BUGS.md E11)
                        raise QueryError(
                            f"Property `{path}` holds objects without an id; "
                            "filter on one of their properties instead."
                        )
                    self.steps.append(id_prop)
                else:
                    current = prop.target or ""
            elif prop.kind == USER:
                if last:
                    prop = schemas[_USER_SUMMARY_TARGET]["id"]
                    self.steps.append(prop)
                else:
                    current = _USER_SUMMARY_TARGET
            elif not last:
                raise QueryError(f"Unknown path property: {path}")
        self.pred = _make_pred(op, self.steps[-1], raw)

    def matches(self, ctx: Any, obj: Any) -> bool:
        """Whether any value at the end of the path passes the operator.

        Each step keeps every object once (a path such as
        ``messages.sender.userGroups.users.userGroups...`` would otherwise multiply the
        candidates at every step), and a value the operator cannot compare (``access:gt:x``
        holds a dict) simply does not match.
        """
        values = [obj]
        for prop in self.steps:
            nxt: list[Any] = []
            seen: set[int] = set()
            for v in values:
                got = None if v is None else prop.get(ctx, v)
                items = got if prop.kind in (REFS, EMBEDDED) and isinstance(got, list) else [got]
                for item in items:
                    if item is None or id(item) in seen:
                        continue
                    seen.add(id(item))
                    nxt.append(item)
            values = nxt or [None]
        for v in values:
            try:
                if self.pred(v):
                    return True
            except TypeError:  # e.g. a dict or list against a str, or unhashable in `in`
                continue
        return False


def parse_filters(
    schemas: dict[str, dict[str, Prop]], type_name: str, exprs: Sequence[str]
) -> list[Filter]:
    return [Filter(schemas, type_name, e) for e in exprs if e]


def apply_filters(
    filters: Sequence[Filter], items: list[Any], ctx: Any, junction_or: bool = False
) -> list[Any]:
    if not filters:
        return items
    if junction_or:
        return [o for o in items if any(f.matches(ctx, o) for f in filters)]
    return [o for o in items if all(f.matches(ctx, o) for f in filters)]


def order_terms(
    props: dict[str, Prop], order: str | None, default: Sequence[str]
) -> list[tuple[str, Prop, str]]:
    """``prop:asc|desc|iasc|idesc`` terms -> (name, prop, direction); unknown or non-simple
    properties are ignored, and no usable term means ``default`` ascending. Shared by the
    Python sort and the SQL ORDER BY so the two paths cannot read ``order`` differently."""
    terms: list[tuple[str, Prop, str]] = []
    if order:
        for term in order.split(","):
            name, _, direction = term.strip().partition(":")
            prop = props.get(name)
            if prop is None or prop.kind != SIMPLE:
                continue
            terms.append((name, prop, (direction or "asc").lower()))
    if not terms:
        terms = [(n, props[n], "asc") for n in default if n in props]
    return terms


def apply_order(
    props: dict[str, Prop], items: list[Any], ctx: Any, order: str | None, default: Sequence[str]
) -> list[Any]:
    """Sort by ``prop:asc|desc|iasc|idesc`` terms; unknown properties are ignored.

    Nulls sort last ascending and first descending, as in PostgreSQL.
    """
    result = list(items)
    for _name, prop, direction in reversed(order_terms(props, order, default)):
        fold = direction in ("iasc", "idesc")
        desc = direction in ("desc", "idesc")

        def key(o: Any, prop: Prop = prop, fold: bool = fold) -> tuple[bool, Any]:
            v = prop.get(ctx, o)
            if v is None:
                return (True, "")
            if fold and isinstance(v, str):
                v = v.lower()
            return (False, v)

        result.sort(key=key, reverse=desc)
    return result


def page_slice(
    items: list[Any],
    *,
    page: int,
    page_size: int,
    base_url: str,
    params: list[tuple[str, str]],
) -> tuple[list[Any], dict[str, Any]]:
    """One page of ``items`` and DHIS2's pager, with absolute ``nextPage``/``prevPage``."""
    start, size, pager = pager_window(
        len(items), page=page, page_size=page_size, base_url=base_url, params=params
    )
    return items[start : start + size], pager


def pager_window(
    total: int,
    *,
    page: int,
    page_size: int,
    base_url: str,
    params: list[tuple[str, str]],
) -> tuple[int, int, dict[str, Any]]:
    """``(offset, limit, pager)`` of the requested page among ``total`` items.

    The page is clamped into ``1..pageCount`` (an empty list has one empty page).
    """
    page_size = max(page_size, 1)
    page_count = math.ceil(total / page_size) if total else 1
    page = min(max(page, 1), page_count)
    start = (page - 1) * page_size
    others = [(k, v) for k, v in params if k not in ("page", "pageSize")]
    pager: dict[str, Any] = {"page": page, "total": total, "pageSize": page_size}
    if page < page_count:
        pager["nextPage"] = _link(base_url, page + 1, page_size, others)
    if page > 1:
        pager["prevPage"] = _link(base_url, page - 1, page_size, others)
    pager["pageCount"] = page_count
    return start, page_size, pager


def _link(base_url: str, page: int, page_size: int, others: list[tuple[str, str]]) -> str:
    """DefaultLinkService.generatePagerLinks: ``page`` (left out for page 1), then
    ``pageSize`` unless it is the default 50, then the other parameters in request order."""
    query: list[tuple[str, str]] = []
    if page > 1:
        query.append(("page", str(page)))
    if page_size != DEFAULT_PAGE_SIZE:
        query.append(("pageSize", str(page_size)))
    query.extend(others)
    return f"{base_url}?{urlencode(query)}" if query else base_url
