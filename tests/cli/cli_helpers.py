"""Assertion helpers for the CLI tests (imported by the test modules)."""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from dhis2w.cli.main import cli
from dhis2w.cli.state import AppState

UID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]{10}$")
ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")


def console_script() -> str:
    """The installed ``dhis2w`` console script: next to this Python, else on PATH.

    The project is always installed with ``pip install -e '.[dev]'``, which creates it, so a
    missing script is a broken entry point: fail loudly rather than skip or fall back.
    """
    here = Path(sys.executable).with_name("dhis2w")
    found = str(here) if here.exists() else shutil.which("dhis2w")
    if not found:
        pytest.fail(
            f"the dhis2w console script is missing: not at {here} nor on PATH; "
            "reinstall with pip install -e '.[dev]' (is the entry point broken?)",
            pytrace=False,
        )
    return found


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def single_error_line(result: Result) -> str:
    """The error output must be exactly one line starting with ``Error:`` (then at most one
    ``hint:`` line saying what to do), no traceback."""
    return error_and_hint(result)[0]


def error_and_hint(result: Result) -> tuple[str, str | None]:
    """The ``Error:`` line and the ``hint:`` line after it (``None`` when there is none)."""
    err = lines(result.stderr)
    assert 1 <= len(err) <= 2, result.stderr
    assert err[0].startswith("Error: "), err[0]
    assert "Traceback" not in result.output
    if len(err) == 2:
        assert err[1].startswith("hint: "), err[1]
        return err[0], err[1]
    return err[0], None


def ids(rows: Sequence[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in rows]


@dataclass
class Dhis2Runner:
    """Runs ``dhis2w`` in-process with a profile in the environment (as a user's shell)."""

    env: dict[str, str | None] = field(default_factory=dict)
    runner: CliRunner = field(default_factory=CliRunner)

    def __call__(
        self,
        *args: str,
        input: str | bytes | None = None,
        code: int | None = 0,
        env: dict[str, str | None] | None = None,
    ) -> Result:
        result = self.runner.invoke(
            cli,
            list(args),
            input=input,
            env={**self.env, **(env or {})},
            obj=AppState(),
            catch_exceptions=True,
        )
        if code is not None and result.exit_code != code:
            detail = (
                f"dhis2w {' '.join(args)} exited {result.exit_code}, expected {code}\n"
                f"stdout: {result.stdout}\nstderr: {result.stderr}"
            )
            if result.exc_info and not isinstance(result.exception, SystemExit):
                import traceback

                detail += "".join(traceback.format_exception(*result.exc_info))
            raise AssertionError(detail)
        return result

    def json(self, *args: str, **kw: Any) -> Any:
        """Run with ``--json`` and parse stdout, which must hold nothing but JSON."""
        result = self("--json", *args, **kw)
        return json.loads(result.stdout)

    def as_user(self, username: str, password: str) -> Dhis2Runner:
        return Dhis2Runner(
            env={**self.env, "DHIS2_USERNAME": username, "DHIS2_PASSWORD": password},
            runner=self.runner,
        )
