"""``dhis2w mcp serve`` and ``dhis2w emulator serve`` wiring (the servers themselves are
tested by their owners; the end-to-end test runs the real emulator)."""

from __future__ import annotations

import base64
import json
import re
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cli_helpers import Dhis2Runner, console_script
from dhis2w.cli import servers as servers_module
from dhis2w.cli.servers import FaultOptions, build_emulator_server

from dhis2w.emulator import seed as S

#: ``dhis2w mcp serve`` needs the optional ``mcp`` extra; CI's dependency-floor run has none
#: (there, ``mcp`` alone would find the tests/mcp folder as a namespace package).
needs_mcp = pytest.mark.skipif(
    not servers_module._mcp_sdk_installed(), reason="the optional mcp extra is not installed"
)


@needs_mcp
def test_mcp_serve_passes_its_options(monkeypatch: pytest.MonkeyPatch) -> None:
    import dhis2w.mcp as mcp_package

    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(mcp_package, "serve_stdio", lambda *a: calls.append(a))
    run = Dhis2Runner()
    result = run("-p", "demo", "mcp", "serve", "--read-only")
    assert result.stdout == ""  # stdout belongs to the protocol
    run("mcp", "serve")
    run("mcp", "serve", env={"DHIS2W_MCP_READONLY": "1"})
    here = Path.cwd()
    run("mcp", "serve", "--upload-dir", str(here), "--upload-dir", str(here.parent))
    run("mcp", "serve", "--allow-profile", "hq", "--allow-profile", "bo")
    run("mcp", "serve", "--max-text-chars", "500")
    assert calls == [
        ("demo", True, None, None, None),
        (None, False, None, None, None),
        (None, True, None, None, None),
        (None, False, (here, here.parent), None, None),
        (None, False, None, ("hq", "bo"), None),
        (None, False, None, None, 500),
    ]
    missing = run("mcp", "serve", "--upload-dir", str(here / "no-such-dir"), code=2)
    assert "does not exist" in missing.stderr
    too_small = run("mcp", "serve", "--max-text-chars", "5", code=2)
    assert "max-text-chars" in too_small.stderr


@needs_mcp
def test_mcp_serve_refuses_a_root_upload_folder() -> None:
    """Refused at start-up, exit 2, saying why, before any protocol is spoken."""
    result = Dhis2Runner()("-p", "demo", "mcp", "serve", "--upload-dir", "/", code=2)
    assert "filesystem root" in result.stderr
    assert result.stdout == ""


def test_emulator_serve_applies_faults_and_prints_the_banner(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import dhis2w.emulator as emulator

    made: list[Any] = []

    class FakeFaults:
        def __init__(self) -> None:
            self.calls: list[tuple[Any, ...]] = []

        def latency(self, s: float, jitter: float = 0.0) -> None:
            self.calls.append(("latency", s, jitter))

        def fail_next(self, n: int, status: int, retry_after: float | None = None) -> None:
            self.calls.append(("fail_next", n, status, retry_after))

        def drop_after_commit(self, n: int) -> None:
            self.calls.append(("drop_after_commit", n))

        def truncate_next(self, n: int) -> None:
            self.calls.append(("truncate_next", n))

        def unauthorized_next(self, n: int) -> None:
            self.calls.append(("unauthorized_next", n))

        def login_page_next(self, n: int) -> None:
            self.calls.append(("login_page_next", n))

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
            "--latency-jitter", "0.1", "--fail-next", "2", "--fail-status", "500",
            "--retry-after", "3", "--drop-after-commit", "4", "--truncate-next", "5",
            "--unauthorized-next", "6", "--login-page-next", "7",
            "--max-upload-size", "1000")  # fmt: skip
    result = Dhis2Runner()(*args)  # Ctrl-C is a clean exit 0
    (srv,) = made
    assert srv.kw == {"host": "127.0.0.1", "port": 0, "db": None, "seed": "empty",
                      "max_upload_size": 1000, "log_requests": False}  # fmt: skip
    assert srv.faults.calls == [
        ("latency", 0.2, 0.1),
        ("fail_next", 2, 500, 3.0),
        ("drop_after_commit", 4),
        ("truncate_next", 5),
        ("unauthorized_next", 6),
        ("login_page_next", 7),
    ]
    assert srv.stopped
    assert "listening on http://x:1" in result.stderr
    faults = next(line for line in result.stderr.splitlines() if "Faults:" in line)
    phrases = (
        "latency 0.2s + up to 0.1s random",
        "next 2 requests answered 500, Retry-After: 3",
        "next 4 writes committed",
        "next 5 responses truncated",
        "next 6 requests answered 401",
        "next 7 requests answered with an HTML login page",
    )
    for phrase in phrases:
        assert phrase in faults, faults


