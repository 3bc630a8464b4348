"""Sans-IO helpers shared by the async client and its generated sync twin.

Everything here is pure: UID and text checks, query parameters and request bodies,
``fields`` selectors, ``Location`` parsing, retry decisions, and turning a finished response
(status, headers, body bytes) into a decoded value or the right exception. The twins in
``_async``/``_sync`` only move bytes and decide control flow, so the logic is written once.
"""

from __future__ import annotations

import email.message
import email.utils
import html.parser
import mimetypes
import re
import ssl
import time
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import msgspec

if TYPE_CHECKING:
    import httpx

    from .profile import Profile

from . import __version__, models
from .enums import FileResourceDomain, MessageType, Priority, Status
from .errors import (
    ApiError,
    AuthenticationError,
    ConflictError,
    Dhis2Error,
    InsecureTransportWarning,
    InvalidInputError,
    InvalidUidError,
    NotFoundError,
    ProfileError,
    SendOutcomeUnknownError,
    TransportError,
    UnexpectedResponseError,
    error_from_response,
    looks_like_html,
)
from .uids import check_uid as check_uid  # re-exported: the twins call _wire.check_uid
from .uids import is_uid as is_uid

T = TypeVar("T")
QueryParams = list[tuple[str, str | int | float | bool | None]]

#: Sent with every request; DHIS2 keeps the user agent of each message it stores.
USER_AGENT = f"dhis2w/{__version__}"

API = "/api"
CONVERSATIONS = "/api/messageConversations"
FILE_RESOURCES = "/api/fileResources"
DOCUMENTS = "/api/documents"
# the caller's unread-conversation count, all types: what DHIS2's header bar polls
ME_DASHBOARD = "/api/me/dashboard"

#: DHIS2 UIDs: 11 characters, a letter first, then letters or digits (CodeGenerator).

#: List selector: the messaging app's fields plus what a real "last sender" column needs.
CONVERSATION_LIST_FIELDS = (
    "id,displayName,subject,messageType,lastSender[id,displayName],"
    "assignee[id,displayName],status,priority,lastUpdated,read,lastMessage,followUp,"
    "messageCount,lastSenderFirstname,lastSenderSurname,userFirstname,userSurname"
)

#: Single-conversation selector: the whole thread (``fields=*`` would give ``messages:[{id}]``).
#: ``lastSender`` is named too: under ``*`` DHIS2 renders a reference as ``{id}`` only, and
#: the transient ``lastSenderFirstname``/``lastSenderSurname`` are filled on the list path
#: only, so without it a single conversation carries no sender name (BUGS.md).
CONVERSATION_FIELDS = (
    "*,lastSender[id,displayName],assignee[id,displayName],"
    "messages[id,text,created,lastUpdated,internal,metaData,sender[id,displayName],"
    "attachments[id,name,contentLength,contentType]],"
    "userMessages[read,followUp,user[id,displayName,username]]"
)

DOCUMENT_FIELDS = "id,name,displayName,url,external,attachment,contentType,created,lastUpdated"
USER_FIELDS = "id,username,displayName,firstName,surname,name"
NAMED_FIELDS = "id,name,displayName,code"
#: ``/api/me``: what ``Me`` holds, with the names of groups, org units and roles. Without a
#: selector DHIS2 lists those as bare ``{"id": ...}``; its MeController runs the answer through
#: the field filter, so nested selectors such as ``userGroups[id,name]`` work there.
ME_FIELDS = (
    "id,username,firstName,surname,name,displayName,email,authorities,"
    "userGroups[id,name,displayName],organisationUnits[id,name,displayName],"
    "userRoles[id,name,displayName]"
)

#: Statuses worth retrying a GET for: a GET changes nothing, and DHIS2 answers 500 for
#: passing trouble too (a database hiccup, a file still being stored), not only for bugs.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

#: DHIS2's ``messageconversation.subject`` column is ``varchar(255)`` (Hibernate's default).
MAX_SUBJECT_LENGTH = 255

#: How many UIDs go into one bulk request (read/unread/followup/delete).
BULK_CHUNK = 200

DEFAULT_MAX_UPLOAD_SIZE = 10_000_000
LOGIN_PATH_MARKER = "dhis-web-login"


