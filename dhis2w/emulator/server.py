"""The emulator's server: its store, app, fault switches and HTTP/1.1 front, and their lifetime.

HTTP itself (h11, the poller and worker threads, timeouts and limits) is in
:mod:`dhis2w.emulator.http11`. ``TCP_NODELAY``, no reverse DNS, no access log unless asked.

``workers=N`` serves one port from N processes sharing one SQLite file (``SO_REUSEPORT``;
see :mod:`dhis2w.emulator.workers`), so the server's CPU is not bound to one GIL.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from dhis2w.emulator.app import DEFAULT_STORAGE_DELAY, App
from dhis2w.emulator.connector import HttpServer
from dhis2w.emulator.faults import Faults
from dhis2w.emulator.http11 import Limits
from dhis2w.emulator.store import Store

if TYPE_CHECKING:  # imported when workers > 1 (``python -m`` runs that module as __main__)
    from dhis2w.emulator.workers import WorkerPool

__all__ = ["EmulatorServer"]


class EmulatorServer:
    """A DHIS2 2.42 look-alike on a loopback port.

    ``db=None`` keeps state in memory; ``db=path`` persists it in SQLite (seeded only when
    the file is new). ``port=0`` picks a free port; the socket is bound here, so
    :attr:`url` is known before :meth:`start`.

    ``workers=N`` (N > 1) serves the port from N processes: this one plus N-1 started by
    :meth:`start` / :meth:`serve_forever` and ended by :meth:`stop`, all on one SQLite
    file (with ``db=None``, a file in a temporary directory removed on :meth:`stop`).
    Fault switches reach every worker, but counts ("the next N requests") are per process.
    ``reuse_port=True`` only sets ``SO_REUSEPORT`` (what each worker does). Linux, or
    another system with ``SO_REUSEPORT`` load balancing.

    ``idle_timeout`` (seconds a connection may sit between requests), ``request_timeout``
    (seconds a request head may take to arrive, and each body read or answer write may
    wait) and ``max_connections`` (open at once; more wait to be accepted) default to what
    the Tomcat inside DHIS2 2.42 does: 60 s, 60 s and 8192 (see
    :class:`~dhis2w.emulator.http11.Limits`). With workers, each process has its own cap.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        db: str | Any | None = None,
        seed: str = "demo",
        max_upload_size: int = 10_000_000,
        storage_delay: float = DEFAULT_STORAGE_DELAY,
        *,
        log_requests: bool = False,
        debug: bool = False,
        workers: int = 1,
        reuse_port: bool = False,
        idle_timeout: float = 60.0,
        request_timeout: float = 60.0,
        max_connections: int = 8192,
    ) -> None:
        limits = Limits(
            idle_timeout=idle_timeout,
            request_timeout=request_timeout,
            max_connections=max_connections,
        )
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be an integer >= 1, not {workers!r}")
        if (workers > 1 or reuse_port) and not hasattr(socket, "SO_REUSEPORT"):
            raise OSError("workers > 1 and reuse_port need SO_REUSEPORT (Linux, BSD, macOS)")
        self.workers = workers
        self._temp_dir: str | None = None
        if workers > 1 and db is None:
            self._temp_dir = tempfile.mkdtemp(prefix="dhis2w-emulator-")
            db = os.path.join(self._temp_dir, "emulator.sqlite3")
        try:
            self.store = Store(db, seed=seed)
        except BaseException:
            self._remove_temp_dir()
            raise
        shared = None
        if workers > 1:
            from dhis2w.emulator.workers import SharedFaults, WorkerPool

            shared = SharedFaults()
        self.faults: Faults = Faults() if shared is None else shared
        self.app = App(
            self.store,
            max_upload_size=max_upload_size,
            storage_delay=storage_delay,
            debug=debug,
            faults=self.faults,
        )
        try:
            self._server = HttpServer(
                (host, port), self.app, self.faults, limits, reuse_port=reuse_port or workers > 1
            )
        except BaseException:
            self.store.close()
            self._remove_temp_dir()
            raise
        self._server.log_requests = log_requests
        self._thread: threading.Thread | None = None
        self._stopped = False
        self.host = host
        self.port: int = self._server.server_address[1]
        self._pool: WorkerPool | None = None
        if shared is not None:
            assert self.store.path is not None
            config = {
                "host": host,
                "port": self.port,
                "db": os.path.abspath(self.store.path),
                "seed": self.store.seed_name,
                "max_upload_size": max_upload_size,
                "storage_delay": storage_delay,
                "log_requests": log_requests,
                "debug": debug,
                "idle_timeout": limits.idle_timeout,
                "request_timeout": limits.request_timeout,
                "max_connections": limits.max_connections,
            }
            self._pool = WorkerPool(workers - 1, config, shared)

    @property
    def bound_address(self) -> tuple[str, int]:
        """``(host, port)`` of this process's listening socket, as the kernel reports it."""
        name = self._server.socket.getsockname()
        return str(name[0]), int(name[1])

    @property
    def open_connections(self) -> int:
        """Client connections this process is serving right now (not the other workers')."""
        return self._server.open_count()

    @property
    def peak_connections(self) -> int:
        """The most connections this process served at once since
        :meth:`reset_peak_connections` (or since it started)."""
        return self._server.peak_conns

    def reset_peak_connections(self) -> None:
        """Start counting :attr:`peak_connections` again from the connections open now."""
        self._server.reset_peak()

    @property
    def worker_pids(self) -> list[int]:
        """Process ids of the extra workers (empty with ``workers=1`` or before start)."""
        return [] if self._pool is None else self._pool.pids

    @property
    def db_path(self) -> str | None:
        """The SQLite file (``None`` when in memory)."""
        return self.store.path

    def _remove_temp_dir(self) -> None:
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None

    def start_workers(self) -> None:
        """Start the extra worker processes now (:meth:`start` and :meth:`serve_forever`
        do it otherwise); a no-op with ``workers=1`` or when they run."""
        if self._pool is not None:
            try:
                self._pool.start()
            except BaseException:
                self.stop()
                raise

    @property
    def url(self) -> str:
        """``http://host:port`` (no trailing slash, no ``/api``)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def seed_name(self) -> str:
        return self.store.seed_name

    def start(self) -> EmulatorServer:
        """Serve in a background daemon thread (and start the extra workers, if any)."""
        if self._thread is None:
            self.start_workers()
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                name=f"dhis2w-emulator-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the foreground until Ctrl-C (then stop cleanly)."""
        try:
            self.start_workers()
            self._server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server.server_close()
        self._server.close_connections()
        if self._pool is not None:
            self._pool.stop()
        self.store.close()
        self._remove_temp_dir()

    close = stop

    def reset(self, seed: str = "demo") -> None:
        """Wipe state back to a fresh ``seed`` (faults are left alone)."""
        self.store.reset(seed)
        self.app.auth.clear()
        if self._pool is not None:
            self._pool.reload()

    def bulk_create_conversations(
        self,
        n: int,
        *,
        sender: str = "admin",
        recipients: Sequence[str] = (),
        messages_per_conversation: int = 1,
        text_size: int = 80,
        subject_prefix: str = "Bulk conversation",
        message_type: str = "PRIVATE",
    ) -> list[str]:
        """Insert ``n`` conversations directly into the store; returns their UIDs."""
        return self.store.bulk_create_conversations(
            n,
            sender=sender,
            recipients=recipients,
            messages_per_conversation=messages_per_conversation,
            text_size=text_size,
            subject_prefix=subject_prefix,
            message_type=message_type,
        )

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"EmulatorServer(url={self.url!r}, seed={self.store.seed_name!r})"
