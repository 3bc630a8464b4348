"""Streaming every page of a DHIS2 list, one page ahead of the caller.

The next page is fetched in the background (the client's task group here; a worker thread in
the generated sync twin) while the caller consumes the current one. The pager's ``pageCount``
decides when to stop (not ``nextPage``, an absolute URL that may point at another host behind
a proxy); items are de-duplicated by id, because offset paging over a changing inbox can show
an item twice when new messages arrive between pages (BUGS.md).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Protocol, TypeVar

from .. import models
from .._backend import AsyncBackgroundRunner, AsyncPendingResult

__all__ = ["AsyncPageSource", "iterate_pages"]

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
) -> AsyncIterator[ItemT]:
    """Yield every item of every page once, prefetching the next page, up to ``limit``."""
    if limit is not None and limit <= 0:
        return
    seen: set[str] = set()
    yielded = 0
    page = 1
    pending: AsyncPendingResult[tuple[Sequence[ItemT], models.Pager | None]] | None
    pending = runner.submit(fetch, page)
    while pending is not None:
        items, pager = await pending.result()
        fresh = [item for item in items if key(item) not in seen]
        page_count = pager.page_count if pager is not None else page
        still_wanted = limit is None or limit - yielded > len(fresh)
        pending = None
        if items and page < page_count and still_wanted:
            pending = runner.submit(fetch, page + 1)
        for item in fresh:
            seen.add(key(item))
            yield item
            yielded += 1
            if limit is not None and yielded >= limit:
                return
        page += 1