def loggable_url(url: httpx.URL) -> str:
    """The full URL for a log line, never with userinfo (``netloc`` is host and port only)."""
    netloc = url.netloc.decode("ascii", "replace")
    return f"{url.scheme}://{netloc}{url.raw_path.decode('ascii', 'replace')}"


#: Requests one client keeps in flight at most (its connection pool size); see AsyncClient.
DEFAULT_MAX_CONNECTIONS = 10


def check_max_connections(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError(f"max_connections must be a whole number >= 1, not {value!r}")
    return value


def check_reconcile_timeout(value: object) -> float:
    """``reconcile_timeout``: seconds (0 or more) to look for a send whose answer was lost."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not 0 <= value < float("inf")
    ):
        raise InvalidInputError(
            f"reconcile_timeout must be a number of seconds >= 0, not {value!r}"
        )
    return float(value)


def http_timeout(seconds: float) -> httpx.Timeout:
    """The profile's timeout for connecting, sending and reading; none for a pool slot.

    Waiting for a free connection is queueing behind our own requests (each bounded by the
    timeout), not a server problem, so it must not fail a burst of concurrent sends.
    """
    import httpx

    return httpx.Timeout(seconds, pool=None)


def http_limits(max_connections: int) -> httpx.Limits:
    import httpx

    return httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)


def timeout_error(
    method: str, path: str, *, timeout: float, outcome_unknown: bool
) -> TransportError:
    """The error for a request that got no (complete) answer within the profile's timeout."""
    waited = f"no answer within {timeout:g} s (the profile's timeout)"
    if outcome_unknown:
        return SendOutcomeUnknownError(
            f"{method} {path} timed out: {waited}; the request may or may not have been "
            "applied — check before sending again"
        )
    return TransportError(
        f"{method} {path} timed out: {waited}; raise `timeout` in the profile for a slow server"
    )


def connect_failure(exc: BaseException, timeout: float) -> str:
    """Why a connection could not be made, for an error message."""
    name = type(exc).__name__
    if name == "ConnectTimeout":
        return f"no connection within {timeout:g} s, the profile's timeout"
    return name


def certificate_failure(exc: BaseException) -> str | None:
    """The reason when ``exc`` is a failed TLS certificate check, else ``None``.

    Such a failure will not go away by asking again, so the client does not retry it.
    """
    seen: BaseException | None = exc
    for _ in range(8):  # httpx wraps httpcore wraps ssl; the chain is short
        if seen is None:
            break
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen.verify_message or "certificate verify failed"
        seen = seen.__cause__ or seen.__context__
    return "certificate verify failed" if "CERTIFICATE_VERIFY_FAILED" in str(exc) else None


def certificate_error(method: str, path: str, host: str, reason: str) -> TransportError:
    return TransportError(
        f"{method} {path} failed: the TLS certificate of {host} could not be verified "
        f"({reason}). Fix the server's certificate (or install its CA), or set verify = false "
        "in the profile if you accept that the connection is not authenticated"
    )


def tls_verification(profile: Profile) -> bool | ssl.SSLContext:
    """httpx's ``verify`` for a profile: on, off, or a context trusting the profile's CA bundle.

    A context rather than the path itself: httpx 0.28 deprecates ``verify=<path>``.
    """
    if isinstance(profile.verify, bool):
        return profile.verify
    try:
        if Path(profile.verify).is_dir():
            return ssl.create_default_context(capath=profile.verify)
        return ssl.create_default_context(cafile=profile.verify)
    except (OSError, ssl.SSLError) as exc:
        raise ProfileError(
            f"cannot use {profile.verify} as the CA bundle to verify TLS certificates: {exc}"
        ) from None


def warn_if_unverified(profile: Profile) -> None:
    """TLS verification is on unless a profile turns it off; turning it off always warns."""
    if profile.verify or profile.embedded:
        return
    if urlsplit(profile.base_url).scheme.lower() != "https":
        return
    label = f"profile {profile.name!r}" if profile.name else "this profile"
    warnings.warn(
        f"TLS certificate verification is off for {label} ({profile.display_url}): anyone "
        "between you and the server can read and change the traffic, credentials included",
        InsecureTransportWarning,
        stacklevel=3,
    )


# --- input checks ------------------------------------------------------------------------
def uid_list(values: str | Iterable[str], what: str = "UID") -> list[str]:
    """One UID or an iterable of them -> a checked list without duplicates (order kept)."""
    if isinstance(values, str):
        items: list[object] = [values]
    elif isinstance(values, Iterable):
        items = list(values)
    else:
        raise InvalidUidError(f"{what} {values!r} is not a DHIS2 UID or a list of UIDs")
    seen: dict[str, None] = {}
    for item in items:
        seen[check_uid(item, what)] = None
    return list(seen)


def check_text(value: object, what: str) -> str:
    """Message text or subject: a non-blank string without NUL characters, kept verbatim.

    Lone surrogates (which Python strings can hold but UTF-8 cannot) are refused here, so
    they never surface as an encoding traceback halfway through building a request.
    """
    if not isinstance(value, str):
        raise InvalidInputError(f"{what} must be text, not {type(value).__name__}")
    if not value.strip():
        raise InvalidInputError(f"{what} is empty")
    if "\x00" in value:
        raise InvalidInputError(f"{what} contains a NUL character, which DHIS2 cannot store")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = ord(value[exc.start])
        if 0xDC80 <= bad <= 0xDCFF:
            # How Python carries a byte that was not UTF-8 (command-line arguments, files
            # and pipes read with surrogateescape): name the byte, not the surrogate.
            raise InvalidInputError(
                f"{what} is not UTF-8 text (byte 0x{bad - 0xDC00:02X} at position {exc.start}); "
                "convert it to UTF-8 first"
            ) from None
        raise InvalidInputError(
            f"{what} is not valid Unicode text (a lone surrogate at position {exc.start})"
        ) from None
    return value


def check_subject(value: object) -> str:
    """A conversation subject: :func:`check_text` plus DHIS2's column limit.

    ``subject`` is mapped without a length in MessageConversation.hbm.xml, so Hibernate's
    default ``varchar(255)`` applies; a longer one makes DHIS2 answer 409 (BUGS.md E10).
    """
    subject = check_text(value, "subject")
    if len(subject) > MAX_SUBJECT_LENGTH:
        raise InvalidInputError(
            f"subject is {len(subject)} characters long; DHIS2 stores at most {MAX_SUBJECT_LENGTH}"
        )
    return subject


def chunked(items: Sequence[T], size: int = BULK_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def enum_value(enum_type: type[Any], value: object, what: str) -> str:
    """An enum member or any-case string -> the wire value; a clear error otherwise."""
    try:
        return str(enum_type(value).value)
    except ValueError:
        choices = ", ".join(member.value for member in enum_type)
        raise InvalidInputError(f"{what} {value!r} is not one of {choices}") from None


# --- request building ------------------------------------------------------------------------
def api_path(path: str) -> str:
    """A raw-call path relative to the server: ``me`` / ``/me`` / ``/api/me`` -> ``/api/me``."""
    clean = "/" + path.lstrip("/")
    if clean == API or clean.startswith(API + "/"):
        return clean
    return API + clean


def conversation_path(uid: str, *rest: str) -> str:
    return "/".join((CONVERSATIONS, uid, *rest))


def conversation_list_params(
    *,
    filter: str | Sequence[str] | None = None,
    query: str | None = None,
    message_type: object = None,
    status: object = None,
    priority: object = None,
    unread: bool | None = None,
    follow_up: bool | None = None,
    assignee: str | None = None,
    order: str | None = "lastMessage:desc",
    page: int = 1,
    page_size: int = 50,
    fields: str = CONVERSATION_LIST_FIELDS,
) -> QueryParams:
    """Query parameters for ``GET /api/messageConversations`` (filters are ANDed)."""
    paging = page_params(page, page_size)
    params: QueryParams = [("fields", fields)]
    filters = filter_list(filter)
    if message_type is not None:
        filters.append(f"messageType:eq:{enum_value(MessageType, message_type, 'message type')}")
    if status is not None:
        filters.append(f"status:eq:{enum_value(Status, status, 'status')}")
    if priority is not None:
        filters.append(f"priority:eq:{enum_value(Priority, priority, 'priority')}")
    if unread is not None:
        filters.append(f"read:eq:{'false' if unread else 'true'}")
    if follow_up is not None:
        filters.append(f"followUp:eq:{'true' if follow_up else 'false'}")
    if assignee is not None:
        filters.append(f"assignee.id:eq:{check_uid(assignee, 'assignee')}")
    params.extend(("filter", item) for item in filters)
    if query:
        params.append(("queryString", query))
    if order:
        params.append(("order", order))
    params.extend(paging)
    return params


def page_params(page: int, page_size: int) -> QueryParams:
    """``page``/``pageSize``, refusing values DHIS2 would silently clamp."""
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise InvalidInputError(f"page must be a whole number from 1 up, not {page!r}")
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
        raise InvalidInputError(f"page_size must be a whole number from 1 up, not {page_size!r}")
    return [("page", str(page)), ("pageSize", str(page_size))]


def filter_list(filter: str | Sequence[str] | None) -> list[str]:
    """One ``prop:op:value`` filter or several -> a list (DHIS2 ANDs repeated filters)."""
    if filter is None:
        return []
    return [filter] if isinstance(filter, str) else list(filter)


def document_list_params(
    *,
    filter: str | Sequence[str] | None,
    query: str | None,
    order: str | None,
    page: int,
    page_size: int,
) -> QueryParams:
    """Query parameters for ``GET /api/documents``."""
    paging = page_params(page, page_size)
    params: QueryParams = [("fields", DOCUMENT_FIELDS)]
    params.extend(("filter", item) for item in filter_list(filter))
    if query:
        params.append(("query", query))
    if order:
        params.append(("order", order))
    params.extend(paging)
    return params


def recipients_body(
    *,
    users: str | Iterable[str] = (),
    user_groups: str | Iterable[str] = (),
    organisation_units: str | Iterable[str] = (),
) -> dict[str, list[dict[str, str]]]:
    """``{"users":[{"id"}], ...}``: DHIS2 needs objects; a bare string is a 500."""
    body: dict[str, list[dict[str, str]]] = {}
    for key, values, what in (
        ("users", users, "user"),
        ("userGroups", user_groups, "user group"),
        ("organisationUnits", organisation_units, "organisation unit"),
    ):
        uids = uid_list(values, what)
        if uids:
            body[key] = [{"id": uid} for uid in uids]
    if not body:
        raise InvalidInputError(
            "no recipients: give at least one user, user group or organisation unit"
        )
    return body


def send_body(
    *,
    subject: str,
    text: str,
    users: str | Iterable[str],
    user_groups: str | Iterable[str],
    organisation_units: str | Iterable[str],
    attachments: str | Iterable[str],
) -> bytes:
    body: dict[str, Any] = {
        "subject": check_subject(subject),
        "text": check_text(text, "text"),
    }
    body.update(
        recipients_body(users=users, user_groups=user_groups, organisation_units=organisation_units)
    )
    attachment_uids = uid_list(attachments, "attachment")
    if attachment_uids:
        body["attachments"] = [{"id": uid} for uid in attachment_uids]
    return models.json_encoder.encode(body)


def reply_params(*, internal: bool, attachments: str | Iterable[str]) -> QueryParams:
    params: QueryParams = []
    if internal:
        params.append(("internal", "true"))
    params.extend(("attachments", uid) for uid in uid_list(attachments, "attachment"))
    return params


TEXT_PLAIN = "text/plain; charset=utf-8"
JSON = "application/json"


def uids_json(uids: Sequence[str]) -> bytes:
    return models.json_encoder.encode(list(uids))


# --- responses ---------------------------------------------------------------------------------
def _location_uid(location: str | None) -> str | None:
    """The last path segment of a ``Location`` header, if it is a UID."""
    if not location:
        return None
    segment = urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1]
    return segment if is_uid(segment) else None


def uid_from_location(location: str | None, *, method: str, path: str, status_code: int) -> str:
    """The new object's UID: the last path segment of DHIS2's ``Location`` header."""
    uid = _location_uid(location)
    if uid is not None:
        return uid
    raise UnexpectedResponseError(
        f"the server did not say where the new object is (Location header: {location!r})",
        status_code=status_code,
        method=method,
        path=path,
    )


def is_login_redirect(status_code: int, location: str | None) -> bool:
    """DHIS2's 302 to ``dhis-web-login``, or a single-sign-on proxy's redirect to its login."""
    if not 300 <= status_code < 400 or not location:
        return False
    target = location.lower()
    return LOGIN_PATH_MARKER in target or "login" in urlsplit(target).path


#: Markers of a login page in its raw HTML: a password field, DHIS2's login app, or Spring
#: Security's form fields (older DHIS2 and many proxies in front of it).
_LOGIN_FORM = re.compile(
    rb"type\s*=\s*[\"']?password|dhis-web-login|j_password|j_spring_security_check",
    re.IGNORECASE,
)

#: A page title that names a login: "Login", "Log in", "Sign in", "Sign-in", "Signin".
_LOGIN_TITLE = re.compile(r"\b(?:log\s*-?\s*in|sign\s*-?\s*in)\b", re.IGNORECASE)

#: How much of a page is looked at: a login page says what it is in its head.
_LOGIN_SCAN_BYTES = 65536


class _PageOutline(html.parser.HTMLParser):
    """The parts of an HTML page that say what it is: its title, script and base URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.urls: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        wanted = {"script": "src", "base": "href", "link": "href", "form": "action"}.get(tag)
        if wanted:
            self.urls.extend(value for name, value in attrs if name == wanted and value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def _is_login_url(url: str) -> bool:
    """A URL whose path has a login segment (``/dhis-web-login/``, ``/login/app.js``)."""
    path = urlsplit(url.strip()).path.lower()
    return any("login" in segment for segment in path.split("/"))


def is_login_page(body: bytes) -> bool:
    """Whether an HTML page is a login page of any kind.

    A classic form has a password field. A single-page login app has none in its HTML (DHIS2
    2.41+ serves its login app that way, and so do many SSO gateways): it is known by a
    title naming a login or sign-in, or by its scripts, stylesheets, form or ``<base>``
    pointing at a login path such as ``dhis-web-login``. Any other page is not one.
    """
    head = body[:_LOGIN_SCAN_BYTES]
    if _LOGIN_FORM.search(head) is not None:
        return True
    outline = _PageOutline()
    try:
        outline.feed(head.decode("utf-8", "replace"))
        outline.close()
    except Exception:  # a page the parser cannot read is not a login page
        return False
    if _LOGIN_TITLE.search(outline.title):
        return True
    return any(_is_login_url(url) for url in outline.urls)


def read_back_message(done: str, uid: str, exc: BaseException) -> str:
    return (
        f"{done} (conversation {uid}), but reading it back failed: {exc}. It is stored: do "
        f"not send it again; open conversation {uid} to see it"
    )


def check_not_login_page(*, method: str, path: str, status_code: int, body: bytes) -> None:
    """A login page where data was expected: the session is no longer authenticated."""
    if is_login_page(body):
        raise AuthenticationError(
            "not authenticated: the server answered with a login page instead of data "
            "(the session ended, or the profile's credentials are no longer accepted)",
            status_code=status_code,
            method=method,
            path=path,
            body=body,
        )


def may_be_login_page(headers: Mapping[str, str]) -> bool:
    """A download answer that is HTML without a filename is not DHIS2's file answer (which
    always names the file in Content-Disposition) and may be a proxy's login page."""
    content_type = headers.get("content-type", "").lower()
    return "html" in content_type and "content-disposition" not in headers


