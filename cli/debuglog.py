"""``--debug``: the library logs each request (method, path, status, elapsed; never
credentials) on the ``dhis2w`` logger; this routes it to stderr. Imported only with --debug,
so ``logging`` stays off the start-up path.
"""

from __future__ import annotations

import logging
import sys


class CurrentStderrHandler(logging.Handler):
    """Writes to whatever ``sys.stderr`` is at emit time (CliRunner swaps it per run)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            from dhis2w._printable import printable

            sys.stderr.write(printable(self.format(record), keep_lines=True) + "\n")
        except Exception:  # logging must never break a command
            self.handleError(record)


def enable() -> None:
    logger = logging.getLogger("dhis2w")
    if not any(isinstance(h, CurrentStderrHandler) for h in logger.handlers):
        handler = CurrentStderrHandler()
        handler.setFormatter(logging.Formatter("debug: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