def test_emulator_serve_without_faults_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    import dhis2w.emulator as emulator

    applied: list[FaultOptions | None] = []

    class FakeServer:
        url = "http://x:1"

        def serve_forever(self) -> None:
            raise KeyboardInterrupt

        def stop(self) -> None:
            pass

    def fake_build(**kw: Any) -> FakeServer:
        applied.append(kw["faults"])
        return FakeServer()

    import dhis2w.cli.servers as servers

    monkeypatch.setattr(servers, "build_emulator_server", fake_build)
    monkeypatch.setattr(emulator, "banner", lambda srv: "listening")
    result = Dhis2Runner()("emulator", "serve", "--port", "0")
    assert applied == [FaultOptions()]  # the defaults switch nothing on
    assert "Faults:     none" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--fail-next", "1", "--fail-status", "450"), "450 is not 429 or 5xx"),
        (("--fail-next", "1", "--fail-status", "600"), "600 is not 429 or 5xx"),
        (("--fail-next", "1", "--fail-status", "200"), "200 is not 429 or 5xx"),
        (("--fail-next", "1", "--fail-status", "abc"), "is not an HTTP status code"),
        (("--fail-next", "-1"), "--fail-next"),
        (("--drop-after-commit", "-1"), "--drop-after-commit"),
        (("--truncate-next", "-3"), "--truncate-next"),
        (("--latency", "-0.5"), "--latency"),
        (("--latency", "nan"), "--latency"),
        (("--latency-jitter", "-1"), "--latency-jitter"),
        (("--latency-jitter", "inf"), "--latency-jitter"),
        (("--fail-next", "1", "--retry-after", "-2"), "--retry-after"),
        (
            (
                "--fail-status",
                "503",
            ),
            "--fail-status only applies with --fail-next",
        ),
        (
            (
                "--retry-after",
                "5",
            ),
            "--retry-after only applies with --fail-next",
        ),
    ],
)
def test_emulator_serve_refuses_bad_fault_values_before_starting(
    monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], message: str
) -> None:
    import dhis2w.emulator as emulator

    def never(**kw: Any) -> None:
        raise AssertionError("the server must not be built for a usage error")

    monkeypatch.setattr(emulator, "EmulatorServer", never)
    result = Dhis2Runner()("emulator", "serve", "--port", "0", *args, code=2)
    assert message in result.stderr, result.stderr
    assert "Usage:" in result.stderr and "Traceback" not in result.output
    assert "unexpected" not in result.stderr


@pytest.mark.parametrize("status", ["429", "500", "503", "599"])
def test_emulator_serve_accepts_429_and_5xx(monkeypatch: pytest.MonkeyPatch, status: str) -> None:
    import dhis2w.cli.servers as servers

    import dhis2w.emulator as emulator

    seen: list[FaultOptions] = []

    class FakeServer:
        url = "http://x:1"

        def serve_forever(self) -> None:
            raise KeyboardInterrupt

        def stop(self) -> None:
            pass

    def fake_build(**kw: Any) -> FakeServer:
        seen.append(kw["faults"])
        return FakeServer()

    monkeypatch.setattr(servers, "build_emulator_server", fake_build)
    monkeypatch.setattr(emulator, "banner", lambda srv: "listening")
    result = Dhis2Runner()("emulator", "serve", "--fail-next", "1", "--fail-status", status)
    assert [f.fail_status for f in seen] == [int(status)]
    assert f"answered {status}" in result.stderr


def test_emulator_serve_help_lists_every_fault_flag() -> None:
    out = Dhis2Runner()("emulator", "serve", "--help").stdout
    for flag in ("--latency SECONDS", "--latency-jitter SECONDS", "--fail-next N",
                 "--fail-status CODE", "--retry-after SECONDS", "--drop-after-commit N",
                 "--truncate-next N", "--unauthorized-next N", "--login-page-next N"):  # fmt: skip
        assert flag in out, out
    assert "429 or 500-599" in out


def test_built_server_has_the_latency_and_jitter_switched_on() -> None:
    srv = build_emulator_server(faults=FaultOptions(latency=0.25, latency_jitter=0.5))
    try:
        delays = [srv.faults.delay() for _ in range(50)]  # not timed: the configured bounds
        assert all(0.25 <= d <= 0.75 for d in delays)
        assert len(set(delays)) > 1  # the jitter is random
    finally:
        srv.stop()


