"""The installed ``dhis2w`` console script on a real pseudo-terminal (the ``pty`` module).

What only a terminal shows is tested here: the width the kernel reports for the window, the
progress line drawn on stderr when it is a TTY, and Ctrl-C typed at the keyboard (the ^C byte
written to the terminal, turned into SIGINT for the foreground process by the line
discipline, exactly as when a person presses it).
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import termios
import time
from collections.abc import Mapping

from cli_helpers import console_script

#: A generous bound for one run on a shared, busy machine: a hang fails, slowness does not.
DEADLINE = 60.0


class TerminalRun:
    """``dhis2w ARGS`` with stdin, stdout and stderr on a new pseudo-terminal."""

    def __init__(
        self, *args: str, env: Mapping[str, str], columns: int = 80, rows: int = 24
    ) -> None:
        argv = [console_script(), *args]
        full_env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        full_env.update(env)
        full_env.setdefault("TERM", "xterm-256color")
        pid, fd = pty.fork()  # the child gets the terminal as its controlling terminal
        if pid == 0:  # pragma: no cover - the child process
            try:
                os.execve(argv[0], argv, full_env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.output = b""
        self.status: int | None = None

    def read_until(self, needle: bytes) -> bytes:
        """Read the terminal until ``needle`` has appeared; everything so far."""
        deadline = time.monotonic() + DEADLINE
        while needle not in self.output:
            if time.monotonic() > deadline or not self._read_some(deadline):
                raise AssertionError(f"{needle!r} never appeared; output: {self.output!r}")
        return self.output

    def press_ctrl_c(self) -> None:
        """Type ^C: the terminal sends SIGINT to the command, as the keyboard does."""
        os.write(self.fd, b"\x03")

    def wait(self) -> int:
        """Read until the command exits; its exit code (128 + N if killed by signal N)."""
        deadline = time.monotonic() + DEADLINE
        while self._read_some(deadline):
            pass
        _, raw = os.waitpid(self.pid, 0)
        self.status = os.waitstatus_to_exitcode(raw)
        os.close(self.fd)
        return self.status if self.status >= 0 else 128 - self.status

    @property
    def text(self) -> str:
        return self.output.decode("utf-8", errors="replace")

    def _read_some(self, deadline: float) -> bool:
        """Read what is there; False at end of output (the command exited)."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            os.kill(self.pid, 9)
            raise AssertionError(f"dhis2w did not finish; output: {self.output!r}")
        ready, _, _ = select.select([self.fd], [], [], min(remaining, 1.0))
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        if not chunk:
            return False
        self.output += chunk
        return True
