"""Click building blocks every command module shares (the sqlite-utils pattern).

``Group``/``Command`` remember which command is running, so an error line can say what
failed. ``json_option`` lets ``--json`` sit after the command as well as before it, and
``with_client`` opens the sync client around a callback and hands it in as an argument.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from .state import AppState

F = TypeVar("F", bound=Callable[..., Any])

pass_state = click.make_pass_decorator(AppState, ensure=True)


class Command(click.Command):
    """Records its full path (``dhis2w messaging send``) in the state before running."""

    def invoke(self, ctx: click.Context) -> Any:
        ctx.ensure_object(AppState).command_path = ctx.command_path
        return super().invoke(ctx)


class Group(click.Group):
    """A group whose commands (and nested groups) are :class:`Command` / :class:`Group`."""

    command_class = Command
    group_class = type  # nested groups use this same class


def _set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(AppState).json = True


def json_option(f: F) -> F:
    """``--json/-j`` on a command, equivalent to the root ``dhis2w --json``."""
    return click.option(
        "-j",
        "--json",
        is_flag=True,
        expose_value=False,
        callback=_set_json,
        help="Print only JSON on stdout.",
    )(f)


def _set_jsonl(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(AppState).jsonl = True


def jsonl_option(f: F) -> F:
    """``--jsonl``: one compact JSON object per line, written as each page arrives."""
    return click.option(
        "--jsonl",
        is_flag=True,
        expose_value=False,
        callback=_set_jsonl,
        help="Print one JSON object per line, streamed as pages arrive (for --all).",
    )(f)


def check_paging(page: int | None, all_pages: bool, limit: int | None) -> None:
    """Refuse option combinations that would be silently ignored (exit 2, before any request).

    ``--page`` picks one page; ``--all`` and ``--limit`` walk the pages from the first, so
    together they contradict each other. ``--json`` is one document and ``--jsonl`` a stream
    of lines: asking for both is asking for two outputs on one stdout.
    """
    ctx = click.get_current_context()
    state = ctx.ensure_object(AppState)
    if page is not None and (all_pages or limit):
        other = "--all" if all_pages else "--limit"
        raise click.UsageError(f"--page cannot be used with {other}: {other} starts at page 1")
    if state.json and state.jsonl:
        raise click.UsageError("--json and --jsonl cannot be used together: choose one")


def with_client(f: F) -> F:
    """Open a :class:`dhis2w.Client` for the command; pass ``state, client`` first."""

    @pass_state
    @functools.wraps(f)
    def wrapper(state: AppState, *args: Any, **kwargs: Any) -> Any:
        with state.client() as client:
            return f(state, client, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def with_state(f: F) -> F:
    """Pass the :class:`AppState` first, for commands that need no client."""
    return pass_state(f)  # type: ignore[return-value]


class EnumChoice(click.ParamType):  # type: ignore[type-arg]  # generic only in newer Click
    """A case-insensitive choice over a :mod:`dhis2w.enums` enum, loaded on first use.

    Building the command tree (as ``--help`` of a group does) therefore imports nothing
    from the library; the enum module is stdlib-only anyway.
    """

    name = "choice"

    def __init__(self, enum_name: str) -> None:
        self.enum_name = enum_name

    def _enum(self) -> Any:
        from dhis2w import enums

        return getattr(enums, self.enum_name)

    def _values(self) -> list[str]:
        return [m.value for m in self._enum()]

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str | None:
        return "[" + "|".join(self._values()) + "]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        enum_cls = self._enum()
        if isinstance(value, enum_cls):
            return value
        try:
            return enum_cls(str(value))
        except ValueError:
            self.fail(
                f"{value!r} is not one of {', '.join(self._values())} (any case).", param, ctx
            )

    def shell_complete(
        self, ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[click.shell_completion.CompletionItem]:
        from click.shell_completion import CompletionItem

        low = incomplete.lower()
        return [CompletionItem(v) for v in self._values() if v.lower().startswith(low)]

    def __repr__(self) -> str:
        return f"EnumChoice({self.enum_name})"
