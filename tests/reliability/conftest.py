"""Reliability suite: a session-wide tally of what was tried, printed after the run.

The README's Reliability section quotes these figures. Each test adds what it actually did
(faults injected and survived, messages checked, property cases run, secret channels swept),
so the summary is a count of work done, never a constant.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator

import pytest
from hypothesis import settings

# CI sets DHIS2W_HYPOTHESIS_PROFILE=ci: the same examples on every run, so a red build is a
# regression, not an unlucky draw. Elsewhere each run explores new examples (and the local
# .hypothesis database replays any failure it found).
settings.register_profile("ci", derandomize=True, database=None)
settings.load_profile(os.environ.get("DHIS2W_HYPOTHESIS_PROFILE", "default"))

#: Order and wording of the summary lines.
LABELS = {
    "faults": "faults injected and survived",
    "messages": "messages sent and checked",
    "lost": "messages lost",
    "duplicated": "messages duplicated",
    "property_cases": "property cases tried",
    "secret_channels": "secret channels swept",
    "isolation_checks": "non-participant endpoint checks",
    "reconciled": "lost answers reconciled",
    "unresolved": "unresolved",
}

#: Keys printed together on one line, after the first one's label ("a: 1, b: 0").
_JOINED = {"reconciled": ("reconciled", "unresolved")}

_TALLY: Counter[str] = Counter()


class Tally:
    """What the reliability tests tried; ``add`` only ever counts real work."""

    def add(self, key: str, n: int = 1) -> None:
        if key not in LABELS:
            raise KeyError(f"unknown tally key {key!r}; add it to LABELS")
        _TALLY[key] += n

    def __getitem__(self, key: str) -> int:
        return _TALLY[key]


@pytest.fixture(scope="session")  # stateless handle: safe to share across hypothesis examples
def tally() -> Iterator[Tally]:
    yield Tally()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _TALLY:
        return
    terminalreporter.section("dhis2w reliability")
    joined = {key for keys in _JOINED.values() for key in keys}
    for key, label in LABELS.items():
        if key in _JOINED:
            line = ", ".join(f"{LABELS[k]}: {_TALLY[k]:,}" for k in _JOINED[key])
            terminalreporter.write_line(line)
        elif key not in joined:
            terminalreporter.write_line(f"{label}: {_TALLY[key]:,}")
