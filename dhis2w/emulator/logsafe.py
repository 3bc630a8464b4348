"""What the emulator may write to its own stderr: request lines and tracebacks without secrets.

The emulator logs a line per request (``log_requests``) and, with ``debug``, the traceback of
an unexpected error. Neither may carry a credential: the request line can hold one (a client
that puts ``?password=`` or a token in the URL, or an absolute-form target with
``user:password@``), and an exception message can quote anything a handler had in hand.
:func:`safe_target` masks the request target; :func:`redact` removes every secret of the
request being served (its ``Authorization`` value, the Basic password, the token) and anything
shaped like a DHIS2 personal access token from free text.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, quote, unquote

__all__ = ["MASK", "redact", "request_secrets", "safe_target"]

MASK = "***"

# query parameter names whose values are credentials (compared lower-case, without - and _)
_SECRET_KEYS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "pass",
        "secret",
        "token",
        "apitoken",
        "apikey",
        "key",
        "accesstoken",
        "auth",
        "authorization",
        "credential",
        "credentials",
        "pat",
        "session",
        "jsessionid",
    }
)
# a DHIS2 personal access token, and an Authorization value written out in text
_PAT = re.compile(r"d2pat_[A-Za-z0-9]+", re.IGNORECASE)
_AUTH_VALUE = re.compile(
    r"\b(Basic|ApiToken|Bearer)(\s+|%20|\+)[A-Za-z0-9._~+/=%-]+", re.IGNORECASE
)
_USERINFO = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@?#]*@")


def _is_secret_key(name: str) -> bool:
    low = name.lower().replace("-", "").replace("_", "")
    return low in _SECRET_KEYS or low.endswith(("password", "token", "secret"))


def _scrub(text: str) -> str:
    text = _PAT.sub(MASK, text)
    return _AUTH_VALUE.sub(lambda m: f"{m.group(1)} {MASK}", text)


def safe_target(target: str) -> str:
    """The request target as the request log shows it: no userinfo, no secret values.

    ``/api/me?password=x&fields=id`` -> ``/api/me?password=***&fields=id``; values of other
    parameters stay readable (filters are what one debugs), minus anything token-shaped.
    """
    target = _USERINFO.sub(r"\1", target)
    path, sep, query = target.partition("?")
    if not sep:
        return _scrub(path)
    parts: list[str] = []
    for raw in query.split("&"):
        name, eq, value = raw.partition("=")
        if eq and _is_secret_key(unquote(name.replace("+", " "))):
            parts.append(f"{name}={MASK}")
        else:
            parts.append(raw)
    scrubbed = _scrub(f"{path}?{'&'.join(parts)}")
    # a secret that was percent-encoded in the query: check the decoded pairs as well
    for name, value in parse_qsl(query, keep_blank_values=True):
        if value and _is_secret_key(name):
            for form in {value, quote(value, safe=""), quote(value)}:
                scrubbed = scrubbed.replace(form, MASK)
    return scrubbed


def request_secrets(headers: Mapping[str, str]) -> list[str]:
    """Every secret string one request carries in its ``Authorization`` header."""
    header = (headers.get("authorization") or "").strip()
    if not header:
        return []
    out = [header]
    scheme, _, rest = header.partition(" ")
    rest = rest.strip()
    if rest:
        out.append(rest)
    if scheme.lower() == "basic" and rest:
        try:
            decoded = base64.b64decode(rest, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        if decoded:
            out.append(decoded)
            _user, sep, password = decoded.partition(":")
            if sep and password:
                out.append(password)
    return out


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with each of ``secrets`` (longest first) and token-shaped strings masked."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return _scrub(text)
