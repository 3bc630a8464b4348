"""The one declaration of every tool: name, handler, annotations, output schema, whether it
writes. Listing, hiding and refusing in read-only mode, and the ``profile`` parameter, are all
derived from it; there is no second list of names anywhere.

A handler is ``async def name(call: Call, <parameters>) -> dict``: its parameters (with their
descriptions) become the input schema, its docstring the description an agent reads.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BaseModel

from .config import ServerConfig

if TYPE_CHECKING:
    from .._async.client import AsyncClient

__all__ = ["Call", "Handler", "ToolSpec", "reader", "tool_function", "writer"]


@dataclass(frozen=True)
class Call:
    """What a handler works with: the client of the profile the call chose, and the limits."""

    client: AsyncClient
    config: ServerConfig


Handler = Callable[..., Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    title: str
    handler: Handler
    output: type[BaseModel]
    writes: bool
    idempotent: bool
    destructive: bool = False
    reaches_people: bool = False

    @property
    def annotations(self) -> ToolAnnotations:
        return ToolAnnotations(
            title=self.title,
            read_only_hint=not self.writes,
            destructive_hint=self.destructive if self.writes else None,
            idempotent_hint=self.idempotent,
            open_world_hint=self.reaches_people,
        )

    @property
    def description(self) -> str:
        return inspect.getdoc(self.handler) or self.title


def reader(name: str, title: str, handler: Handler, output: type[BaseModel]) -> ToolSpec:
    """A tool that changes nothing: read-only and idempotent."""
    return ToolSpec(name, title, handler, output, writes=False, idempotent=True)


def writer(
    name: str,
    title: str,
    handler: Handler,
    output: type[BaseModel],
    *,
    idempotent: bool,
    destructive: bool = False,
    reaches_people: bool = False,
) -> ToolSpec:
    """A tool that changes state: hidden and refused in read-only mode."""
    return ToolSpec(
        name,
        title,
        handler,
        output,
        writes=True,
        idempotent=idempotent,
        destructive=destructive,
        reaches_people=reaches_people,
    )


Runner = Callable[[ToolSpec, "str | None", dict[str, Any]], Awaitable[CallToolResult]]


def tool_function(spec: ToolSpec, run: Runner, profile_type: Any | None) -> Callable[..., Any]:
    """The function the SDK registers for ``spec``: the handler's parameters without ``call``,
    plus ``profile`` when other profiles are allowed, returning a result checked against
    ``spec.output``."""
    signature = inspect.signature(spec.handler, eval_str=True)
    parameters = [
        parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY)
        for parameter in list(signature.parameters.values())[1:]
    ]
    if profile_type is not None:
        parameters.append(
            inspect.Parameter(
                "profile", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=profile_type
            )
        )

    async def tool(**arguments: Any) -> CallToolResult:
        profile = arguments.pop("profile", None)
        return await run(spec, profile, arguments)

    tool.__name__ = spec.name
    tool.__doc__ = spec.description
    tool.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=parameters, return_annotation=Annotated[CallToolResult, spec.output]
    )
    return tool
