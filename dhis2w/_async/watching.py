"""``client.messaging.watch``: the inbox as a stream of events, by polling.

Only the I/O and the loop live here; which conversations to read and which messages are new
is decided by :mod:`dhis2w._watch` (pure, shared with the generated sync twin).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .. import _watch, _wire, models
from .._synchronization import async_sleep
from ..errors import (
    InvalidInputError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)

if TYPE_CHECKING:
    from .messaging import AsyncMessaging

__all__ = ["AsyncInboxWatch"]

logger = logging.getLogger("dhis2w.watch")

#: Failures worth waiting out: the network, the server, a proxy's page, "slow down".
#: Anything else (authentication, permission, a filter DHIS2 refuses) is raised.
RETRYABLE = (TransportError, ServerError, RateLimitedError, UnexpectedResponseError)


class AsyncInboxWatch:
    """An async iterator of :class:`~dhis2w.models.InboxEvent`; ``cursor`` is where it stands.

    Made by ``client.messaging.watch(...)``. ``cursor`` is ``None`` until the first poll
    when started without one; after each event it equals that event's ``cursor``.
    """

    def __init__(
        self,
        messaging: AsyncMessaging,
        *,
        interval: float,
        cursor: str | None,
        once: bool,
        filters: Mapping[str, Any],
    ) -> None:
        if isinstance(interval, bool) or not isinstance(interval, (int, float)):
            raise InvalidInputError(f"interval must be a number of seconds, not {interval!r}")
        if not 0 < interval < float("inf"):
            raise InvalidInputError(f"interval must be more than 0 seconds, not {interval!r}")
        self._messaging = messaging
        self._interval = float(interval)
        self._once = once
        self._state = None if cursor is None else _watch.decode_cursor(cursor)
        self._user_filter = _wire.filter_list(filters.get("filter"))
        self._filters = {k: v for k, v in filters.items() if k != "filter"}
        # bad filters fail here, before any request
        _wire.conversation_list_params(**self._filters, filter=self._user_filter)
        self._rows: deque[models.MessageConversation] = deque()
        self._page_rows: list[models.MessageConversation] = []
        self._page_full = False
        self._page_start: _watch.WatchState | None = None
        self._size = _watch.POLL_SIZE
        self._polls = 0  # successful polls

    @property
    def cursor(self) -> str | None:
        """Where the watch stands: pass it as ``watch(cursor=...)`` to resume from here."""
        return None if self._state is None else _watch.encode_cursor(self._state)

    def __aiter__(self) -> AsyncInboxWatch:
        return self

    async def __anext__(self) -> models.InboxEvent:
        while True:
            if self._rows:
                row = self._rows[0]
                event = await self._handle(row)  # raises (or is cancelled) with row kept
                self._rows.popleft()
                if event is not None:
                    return event
                continue
            if self._page_start is not None:
                self._finish_page()
                if self._page_full:
                    await self._poll()  # more rows wait: no pause in the middle of a sweep
                    continue
            if self._once and self._polls > 0:
                raise StopAsyncIteration
            if self._polls > 0:
                await async_sleep(_watch.jittered(self._interval))
            await self._poll()

    # --- one poll --------------------------------------------------------------------------
    async def _poll(self) -> None:
        """One narrow list request; its changed rows wait in ``_rows``."""
        if self._state is None:
            page = await self._list(self._baseline_params())
            self._state = _watch.baseline_state(
                page.conversations, full=len(page.conversations) >= _watch.BASELINE_SIZE
            )
            self._polls += 1
            return
        state = self._state
        params = _wire.conversation_list_params(
            **self._filters,
            filter=[*self._user_filter, *_watch.poll_filter(state)],
            order="lastMessage:asc",
            page_size=self._size,
            fields=_watch.POLL_FIELDS,
        )
        page = await self._list(params)
        self._page_rows = page.conversations
        self._page_full = len(page.conversations) >= self._size
        self._page_start = state
        self._rows.extend(_watch.changed_rows(state, page.conversations))
        self._polls += 1

    def _baseline_params(self) -> _wire.QueryParams:
        return _wire.conversation_list_params(
            **self._filters,
            filter=self._user_filter,
            order="lastMessage:desc",
            page_size=_watch.BASELINE_SIZE,
            fields=_watch.BASELINE_FIELDS,
        )

    def _finish_page(self) -> None:
        assert self._state is not None and self._page_start is not None
        before = self._page_start
        self._state = _watch.after_page(self._state, self._page_rows, self._page_full)
        self._size = _watch.next_poll_size(self._state, before, self._size, self._page_full)
        self._page_start = None
        self._page_rows = []

    async def _handle(self, row: models.MessageConversation) -> models.InboxEvent | None:
        """Read one changed conversation; its event, or ``None`` when nothing is new to us."""
        assert self._state is not None
        try:
            thread = await self._thread(row.id)
        except NotFoundError:
            # gone between the poll and the read (deleted for us): nothing to hand out
            self._state = _watch.after_event(
                self._state, row, models.MessageConversation(id=row.id)
            )
            return None
        messages = _watch.new_messages(self._state, thread)
        self._state = _watch.after_event(self._state, row, thread)
        if not messages:
            return None
        return models.InboxEvent(
            conversation=thread, messages=messages, cursor=_watch.encode_cursor(self._state)
        )

    # --- reads that wait out failures ------------------------------------------------------
    async def _list(self, params: _wire.QueryParams) -> models.ConversationPage:
        failures = 0
        while True:
            try:
                return await self._messaging._page(params)
            except RETRYABLE as exc:
                failures = await self._wait_out(exc, failures)

    async def _thread(self, uid: str) -> models.MessageConversation:
        failures = 0
        while True:
            try:
                return await self._messaging.get_conversation(uid)
            except RETRYABLE as exc:
                failures = await self._wait_out(exc, failures)

    async def _wait_out(self, exc: Exception, failures: int) -> int:
        """Log ``exc`` and wait before the next try (backoff); with ``once``, raise it."""
        if self._once:
            raise exc
        failures += 1
        delay = _watch.error_delay(failures, self._interval)
        logger.warning("watch: %s; trying again in %.1f s", exc, delay)
        await async_sleep(delay)
        return failures
