"""Authentication as DHIS2 2.42 does it (dhis2-api.md §4): Basic, ApiToken, or the login page.

Verified ``Authorization`` header values are cached (header -> user UID), so a keep-alive
client pays for hashing once, not on every request.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading

from dhis2w.emulator.exchange import Request, Response, WebMessageError, web_message
from dhis2w.emulator.store import DirUser, Store

__all__ = ["Authenticator"]

_API_TOKEN = re.compile(r"^ApiToken (?P<token>[a-z0-9-._~+/]+=*)$", re.IGNORECASE)
_CACHE_LIMIT = 4096


def login_redirect(req: Request) -> Response:
    """What a browser without a session gets: 302 to the login app."""
    return Response(
        302,
        [("Location", f"{req.origin}/dhis-web-login/"), ("Content-Length", "0")],
    )


class Authenticator:
    """Resolve the calling user or raise the right 401/302 answer."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: dict[str, str] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def authenticate(self, req: Request) -> DirUser:
        header = req.headers.get("authorization")
        directory = self.store.directory
        if header:
            cached = self._cache.get(header)
            if cached is not None:
                user = directory.users.get(cached)
                if user is not None:
                    return user
            user = self._verify(header)
            if user is not None:
                with self._lock:
                    if len(self._cache) >= _CACHE_LIMIT:
                        self._cache.clear()
                    self._cache[header] = user.uid
                return user
        if req.headers.get("x-requested-with", "").lower() == "xmlhttprequest":
            raise WebMessageError(web_message(401, "Unauthorized"))
        raise WebMessageError(login_redirect(req))

    def _verify(self, header: str) -> DirUser | None:
        scheme, _, rest = header.strip().partition(" ")
        low = scheme.lower()
        directory = self.store.directory
        if low == "basic":
            try:
                decoded = base64.b64decode(rest.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                raise WebMessageError(web_message(401, "Unauthorized")) from None
            username, sep, password = decoded.partition(":")
            user = directory.check_password(username, password) if sep else None
            if user is None:
                raise WebMessageError(web_message(401, "Unauthorized"))
            return user
        if low == "apitoken":
            match = _API_TOKEN.match(header.strip())
            if match is None:
                raise WebMessageError(web_message(401, "Invalid token"))
            user = directory.user_by_token(match.group("token"))
            if user is None:
                raise WebMessageError(web_message(401, "The API token does not exists"))
            return user
        return None  # unknown scheme: treated as no credentials
