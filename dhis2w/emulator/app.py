"""The sans-HTTP application: one :class:`~dhis2w.emulator.exchange.Request` in, one Response out.

It owns the path rules DHIS2 applies before any controller runs: ``/api`` and ``/api/NN``
prefixes (and which of the two goes into ``Location`` headers), the login redirect for
``/``, authentication, and the mapping of unexpected exceptions to a 500 WebMessage.
"""

from __future__ import annotations

import re
import sys
import traceback
from urllib.parse import unquote

from dhis2w.emulator import files, messaging, system
from dhis2w.emulator.auth import Authenticator, login_redirect
from dhis2w.emulator.common import Call
from dhis2w.emulator.exchange import Request, Response, WebMessageError, web_message
from dhis2w.emulator.faults import Faults
from dhis2w.emulator.logsafe import redact, request_secrets
from dhis2w.emulator.store import Store

__all__ = ["DEFAULT_STORAGE_DELAY", "App"]

# Seconds between an upload's 202 (PENDING) and its content being readable (STORED). A local
# DHIS2 with the filesystem store finishes its asynchronous save within a few milliseconds;
# tests that need to see PENDING widen the window with ``faults.storage_delay(s)``.
DEFAULT_STORAGE_DELAY = 0.005

_VERSIONED = re.compile(r"^/api/(\d{2})(/.*)?$")

LOGIN_PAGE = (
    b"<!DOCTYPE html><html><head><title>DHIS 2 login</title></head>"
    b"<body><h1>DHIS 2</h1><p>This is the dhis2w emulator. Use the Web API with Basic "
    b"auth (admin / district) or a personal access token.</p></body></html>"
)


class App:
    """Routes requests to handlers; safe to call from many threads at once."""

    def __init__(
        self,
        store: Store,
        *,
        max_upload_size: int = 10_000_000,
        storage_delay: float = DEFAULT_STORAGE_DELAY,
        debug: bool = False,
        sql_lists: bool = True,
        faults: Faults | None = None,
    ) -> None:
        self.store = store
        # serve list queries from SQL where they translate (False: always the Python path,
        # which the conformance tests compare against)
        self.sql_lists = sql_lists
        self.max_upload_size = max_upload_size
        self._storage_delay = storage_delay
        self.faults = faults
        self.debug = debug
        self.auth = Authenticator(store)

    @property
    def storage_delay(self) -> float:
        """The configured delay, unless ``faults.storage_delay(s)`` switched another on."""
        override = None if self.faults is None else self.faults.storage_delay_override()
        return self._storage_delay if override is None else override

    @storage_delay.setter
    def storage_delay(self, seconds: float) -> None:
        self._storage_delay = seconds

    def handle(self, req: Request) -> Response:
        try:
            return self._dispatch(req)
        except WebMessageError as exc:
            return exc.response
        except Exception as exc:  # DHIS2: any other exception -> 500 with its message
            if self.debug:  # the traceback, minus the caller's credentials (logsafe)
                text = redact(traceback.format_exc(), request_secrets(req.headers))
                sys.stderr.write(text)
                sys.stderr.flush()
            return web_message(500, str(exc) or exc.__class__.__name__)

    def _dispatch(self, req: Request) -> Response:
        path = unquote(req.path)
        method = req.method.upper()
        if method == "HEAD":
            method = "GET"
        if path in ("", "/"):
            try:
                self.auth.authenticate(req)
            except WebMessageError:
                return login_redirect(req)
            return Response(
                302, [("Location", f"{req.origin}/dhis-web-dashboard/"), ("Content-Length", "0")]
            )
        if path.startswith("/dhis-web-login"):
            return Response(200, [("Content-Type", "text/html;charset=UTF-8")], LOGIN_PAGE)
        versioned = _VERSIONED.match(path)
        if versioned:
            api_prefix = f"/api/{versioned.group(1)}"
            rest = versioned.group(2) or ""
        elif path == "/api" or path.startswith("/api/"):
            api_prefix = "/api"
            rest = path[4:]
        else:
            user = self.auth.authenticate(req)
            return web_message(404, f"No endpoint {method} {path}")
        user = self.auth.authenticate(req)
        call = Call(self, req, user, f"{req.origin}{api_prefix}")
        parts = [p for p in rest.split("/") if p]
        if not parts:
            raise WebMessageError.wm(404, f"No endpoint {method} {path}")
        head = parts[0]
        # content negotiation by suffix: /api/me.json
        if head.endswith(".json"):
            head = head[:-5]
        tail = parts[1:]
        if tail and tail[-1].endswith(".json"):
            tail[-1] = tail[-1][:-5]
        if head == "messageConversations":
            return messaging.route(call, method, tail)
        if head == "fileResources":
            return files.route_file_resources(call, method, tail)
        if head == "documents":
            return files.route_documents(call, method, tail)
        if head == "me":
            return system.route_me(call, method, tail)
        if head == "system":
            return system.route_system(call, method, tail)
        if head in system.DIRECTORY:
            return system.route_directory(call, method, head, tail)
        if head == "configuration":
            return system.route_configuration(call, method, tail)
        raise WebMessageError.wm(404, f"No endpoint {method} {path}")
