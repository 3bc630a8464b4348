"""The async client inside frameworks: opened and closed in different tasks, asyncio and trio.

pytest-asyncio fixtures, ``AsyncExitStack``s and application lifespans often enter a client in
one task and leave it in another. These tests do exactly that, check that
``iter_conversations`` still fetches pages ahead of the caller, and that no fetch is left
running once an iteration is abandoned or the client is closed. The ``dhis2_async_client``
fixture is then run by pytest-asyncio (strict and auto mode) and by anyio's plugin, each in a
pytest process of its own so that this suite's plugin setup stays as it is.

Waits below are deadlock guards (``fail_after``), never assertions about speed.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from dhis2w import AsyncClient
from dhis2w.testing import EmulatorHandle

#: Generous: these are guards against a hang, not measurements.
GUARD_SECONDS = 60


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class GatedTransport(httpx.AsyncBaseTransport):
    """The real loopback transport, except that list pages after the first wait at a gate.

    Records which pages were asked for and how many waiting requests were cancelled, so a
    test can see prefetching happen and see it stop.
    """

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.started: list[int] = []
        self.cancelled = 0
        self.gate = anyio.Event()
        self.second_page_asked = anyio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        if request.url.path.endswith("/messageConversations") and page >= 2:
            self.started.append(page)
            self.second_page_asked.set()
            try:
                await self.gate.wait()
            except anyio.get_cancelled_exc_class():
                self.cancelled += 1
                raise
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


async def _in_another_task(work: Any) -> None:
    async with anyio.create_task_group() as group:
        group.start_soon(work)


async def _until_idle(client: AsyncClient) -> None:
    with anyio.fail_after(GUARD_SECONDS):
        while client.runner.running:
            await anyio.sleep(0.01)


@pytest.fixture
def many_conversations(dhis2_emulator: EmulatorHandle) -> EmulatorHandle:
    dhis2_emulator.bulk_create_conversations(40)
    return dhis2_emulator


@pytest.mark.anyio
async def test_opened_in_one_task_closed_in_another(many_conversations: EmulatorHandle) -> None:
    client = AsyncClient(many_conversations.profile("admin"))
    await _in_another_task(client.__aenter__)
    with anyio.fail_after(GUARD_SECONDS):
        ids = [c.id async for c in client.messaging.iter_conversations(page_size=5)]
    assert len(ids) == len(set(ids)) >= 40
    await _in_another_task(client.aclose)
    assert client.runner.running == 0


@pytest.mark.anyio
async def test_exit_stack_entered_and_closed_in_different_tasks(
    many_conversations: EmulatorHandle,
) -> None:
    stack = AsyncExitStack()
    holder: list[AsyncClient] = []

    async def enter() -> None:
        holder.append(await stack.enter_async_context(AsyncClient(many_conversations.profile())))

    await _in_another_task(enter)
    assert (await holder[0].messaging.unread_count()) >= 0
    await _in_another_task(stack.aclose)


@pytest.mark.anyio
async def test_pages_are_fetched_ahead_and_stop_when_the_iteration_is_closed(
    many_conversations: EmulatorHandle,
) -> None:
    transport = GatedTransport()
    client = AsyncClient(many_conversations.profile(), transport=transport)
    await _in_another_task(client.__aenter__)
    pages = client.messaging.iter_conversations(page_size=5)
    first = await pages.__anext__()
    assert first.id
    with anyio.fail_after(GUARD_SECONDS):
        # page 2 is asked for although the caller has not asked for a second item yet
        await transport.second_page_asked.wait()
    assert client.runner.running > 0
    await pages.aclose()
    await _until_idle(client)
    assert transport.started and transport.cancelled == len(transport.started)
    await client.aclose()


@pytest.mark.anyio
async def test_an_abandoned_loop_leaves_nothing_running(many_conversations: EmulatorHandle) -> None:
    transport = GatedTransport()
    async with AsyncClient(many_conversations.profile(), transport=transport) as client:
        async for _conversation in client.messaging.iter_conversations(page_size=5):
            with anyio.fail_after(GUARD_SECONDS):
                await transport.second_page_asked.wait()
            break
        gc.collect()  # the abandoned generator is finalized by the event loop's hooks
        await _until_idle(client)
        assert transport.cancelled == len(transport.started) > 0


@pytest.mark.anyio
async def test_closing_the_client_cancels_fetches_in_flight(
    many_conversations: EmulatorHandle,
) -> None:
    transport = GatedTransport()
    client = AsyncClient(many_conversations.profile(), transport=transport)
    await _in_another_task(client.__aenter__)
    pages = client.messaging.iter_conversations(page_size=5)
    await pages.__anext__()
    with anyio.fail_after(GUARD_SECONDS):
        await transport.second_page_asked.wait()
    await _in_another_task(client.aclose)
    # aclose() returns only once every background fetch is over
    assert client.runner.running == 0
    assert transport.cancelled == len(transport.started) > 0
    await pages.aclose()


# --- the dhis2_async_client fixture under each plugin, in pytest runs of their own ----------

FIXTURE_TEST = """
import contextlib


async def test_fixture_client_lists_and_prefetches(dhis2_emulator, dhis2_async_client):
    dhis2_emulator.bulk_create_conversations(30)
    ids = [c.id async for c in dhis2_async_client.messaging.iter_conversations(page_size=4)]
    assert len(ids) == len(set(ids)) >= 30
    assert dhis2_async_client.runner.running == 0


async def test_fixture_client_iteration_stopped_early(dhis2_async_client):
    # teardown then closes the client, with a prefetch possibly still running, in another task
    pages = dhis2_async_client.messaging.iter_conversations(page_size=1)
    async with contextlib.aclosing(pages):
        async for _conversation in pages:
            break
"""

#: pytest-asyncio is installed (a dev dependency), so it loads in every run; this option only
#: silences its warning about a default that is about to change.
INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"

RUNS = {
    "pytest-asyncio strict": (
        f"{INI}asyncio_mode = strict\n",
        "import pytest\npytestmark = pytest.mark.asyncio\n" + FIXTURE_TEST,
        "2 passed",
    ),
    "pytest-asyncio auto": (f"{INI}asyncio_mode = auto\n", FIXTURE_TEST, "2 passed"),
    "anyio plugin": (
        INI,
        textwrap.dedent(
            """
            import pytest
            pytestmark = pytest.mark.anyio

            @pytest.fixture(params=["asyncio", "trio"])
            def anyio_backend(request):
                return request.param
            """
        )
        + FIXTURE_TEST,
        "4 passed",
    ),
}


@pytest.mark.parametrize("plugin", list(RUNS))
def test_async_client_fixture_under(plugin: str, tmp_path: Path) -> None:
    ini, module, expected = RUNS[plugin]
    (tmp_path / "pytest.ini").write_text(ini, encoding="utf-8")
    (tmp_path / "test_fixture.py").write_text(module, encoding="utf-8")
    result = subprocess.run(
        # -W error: a task left running, a teardown in the wrong task or a pytest-asyncio
        # deprecation about the fixture fails the run instead of scrolling past
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=240,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert expected in result.stdout, output
    assert "error" not in result.stdout.lower(), output
