"""Stopping a watch: cancelling the async task ends it at once, even mid-wait (async only:
task groups have no sync twin; the sync watch stops on Ctrl-C, see tests/cli/test_cli_watch.py).
"""

from __future__ import annotations

import anyio
import pytest

from dhis2w import AsyncClient
from dhis2w.testing import EmulatorHandle

pytestmark = pytest.mark.anyio


async def test_cancelling_the_task_stops_a_watch_waiting_for_its_next_poll(
    dhis2_emulator: EmulatorHandle,
) -> None:
    async with AsyncClient(dhis2_emulator.profile("admin")) as client:
        watch = client.messaging.watch(interval=3600)  # the next poll is an hour away
        stopped = False

        async def consume() -> None:
            nonlocal stopped
            try:
                async for _ in watch:
                    pass
            finally:
                stopped = True

        # fail_after only guards against a hang; it is not what the test measures
        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                tg.start_soon(consume)
                while watch.cursor is None:  # until the first poll is done
                    await anyio.sleep(0.01)
                tg.cancel_scope.cancel()
        assert stopped
        assert watch.cursor is not None  # and it still says where it stood