def raise_for_response(
    *,
    method: str,
    path: str,
    status_code: int,
    content_type: str,
    location: str | None,
    body: bytes,
) -> None:
    """Raise the matching error for a non-2xx answer (the 302 to the login page included)."""
    if 200 <= status_code < 300:
        return
    if is_login_redirect(status_code, location):
        raise AuthenticationError(
            "not authenticated: the server redirected to its login page "
            "(check the username/password or token of the profile)",
            status_code=status_code,
            method=method,
            path=path,
            body=body,
        )
    if 300 <= status_code < 400:
        redirect = UnexpectedResponseError(
            f"unexpected redirect to {location or '(no Location)'}",
            status_code=status_code,
            method=method,
            path=path,
            body=body,
        )
        redirect.location = location
        raise redirect
    raise error_from_response(
        method=method, path=path, status_code=status_code, content_type=content_type, body=body
    )


def check_json_body(
    *, method: str, path: str, status_code: int, content_type: str, body: bytes
) -> None:
    """A 2xx that should carry JSON but carries an HTML page (a proxy or login page).

    A login page here means the session is no longer authenticated (a proxy or SSO gateway in
    front of DHIS2 answering with its own form), which is an :class:`AuthenticationError`.
    """
    if looks_like_html(content_type, body):
        check_not_login_page(method=method, path=path, status_code=status_code, body=body)
        raise UnexpectedResponseError(
            "the server answered with an HTML page where JSON was expected; is base_url the "
            "DHIS2 server (not a proxy or login page)?",
            status_code=status_code,
            method=method,
            path=path,
            body=body,
        )


