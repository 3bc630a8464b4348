"""What every handler receives (:class:`Call`) and the generic list/get machinery.

DHIS2 serves every metadata list the same way (AbstractFullReadOnlyController): parse
``fields``/``filter``/``order``/paging, then write ``{"pager": ..., "<plural>": [...]}``.
Handlers supply the candidate objects and this module does the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlencode

import msgspec

from dhis2w.emulator.exchange import NO_CACHE, Request, Response, WebMessageError, json_response
from dhis2w.emulator.fields import SIMPLE, FieldNode, compile_plan, parse_fields, render
from dhis2w.emulator.query import (
    Filter,
    QueryError,
    apply_filters,
    apply_order,
    java_int,
    page_slice,
    pager_window,
    parse_filters,
)
from dhis2w.emulator.schema import SCHEMAS, Context
from dhis2w.emulator.store import DirUser, Store

if TYPE_CHECKING:
    from dhis2w.emulator.app import App

__all__ = [
    "Call",
    "SqlPlanner",
    "SqlRows",
    "bad_enum",
    "enum_param",
    "get_object",
    "gist_list",
    "gist_object",
    "list_objects",
    "read_json",
]

ID_NAME = (FieldNode("id"), FieldNode("displayName"))


@dataclass
class Call:
    """One authenticated API call: the request, the caller and where the API lives."""

    app: App
    req: Request
    user: DirUser
    api_base: str

    @property
    def store(self) -> Store:
        return self.app.store

    def context(self) -> Context:
        return Context(self.app.store, self.user, self.api_base)

    def fields(self, default: Sequence[FieldNode]) -> tuple[FieldNode, ...]:
        values = [v for k, v in self.req.params if k == "fields" and v.strip()]
        if not values:
            return tuple(default)
        return parse_fields(",".join(values))

    def location(self, rel: str) -> tuple[str, str]:
        return ("Location", f"{self.api_base}{rel}")


def bad_enum(param: str, value: str, choices: Sequence[str]) -> WebMessageError:
    """Spring's MethodArgumentTypeMismatch message, as DHIS2's advice renders it."""
    return WebMessageError.wm(
        400,
        f"Value '{value}' is not valid for parameter {param}. "
        f"Valid values are: [{', '.join(choices)}]",
    )


def enum_param(param: str, value: str, choices: Sequence[str]) -> str:
    """An enum ``@RequestParam``: DHIS2 binds every enum of its own case-insensitively
    (CrudControllerAdvice.initBinder registers ConvertEnum, ``EnumUtils.getEnumIgnoreCase``);
    anything else is the type-mismatch 400."""
    for choice in choices:
        if choice.lower() == value.lower():
            return choice
    raise bad_enum(param, value, choices)


def missing_param(param: str, java_type: str = "String") -> WebMessageError:
    """Spring's default text for a missing ``@RequestParam`` (body shape UNVERIFIED)."""
    return WebMessageError.wm(
        400,
        f"Required request parameter '{param}' for method parameter type {java_type} "
        "is not present",
    )


def read_json(call: Call, *, consumes: bool = False) -> Any:
    """Decode a JSON request body the way Spring's Jackson converter would complain.

    A request without ``Content-Type`` counts as ``application/octet-stream`` (Spring): it is
    a 415 on a ``consumes = application/json`` mapping (``consumes=True``, the generic
    create), and on a plain ``@RequestBody`` a 415 too unless the body is empty (then 400).
    """
    ctype = call.req.content_type
    if ctype and ctype != "application/json" and not ctype.endswith("+json"):
        raw = call.req.header("content-type") or ""
        raise WebMessageError.wm(415, f"Content-Type '{raw}' is not supported")
    body = call.req.body
    if not ctype and (consumes or body.strip()):
        raise WebMessageError.wm(415, "Content-Type 'application/octet-stream' is not supported")
    if not body.strip():
        raise WebMessageError.wm(400, "Required request body is missing")
    try:
        return msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise WebMessageError.wm(400, f"JSON parse error: {exc}") from None


def _int_param(call: Call, name: str, default: int) -> int:
    """``page``/``pageSize``: an ``Integer`` as Spring binds it (trimmed, 32 bits); anything
    else falls back to the default."""
    raw = call.req.param(name)
    if raw is None or raw == "":
        return default
    value = java_int(raw.strip())
    return default if value is None else value


class SqlRows(Protocol):
    """A list query answered by the database: its total and any window of its rows."""

    def count(self) -> int: ...

    def rows(self, offset: int, limit: int | None) -> list[Any]: ...


# (filters, rootJunction is OR, order, default order, ctx) -> rows, or None if the request
# has no SQL translation (then the in-Python path runs)
SqlPlanner = Callable[[Sequence[Filter], bool, str | None, Sequence[str], Context], SqlRows | None]


