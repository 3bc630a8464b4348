"""``_wire.next_step``: the request loop's decisions as a table, without any server.

Each row is one attempt's outcome (an answer's status, or a transport error and whether the
status line had arrived) and what the loop must do: retry after N seconds, raise a given
error, or take the answer. The twins only run the loop; every rule lives here.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

import httpx
import pytest

from dhis2w import SendOutcomeUnknownError, TransportError
from dhis2w._wire import Retry, RetryPolicy, next_step

POLICY = RetryPolicy(max_retries=3, backoff_base=0.5, backoff_cap=30.0, timeout=12.0)


def _certificate_failure() -> httpx.ConnectError:
    cause = ssl.SSLCertVerificationError(1, "certificate verify failed")
    cause.verify_message = "self-signed certificate"
    error = httpx.ConnectError("TLS failed")
    error.__cause__ = cause
    return error


@dataclass(frozen=True)
class Row:
    name: str
    method: str = "GET"
    attempt: int = 0
    status: int | None = None
    retry_after: str | None = None
    error: BaseException | None = None
    answered: bool = False
    unknown_on_loss: bool = False
    # expected: a delay (retry), an error type and words of its message (raise), or None
    delay: float | None = None
    raises: type[Exception] | None = None
    words: tuple[str, ...] = ()


ROWS = [
    # answers
    Row("2xx stands", status=200),
    Row("404 stands (raise_for_response maps it)", status=404),
    Row("GET 503 retried with backoff", status=503, delay=0.5),
    Row("GET 500 retried (DHIS2 uses 500 for short trouble)", status=500, attempt=2, delay=2.0),
    Row("GET 429 honours Retry-After", status=429, retry_after="7", delay=7.0),
    Row("GET 503 asking beyond the cap stands", status=503, retry_after="120"),
    Row("GET 503 out of budget stands", status=503, attempt=3),
    Row("POST 503 never retried", method="POST", status=503),
    Row("DELETE 502 never retried", method="DELETE", status=502),
    # failures before anything was sent
    Row("connect error retried for POST", method="POST", error=httpx.ConnectError("x"), delay=0.5),
    Row(
        "connect timeout retried for GET",
        error=httpx.ConnectTimeout("x"),
        attempt=1,
        delay=1.0,
    ),
    Row("pool timeout retried", method="PUT", error=httpx.PoolTimeout("x"), delay=0.5),
    Row(
        "connect error out of budget",
        method="POST",
        attempt=3,
        error=httpx.ConnectError("x"),
        raises=TransportError,
        words=("POST /api/x failed: could not connect to dhis2.example.org", "ConnectError"),
    ),
    Row(
        "connect timeout out of budget names the profile's timeout",
        attempt=3,
        error=httpx.ConnectTimeout("x"),
        raises=TransportError,
        words=("no connection within 12 s, the profile's timeout",),
    ),
    Row(
        "bad certificate never retried",
        error=_certificate_failure(),
        raises=TransportError,
        words=("could not be verified (self-signed certificate)",),
    ),
    # timeouts once sent
    Row(
        "read timeout on GET not retried",
        error=httpx.ReadTimeout("x"),
        raises=TransportError,
        words=("timed out: no answer within 12 s", "raise `timeout` in the profile"),
    ),
    Row(
        "write timeout on a send: outcome unknown",
        method="POST",
        error=httpx.WriteTimeout("x"),
        unknown_on_loss=True,
        raises=SendOutcomeUnknownError,
        words=("may or may not have been applied",),
    ),
    # connection lost after sending
    Row("GET dropped: retried", error=httpx.RemoteProtocolError("x"), delay=0.5),
    Row(
        "GET body cut off: retried",
        error=httpx.ReadError("x"),
        answered=True,
        attempt=1,
        delay=1.0,
    ),
    Row(
        "GET dropped out of budget",
        attempt=3,
        error=httpx.ReadError("boom"),
        raises=TransportError,
        words=("GET /api/x failed: ReadError: boom",),
    ),
    Row(
        "GET body cut off out of budget",
        attempt=3,
        error=httpx.ReadError("boom"),
        answered=True,
        raises=TransportError,
        words=("failed reading the answer: ReadError",),
    ),
    Row(
        "POST dropped: plain transport error when the outcome does not matter",
        method="POST",
        error=httpx.RemoteProtocolError("x"),
        raises=TransportError,
        words=("POST /api/x failed: RemoteProtocolError",),
    ),
    Row(
        "send dropped: outcome unknown, never retried",
        method="POST",
        error=httpx.RemoteProtocolError("x"),
        unknown_on_loss=True,
        raises=SendOutcomeUnknownError,
        words=("the connection failed after the request was sent", "check before sending"),
    ),
    Row(
        "send answer cut off: outcome unknown",
        method="POST",
        error=httpx.ReadError("x"),
        answered=True,
        unknown_on_loss=True,
        raises=SendOutcomeUnknownError,
        words=("the answer was cut off (ReadError)",),
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_next_step(row: Row) -> None:
    step = next_step(
        method=row.method,
        path="/api/x",
        host="dhis2.example.org",
        attempt=row.attempt,
        policy=POLICY,
        status=row.status,
        retry_after=row.retry_after,
        error=row.error,
        answered=row.answered,
        outcome_unknown_on_loss=row.unknown_on_loss,
    )
    if row.delay is not None:
        assert step == Retry(row.delay)
    elif row.raises is not None:
        assert type(step) is row.raises
        for words in row.words:
            assert words in str(step)
    else:
        assert step is None


def test_send_outcome_unknown_is_a_transport_error() -> None:
    """Callers catching TransportError still see a lost send; nothing is retried by them."""
    step = next_step(
        method="POST",
        path="/api/messageConversations",
        host="h",
        attempt=0,
        policy=POLICY,
        error=httpx.ReadError("x"),
        outcome_unknown_on_loss=True,
    )
    assert isinstance(step, TransportError)