def test_built_server_answers_429_with_retry_after() -> None:
    faults = FaultOptions(fail_next=1, fail_status=429, retry_after=2.5)
    with build_emulator_server(faults=faults) as srv:
        first = _exchange(srv.url, "GET", "/api/me")
        second = _exchange(srv.url, "GET", "/api/me")
    assert _status(first) == 429 and _header(first, "Retry-After") == "2.5"
    assert _status(second) == 200


# --- the real console script, faults switched on from its flags -------------------------

_LISTENING = re.compile(r"listening on (http://\S+)")


@pytest.fixture
def faulty_emulator() -> Iterator[tuple[str, list[str]]]:
    """``dhis2w emulator serve --port 0`` with one of each fault; its URL and banner."""
    flags = ("--fail-next", "1", "--fail-status", "503", "--retry-after", "7",
             "--truncate-next", "1", "--drop-after-commit", "1")  # fmt: skip
    proc = subprocess.Popen(
        [console_script(), "emulator", "serve", "--port", "0", *flags],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        banner: list[str] = []
        while not banner or "Faults:" not in banner[-1]:
            line = proc.stderr.readline()
            assert line, f"the emulator exited early: {''.join(banner)}"
            banner.append(line)
        found = _LISTENING.search(banner[0])
        assert found, banner
        threading.Thread(target=proc.stderr.read, daemon=True).start()  # never block it
        yield found.group(1), banner
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_console_script_serves_the_faults_from_its_flags(
    faulty_emulator: tuple[str, list[str]],
) -> None:
    url, banner = faulty_emulator
    faults = banner[-1]
    assert "next 1 request answered 503, Retry-After: 7" in faults
    assert "next 1 write committed, then the connection closed unanswered" in faults
    assert "next 1 response truncated" in faults

    # 1. the first request, whatever it is, gets the injected 503 with Retry-After
    failed = _exchange(url, "GET", "/api/me")
    assert _status(failed) == 503
    assert _header(failed, "Retry-After") == "7"
    assert json.loads(_body(failed))["httpStatusCode"] == 503

    # 2. the next answer announces its full length but the body is cut
    cut = _exchange(url, "GET", "/api/me")
    assert _status(cut) == 200
    assert 0 < len(_body(cut)) < int(_header(cut, "Content-Length") or 0)

    # 3. a write is committed, but the connection closes without any answer
    send = {"subject": "Committed, unanswered", "text": "t", "users": [{"id": S.FATMATA.uid}]}
    assert _exchange(url, "POST", "/api/messageConversations", json.dumps(send)) == b""
    found = _exchange(url, "GET", "/api/messageConversations?fields=subject"
                      "&filter=subject:eq:Committed,%20unanswered")  # fmt: skip
    assert _status(found) == 200
    assert json.loads(_body(found))["messageConversations"] == [{"subject": send["subject"]}]

    # 4. every fault was one-shot: back to normal
    normal = _exchange(url, "GET", "/api/me")
    assert _status(normal) == 200
    assert json.loads(_body(normal))["username"] == S.ADMIN.username


def _exchange(url: str, method: str, path: str, body: str = "") -> bytes:
    """One raw HTTP/1.1 request as admin; everything the server sent until it closed."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    auth = base64.b64encode(f"{S.ADMIN.username}:{S.ADMIN.password}".encode()).decode()
    data = body.encode()
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Basic {auth}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
        "Connection: close\r\n\r\n"
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(head.encode() + data)
        out = b""
        while chunk := sock.recv(65536):
            out += chunk
    return out


def _status(raw: bytes) -> int:
    return int(raw.split(b" ", 2)[1])


def _header(raw: bytes, name: str) -> str | None:
    head = raw.partition(b"\r\n\r\n")[0].decode("latin-1")
    for line in head.split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return None


def _body(raw: bytes) -> bytes:
    return raw.partition(b"\r\n\r\n")[2]


# --- --workers --------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-2", "abc", "1.5"])
def test_emulator_serve_refuses_bad_worker_counts(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    import dhis2w.emulator as emulator

    def never(**kw: Any) -> None:
        raise AssertionError("the server must not be built for a usage error")

    monkeypatch.setattr(emulator, "EmulatorServer", never)
    result = Dhis2Runner()("emulator", "serve", "--port", "0", "--workers", value, code=2)
    assert "--workers" in result.stderr and "Usage:" in result.stderr, result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("workers", [1, 3])
def test_emulator_serve_passes_workers_and_names_them(
    monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    import dhis2w.emulator as emulator

    made: list[Any] = []

    class FakeServer:
        url, worker_pids, db_path = "http://x:1", [11, 12], "/tmp/x/emulator.sqlite3"

        def __init__(self, **kw: Any) -> None:
            self.kw, self.faults, self.calls = kw, emulator.Faults(), []
            made.append(self)

        def start_workers(self) -> None:
            self.calls.append("start_workers")

        def serve_forever(self) -> None:
            self.calls.append("serve_forever")
            raise KeyboardInterrupt

        def stop(self) -> None:
            self.calls.append("stop")

    monkeypatch.setattr(emulator, "EmulatorServer", FakeServer)
    monkeypatch.setattr(emulator, "banner", lambda srv: f"listening on {srv.url}")
    args = ["emulator", "serve", "--port", "0", "--fail-next", "1"]
    if workers != 1:
        args += ["--workers", str(workers)]
    result = Dhis2Runner()(*args)
    (srv,) = made
    line = next(x for x in result.stderr.splitlines() if "Workers:" in x)
    faults = next(x for x in result.stderr.splitlines() if "Faults:" in x)
    if workers == 1:
        assert "workers" not in srv.kw  # the default builds the server exactly as before
        assert srv.calls == ["serve_forever", "stop"]
        assert "1 process" in line and "each worker" not in faults
    else:
        assert srv.kw["workers"] == 3
        assert srv.calls == ["start_workers", "serve_forever", "stop"]
        assert "3 processes" in line and "11, 12" in line and "/tmp/x/emulator.sqlite3" in line
        assert "(counted in each worker)" in faults


def test_emulator_serve_help_lists_workers() -> None:
    out = Dhis2Runner()("emulator", "serve", "--help").stdout
    assert "--workers N" in out


def test_console_script_serves_one_port_from_two_workers() -> None:
    proc = subprocess.Popen(
        [console_script(), "emulator", "serve", "--port", "0", "--workers", "2"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    pids: list[int] = []
    try:
        assert proc.stderr is not None
        banner: list[str] = []
        while not banner or "Faults:" not in banner[-1]:
            line = proc.stderr.readline()
            assert line, f"the emulator exited early: {''.join(banner)}"
            banner.append(line)
        found = _LISTENING.search(banner[0])
        assert found, banner
        workers = next(x for x in banner if "Workers:" in x)
        pids = [int(p) for p in re.findall(r"\d+", workers.split("pids", 1)[1].split(")")[0])]
        assert len(pids) == 1
        threading.Thread(target=proc.stderr.read, daemon=True).start()
        for _ in range(8):  # whichever process the kernel picks answers
            assert _status(_exchange(found.group(1), "GET", "/api/me")) == 200
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    for pid in pids:  # the parent waited for its worker: it is gone, not orphaned
        assert not Path(f"/proc/{pid}").exists() or _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def test_console_script_removes_its_temp_folder_on_sigterm(tmp_path: Path) -> None:
    """A single-process ``dhis2w emulator serve`` keeps uploads in a temporary folder; SIGTERM
    (what ``docker stop``, systemd and CI runners send) removes it, as Ctrl-C does."""
    import os

    import httpx

    env = {**os.environ, "TMPDIR": str(tmp_path)}  # where tempfile puts the folder
    proc = subprocess.Popen(
        [console_script(), "emulator", "serve", "--port", "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stderr is not None
        banner: list[str] = []
        while not banner or "Faults:" not in banner[-1]:
            line = proc.stderr.readline()
            assert line, f"the emulator exited early: {''.join(banner)}"
            banner.append(line)
        found = _LISTENING.search(banner[0])
        assert found, banner
        threading.Thread(target=proc.stderr.read, daemon=True).start()
        auth = (S.ADMIN.username, S.ADMIN.password)
        with httpx.Client(base_url=found.group(1), auth=auth, timeout=30) as client:
            r = client.post("/api/fileResources", files={"file": ("a.txt", b"x" * 200_000)})
            assert r.status_code == 202, r.text
        (folder,) = list(tmp_path.glob("dhis2w-emulator-*"))
        assert sum(f.stat().st_size for f in folder.iterdir()) >= 200_000  # the upload is there
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert list(tmp_path.glob("dhis2w-emulator-*")) == []


def test_emulator_serve_passes_connection_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    import dhis2w.emulator as emulator

    made: list[Any] = []

    class FakeServer:
        def __init__(self, **kw: Any) -> None:
            self.kw, self.url, self.faults = kw, "http://x:1", object()  # no fault is switched on
            made.append(self)

        def serve_forever(self) -> None:
            raise KeyboardInterrupt

        def stop(self) -> None:
            pass

    monkeypatch.setattr(emulator, "EmulatorServer", FakeServer)
    monkeypatch.setattr(emulator, "banner", lambda srv: "")
    Dhis2Runner()("emulator", "serve", "--idle-timeout", "5", "--request-timeout", "2.5",
                  "--max-connections", "40")  # fmt: skip
    (srv,) = made
    assert srv.kw["idle_timeout"] == 5.0
    assert srv.kw["request_timeout"] == 2.5
    assert srv.kw["max_connections"] == 40


@pytest.mark.parametrize(
    "args",
    [("--idle-timeout", "0"), ("--request-timeout", "-1"), ("--idle-timeout", "nan"),
     ("--request-timeout", "inf"), ("--max-connections", "0")],
)  # fmt: skip
def test_emulator_serve_refuses_bad_connection_limits(args: tuple[str, str]) -> None:
    result = Dhis2Runner()("emulator", "serve", *args, code=2)
    assert args[0] in result.stderr


def test_built_server_has_the_connection_limits() -> None:
    srv = build_emulator_server(idle_timeout=3.0, request_timeout=4.0, max_connections=7)
    try:
        limits = srv._server.limits
        assert (limits.idle_timeout, limits.request_timeout, limits.max_connections) == (3, 4, 7)
    finally:
        srv.stop()


def test_serve_flag_defaults_are_the_servers_defaults() -> None:
    """The CLI keeps its own copy of the defaults (it imports the emulator lazily)."""
    from dhis2w.cli import servers

    from dhis2w.emulator.http11 import Limits

    limits = Limits()
    assert limits.idle_timeout == servers._IDLE_TIMEOUT
    assert limits.request_timeout == servers._REQUEST_TIMEOUT
    assert limits.max_connections == servers._MAX_CONNECTIONS


def test_emulator_serve_passes_the_storage_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    import dhis2w.emulator as emulator

    given: list[float | None] = []

    class FakeServer:
        url = "http://x:1"

        def serve_forever(self) -> None:
            raise KeyboardInterrupt

        def stop(self) -> None:
            pass

    def fake_build(**kw: Any) -> FakeServer:
        given.append(kw["storage_delay"])
        return FakeServer()

    import dhis2w.cli.servers as servers

    monkeypatch.setattr(servers, "build_emulator_server", fake_build)
    monkeypatch.setattr(emulator, "banner", lambda srv: "listening")
    result = Dhis2Runner()("emulator", "serve", "--port", "0", "--storage-delay", "2.5")
    assert given == [2.5]
    assert "uploads are STORED 2.5s after their 202" in result.stderr
    Dhis2Runner()("emulator", "serve", "--port", "0")
    assert given == [2.5, None]  # not given: the server's default (a few milliseconds)
    bad = Dhis2Runner()("emulator", "serve", "--storage-delay", "-1", code=2)
    assert "--storage-delay" in bad.stderr


def test_built_server_keeps_uploads_pending_for_the_storage_delay() -> None:
    with build_emulator_server(storage_delay=30.0) as srv:
        auth = ("admin", "district")
        r = httpx.post(f"{srv.url}/api/fileResources", files={"file": ("a.txt", b"abc")}, auth=auth)
        uid = r.json()["response"]["fileResource"]["id"]
        got = httpx.get(f"{srv.url}/api/fileResources/{uid}", auth=auth).json()
        assert got["storageStatus"] == "PENDING"  # 30 s: not a timing race
    with build_emulator_server() as srv:
        assert srv.app.storage_delay < 0.05  # the default: a few milliseconds, like DHIS2


def test_mcp_serve_without_the_extra_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without the optional ``mcp`` extra: a usage error naming the install, no traceback."""
    monkeypatch.setattr(servers_module, "_mcp_sdk_installed", lambda: False)
    result = Dhis2Runner()("-p", "demo", "mcp", "serve", code=2)
    assert "the MCP SDK is not installed" in result.stderr
    assert "pip install 'dhis2w[mcp]'" in result.stderr
    assert "Traceback" not in result.stderr