def list_objects(
    call: Call,
    type_name: str,
    key: str,
    items: list[Any] | Callable[[], list[Any]],
    *,
    default_order: Sequence[str] = ("name", "id"),
    ctx: Context | None = None,
    prefilter: Callable[[list[Any], Context], list[Any]] | None = None,
    list_path: bool = False,
    sql: SqlPlanner | None = None,
) -> Response:
    """Filter, order, page and render ``items`` into DHIS2's list envelope.

    ``items`` may be a loader called only when needed. With ``sql``, a request it can
    translate is filtered, ordered, counted and paged by the database and only the page is
    loaded; otherwise (or without ``sql``) everything happens here in Python.
    """
    ctx = ctx or call.context()
    ctx.list_path = list_path
    req = call.req
    try:
        filters = parse_filters(SCHEMAS, type_name, req.param_all("filter"))
    except QueryError as exc:
        raise WebMessageError.wm(400, exc.message, exc.error_code) from None
    junction_or = (req.param("rootJunction") or "AND").upper() == "OR"
    order = req.param("order")
    plan = compile_plan(SCHEMAS, type_name, call.fields(ID_NAME))
    paging = (req.param("paging") or "true").lower() != "false"
    pager: dict[str, Any] | None = None
    rows = None if sql is None else sql(filters, junction_or, order, default_order, ctx)
    if rows is not None:
        with call.store.lock:  # count and page from the same state
            if paging:
                start, size, pager = pager_window(
                    rows.count(),
                    page=_int_param(call, "page", 1),
                    page_size=_int_param(call, "pageSize", 50),
                    base_url=f"{call.api_base}/{key}{_suffix(req.path)}",
                    params=req.params,
                )
                page_items = rows.rows(start, size)
            else:
                page_items = rows.rows(0, None)
    else:
        all_items = items() if callable(items) else items
        if prefilter is not None:
            all_items = prefilter(all_items, ctx)
        all_items = apply_filters(filters, all_items, ctx, junction_or)
        all_items = apply_order(SCHEMAS[type_name], all_items, ctx, order, default_order)
        if paging:
            page_items, pager = page_slice(
                all_items,
                page=_int_param(call, "page", 1),
                page_size=_int_param(call, "pageSize", 50),
                base_url=f"{call.api_base}/{key}{_suffix(req.path)}",
                params=req.params,
            )
        else:
            page_items = all_items
    ctx.set_batch([_uid(o) for o in page_items])
    rendered = [render(plan, o, ctx) for o in page_items]
    body: dict[str, Any] = {"pager": pager, key: rendered} if pager is not None else {key: rendered}
    return json_response(200, body, [NO_CACHE])


def get_object(call: Call, type_name: str, obj: Any, ctx: Context | None = None) -> Response:
    """``GET /{uid}`` of a metadata object: default fields ``*``."""
    ctx = ctx or call.context()
    ctx.set_batch([_uid(obj)])
    plan = compile_plan(SCHEMAS, type_name, call.fields((FieldNode("*"),)))
    return json_response(200, render(plan, obj, ctx))


def _suffix(path: str) -> str:
    """The ``.json`` of ``/api/x.json``, kept in pager links (``getContentTypeSuffix``)."""
    last = path.rsplit("/", 1)[-1]
    return last[last.index(".") :] if "." in last else ""


def _uid(obj: Any) -> str:
    if isinstance(obj, dict):
        return str(obj["uid"])
    return str(obj.uid)


# --- the Gist API (AbstractGistReadOnlyController) -------------------------------------------


def _gist_plan(call: Call, type_name: str) -> Any:
    """``fields`` when given; else Gist's default fields, narrowed to what the emulator's
    types hold: the persisted simple properties an object owns (no collections, no computed
    ``href``/``access``)."""
    props = SCHEMAS[type_name]
    names = [n for n, p in props.items() if p.kind == SIMPLE and p.is_owner]
    return compile_plan(SCHEMAS, type_name, call.fields([FieldNode(n) for n in names]))


def gist_object(call: Call, type_name: str, obj: Any) -> Response:
    """``GET /{uid}/gist``: the object's gist, never wrapped."""
    ctx = call.context()
    return json_response(200, render(_gist_plan(call, type_name), obj, ctx), [NO_CACHE])


def _bool(call: Call, name: str, default: bool) -> bool:
    raw = call.req.param(name)
    return default if raw is None or raw == "" else raw.strip().lower() == "true"


def gist_list(call: Call, type_name: str, key: str, items: list[Any]) -> Response:
    """``GET /gist``: ``{"pager": GistPager, key: [...]}``, the pager's ``total`` only when
    asked for (``total=true``/``totalPages=true``); ``headless=true`` drops the wrapper."""
    ctx = call.context()
    items = apply_order(SCHEMAS[type_name], items, ctx, call.req.param("order"), ("id",))
    page = max(1, _int_param(call, "page", 1))
    size = max(1, min(1000, _int_param(call, "pageSize", 50)))
    paging = _bool(call, "paging", True)
    rows = items[(page - 1) * size : page * size] if paging else items
    plan = _gist_plan(call, type_name)
    entries = [render(plan, o, ctx) for o in rows]
    if _bool(call, "headless", False):
        return json_response(200, entries, [NO_CACHE])
    if not paging:
        return json_response(200, {key: entries}, [NO_CACHE])
    total = len(items) if _bool(call, "total", False) or _bool(call, "totalPages", False) else None
    base = f"{call.api_base}/{key}/gist"
    pager: dict[str, Any] = {"page": page, "pageSize": size}
    if total is not None:
        pager["total"] = total
    if page > 1:
        pager["prevPage"] = _with_page(base, call.req.params, page - 1)
    more = (page * size < total) if total is not None else len(rows) == size
    if more:
        pager["nextPage"] = _with_page(base, call.req.params, page + 1)
    if total is not None:
        pager["pageCount"] = -(-total // size)
    return json_response(200, {"pager": pager, key: entries}, [NO_CACHE])


def _with_page(base: str, params: list[tuple[str, str]], page: int) -> str:
    kept = [(k, v) for k, v in params if k != "page"] + [("page", str(page))]
    return f"{base}?{urlencode(kept)}"
