"""``EmulatorServer(workers=N)``: one port served by several processes on one SQLite file.

Which process answers a connection is the kernel's choice (``SO_REUSEPORT``), so the tests
find out: the server side of a connection is a socket in exactly one process, and
``/proc/net/tcp`` plus ``/proc/<pid>/fd`` name it. Nothing here is timed.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dhis2w.emulator import EmulatorServer
from dhis2w.emulator import seed as S

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not hasattr(socket, "SO_REUSEPORT"),
    reason="needs Linux SO_REUSEPORT and /proc",
)

_AUTH = "Basic " + base64.b64encode(f"{S.ADMIN.username}:{S.ADMIN.password}".encode()).decode()


def _socket_inodes(pid: int) -> set[str]:
    out: set[str] = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            out.add(target[8:-1])
    return out


def _server_inode(server_port: int, client_port: int) -> str | None:
    """Inode of the server-side socket of the loopback connection from ``client_port``."""
    want_local, want_remote = f"{server_port:04X}", f"{client_port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if local.endswith(":" + want_local) and remote.endswith(":" + want_remote):
                return inode
    return None


class _Conn:
    """A keep-alive connection that knows which process serves it."""

    def __init__(self, srv: EmulatorServer) -> None:
        self.http = http.client.HTTPConnection(srv.host, srv.port, timeout=30)
        self.http.connect()
        assert self.http.sock is not None
        self.client_port = self.http.sock.getsockname()[1]
        self.srv = srv

    def request(self, method: str, path: str, body: object = None) -> tuple[int, bytes]:
        headers = {"Authorization": _AUTH, "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.http.request(method, path, body=data, headers=headers)
        response = self.http.getresponse()
        return response.status, response.read()

    def owner(self) -> int:
        """The pid of the process holding the server side (after one request on it)."""
        inode = _server_inode(self.srv.port, self.client_port)
        assert inode is not None
        for pid in (os.getpid(), *self.srv.worker_pids):
            if inode in _socket_inodes(pid):
                return pid
        raise AssertionError("no emulator process holds the connection")

    def close(self) -> None:
        self.http.close()


def _alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
def two() -> Iterator[EmulatorServer]:
    srv = EmulatorServer(workers=2).start()
    try:
        yield srv
    finally:
        srv.stop()


def _connections_by_process(srv: EmulatorServer, tries: int = 200) -> dict[int, _Conn]:
    """Open connections until each process serves one (the kernel hashes them)."""
    found: dict[int, _Conn] = {}
    for _ in range(tries):
        conn = _Conn(srv)
        status, _ = conn.request("GET", "/api/me?fields=username")
        assert status == 200
        owner = conn.owner()
        if owner in found:
            conn.close()
        else:
            found[owner] = conn
        if len(found) == 1 + len(srv.worker_pids):
            break
    return found


def test_two_processes_answer_on_one_port(two: EmulatorServer) -> None:
    (worker,) = two.worker_pids
    assert worker != os.getpid() and _alive(worker)
    conns = _connections_by_process(two)
    try:
        assert set(conns) == {os.getpid(), worker}
        for conn in conns.values():
            status, body = conn.request("GET", "/api/me?fields=username")
            assert status == 200 and json.loads(body) == {"username": S.ADMIN.username}
    finally:
        for conn in conns.values():
            conn.close()


def test_a_write_through_one_process_is_read_through_the_other(two: EmulatorServer) -> None:
    conns = _connections_by_process(two)
    try:
        here, there = conns[os.getpid()], conns[two.worker_pids[0]]
        for writer, reader in ((here, there), (there, here)):
            subject = f"Written by {writer.owner()}"
            send = {"subject": subject, "text": "t", "users": [{"id": S.FATMATA.uid}]}
            status, _ = writer.request("POST", "/api/messageConversations", send)
            assert status == 201
            query = f"/api/messageConversations?fields=subject&filter=subject:eq:{subject}"
            status, body = reader.request("GET", query.replace(" ", "%20"))
            assert status == 200
            assert json.loads(body)["messageConversations"] == [{"subject": subject}]
    finally:
        for conn in conns.values():
            conn.close()


def test_faults_reach_every_worker_and_count_per_process(two: EmulatorServer) -> None:
    conns = _connections_by_process(two)
    try:
        two.faults.fail_next(1, status=503)
        for conn in conns.values():  # each process fails its own next request once
            assert conn.request("GET", "/api/me")[0] == 503
            assert conn.request("GET", "/api/me")[0] == 200
        two.faults.fail_next(5)
        two.faults.clear()  # and clear reaches them too
        for conn in conns.values():
            assert conn.request("GET", "/api/me")[0] == 200
    finally:
        for conn in conns.values():
            conn.close()


def test_the_storage_delay_switch_reaches_every_worker(two: EmulatorServer) -> None:
    conns = _connections_by_process(two)
    body = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nabc\r\n--b--\r\n"
    )

    def status_after_upload(conn: _Conn) -> str:
        headers = {"Authorization": _AUTH, "Content-Type": "multipart/form-data; boundary=b"}
        conn.http.request("POST", "/api/fileResources", body=body, headers=headers)
        uid = json.loads(conn.http.getresponse().read())["response"]["fileResource"]["id"]
        status, answer = conn.request("GET", f"/api/fileResources/{uid}")
        assert status == 200
        return str(json.loads(answer)["storageStatus"])

    try:
        two.faults.storage_delay(30.0)  # PENDING for the whole test, in every process
        assert {status_after_upload(c) for c in conns.values()} == {"PENDING"}
        two.faults.storage_delay(0)
        assert {status_after_upload(c) for c in conns.values()} == {"STORED"}
    finally:
        for conn in conns.values():
            conn.close()


def test_stop_ends_the_workers_and_removes_the_temporary_database() -> None:
    srv = EmulatorServer(workers=3).start()
    pids = srv.worker_pids
    db = srv.db_path
    assert len(pids) == 2 and all(_alive(p) for p in pids)
    assert db is not None and os.path.exists(db)
    srv.stop()
    assert not any(_alive(p) for p in pids)  # stop() waits for them: no orphans
    assert not os.path.exists(os.path.dirname(db))
    srv.stop()  # idempotent


def test_a_file_database_is_shared_and_kept(tmp_path: Path) -> None:
    db = tmp_path / "emu.sqlite3"
    with EmulatorServer(db=str(db), workers=2, seed="empty") as srv:
        assert srv.db_path == str(db) and len(srv.worker_pids) == 1
        srv.bulk_create_conversations(3)  # straight into the file, served by both
        conns = _connections_by_process(srv)
        try:
            for conn in conns.values():
                status, body = conn.request("GET", "/api/messageConversations?fields=id")
                assert status == 200 and len(json.loads(body)["messageConversations"]) == 3
        finally:
            for conn in conns.values():
                conn.close()
    assert db.exists()


def test_workers_exit_when_the_parent_dies(tmp_path: Path) -> None:
    import subprocess

    script = (  # a file database: a killed parent cannot remove a temporary one
        "import sys\n"
        "from dhis2w.emulator import EmulatorServer\n"
        f"srv = EmulatorServer(db={str(tmp_path / 'emu.sqlite3')!r}, workers=2).start()\n"
        "print(srv.worker_pids[0], flush=True)\n"
        "sys.stdin.read()\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    worker = int(parent.stdout.readline())
    assert _alive(worker)
    parent.kill()  # no stop(): the worker sees end of file on its pipe
    parent.wait()
    deadline = time.monotonic() + 30
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker)


def test_default_is_one_process_and_bad_worker_counts_are_refused() -> None:
    with EmulatorServer() as srv:
        assert srv.worker_pids == [] and srv.workers == 1 and srv.db_path is None
        assert type(srv.faults).__name__ == "Faults"
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ValueError, match="workers"):
            EmulatorServer(workers=bad)  # type: ignore[arg-type]


def test_reuse_port_lets_two_servers_bind_one_port(tmp_path: Path) -> None:
    db = str(tmp_path / "emu.sqlite3")
    first = EmulatorServer(db=db, reuse_port=True)
    with first, EmulatorServer(port=first.port, db=db, reuse_port=True) as second:
        assert second.port == first.port
    with EmulatorServer() as plain, pytest.raises(OSError):
        EmulatorServer(port=plain.port)
