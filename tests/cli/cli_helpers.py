"""Assertion helpers for the CLI tests (imported by the test modules)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from click.testing import Result

UID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]{10}$")
ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def single_error_line(result: Result) -> str:
    """The error output must be exactly one line, starting with ``Error:``, no traceback."""
    err = lines(result.stderr)
    assert len(err) == 1, result.stderr
    assert err[0].startswith("Error: "), err[0]
    assert "Traceback" not in result.output
    return err[0]


def ids(rows: Sequence[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in rows]