def decode(
    decoder: msgspec.json.Decoder[T], body: bytes, *, method: str, path: str, status_code: int
) -> T:
    """Decode a 2xx body with a prebuilt decoder; a bad body is an error, not a traceback."""
    try:
        return decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise UnexpectedResponseError(
            f"the response is not the expected JSON: {exc}",
            status_code=status_code,
            method=method,
            path=path,
            body=body,
        ) from None


def decode_any(body: bytes, *, method: str, path: str, status_code: int) -> Any:
    """Raw calls: decoded JSON, or ``None`` for an empty body."""
    if not body.strip():
        return None
    return decode(models.any_decoder, body, method=method, path=path, status_code=status_code)


class _BareMessage(msgspec.Struct):
    message: str | None = None
    id: str | None = None


_bare_message_decoder = msgspec.json.Decoder(_BareMessage)


def raise_for_not_found_body(*, method: str, path: str, status_code: int, body: bytes) -> None:
    """DHIS2 answers ``GET /messageConversations/{unknown}`` with 200 and a bare message."""
    if not body.lstrip().startswith(b"{"):
        return
    try:
        bare = _bare_message_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return
    if bare.id is None and bare.message:
        raise NotFoundError(
            bare.message,
            status_code=status_code,
            method=method,
            path=path,
            body=body,
        )


