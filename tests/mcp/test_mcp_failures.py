"""How a lost send reaches an agent: what the client's own check found decides the hint."""

from __future__ import annotations

from typing import Any

import pytest

from dhis2w import ReadBackError, SendOutcomeUnknownError
from dhis2w.mcp.failures import error_result


def _error(exc: BaseException) -> dict[str, Any]:
    result = error_result(exc)
    assert result.is_error
    assert result.structured_content is not None
    error: dict[str, Any] = result.structured_content["error"]
    return error


@pytest.mark.parametrize(
    ("exc", "checked", "candidates", "words"),
    [
        (SendOutcomeUnknownError("lost"), False, None, "could not be asked"),
        (
            SendOutcomeUnknownError("lost", checked=True),
            True,
            None,
            "did not find it: it was most likely not stored",
        ),
        (
            SendOutcomeUnknownError("lost", checked=True, candidates=["AbcDef12345", "Xyz"]),
            True,
            ["AbcDef12345", "Xyz"],
            "do not send again",
        ),
    ],
)
def test_send_outcome_unknown_says_what_the_check_found(
    exc: SendOutcomeUnknownError, checked: bool, candidates: list[str] | None, words: str
) -> None:
    error = _error(exc)
    assert error["kind"] == "send_outcome_unknown"
    assert error["checked"] is checked
    assert error.get("candidates") == candidates
    assert words in error["hint"]


def test_read_back_error_names_the_stored_conversation() -> None:
    error = _error(ReadBackError("stored, not read back", uid="AbcDef12345"))
    assert error["kind"] == "sent_not_read_back"
    assert error["conversation"] == "AbcDef12345"
    assert "do not send it again" in error["hint"]
