"""Library exceptions -> one stderr line and a documented exit code.

Exit codes (also in ``dhis2w --help`` of the README):

====  =================================================================================
0     success
1     DHIS2 answered with an error, the network failed, or any other dhis2w error
2     usage: bad options (Click), bad input caught before sending (InvalidInputError:
      bad UID, unknown or ambiguous name, no recipients, file too large) and profile
      problems (ProfileError: no profile configured, unknown name, unsafe http) -- all
      things the person fixes in the command line or the config, not on the server
3     authentication failed (401, or DHIS2's redirect to the login page)
4     not found (404, or DHIS2's 200 "No MessageConversation found" body)
5     the outcome of a write is unknown: the response was lost after sending, so the
      message may or may not exist -- check before sending again
====  =================================================================================

Imported only when something went wrong, so the error classes (and msgspec behind them)
cost nothing on the happy path of ``--help``.
"""

from __future__ import annotations

import sys
import traceback

import click

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_NOT_FOUND = 4
EXIT_OUTCOME_UNKNOWN = 5


class CommandFailed(click.ClickException):
    """A ClickException with our exit code; ``show`` prints exactly one line on stderr."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        # Click declares exit_code a ClassVar; ours varies per error, and Click only reads it.
        self.exit_code = exit_code  # type: ignore[misc]

    def show(self, file: object = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


def exit_code_for(exc: BaseException) -> int:
    """The exit code for an exception raised while running a command."""
    from dhis2w import errors as e

    if isinstance(exc, e.SendOutcomeUnknownError):
        return EXIT_OUTCOME_UNKNOWN
    if isinstance(exc, e.AuthenticationError):
        return EXIT_AUTH
    if isinstance(exc, e.NotFoundError):
        return EXIT_NOT_FOUND
    if isinstance(exc, (e.InvalidInputError, e.ProfileError)):
        return EXIT_USAGE
    return EXIT_ERROR


def describe(exc: BaseException) -> str:
    """One line: the library's message (call, path, DHIS2's words), never a repr."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        text = f"{exc.strerror}: {exc.filename}"
    return " ".join(text.split())


def to_click_exception(exc: BaseException, ctx: click.Context) -> click.ClickException:
    """Map ``exc`` for Click; with ``--debug`` print the traceback first.

    Anything that is neither a :class:`dhis2w.errors.Dhis2Error` nor an ``OSError`` is a
    bug in dhis2w: it still gets one line (exit 1), labelled as unexpected, and ``--debug``
    shows where it came from.
    """
    from dhis2w.errors import Dhis2Error

    from .state import AppState

    state = ctx.find_object(AppState) or AppState()
    if state.debug:
        traceback.print_exception(exc, file=sys.stderr)
    if isinstance(exc, (Dhis2Error, OSError)):
        return CommandFailed(f"{state.command_path}: {describe(exc)}", exit_code_for(exc))
    hint = "" if state.debug else " (run with --debug for the traceback)"
    return CommandFailed(
        f"{state.command_path}: unexpected {type(exc).__name__}: {describe(exc)}{hint}",
        EXIT_ERROR,
    )
