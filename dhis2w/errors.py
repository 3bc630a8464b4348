"""The exception hierarchy, and the one place a DHIS2 error response becomes an exception.

Everything dhis2w raises on purpose derives from :class:`Dhis2Error`. Server answers become
:class:`ApiError` subclasses chosen by meaning (auth, permission, not found, conflict, server),
parsed from DHIS2's WebMessage envelope or its bare ``{"message": ...}`` bodies. Bad input is a
:class:`ValueError` subclass raised before any request. Messages name the call, the URL path
and DHIS2's own message, and never contain credentials.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "AmbiguousNameError",
    "ApiError",
    "AuthenticationError",
    "ConflictError",
    "Dhis2Error",
    "Dhis2Warning",
    "ExternalDocumentError",
    "FileTooLargeError",
    "InsecureTransportWarning",
    "InvalidInputError",
    "InvalidUidError",
    "NotFoundError",
    "PermissionDeniedError",
    "ProfileError",
    "ProfilePermissionsWarning",
    "RateLimitedError",
    "ReadBackError",
    "SendOutcomeUnknownError",
    "ServerError",
    "StorageTimeoutError",
    "TransportError",
    "UnexpectedResponseError",
    "UnknownNameError",
    "UnknownProfileError",
    "UnusableProfileWarning",
    "error_from_response",
]


class Dhis2Error(Exception):
    """Base of every error dhis2w raises on purpose."""


class Dhis2Warning(UserWarning):
    """Base of the warnings dhis2w gives about a risky but allowed setup."""


class InsecureTransportWarning(Dhis2Warning):
    """A profile turned TLS certificate verification off."""


class ProfilePermissionsWarning(Dhis2Warning):
    """A profiles file holding credentials is readable by other users of the machine."""


class UnusableProfileWarning(Dhis2Warning):
    """A profiles-file entry dhis2w cannot use (a bad URL, another tool's ``auth``): it is
    skipped, and selecting it is an error."""


class ProfileError(Dhis2Error):
    """No usable profile: missing settings, an unknown profile name, or an unsafe setup."""


class UnknownProfileError(ProfileError):
    """A profile name that no profiles file (nor the built-in ``demo``) defines."""


class InvalidInputError(Dhis2Error, ValueError):
    """Bad input caught before any request was sent."""


class InvalidUidError(InvalidInputError):
    """A value that is not a DHIS2 UID (11 characters, a letter then letters or digits)."""


class FileTooLargeError(InvalidInputError):
    """A file over the server's upload limit (DHIS2 default: 10,000,000 bytes)."""


class UnknownNameError(InvalidInputError):
    """A username / group name / org-unit name or code that matches nothing."""


class AmbiguousNameError(InvalidInputError):
    """A name that matches more than one object; the message lists the candidates."""


class TransportError(Dhis2Error):
    """The request did not get an answer: connect error, timeout, connection dropped."""


class SendOutcomeUnknownError(TransportError):
    """A non-idempotent call whose response was lost: it may or may not have happened.

    dhis2w never retries such a call blindly. For ``send``, ``reply`` and ``send_feedback``
    the client first looks for what it sent (``Client(reconcile_timeout=...)``) and returns it
    when found once; this error means it could not tell. ``checked`` is ``True`` when the
    server was asked and the message was not found (or found more than once: ``candidates``
    holds their UIDs), ``False`` when it could not be asked. Check the inbox (or the object)
    before sending again.
    """

    def __init__(
        self, message: str, *, checked: bool = False, candidates: Sequence[str] = ()
    ) -> None:
        super().__init__(message)
        self.checked = checked
        self.candidates = tuple(candidates)


class ReadBackError(Dhis2Error):
    """A send or reply DHIS2 accepted, whose stored conversation could not be read back.

    The message IS stored (``uid`` names its conversation), so sending it again would make a
    second copy. Deliberately not a :class:`TransportError`: code that retries transport
    errors must not resend this one. The failure of the read is the ``__cause__``.
    """

    def __init__(self, message: str, *, uid: str) -> None:
        super().__init__(message)
        self.uid = uid


class StorageTimeoutError(Dhis2Error, TimeoutError):
    """A file resource did not reach ``storageStatus`` STORED in time."""

    def __init__(self, message: str, *, uid: str, last_status: str | None) -> None:
        super().__init__(message)
        self.uid = uid
        self.last_status = last_status


class ApiError(Dhis2Error):
    """DHIS2 answered with an error. Fields come from its WebMessage envelope when present."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        method: str = "",
        path: str = "",
        http_status: str | None = None,
        status: str | None = None,
        error_code: str | None = None,
        dev_message: str | None = None,
        body: bytes = b"",
    ) -> None:
        self.message = message
        self.status_code = status_code
        self.method = method
        self.path = path
        self.http_status = http_status
        self.status = status
        self.error_code = error_code
        self.dev_message = dev_message
        self.body = body
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = f"{self.method} {self.path}".strip()
        code = f" [{self.error_code}]" if self.error_code else ""
        prefix = f"{where} failed " if where else ""
        if self.status_code < 300:
            # DHIS2 sends some errors with a success status (the "not found" body): say so
            # after the message rather than print a puzzling "failed (HTTP 200)".
            return (
                f"{prefix.rstrip()}: {self.message} (DHIS2 answered HTTP {self.status_code}{code})"
            )
        return f"{prefix}(HTTP {self.status_code}{code}): {self.message}"


class AuthenticationError(ApiError):
    """401, or the 302 redirect to the login page DHIS2 sends instead of a 401."""


class PermissionDeniedError(ApiError):
    """403: the credentials are valid but not allowed to do this."""


class NotFoundError(ApiError):
    """404, or DHIS2's 200-with-``{"message": "No MessageConversation found ..."}`` body."""


class ConflictError(ApiError):
    """409: DHIS2 refused the request's content (no recipients, attachment reused, ...)."""


class RateLimitedError(ApiError):
    """429: the server (or a proxy in front of it) asks to slow down.

    GETs are retried after ``Retry-After`` when it is within the client's backoff cap; this is
    raised when retries ran out, the wait asked for is longer than the cap, or the call is not
    safe to repeat.
    """


class ServerError(ApiError):
    """5xx: the server failed."""


class UnexpectedResponseError(ApiError):
    """A body that is not what the endpoint promises (HTML where JSON was expected, ...).

    For an unexpected redirect, ``location`` holds where the server pointed.
    """

    location: str | None = None


class ExternalDocumentError(InvalidInputError):
    """A download asked for a document that is only a link to an external URL (``url``)."""

    def __init__(self, message: str, *, uid: str, url: str) -> None:
        super().__init__(message)
        self.uid = uid
        self.url = url


_error_body_decoder: Any = None


def _decode_error_body(body: bytes) -> Any:
    """Decode a WebMessage / RootNode error body; msgspec loads only when an error happens,
    so importing this module stays cheap (the CLI imports it at start-up)."""
    global _error_body_decoder
    import msgspec

    if _error_body_decoder is None:

        class _ErrorBody(msgspec.Struct, rename="camel"):
            http_status: str | None = None
            http_status_code: int | None = None
            status: str | None = None
            message: str | None = None
            dev_message: str | None = None
            error_code: str | None = None

        _error_body_decoder = msgspec.json.Decoder(_ErrorBody)
    return _error_body_decoder.decode(body)


def _class_for_status(status_code: int) -> type[ApiError]:
    if status_code == 401:
        return AuthenticationError
    if status_code == 403:
        return PermissionDeniedError
    if status_code == 404:
        return NotFoundError
    if status_code == 409:
        return ConflictError
    if status_code == 429:
        return RateLimitedError
    if status_code >= 500:
        return ServerError
    return ApiError


def looks_like_html(content_type: str, body: bytes) -> bool:
    """An HTML page (a login page, a proxy's error) where DHIS2 JSON was expected."""
    return "html" in content_type.lower() or body.lstrip()[:1] == b"<"


def error_from_response(
    *,
    method: str,
    path: str,
    status_code: int,
    content_type: str,
    body: bytes,
) -> ApiError:
    """Turn an error answer into the matching :class:`ApiError` subclass.

    Understands the WebMessage envelope, DHIS2's bare ``{"message": ...}`` RootNode bodies,
    Spring's default error JSON (``{"error": ...}``), HTML pages and empty bodies.
    """
    cls = _class_for_status(status_code)
    if looks_like_html(content_type, body):
        return cls(
            f"the server answered with an HTML page instead of JSON (HTTP {status_code})",
            status_code=status_code,
            method=method,
            path=path,
            body=body,
        )
    import msgspec

    parsed: Any = None
    if body.strip():
        try:
            parsed = _decode_error_body(body)
        except (msgspec.DecodeError, msgspec.ValidationError):
            parsed = None
    if parsed is None:
        text = body.decode("utf-8", "replace").strip()[:300]
        return cls(
            text or f"HTTP {status_code} with an empty body",
            status_code=status_code,
            method=method,
            path=path,
            body=body,
        )
    message = parsed.message
    if message is None:
        # Spring's own error JSON (e.g. a missing required query parameter) uses "error".
        try:
            spring = msgspec.json.decode(body)
        except msgspec.DecodeError:
            spring = None
        if isinstance(spring, dict) and isinstance(spring.get("error"), str):
            message = str(spring["error"])
    return cls(
        message or f"HTTP {status_code}",
        status_code=status_code,
        method=method,
        path=path,
        http_status=parsed.http_status,
        status=parsed.status,
        error_code=parsed.error_code,
        dev_message=parsed.dev_message,
        body=body,
    )
