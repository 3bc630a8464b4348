"""``dhis2w mcp serve`` and ``dhis2w emulator serve`` wiring (the servers themselves are
tested by their owners; the end-to-end test runs the real emulator)."""

from __future__ import annotations

from typing import Any

import pytest
from cli_helpers import Dhis2Runner


def test_mcp_serve_passes_profile_and_read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import dhis2w.mcp_server as mcp_server

    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(mcp_server, "serve_stdio", lambda *a: calls.append(a))
    run = Dhis2Runner()
    result = run("-p", "demo", "mcp", "serve", "--read-only")
    assert result.stdout == ""  # stdout belongs to the protocol
    run("mcp", "serve")
    run("mcp", "serve", env={"DHIS2W_MCP_READONLY": "1"})
    assert calls == [("demo", True), (None, False), (None, True)]


def test_emulator_serve_applies_faults_and_prints_the_banner(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import dhis2w.emulator as emulator

    made: list[Any] = []

    class FakeFaults:
        def __init__(self) -> None:
            self.calls: list[tuple[Any, ...]] = []

        def latency(self, s: float) -> None:
            self.calls.append(("latency", s))

        def fail_next(self, n: int, status: int) -> None:
            self.calls.append(("fail_next", n, status))

    class FakeServer:
        def __init__(self, **kw: Any) -> None:
            self.kw, self.faults, self.stopped, self.url = kw, FakeFaults(), False, "http://x:1"
            made.append(self)

        def serve_forever(self) -> None:
            raise KeyboardInterrupt  # what Ctrl-C does; the command must stop cleanly

        def stop(self) -> None:
            self.stopped = True

    monkeypatch.setattr(emulator, "EmulatorServer", FakeServer)
    monkeypatch.setattr(emulator, "banner", lambda srv: f"listening on {srv.url}")
    args = ("emulator", "serve", "--port", "0", "--seed", "empty", "--latency", "0.2",
            "--fail-next", "2", "--fail-status", "500", "--max-upload-size", "1000")  # fmt: skip
    result = Dhis2Runner()(*args)  # Ctrl-C is a clean exit 0
    (srv,) = made
    assert srv.kw == {"host": "127.0.0.1", "port": 0, "db": None, "seed": "empty",
                      "max_upload_size": 1000, "log_requests": False}  # fmt: skip
    assert srv.faults.calls == [("latency", 0.2), ("fail_next", 2, 500)]
    assert srv.stopped
    assert "listening on http://x:1" in result.stderr
