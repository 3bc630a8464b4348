"""pytest plugin: a DHIS2 2.42 emulator and ready clients for your tests.

Registered through the ``pytest11`` entry point, so installing dhis2w makes these fixtures
available everywhere::

    def test_inbox(dhis2_client):
        page = dhis2_client.messaging.list_conversations()
        assert page.pager.total > 0

    def test_as_another_user(dhis2_emulator):
        from dhis2w import Client
        with Client(dhis2_emulator.profile("fatmata")) as client:
            ...

    def test_retries(dhis2_emulator, dhis2_client):
        dhis2_emulator.faults.fail_next(2, status=503)
        ...

One server runs per test session (a free loopback port, in-memory SQLite); every test gets
a fresh demo world and no faults. Importing this module is cheap: nothing starts until a
fixture is used, because pytest loads the plugin for every run of every project that has
dhis2w installed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from types import FunctionType, ModuleType
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from dhis2w import AsyncClient, Client, Profile
    from dhis2w.emulator import EmulatorServer, Faults
    from dhis2w.emulator.seed import SeedUser

__all__ = [
    "EmulatorHandle",
    "dhis2_async_client",
    "dhis2_client",
    "dhis2_emulator",
    "dhis2_emulator_server",
]


class EmulatorHandle:
    """What the ``dhis2_emulator`` fixture gives a test: the server and its seeded world."""

    def __init__(self, server: EmulatorServer) -> None:
        from dhis2w.emulator import seed

        self.server = server
        self.seed: ModuleType = seed

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (no ``/api``)."""
        return self.server.url

    @property
    def faults(self) -> Faults:
        return self.server.faults

    def user(self, username: str = "admin") -> SeedUser:
        """The seeded user called ``username`` (KeyError if there is none)."""
        for u in self.seed.USERS:
            if u.username == username:
                return u  # type: ignore[no-any-return]
        raise KeyError(f"no seeded user {username!r}")

    def profile(self, username: str = "admin", *, token: bool = False) -> Profile:
        """A :class:`dhis2w.Profile` logging in as a seeded user (Basic, or PAT)."""
        from dhis2w import Profile

        user = self.user(username)
        if token:
            return Profile(base_url=self.url, token=user.token)
        return Profile(base_url=self.url, username=user.username, password=user.password)

    def reset(self, seed: str = "demo") -> None:
        """Back to a fresh world (the fixture already does this before each test)."""
        self.server.reset(seed)

    def bulk_create_conversations(self, n: int, **kwargs: Any) -> list[str]:
        """Fast direct inserts; see :meth:`EmulatorServer.bulk_create_conversations`."""
        return self.server.bulk_create_conversations(n, **kwargs)

    def recipients(self, usernames: Sequence[str]) -> list[str]:
        """UIDs of seeded users by username."""
        return [self.user(u).uid for u in usernames]

    def __repr__(self) -> str:
        return f"EmulatorHandle(url={self.url!r})"


@pytest.fixture(scope="session")
def dhis2_emulator_server() -> Iterator[EmulatorServer]:
    """The session's emulator (started on first use, stopped at the end of the session)."""
    from dhis2w.emulator import EmulatorServer

    server = EmulatorServer(host="127.0.0.1", port=0, db=None, seed="demo")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def dhis2_emulator(dhis2_emulator_server: EmulatorServer) -> Iterator[EmulatorHandle]:
    """A running emulator with a fresh demo seed and no faults, for this test."""
    dhis2_emulator_server.faults.clear()
    dhis2_emulator_server.reset("demo")
    try:
        yield EmulatorHandle(dhis2_emulator_server)
    finally:
        dhis2_emulator_server.faults.clear()


@pytest.fixture
def dhis2_client(dhis2_emulator: EmulatorHandle) -> Iterator[Client]:
    """A sync :class:`dhis2w.Client` logged in as ``admin``."""
    from dhis2w import Client

    with Client(dhis2_emulator.profile("admin")) as client:
        yield client


async def _open_admin_async_client(dhis2_emulator: EmulatorHandle) -> AsyncIterator[AsyncClient]:
    """An opened :class:`dhis2w.AsyncClient` logged in as ``admin``.

    Works with anyio's pytest plugin (``@pytest.mark.anyio``, asyncio or trio) and with
    pytest-asyncio in strict (``@pytest.mark.asyncio``) and auto mode. Async fixtures are set
    up and torn down in tasks other than the test's own; the client allows that.
    """
    from dhis2w import AsyncClient

    async with AsyncClient(dhis2_emulator.profile("admin")) as client:
        yield client


dhis2_async_client = pytest.fixture(_open_admin_async_client, name="dhis2_async_client")

#: The same fixture function, declared to pytest-asyncio (made on first use).
_for_pytest_asyncio: Any = None


@pytest.hookimpl(tryfirst=True, wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest) -> Any:
    """Let pytest-asyncio run ``dhis2_async_client`` for the tests that pytest-asyncio runs.

    In strict mode pytest-asyncio runs only async fixtures declared with its own decorator,
    while anyio's plugin runs plain ``@pytest.fixture`` ones and must not be handed one that
    pytest-asyncio has claimed (its event loop is not the test's). So the fixture is declared
    to pytest-asyncio only for an asyncio-marked test that anyio does not run, chosen again
    for every test. A fixture of the same name defined by a project is left alone.
    """
    if fixturedef.argname == "dhis2_async_client" and fixturedef.func in (
        _open_admin_async_client,
        _for_pytest_asyncio,
    ):
        on_pytest_asyncio = (
            request.config.pluginmanager.has_plugin("asyncio")
            and "anyio_backend" not in request.fixturenames
            and request.node.get_closest_marker("asyncio") is not None
        )
        chosen = _declared_to_pytest_asyncio() if on_pytest_asyncio else _open_admin_async_client
        # Kept until the next choice, not restored after setup: pytest-asyncio looks at the
        # fixture again when the test runs. (``func`` is Final only in pytest's annotations.)
        setattr(fixturedef, "func", chosen)  # noqa: B010
    return (yield)


def _declared_to_pytest_asyncio() -> Any:
    global _for_pytest_asyncio
    if _for_pytest_asyncio is None:
        import pytest_asyncio

        original = _open_admin_async_client
        copy = FunctionType(
            original.__code__, original.__globals__, original.__name__, None, original.__closure__
        )
        copy.__doc__ = original.__doc__
        # pytest_asyncio.fixture marks the function it is given as an asyncio fixture; the
        # fixture definition it returns is not needed (ours is already registered).
        pytest_asyncio.fixture(copy)
        _for_pytest_asyncio = copy
    return _for_pytest_asyncio
