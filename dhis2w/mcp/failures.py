"""Exceptions -> tool errors: a kind an agent can act on, DHIS2's message, never a traceback.

A failed call comes back as a tool error (``isError``) whose structured content is
``{"error": {"kind": "not_found", "message": ..., ...}}`` and whose text starts with
``"<kind>: "``. Credentials never appear: the library's messages do not hold them.
"""

from __future__ import annotations

import logging
from typing import Any

from mcp.types import CallToolResult, TextContent
from pydantic import ValidationError

from ..errors import (
    AmbiguousNameError,
    ApiError,
    AuthenticationError,
    ConflictError,
    Dhis2Error,
    NotFoundError,
    PermissionDeniedError,
    ProfileError,
    ReadBackError,
    SendOutcomeUnknownError,
    ServerError,
    StorageTimeoutError,
    TransportError,
    UnknownNameError,
)

__all__ = ["ProfileNotAllowedError", "describe_invalid", "error_result", "failure"]

logger = logging.getLogger("dhis2w.mcp")


class ProfileNotAllowedError(Dhis2Error):
    """A call named a profile the operator did not open to this server."""


# Most specific first: the first matching class names the error kind an agent sees.
_ERROR_KINDS: tuple[tuple[type[BaseException], str], ...] = (
    (AuthenticationError, "authentication"),
    (PermissionDeniedError, "permission_denied"),
    (NotFoundError, "not_found"),
    (ConflictError, "conflict"),
    (ServerError, "server_error"),
    (ApiError, "api_error"),
    (SendOutcomeUnknownError, "send_outcome_unknown"),
    (ReadBackError, "sent_not_read_back"),
    (TransportError, "transport"),
    (StorageTimeoutError, "storage_timeout"),
    (UnknownNameError, "invalid_input"),
    (AmbiguousNameError, "invalid_input"),
    (ProfileNotAllowedError, "profile_not_allowed"),
    (ProfileError, "profile"),
    (ValueError, "invalid_input"),  # InvalidInputError and every other bad-input error
    (Dhis2Error, "error"),
)

_HINTS = {
    "send_outcome_unknown": (
        "the request reached DHIS2 but the answer was lost and the server could not be asked "
        "whether it was stored: check with messaging_list before sending again"
    ),
    "sent_not_read_back": (
        "the message IS stored (the error names its conversation) but reading it back failed; "
        "do not send it again, read it later with messaging_get"
    ),
    "authentication": "the profile's credentials were refused; check the profile",
    "read_only": "this server was started read-only; ask the user to start it without it",
    "profile_not_allowed": (
        "this server talks to its own DHIS2 server only, unless the user starts it with "
        "--allow-profile NAME; omit the profile"
    ),
}


def failure(kind: str, message: str, **details: Any) -> CallToolResult:
    """A tool error of ``kind``: structured, with the same words as text."""
    error: dict[str, Any] = {"kind": kind, "message": message}
    if kind in _HINTS:
        error["hint"] = _HINTS[kind]
    error.update({key: value for key, value in details.items() if value is not None})
    return CallToolResult(
        content=[TextContent(type="text", text=f"{kind}: {message}")],
        structured_content={"error": error},
        is_error=True,
    )


def error_kind(exc: BaseException) -> str | None:
    """The kind an agent sees for ``exc``; ``None`` for a bug on our side."""
    if isinstance(exc, ApiError) and exc.status_code == 400:
        return "invalid_input"  # DHIS2 rejected the request itself (bad parameter, body)
    for cls, kind in _ERROR_KINDS:
        if isinstance(exc, cls):
            return kind
    return None


def error_result(exc: BaseException) -> CallToolResult:
    """Turn an exception into a tool error: its kind, DHIS2's message, never a traceback."""
    kind = error_kind(exc)
    if kind is None:
        # A bug on our side. The traceback goes to the log (stderr), not to the agent.
        logger.error("unexpected %s in a tool call", type(exc).__name__, exc_info=exc)
        return failure(
            "internal",
            f"unexpected {type(exc).__name__}; see the server log",
            exception=type(exc).__name__,
        )
    logger.info("tool failed: %s: %s", kind, exc)
    if isinstance(exc, ApiError):
        return failure(
            kind,
            str(exc),
            exception=type(exc).__name__,
            dhis2_message=exc.message,
            status_code=exc.status_code,
            error_code=exc.error_code,
        )
    if isinstance(exc, SendOutcomeUnknownError):
        return failure(
            kind,
            str(exc),
            exception=type(exc).__name__,
            hint=_outcome_unknown_hint(exc),
            checked=exc.checked,
            candidates=list(exc.candidates) or None,
        )
    if isinstance(exc, ReadBackError):
        return failure(kind, str(exc), exception=type(exc).__name__, conversation=exc.uid)
    return failure(kind, str(exc) or type(exc).__name__, exception=type(exc).__name__)


def _outcome_unknown_hint(exc: SendOutcomeUnknownError) -> str:
    """What an agent should do after a lost answer the client's own check could not settle."""
    if exc.candidates:
        return (
            "several identical messages exist (candidates): do not send again; check with "
            "messaging_get which of them is a duplicate"
        )
    if exc.checked:
        return (
            "dhis2w looked for the message after the answer was lost and did not find it: it "
            "was most likely not stored; look once with messaging_list, then sending again is "
            "safe"
        )
    return _HINTS["send_outcome_unknown"]


def describe_invalid(tool: str, error: ValidationError) -> str:
    """Arguments that fail the input schema, in one line naming each bad parameter."""
    problems = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"]) or "arguments"
        problems.append(f"{where}: {item['msg']}")
    return f"invalid arguments for {tool}: " + "; ".join(problems)
