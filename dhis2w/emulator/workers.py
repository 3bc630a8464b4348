"""Extra worker processes for :class:`~dhis2w.emulator.server.EmulatorServer` (``workers=N``).

The emulator is one Python process, so concurrent requests queue on its GIL; a real DHIS2
(many Java threads) has no such ceiling. With ``workers=N`` the server binds its port with
``SO_REUSEPORT`` and starts N-1 sibling processes (``python -m dhis2w.emulator.workers``,
never ``fork``) that bind the same host and port the same way; the kernel then spreads
incoming connections over the N listening sockets, like gunicorn workers.

* **State** is the SQLite file they all open (the parent creates and seeds it; a worker
  never seeds). WAL, the busy timeout, ``BEGIN IMMEDIATE`` writes and the ``PRAGMA
  data_version`` check of the list cache (``store.py``) keep every process consistent:
  a write committed through one worker is seen by the next request to any other.
* **Faults** are per process. Every switch made on the parent's :attr:`faults` is replayed
  in each worker (and waited for), so latency applies everywhere, but "the next N requests"
  counts separately in each process: ``fail_next(1)`` with 2 workers fails the next request
  *each process* serves, up to 2 in all.
* **Lifetime.** A worker reads commands (one JSON line each, answered with ``ok``) from a
  pipe to its parent; end of file (the parent stopped, or died) makes it stop. It also
  watches its parent pid, and ignores Ctrl-C (the parent stops it).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import IO, Any

from dhis2w.emulator.faults import Faults

__all__ = ["SharedFaults", "WorkerPool", "main"]

_START_TIMEOUT = 60.0
_REPLY_TIMEOUT = 30.0

FaultCall = tuple[str, list[Any]]


class SharedFaults(Faults):
    """:class:`Faults` whose every switch is also sent to the worker processes.

    The calls since the last :meth:`clear` are kept, so a worker started later is
    configured the same way.
    """

    def __init__(self) -> None:
        super().__init__()
        self.emit_lock = threading.RLock()
        self.log: list[FaultCall] = []
        self.sink: Callable[[str, list[Any]], None] | None = None

    def _emit(self, op: str, args: list[Any]) -> None:
        with self.emit_lock:
            if op == "clear":
                self.log.clear()
            self.log.append((op, args))
            if self.sink is not None:
                self.sink(op, args)

    def storage_delay(self, seconds: float | None) -> Faults:
        with self.emit_lock:
            super().storage_delay(seconds)
            self._emit("storage_delay", [seconds])
        return self

    def latency(self, seconds: float, jitter: float = 0.0) -> Faults:
        with self.emit_lock:
            super().latency(seconds, jitter)
            self._emit("latency", [seconds, jitter])
        return self

    def fail_next(
        self,
        n: int = 1,
        status: int = 503,
        retry_after: float | int | None = None,
        method: str | None = None,
    ) -> Faults:
        with self.emit_lock:
            super().fail_next(n, status, retry_after, method)
            self._emit("fail_next", [n, status, retry_after, method])
        return self

    def unauthorized_next(self, n: int = 1, method: str | None = None) -> Faults:
        with self.emit_lock:
            super().unauthorized_next(n, method)
            self._emit("unauthorized_next", [n, method])
        return self

    def login_page_next(self, n: int = 1, method: str | None = None) -> Faults:
        with self.emit_lock:
            super().login_page_next(n, method)
            self._emit("login_page_next", [n, method])
        return self

    def drop_after_commit(self, n: int = 1) -> Faults:
        with self.emit_lock:
            super().drop_after_commit(n)
            self._emit("drop_after_commit", [n])
        return self

    def truncate_next(self, n: int = 1) -> Faults:
        with self.emit_lock:
            super().truncate_next(n)
            self._emit("truncate_next", [n])
        return self

    def clear(self) -> Faults:
        with self.emit_lock:
            super().clear()
            self._emit("clear", [])
        return self


def _apply(faults: Faults, op: str, args: Sequence[Any]) -> None:
    known = (
        "latency",
        "fail_next",
        "unauthorized_next",
        "login_page_next",
        "drop_after_commit",
        "truncate_next",
        "storage_delay",
        "clear",
    )
    if op not in known:
        raise ValueError(f"unknown fault switch {op!r}")
    getattr(faults, op)(*args)


def _package_root() -> str:
    """The directory holding the ``dhis2w`` package, so workers import the same code."""
    import dhis2w

    return os.path.dirname(os.path.dirname(os.path.abspath(dhis2w.__file__)))


class _Worker:
    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc

    def read_line(self, timeout: float) -> str:
        out = self.proc.stdout
        assert out is not None
        ready, _, _ = select.select([out], [], [], timeout)
        if not ready:
            raise TimeoutError(f"emulator worker {self.proc.pid} did not answer")
        line = out.readline()
        if not line:
            code = self.proc.wait()
            raise RuntimeError(f"emulator worker {self.proc.pid} exited ({code})")
        return line.decode().strip()

    def send(self, message: dict[str, Any]) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        stdin.write(json.dumps(message).encode() + b"\n")
        stdin.flush()

    def stop(self, timeout: float) -> None:
        proc = self.proc
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()  # end of file: the worker stops serving and exits
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


class WorkerPool:
    """The N-1 sibling processes of one multi-process server."""

    def __init__(self, count: int, config: dict[str, Any], faults: SharedFaults) -> None:
        self.count = count
        self.config = config
        self.faults = faults
        self._workers: list[_Worker] = []
        self._started = False
        self._stopped = False

    @property
    def pids(self) -> list[int]:
        return [w.proc.pid for w in self._workers]

    def start(self) -> None:
        """Start the workers and wait until each one serves (idempotent)."""
        with self.faults.emit_lock:  # no fault switch may slip between snapshot and sink
            if self._started or self._stopped:
                return
            self._started = True
            config = {**self.config, "faults": list(self.faults.log), "parent": os.getpid()}
            env = dict(os.environ)
            root = _package_root()
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
            try:
                for _ in range(self.count):
                    proc = subprocess.Popen(
                        [sys.executable, "-m", "dhis2w.emulator.workers", json.dumps(config)],
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        bufsize=0,  # unbuffered: select() sees every reply line
                        env=env,
                    )
                    self._workers.append(_Worker(proc))
                for worker in self._workers:
                    line = worker.read_line(_START_TIMEOUT)
                    if line != "ready":
                        raise RuntimeError(f"emulator worker said {line!r}")
            except BaseException:
                self.stop()
                raise
            self.faults.sink = self._broadcast

    def _broadcast(self, op: str, args: list[Any]) -> None:
        self.command({"op": op, "args": args})

    def command(self, message: dict[str, Any]) -> None:
        """Send ``message`` to every worker and wait for each one's ``ok``."""
        for worker in self._workers:
            worker.send(message)
        for worker in self._workers:
            line = worker.read_line(_REPLY_TIMEOUT)
            if line != "ok":
                raise RuntimeError(f"emulator worker {worker.proc.pid}: {line}")

    def reload(self) -> None:
        """After a reset in the parent: re-read the seed and forget cached logins."""
        with self.faults.emit_lock:
            if self._workers and not self._stopped:
                self.command({"op": "reload", "args": []})

    def stop(self, timeout: float = 10.0) -> None:
        with self.faults.emit_lock:
            self._stopped = True
            self.faults.sink = None
            workers, self._workers = self._workers, []
        for worker in workers:
            if worker.proc.stdin is not None:
                with contextlib.suppress(OSError):
                    worker.proc.stdin.close()
        deadline = time.monotonic() + timeout
        for worker in workers:
            worker.stop(max(deadline - time.monotonic(), 0.1))


