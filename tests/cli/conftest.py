"""Shared fixtures for the CLI suite: an isolated environment and a runner bound to the
emulator, so every test drives ``dhis2w`` exactly as a person would, through CliRunner."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import Dhis2Runner

_ENV_VARS = (
    "DHIS2_PROFILE",
    "DHIS2_URL",
    "DHIS2_PAT",
    "DHIS2_USERNAME",
    "DHIS2_PASSWORD",
    "DHIS2_TIMEOUT",
    "DHIS2_ALLOW_INSECURE_HTTP",
    "DHIS2W_MCP_READONLY",
    "NO_COLOR",
    "FORCE_COLOR",
)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No profile from the developer's machine leaks in; cwd and XDG config are temporary."""
    for var in _ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("COLUMNS", "140")
    return work


@pytest.fixture(autouse=True)
def debug_logging_restored() -> Iterator[None]:
    """``--debug`` sets up the ``dhis2w`` logger for the whole (test) process: undo it after
    each test, so one test's ``--debug`` never adds debug lines to another's stderr."""
    logger = logging.getLogger("dhis2w")
    level, handlers = logger.level, list(logger.handlers)
    yield
    logger.setLevel(level)
    logger.handlers[:] = handlers


@pytest.fixture
def seed(dhis2_emulator: Any) -> Any:
    return dhis2_emulator.seed


@pytest.fixture
def dhis2(dhis2_emulator: Any) -> Dhis2Runner:
    """``dhis2w`` logged in as the seeded superuser ``admin`` on a fresh emulator."""
    profile = dhis2_emulator.profile(username="admin")
    return Dhis2Runner(
        env={
            "DHIS2_URL": profile.base_url,
            "DHIS2_USERNAME": profile.username,
            "DHIS2_PASSWORD": profile.password,
        }
    )


@pytest.fixture
def user_runner(dhis2: Dhis2Runner, seed: Any) -> Any:
    """``user_runner("fatmata")``: the same emulator, logged in as another seeded user."""

    def make(username: str) -> Dhis2Runner:
        user = next(u for u in seed.USERS if u.username == username)
        return dhis2.as_user(user.username, user.password)

    return make
