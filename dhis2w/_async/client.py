"""AsyncClient: one authenticated connection to a DHIS2 server, and the request loop.

This module is the async source of truth; ``build_sync.py`` generates ``dhis2w/_sync/client.py``
(``Client``) from it. Only I/O and control flow live here: request shapes, retry decisions and
response classification come from ``dhis2w._wire``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, TypeVar

import httpx
import msgspec

from .. import _wire, models
from .._synchronization import AsyncBackgroundRunner, async_sleep, async_slots
from ..profile import Profile
from .directory import AsyncDirectory
from .files import AsyncFiles
from .messaging import AsyncMessaging
from .system import AsyncSystem

__all__ = ["AsyncClient", "open_client"]

logger = logging.getLogger("dhis2w")

Params = Mapping[str, Any] | _wire.QueryParams | None
T = TypeVar("T")


class AsyncClient:
    """A DHIS2 client: ``client.messaging``, ``client.files``, ``client.system``,
    ``client.directory`` and the raw escape hatch (``get_raw``, ``post_raw``, ...).

    Use it as a context manager (``async with AsyncClient(profile) as client:``) so the
    connection pool is closed and ``iter_conversations`` can prefetch in the background.

    At most ``max_connections`` requests (default 10) are in flight at once, however many
    tasks share the client; the rest wait their turn for a connection, without a deadline of
    their own (each request still has the profile's timeout once it is sent). This keeps a
    burst of 1,000 concurrent sends from opening 1,000 sockets to a small DHIS2 server.

    When the answer to ``messaging.send``, ``reply`` or ``send_feedback`` is lost, the client
    looks for the message it sent for up to ``reconcile_timeout`` seconds (default 10; 0 turns
    it off) and returns it when found once, instead of raising
    :class:`~dhis2w.errors.SendOutcomeUnknownError`. It never sends it again by itself.
    """

    def __init__(
        self,
        profile: Profile,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        max_retries: int = 3,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        max_upload_size: int = _wire.DEFAULT_MAX_UPLOAD_SIZE,
        storage_poll_interval: float = 0.25,
        storage_timeout: float = 60.0,
        max_connections: int = _wire.DEFAULT_MAX_CONNECTIONS,
        reconcile_timeout: float = 10.0,
    ) -> None:
        profile.check_transport_security()
        self.max_connections = _wire.check_max_connections(max_connections)
        self._slots = async_slots(self.max_connections)
        _wire.warn_if_unverified(profile)
        self.profile = profile
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_upload_size = max_upload_size
        self.storage_poll_interval = storage_poll_interval
        self.storage_timeout = storage_timeout
        # how long a send/reply/feedback whose answer was lost is looked for (0: not at all)
        self.reconcile_timeout = _wire.check_reconcile_timeout(reconcile_timeout)
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self._http_lock = threading.Lock()
        self._runner = AsyncBackgroundRunner()
        self._me: models.Me | None = None
        self.messaging = AsyncMessaging(self)
        self.files = AsyncFiles(self)
        self.system = AsyncSystem(self)
        self.directory = AsyncDirectory(self)

    def __repr__(self) -> str:
        return f"<AsyncClient {self.profile.name or self.profile.display_url}>"

    # --- lifecycle --------------------------------------------------------------------------
    async def __aenter__(self) -> AsyncClient:
        await self._runner.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop background prefetches and close the connection pool."""
        await self._runner.aclose()
        http, self._http = self._http, None
        if http is not None:
            await http.aclose()

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            # Threads share a sync Client: without the lock, a burst of first calls would each
            # build a pool of their own (and leak it), defeating max_connections.
            with self._http_lock:
                if self._http is None:
                    self._http = self._new_http()
        return self._http

    def _new_http(self) -> httpx.AsyncClient:
        headers = {"Accept": "application/json", "User-Agent": _wire.USER_AGENT}
        authorization = self.profile.authorization_header()
        if authorization is not None:
            headers["Authorization"] = authorization
        return httpx.AsyncClient(
            base_url=self.profile.resolve_base_url(),
            headers=headers,
            timeout=_wire.http_timeout(self.profile.timeout),
            limits=_wire.http_limits(self.max_connections),
            verify=_wire.tls_verification(self.profile),
            follow_redirects=False,
            transport=self._transport,
        )

    @property
    def runner(self) -> AsyncBackgroundRunner:
        return self._runner

    # --- the request loop ------------------------------------------------------------------
    async def send(
        self,
        method: str,
        path: str,
        *,
        params: Params = None,
        content: bytes | None = None,
        content_type: str | None = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        outcome_unknown_on_loss: bool = False,
    ) -> httpx.Response:
        """Send one request with timeouts, retries and error classification.

        GETs are retried on connect errors, 429 and 502-504 with capped exponential backoff
        (honouring ``Retry-After``; a server asking for more than ``backoff_cap`` gets its
        error raised at once). Other methods are retried only when the connection was never
        made. A lost response to a non-idempotent call raises
        :class:`SendOutcomeUnknownError` when ``outcome_unknown_on_loss`` is set.
        On success the response is returned (unread when ``stream=True``; close it).

        A call waits for one of the client's ``max_connections`` slots first, and keeps it
        through its retries. Streamed responses (downloads) skip the slots, so a download
        left open by its reader can never block every other call; httpx's pool still caps
        their connections.
        """
        slot = contextlib.nullcontext() if stream else self._slots
        async with slot:
            return await self._send(
                method,
                path,
                params=params,
                content=content,
                content_type=content_type,
                files=files,
                headers=headers,
                stream=stream,
                outcome_unknown_on_loss=outcome_unknown_on_loss,
            )

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Params,
        content: bytes | None,
        content_type: str | None,
        files: Any,
        headers: Mapping[str, str] | None,
        stream: bool,
        outcome_unknown_on_loss: bool,
    ) -> httpx.Response:
        """The retry loop: each attempt's outcome goes to ``_wire.next_step`` to decide."""
        http = self._client()
        extra: dict[str, str] = dict(headers or {})
        if content_type is not None:
            extra["Content-Type"] = content_type
        attempt = 0
        while True:
            request = http.build_request(
                method, path, params=params, content=content, files=files, headers=extra
            )
            target = _wire.loggable_url(request.url)
            started = time.perf_counter()
            response: httpx.Response | None = None
            try:
                response = await http.send(request, stream=True)
                self._log(method, target, response.status_code, started, None)
                step = self._next_step(
                    request,
                    attempt,
                    status=response.status_code,
                    retry_after=response.headers.get("retry-after"),
                )
                if step is None:
                    return await self._take_answer(request, response, stream=stream)
            except httpx.TransportError as exc:
                status = None if response is None else response.status_code
                self._log(method, target, status, started, exc)
                step = self._next_step(
                    request,
                    attempt,
                    error=exc,
                    answered=response is not None,
                    outcome_unknown_on_loss=outcome_unknown_on_loss,
                )
            if response is not None:
                await response.aclose()
            if isinstance(step, _wire.Retry):
                await async_sleep(step.delay)
                attempt += 1
                continue
            assert step is not None  # a failed attempt is always decided: retry or raise
            raise step from None

    def _next_step(
        self, request: httpx.Request, attempt: int, **outcome: Any
    ) -> _wire.Retry | Exception | None:
        return _wire.next_step(
            method=request.method,
            path=request.url.path,
            host=request.url.host,
            attempt=attempt,
            policy=_wire.RetryPolicy(  # read per call: the settings are public attributes
                max_retries=self.max_retries,
                backoff_base=self.backoff_base,
                backoff_cap=self.backoff_cap,
                timeout=self.profile.timeout,
            ),
            **outcome,
        )

    async def _take_answer(
        self, request: httpx.Request, response: httpx.Response, *, stream: bool
    ) -> httpx.Response:
        """A 2xx is returned (read unless streamed); any other status raises its error."""
        if 200 <= response.status_code < 300:
            if not stream:
                try:
                    await response.aread()
                finally:
                    await response.aclose()
            return response
        try:
            body = await response.aread()
        finally:
            await response.aclose()
        _wire.raise_for_response(
            method=request.method,
            path=request.url.path,
            status_code=response.status_code,
            content_type=response.headers.get("content-type", ""),
            location=response.headers.get("location"),
            body=body,
        )
        raise AssertionError("raise_for_response returns only for 2xx")  # pragma: no cover

    def _log(
        self,
        method: str,
        target: str,
        status: int | None,
        started: float,
        error: BaseException | None,
    ) -> None:
        if not logger.isEnabledFor(logging.DEBUG):
            return
        elapsed = (time.perf_counter() - started) * 1000
        outcome = str(status) if error is None else type(error).__name__
        logger.debug("%s %s -> %s in %.0f ms", method, target, outcome, elapsed)

    async def request_json(
        self,
        method: str,
        path: str,
        *,
        params: Params = None,
        content: bytes | None = None,
        content_type: str | None = None,
        files: Any = None,
        outcome_unknown_on_loss: bool = False,
    ) -> httpx.Response:
        """``send`` for calls whose 2xx answer must be JSON (an HTML page is an error)."""
        response = await self.send(
            method,
            path,
            params=params,
            content=content,
            content_type=content_type,
            files=files,
            outcome_unknown_on_loss=outcome_unknown_on_loss,
        )
        if response.content:
            _wire.check_json_body(
                method=method,
                path=response.request.url.path,
                status_code=response.status_code,
                content_type=response.headers.get("content-type", ""),
                body=response.content,
            )
        return response

    async def get_decoded(
        self, path: str, decoder: msgspec.json.Decoder[T], *, params: Params = None
    ) -> T:
        """``GET`` a JSON answer and decode it straight from the bytes with a prebuilt decoder."""
        response = await self.request_json("GET", path, params=params)
        return _wire.decode(
            decoder, response.content, method="GET", path=path, status_code=response.status_code
        )

    async def me(self) -> models.Me:
        """The calling user, cached for the client's lifetime (delete needs its UID)."""
        if self._me is None:
            self._me = await self.system.me()
        return self._me

    # --- raw escape hatch ------------------------------------------------------------------
    async def _raw(
        self,
        method: str,
        path: str,
        *,
        params: Params = None,
        json: Any = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        body: bytes | None = None
        content_type: str | None = None
        if json is not None:
            body = models.json_encoder.encode(json)
            content_type = _wire.JSON
        elif content is not None:
            body = content.encode("utf-8") if isinstance(content, str) else content
            if isinstance(content, str):
                content_type = _wire.TEXT_PLAIN
        response = await self.send(
            method,
            _wire.api_path(path),
            params=params,
            content=body,
            content_type=content_type,
            headers=headers,
        )
        if response.content.strip():
            _wire.check_json_body(
                method=method,
                path=response.request.url.path,
                status_code=response.status_code,
                content_type=response.headers.get("content-type", ""),
                body=response.content,
            )
        return _wire.decode_any(
            response.content,
            method=method,
            path=response.request.url.path,
            status_code=response.status_code,
        )

    async def get_raw(self, path: str, params: Params = None) -> Any:
        """``GET /api/<path>`` -> decoded JSON (or ``None``). Same auth, retries and errors."""
        return await self._raw("GET", path, params=params)

    async def post_raw(
        self,
        path: str,
        *,
        json: Any = None,
        content: bytes | str | None = None,
        params: Params = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """``POST /api/<path>`` with a JSON or raw body -> decoded JSON (or ``None``)."""
        return await self._raw(
            "POST", path, params=params, json=json, content=content, headers=headers
        )

    async def put_raw(
        self,
        path: str,
        *,
        json: Any = None,
        content: bytes | str | None = None,
        params: Params = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """``PUT /api/<path>`` with a JSON or raw body -> decoded JSON (or ``None``)."""
        return await self._raw(
            "PUT", path, params=params, json=json, content=content, headers=headers
        )

    async def delete_raw(
        self,
        path: str,
        *,
        params: Params = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """``DELETE /api/<path>`` -> decoded JSON (or ``None``)."""
        return await self._raw("DELETE", path, params=params, headers=headers)


def open_client(profile: Profile, **options: Any) -> AsyncClient:
    """An :class:`AsyncClient` for ``profile``; use as ``async with open_client(p) as c:``."""
    return AsyncClient(profile, **options)