def uid_list_from(body: bytes, key: str, *, method: str, path: str, status_code: int) -> list[str]:
    """``{"markedRead": [..]}`` and friends -> the list (empty when the key is absent)."""
    data = decode(models.uid_lists_decoder, body, method=method, path=path, status_code=status_code)
    return list(data.get(key, []))


# --- retries --------------------------------------------------------------------------------
def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date); ``None`` if absent/bad."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def retry_delay(attempt: int, *, retry_after: str | None, base: float, cap: float) -> float | None:
    """Seconds to wait before retry number ``attempt + 1``, or ``None`` to give up now.

    Capped exponential backoff (``base * 2**attempt``, at most ``cap``); a ``Retry-After``
    asking for longer is honoured. When the server asks for more than ``cap`` the answer is
    ``None``: retrying sooner would ignore the server, and waiting longer would stall the
    caller, so the error is raised at once and its status tells the caller to come back later.
    """
    delay = min(base * float(1 << min(attempt, 30)), cap)
    hinted = parse_retry_after(retry_after)
    if hinted is not None:
        if hinted > cap:
            return None
        delay = max(delay, hinted)
    return delay


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard one client tries: its retry budget, backoff curve and the profile's timeout."""

    max_retries: int
    backoff_base: float
    backoff_cap: float
    timeout: float


