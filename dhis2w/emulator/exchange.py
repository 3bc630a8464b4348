"""Sans-HTTP request and response values, and DHIS2's response envelopes.

The application (``app.py``) maps a :class:`Request` to a :class:`Response` without any
socket in sight, so it can be unit-tested directly; ``connector.py`` and ``http11.py`` are
the only places that speak HTTP/1.1. Envelope builders keep DHIS2's exact key order
(``@JsonPropertyOrder``).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, BinaryIO, Protocol
from urllib.parse import parse_qsl

import msgspec

__all__ = [
    "BodyReader",
    "Request",
    "Response",
    "WebMessageError",
    "json_response",
    "web_message",
]

_encoder = msgspec.json.Encoder()

NO_CACHE = ("Cache-Control", "no-cache, private")


class BodyReader(Protocol):
    """What the app needs from a request body: bounded ``read(n)``."""

    def read(self, n: int = -1, /) -> bytes: ...


@dataclass
class Request:
    """One HTTP request, already split into the parts the app routes on."""

    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    stream: BodyReader | BinaryIO = field(default_factory=io.BytesIO)
    scheme: str = "http"
    _body: bytes | None = None
    _params: list[tuple[str, str]] | None = None

    @classmethod
    def build(
        cls,
        method: str,
        target: str,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> Request:
        """Convenience for tests: ``Request.build("GET", "/api/me?fields=id")``."""
        path, _, query = target.partition("?")
        hdrs = {k.lower(): v for k, v in (headers or {}).items()}
        return cls(method, path, query, hdrs, io.BytesIO(body), _body=body)

    @property
    def body(self) -> bytes:
        """The whole body (read once; small bodies only, uploads use :attr:`stream`)."""
        if self._body is None:
            self._body = self.stream.read()
        return self._body

    @property
    def params(self) -> list[tuple[str, str]]:
        if self._params is None:
            self._params = parse_qsl(self.query, keep_blank_values=True)
        return self._params

    def param(self, name: str) -> str | None:
        for k, v in self.params:
            if k == name:
                return v
        return None

    def param_all(self, name: str) -> list[str]:
        """Every value of a repeated parameter, unsplit (filters hold commas)."""
        return [v for k, v in self.params if k == name]

    def param_list(self, name: str) -> list[str]:
        """Repeated and comma-separated values of ``name``, like Spring binds lists."""
        out: list[str] = []
        for k, v in self.params:
            if k == name:
                out.extend(x for x in v.split(",") if x)
        return out

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def content_type(self) -> str:
        return (self.headers.get("content-type") or "").split(";", 1)[0].strip().lower()

    @property
    def host(self) -> str:
        return self.headers.get("host") or "localhost"

    @property
    def origin(self) -> str:
        """``scheme://host[:port]`` as DHIS2's ``HttpServletRequestPaths.getContextPath`` builds it.

        ``X-Forwarded-Proto`` counts only when it is ``http``/``https`` (any case, kept as sent);
        the port is ``X-Forwarded-Port`` when it parses as an integer, else the Host header's
        port, else the connection's default; ports 80 and 443 are always left out, whatever
        the scheme.
        """
        fwd_proto = self.headers.get("x-forwarded-proto", "").strip()
        scheme = fwd_proto if fwd_proto.lower() in ("http", "https") else self.scheme
        name, port = _split_host(self.host)
        try:
            port = int(self.headers.get("x-forwarded-port", "").strip())
        except ValueError:
            if port is None:
                port = 443 if self.scheme == "https" else 80
        if port in (80, 443):
            return f"{scheme}://{name}"
        return f"{scheme}://{name}:{port}"


def _split_host(host: str) -> tuple[str, int | None]:
    """``name[:port]`` (also ``[v6]:port``) -> (name, port or None)."""
    if host.startswith("["):
        end = host.find("]")
        if end != -1:
            rest = host[end + 1 :]
            port = rest[1:] if rest.startswith(":") else ""
            return host[: end + 1], int(port) if port.isdigit() else None
    name, sep, port = host.rpartition(":")
    if sep and port.isdigit() and ":" not in name:
        return name, int(port)
    return host, None


@dataclass
class Response:
    """Status, headers and either ``body`` bytes or a ``stream`` of ``length`` bytes."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    stream: Iterator[bytes] | None = None
    length: int | None = None

    def header(self, name: str) -> str | None:
        low = name.lower()
        for k, v in self.headers:
            if k.lower() == low:
                return v
        return None


def encode(value: Any) -> bytes:
    return _encoder.encode(value)


def json_response(
    status: int, value: Any, headers: list[tuple[str, str]] | None = None
) -> Response:
    hdrs = [("Content-Type", "application/json;charset=UTF-8")]
    if status >= 400:
        hdrs.append(NO_CACHE)
    if headers:
        hdrs.extend(headers)
    return Response(status, hdrs, encode(value))


def phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def envelope(
    status: int,
    message: str | None = None,
    *,
    error_code: str | None = None,
    response: Any = None,
    dev_message: str | None = None,
) -> dict[str, Any]:
    """A WebMessage dict in DHIS2's key order; nulls omitted (``NON_NULL``)."""
    out: dict[str, Any] = {
        "httpStatus": phrase(status),
        "httpStatusCode": status,
        "status": "OK" if status < 300 else ("WARNING" if status < 400 else "ERROR"),
    }
    if message is not None:
        out["message"] = message
    if dev_message is not None:
        out["devMessage"] = dev_message
    if response is not None:
        out["response"] = response
    if error_code is not None:
        out["errorCode"] = error_code
    return out


def web_message(
    status: int,
    message: str | None = None,
    *,
    error_code: str | None = None,
    response: Any = None,
    headers: list[tuple[str, str]] | None = None,
) -> Response:
    return json_response(
        status, envelope(status, message, error_code=error_code, response=response), headers
    )


class WebMessageError(Exception):
    """Raised inside handlers to answer with a prepared response (usually a WebMessage).

    Named apart from the client's :class:`dhis2w.errors.ApiError`: this one is the server side,
    an answer the emulator sends, not an error a client receives.
    """

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response

    @classmethod
    def wm(cls, status: int, message: str, error_code: str | None = None) -> WebMessageError:
        return cls(web_message(status, message, error_code=error_code))

    @classmethod
    def root(cls, status: int, value: dict[str, Any]) -> WebMessageError:
        """A RootNode body (``{"message": ...}``), not a WebMessage."""
        return cls(json_response(status, value))
