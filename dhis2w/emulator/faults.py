"""Fault switches for reliability tests: latency, error bursts, lost and truncated answers.

The server consults these per request. Counters are decremented under a lock so that N
concurrent requests see exactly N faults between them.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from dhis2w.emulator.exchange import Response, encode, envelope, web_message

__all__ = ["FailSpec", "Faults", "fault_response"]


def _method(method: str | None) -> str | None:
    return method.upper() if method else None


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class FailSpec:
    """How to answer a request picked by :meth:`Faults.fail_next` (and the session faults).

    ``kind`` is ``status`` (an error envelope with ``status``), ``unauthorized`` (the 401
    DHIS2 gives credentials it no longer accepts) or ``login_page`` (a 200 HTML login form,
    as a proxy or single-sign-on gateway in front of DHIS2 answers once a session ends).
    ``method`` limits the fault to requests with that method (``None``: any request).
    """

    status: int
    retry_after: float | int | None
    method: str | None = None
    kind: str = "status"

    def applies_to(self, method: str) -> bool:
        return self.method is None or self.method == method.upper()


class Faults:
    """Per-server fault switches; all methods are thread-safe and return ``self``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latency = 0.0
        self._jitter = 0.0
        self._fail: list[FailSpec] = []
        self._drop = 0
        self._truncate = 0
        self._storage_delay: float | None = None

    def storage_delay(self, seconds: float | None) -> Faults:
        """Uploads read as PENDING for ``seconds`` before they are STORED (``None``: back to
        the server's configured delay). Not a per-request fault: it changes the window in
        which a client must poll ``storageStatus``."""
        if seconds is not None and not (seconds >= 0 and seconds != float("inf")):
            raise ValueError("storage_delay must be a finite number of seconds >= 0")
        with self._lock:
            self._storage_delay = None if seconds is None else float(seconds)
        return self

    def storage_delay_override(self) -> float | None:
        with self._lock:
            return self._storage_delay

    def latency(self, seconds: float, jitter: float = 0.0) -> Faults:
        """Delay every request by ``seconds`` plus a uniform random ``[0, jitter]``."""
        if seconds < 0 or jitter < 0:
            raise ValueError("latency and jitter must be >= 0")
        with self._lock:
            self._latency = float(seconds)
            self._jitter = float(jitter)
        return self

    def fail_next(
        self,
        n: int = 1,
        status: int = 503,
        retry_after: float | int | None = None,
        method: str | None = None,
    ) -> Faults:
        """Answer the next ``n`` requests (of ``method``, if given) with ``status`` (5xx or
        429), not handling them."""
        if not (status == 429 or 500 <= status <= 599):
            raise ValueError("fail_next status must be 429 or 5xx")
        return self._queue(n, FailSpec(status, retry_after, _method(method)))

    def unauthorized_next(self, n: int = 1, method: str | None = None) -> Faults:
        """The next ``n`` requests get DHIS2's 401, as if the credentials were revoked."""
        return self._queue(n, FailSpec(401, None, _method(method), kind="unauthorized"))

    def login_page_next(self, n: int = 1, method: str | None = None) -> Faults:
        """The next ``n`` requests get a 200 HTML login form (a proxy's session expired)."""
        return self._queue(n, FailSpec(200, None, _method(method), kind="login_page"))

    def _queue(self, n: int, spec: FailSpec) -> Faults:
        if n < 0:
            raise ValueError("n must be >= 0")
        with self._lock:
            self._fail.extend([spec] * n)
        return self

    def drop_after_commit(self, n: int = 1) -> Faults:
        """For the next ``n`` writes: do and commit the work, then close without answering."""
        with self._lock:
            self._drop += n
        return self

    def truncate_next(self, n: int = 1) -> Faults:
        """The next ``n`` responses announce their full length but send only part of it."""
        with self._lock:
            self._truncate += n
        return self

    def clear(self) -> Faults:
        """Switch every fault off."""
        with self._lock:
            self._latency = 0.0
            self._jitter = 0.0
            self._fail.clear()
            self._drop = 0
            self._truncate = 0
            self._storage_delay = None
        return self

    # --- used by the server --------------------------------------------------------------

    def delay(self) -> float:
        with self._lock:
            if not self._latency and not self._jitter:
                return 0.0
            return self._latency + (random.uniform(0, self._jitter) if self._jitter else 0.0)

    def take_failure(self, method: str) -> FailSpec | None:
        """The first queued failure that applies to a ``method`` request, taken off the queue."""
        with self._lock:
            for index, spec in enumerate(self._fail):
                if spec.applies_to(method):
                    return self._fail.pop(index)
            return None

    def take_drop(self, method: str) -> bool:
        if method not in WRITE_METHODS:
            return False
        with self._lock:
            if self._drop > 0:
                self._drop -= 1
                return True
            return False

    def take_truncate(self) -> bool:
        with self._lock:
            if self._truncate > 0:
                self._truncate -= 1
                return True
            return False

    @property
    def active(self) -> bool:
        """Cheap check so the no-fault path costs one attribute read."""
        return bool(self._latency or self._jitter or self._fail or self._drop or self._truncate)


#: What a single-sign-on proxy in front of DHIS2 answers once its session has ended.
_LOGIN_PAGE = (
    b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>"
    b'<form method="post" action="/sso/login"><input name="username">'
    b'<input type="password" name="password"><button>Sign in</button></form></body></html>'
)


def fault_response(failure: FailSpec) -> Response:
    """The answer sent instead of handling a request picked by a fault switch."""
    if failure.kind == "unauthorized":
        return web_message(401, "Unauthorized")
    if failure.kind == "login_page":
        return Response(200, [("Content-Type", "text/html;charset=UTF-8")], _LOGIN_PAGE)
    extra = []
    if failure.retry_after is not None:
        extra.append(("Retry-After", _fmt_retry(failure.retry_after)))
    return Response(
        failure.status,
        [
            ("Content-Type", "application/json;charset=UTF-8"),
            ("Cache-Control", "no-cache, private"),
            *extra,
        ],
        encode(envelope(failure.status, "Injected fault (dhis2w emulator)")),
    )


def _fmt_retry(value: float | int) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