@dataclass(frozen=True, slots=True)
class Retry:
    """Ask again after ``delay`` seconds."""

    delay: float


def next_step(
    *,
    method: str,
    path: str,
    host: str,
    attempt: int,
    policy: RetryPolicy,
    status: int | None = None,
    retry_after: str | None = None,
    error: BaseException | None = None,
    answered: bool = False,
    outcome_unknown_on_loss: bool = False,
) -> Retry | Dhis2Error | None:
    """What the request loop does after one attempt: retry, raise, or take the answer.

    Give either the ``status`` (and ``Retry-After``) of an answer, or the transport ``error``
    of a failed attempt, with ``answered`` set when the status line had already arrived (the
    body was cut off). Returns :class:`Retry`, the error to raise, or ``None`` when the answer
    stands (a 2xx to use, or another status whose WebMessage ``raise_for_response`` turns
    into an error).

    The rules, each for a reason:

    - Only a GET is ever asked twice once it may have reached the server: any other method
      might have been applied, and a second copy of a message cannot be taken back.
    - A failure to connect (or to get a pool slot) means nothing was sent, so any method is
      retried, unless the TLS certificate failed, which asking again will not fix.
    - A timeout is never retried: the server is slow or stuck, and asking again multiplies the
      wait. For a write whose outcome matters it is :class:`SendOutcomeUnknownError`.
    - 429, 500 and 502-504 answers to a GET are retried with capped backoff, honouring
      ``Retry-After``; a server asking for longer than the cap gets its error raised at once.
    """
    import httpx

    idempotent = method == "GET"
    budget_left = attempt < policy.max_retries

    def backoff(hint: str | None) -> Retry | None:
        delay = retry_delay(
            attempt, retry_after=hint, base=policy.backoff_base, cap=policy.backoff_cap
        )
        return None if delay is None else Retry(delay)

    if error is None:
        if idempotent and budget_left and status in RETRY_STATUSES:
            return backoff(retry_after)
        return None
    # Failures before the request reached the server: safe to retry for any method.
    not_sent = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
    if not answered and isinstance(error, not_sent):
        bad_certificate = certificate_failure(error)
        if bad_certificate is not None:
            return certificate_error(method, path, host, bad_certificate)
        retry = backoff(None) if budget_left else None
        if retry is not None:
            return retry
        return TransportError(
            f"{method} {path} failed: could not connect to {host} "
            f"({connect_failure(error, policy.timeout)})"
        )
    if isinstance(error, httpx.TimeoutException):
        return timeout_error(
            method, path, timeout=policy.timeout, outcome_unknown=outcome_unknown_on_loss
        )
    if idempotent and budget_left:
        retry = backoff(None)
        if retry is not None:
            return retry
    kind = type(error).__name__
    if outcome_unknown_on_loss:
        if answered:
            return SendOutcomeUnknownError(
                f"{method} {path}: the answer was cut off ({kind}); the request may have been "
                "applied"
            )
        return SendOutcomeUnknownError(
            f"{method} {path}: the connection failed after the request was sent ({kind}); it "
            "may or may not have been applied — check before sending again"
        )
    if answered:
        return TransportError(f"{method} {path} failed reading the answer: {kind}")
    return TransportError(f"{method} {path} failed: {kind}: {error}")


