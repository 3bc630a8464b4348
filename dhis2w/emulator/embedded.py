"""The emulator behind the built-in ``demo`` profile.

``demo_base_url()`` starts (once per process, thread-safe) a loopback server on a SQLite
file in the user data directory, so state survives between CLI commands: a message sent by
one ``dhis2w --profile demo ...`` process is listed by the next. Several processes may have
the file open at once; the store uses WAL and a busy timeout for that.
"""

from __future__ import annotations

import atexit
import os
import threading
from pathlib import Path

from dhis2w.emulator.server import EmulatorServer

__all__ = ["demo_base_url", "demo_db_path", "demo_server"]

_lock = threading.Lock()
_server: EmulatorServer | None = None


def demo_db_path() -> Path:
    """``$DHIS2W_DEMO_DB``, else ``$XDG_DATA_HOME/dhis2w/demo.sqlite3``."""
    override = os.environ.get("DHIS2W_DEMO_DB")
    if override:
        return Path(override).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return Path(data_home) / "dhis2w" / "demo.sqlite3"


def demo_server() -> EmulatorServer:
    """The process-wide demo server, started on first use."""
    global _server
    with _lock:
        if _server is None:
            path = demo_db_path()
            path.parent.mkdir(parents=True, exist_ok=True)
            srv = EmulatorServer(host="127.0.0.1", port=0, db=str(path), seed="demo")
            srv.start()
            atexit.register(srv.stop)
            _server = srv
        return _server


def demo_base_url() -> str:
    """URL of the embedded demo emulator (``http://127.0.0.1:<port>``)."""
    return demo_server().url
