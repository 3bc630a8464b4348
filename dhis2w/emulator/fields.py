"""The ``fields`` selector language: parse once, compile to a plan, render many objects.

DHIS2 clients choose the shape of every answer with selectors such as
``id,displayName,lastSender[id,displayName]`` or ``*,messages[*,sender[id]]``. The selector
is parsed into a tree, compiled against a type's properties into a flat plan (which
properties, under which keys, with which sub-plans), and that plan renders each object.
Compiling once per request keeps a 1,000-conversation page cheap.

Rules copied from DHIS2's field filtering (dhis2-api.md §2): ``*``/``:all`` selects every property
(``:owner`` only the persisted ones the object owns), references to identifiable objects
then render as ``{id}`` only, embedded objects (``userMessages``) render fully, user
references with DHIS2's ``UserPropertyTransformer`` always render
``{id,code,name,displayName,username}``; ``!x`` excludes; unknown names are ignored; null
values are omitted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["FieldNode", "Plan", "Prop", "compile_plan", "parse_fields", "render"]

# kinds of properties
SIMPLE = "simple"
REF = "ref"
REFS = "refs"
EMBEDDED = "embedded"
USER = "user"

Getter = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class Prop:
    """One property of a type: how to read it and how it renders and filters.

    ``vtype`` says how filter values are parsed (``str``, ``bool``, ``int``, ``date``,
    ``enum``); ``enum`` properties list their ``choices`` and Java class for error texts.
    ``persisted`` properties can be ordered on. ``owner`` (default: ``persisted``) says
    whether ``fields=:owner`` selects it: DHIS2's owner preset leaves out what is computed
    for the reader (``displayName``, ``href``, ``access``, ``favorite``).
    """

    kind: str
    get: Getter
    target: str | None = None
    vtype: str = "str"
    choices: tuple[str, ...] = ()
    java_class: str = ""
    persisted: bool = True
    owner: bool | None = None

    @property
    def is_owner(self) -> bool:
        return self.persisted if self.owner is None else self.owner


@dataclass(frozen=True)
class FieldNode:
    """One selector entry: a name (``*``, ``:all``, ``!x``, ``x``) and optional children."""

    name: str
    children: tuple[FieldNode, ...] | None = None


def _split_top(text: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(text):
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


# Selectors nest at most this deep; deeper children are dropped (a reference at the limit
# renders as ``{id}``). Without a bound, ``a[a[a[...`` overflows the stack and
# ``userGroups[users[userGroups[...`` renders an exponential number of objects (BUGS.md E11).
MAX_FIELD_DEPTH = 10


def parse_fields(text: str, _depth: int = 0) -> tuple[FieldNode, ...]:
    """Parse ``a,b[c,d[e]],*`` into nodes (both ``[]`` and ``()`` nest, like DHIS2)."""
    nodes: list[FieldNode] = []
    for part in _split_top(text):
        open_at = -1
        for i, ch in enumerate(part):
            if ch in "[(":
                open_at = i
                break
        if open_at == -1:
            nodes.append(FieldNode(part))
            continue
        name = part[:open_at].strip()
        if _depth + 1 >= MAX_FIELD_DEPTH:
            nodes.append(FieldNode(name))
            continue
        inner = part[open_at + 1 :]
        if inner and inner[-1] in "])":
            inner = inner[:-1]
        nodes.append(FieldNode(name, parse_fields(inner, _depth + 1)))
    return tuple(nodes)


STAR = (FieldNode("*"),)

# DHIS2 presets beyond ``*``
_PRESETS: dict[str, tuple[str, ...]] = {
    ":identifiable": ("id", "name", "code", "created", "lastUpdated", "href"),
    ":nameable": ("id", "name", "shortName", "code", "description", "created", "lastUpdated"),
    ":simple": (),
}


@dataclass
class Plan:
    """Compiled selector for one type: ``(key, prop, sub-plan)`` triples in output order."""

    type_name: str
    entries: list[tuple[str, Prop, Plan | None]]


Schemas = dict[str, dict[str, Prop]]


def compile_plan(schemas: Schemas, type_name: str, nodes: Sequence[FieldNode]) -> Plan:
    """Resolve ``*``, presets, exclusions and nesting against ``type_name``'s properties."""
    props = schemas[type_name]
    chosen: dict[str, tuple[FieldNode | None, bool]] = {}  # name -> (node, from_star)
    excluded: set[str] = set()
    for node in nodes:
        name = node.name
        if name in ("*", ":all"):
            for p in props:
                chosen.setdefault(p, (None, True))
        elif name == ":owner":
            for p, prop in props.items():
                if prop.is_owner:
                    chosen.setdefault(p, (None, True))
        elif name in _PRESETS:
            preset = _PRESETS[name] or tuple(k for k, v in props.items() if v.kind == SIMPLE)
            for p in preset:
                if p in props:
                    chosen.setdefault(p, (None, True))
        elif name.startswith("!"):
            excluded.add(name[1:])
        elif name in props:
            chosen[name] = (node, False)
    entries: list[tuple[str, Prop, Plan | None]] = []
    for name, (chosen_node, _from_star) in chosen.items():
        if name in excluded:
            continue
        prop = props[name]
        sub: Plan | None = None
        if prop.kind in (REF, REFS) and prop.target is not None:
            if chosen_node is not None and chosen_node.children:
                sub = compile_plan(schemas, prop.target, chosen_node.children)
        elif prop.kind == EMBEDDED and prop.target is not None:
            children = (
                chosen_node.children if chosen_node is not None and chosen_node.children else STAR
            )
            sub = compile_plan(schemas, prop.target, children)
        entries.append((name, prop, sub))
    return Plan(type_name, entries)


def _ref_id(obj: Any) -> Any:
    if isinstance(obj, dict):
        return obj.get("uid")
    return getattr(obj, "uid", None)


def render(plan: Plan, obj: Any, ctx: Any) -> dict[str, Any]:
    """Render ``obj`` through ``plan``; nulls are left out (Jackson ``NON_NULL``)."""
    out: dict[str, Any] = {}
    for key, prop, sub in plan.entries:
        value = prop.get(ctx, obj)
        if value is None:
            continue
        kind = prop.kind
        if kind == SIMPLE:
            out[key] = value
        elif kind == REF:
            out[key] = render(sub, value, ctx) if sub is not None else {"id": _ref_id(value)}
        elif kind == REFS:
            if sub is not None:
                out[key] = [render(sub, v, ctx) for v in value]
            else:
                out[key] = [{"id": _ref_id(v)} for v in value]
        elif kind == EMBEDDED:
            assert sub is not None
            out[key] = [render(sub, v, ctx) for v in value]
        elif kind == USER:
            out[key] = ctx.user_summary(value)
    return out