# --- files -------------------------------------------------------------------------------------
def guess_content_type(filename: str, given: str | None) -> str:
    if given:
        return given
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or "application/octet-stream"


def upload_params(domain: object) -> QueryParams:
    return [("domain", enum_value(FileResourceDomain, domain, "file resource domain"))]


#: DHIS2's one 409 for an attachment it will not take: of another domain, or already
#: attached to a message (``MessageConversationController.validateAttachments``).
_ATTACHMENT_REFUSED = re.compile(
    r"Attachment '([A-Za-z][A-Za-z0-9]{10})' is already used or not a valid attachment"
)


def refused_attachment(exc: ConflictError) -> str | None:
    """The UID of the attachment a 409 refused, when it is that 409; else ``None``."""
    match = _ATTACHMENT_REFUSED.search(exc.message or "")
    return match.group(1) if match else None


def explain_refused_attachment(
    exc: ConflictError, uid: str, resource: models.FileResource | None
) -> ConflictError:
    """The 409 saying which of DHIS2's two reasons applies, from the file resource itself."""
    if resource is None:
        return exc
    domain = resource.domain.value if resource.domain is not None else None
    if domain is not None and domain != FileResourceDomain.MESSAGE_ATTACHMENT.value:
        reason = (
            f"file resource {uid} was uploaded with domain {domain}, and only "
            "MESSAGE_ATTACHMENT file resources can be attached: upload the file again with "
            "domain MESSAGE_ATTACHMENT (the default of files.upload_file_resource)"
        )
    elif resource.assigned:
        reason = (
            f"file resource {uid} is already attached to another message, and each can be "
            "attached once: upload the file again"
        )
    else:
        return exc
    explained = ConflictError(
        f"{exc.message} ({reason})",
        status_code=exc.status_code,
        method=exc.method,
        path=exc.path,
        http_status=exc.http_status,
        status=exc.status,
        error_code=exc.error_code,
        dev_message=exc.dev_message,
        body=exc.body,
    )
    return explained


def content_length(headers: Mapping[str, str]) -> int | None:
    value = headers.get("content-length")
    return int(value) if value and value.isdigit() else None


def api_error(message: str, *, method: str, path: str, status_code: int = 0) -> ApiError:
    return UnexpectedResponseError(message, status_code=status_code, method=method, path=path)


def uid_from_response(location: str | None, body: bytes) -> str | None:
    """A created object's UID: ``Location``, else the ObjectReport's ``response.uid``."""
    uid = _location_uid(location)
    if uid is not None:
        return uid
    if body.strip():
        try:
            message = models.web_message_decoder.decode(body)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None
        response = message.response
        if isinstance(response, dict):
            uid = response.get("uid")
            if is_uid(uid):
                return str(uid)
    return None
