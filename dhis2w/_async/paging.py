"""Streaming every page of a DHIS2 list, a bounded window of pages ahead of the caller.

Once the first page tells how many pages there are, up to ``window`` further pages are fetched
concurrently in the background (tasks owned by the client here; worker threads in the generated
sync twin) while the caller consumes the current one, and they are handed out strictly in
page order. Fetching several pages at once is what hides network latency: one page ahead only
overlaps a single round trip with the caller's work. Memory stays bounded by ``window`` pages
however long the list is. The pager's ``pageCount`` decides when to stop (not ``nextPage``, an
absolute URL that may point at another host behind a proxy); items are de-duplicated by id,
because offset paging over a changing inbox can show an item twice when new messages arrive
between pages (BUGS.md).
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Protocol, TypeVar

from .. import models
from .._synchronization import PREFETCH_WINDOW, AsyncBackgroundRunner, AsyncPendingResult

__all__ = ["PREFETCH_WINDOW", "AsyncPageSource", "iterate_pages"]

ItemT = TypeVar("ItemT")
ItemT_co = TypeVar("ItemT_co", covariant=True)


class AsyncPageSource(Protocol[ItemT_co]):
    """Fetches page ``page`` (1-based): its items and its pager (``None`` if unpaged)."""

    async def __call__(self, page: int) -> tuple[Sequence[ItemT_co], models.Pager | None]: ...


async def iterate_pages(
    runner: AsyncBackgroundRunner,
    fetch: AsyncPageSource[ItemT],
    *,
    key: Callable[[ItemT], str],
    limit: int | None = None,
    window: int = PREFETCH_WINDOW,
    on_pager: Callable[[models.Pager | None], object] | None = None,
) -> AsyncIterator[ItemT]:
    """Yield every item of every page once, ``window`` pages in flight, up to ``limit``.

    ``on_pager`` is called once with the first page's pager (``None`` if unpaged), before
    its first item is yielded: how a progress line learns the total it counts towards.
    """
    if limit is not None and limit <= 0:
        return
    seen: set[str] = set()
    yielded = 0
    page = 0
    next_page = 2
    in_flight: deque[AsyncPendingResult[tuple[Sequence[ItemT], models.Pager | None]]]
    in_flight = deque([runner.submit(fetch, 1)])
    try:
        while in_flight:
            items, pager = await in_flight.popleft().result()
            page += 1
            if page == 1 and on_pager is not None:
                on_pager(pager)
            if not items:
                return
            fresh = [item for item in items if key(item) not in seen]
            last_page = _last_page_wanted(page, pager, len(items), yielded + len(fresh), limit)
            while next_page <= last_page and len(in_flight) < window:
                in_flight.append(runner.submit(fetch, next_page))
                next_page += 1
            for item in fresh:
                seen.add(key(item))
                yield item
                yielded += 1
                if limit is not None and yielded >= limit:
                    return
    finally:
        # Stopped early (a limit, a break, an error, the iterator closed or collected): the
        # pages still being fetched are not wanted any more.
        for pending in in_flight:
            pending.cancel()


def _last_page_wanted(
    page: int, pager: models.Pager | None, page_size: int, yielded: int, limit: int | None
) -> int:
    """The last page worth requesting, given what this page said and how much is still wanted."""
    page_count = pager.page_count if pager is not None else page
    if limit is None:
        return page_count
    remaining = limit - yielded
    if remaining <= 0:
        return page
    size = pager.page_size if pager is not None and pager.page_size > 0 else max(page_size, 1)
    return min(page_count, page + -(-remaining // size))