# ---------------------------------------------------------------- the worker process


def _watch_parent(parent: int, stop: Callable[[], None]) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            stop()
            return


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m dhis2w.emulator.workers '<json config>'``: one worker, until end of file."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m dhis2w.emulator.workers '<json config>'", file=sys.stderr)
        return 2
    config: dict[str, Any] = json.loads(args[0])
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent stops us
    # stdout carries the protocol; anything else printed goes to stderr
    proto: IO[str] = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    from dhis2w.emulator.server import EmulatorServer

    srv = EmulatorServer(
        host=config["host"],
        port=config["port"],
        db=config["db"],
        seed=config["seed"],
        max_upload_size=config["max_upload_size"],
        storage_delay=config["storage_delay"],
        log_requests=config["log_requests"],
        debug=config["debug"],
        reuse_port=True,
        idle_timeout=config["idle_timeout"],
        request_timeout=config["request_timeout"],
        max_connections=config["max_connections"],
    )
    for op, fargs in config["faults"]:
        _apply(srv.faults, op, fargs)
    parent = int(config["parent"])
    if os.getppid() != parent:
        srv.stop()
        return 0
    threading.Thread(target=_watch_parent, args=(parent, lambda: os._exit(0)), daemon=True).start()
    srv.start()
    proto.write("ready\n")
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                message = json.loads(line)
                if message["op"] == "reload":
                    srv.store.reload_directory()
                    srv.app.auth.clear()
                else:
                    _apply(srv.faults, message["op"], message["args"])
                proto.write("ok\n")
            except Exception as exc:  # report, keep serving
                proto.write("error " + repr(exc).replace("\n", " ") + "\n")
    finally:
        srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
