"""What a CLI needs from the library to print for people: the total a long listing counts
towards (``on_pager``), every document page by page, and ``me`` with names, not bare UIDs."""

from __future__ import annotations

import pytest

from dhis2w import AsyncClient, InvalidInputError, models
from dhis2w.testing import EmulatorHandle

pytestmark = pytest.mark.anyio


async def test_iter_conversations_reports_the_first_pager_once(
    dhis2_emulator: EmulatorHandle, dhis2_async_client: AsyncClient
) -> None:
    dhis2_emulator.bulk_create_conversations(45)
    total = (await dhis2_async_client.messaging.list_conversations(page_size=1)).pager
    assert total is not None
    pagers: list[models.Pager | None] = []
    seen = [
        c.id
        async for c in dhis2_async_client.messaging.iter_conversations(
            page_size=10, on_pager=pagers.append
        )
    ]
    assert len(pagers) == 1  # the first page's, not one per page
    first = pagers[0]
    assert first is not None and first.page == 1 and first.total == total.total == len(seen)


async def test_iter_documents_walks_every_page(
    dhis2_emulator: EmulatorHandle, dhis2_async_client: AsyncClient
) -> None:
    files = dhis2_async_client.files
    for n in range(5):
        await files.create_external_document(name=f"Link {n}", url=f"https://example.org/{n}")
    expected = (await files.list_documents(page_size=1000)).documents
    pagers: list[models.Pager | None] = []
    docs = [d async for d in files.iter_documents(page_size=2, on_pager=pagers.append)]
    assert sorted(d.id for d in docs) == sorted(d.id for d in expected)
    assert len(docs) > 2  # more than one page was walked
    assert len(pagers) == 1 and pagers[0] is not None and pagers[0].total == len(expected)
    limited = [d async for d in files.iter_documents(page_size=2, limit=3)]
    assert len(limited) == 3
    with pytest.raises(InvalidInputError, match="page_size"):
        files.iter_documents(page_size=0)  # refused when called, before any request


async def test_me_names_groups_org_units_and_roles(
    dhis2_emulator: EmulatorHandle, dhis2_async_client: AsyncClient
) -> None:
    me = await dhis2_async_client.system.me()
    assert me.user_groups and me.organisation_units and me.user_roles
    for ref in (*me.user_groups, *me.organisation_units, *me.user_roles):
        assert ref.name and ref.name != ref.id, ref
    assert me.is_superuser  # the explicit selector still asks for the authorities
