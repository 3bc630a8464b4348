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
130   interrupted (Ctrl-C); during a write, stderr says the change may already be made
====  =================================================================================

A send, reply or feedback that DHIS2 stored but that could not be read back is a success
(exit 0, the UID on stdout, a warning on stderr): the message exists, and a script that saw
a failure would send it again.

Every message goes through :func:`dhis2w._printable.printable`: DHIS2's error text is the
server's, and a file name is the file system's.

Imported only when something went wrong, so the error classes (and msgspec behind them)
cost nothing on the happy path of ``--help``.
"""

from __future__ import annotations

import sys
import traceback

import click

from .state import AppState

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_NOT_FOUND = 4
EXIT_OUTCOME_UNKNOWN = 5
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl-C


class CommandFailed(click.ClickException):
    """A ClickException with our exit code; ``show`` prints one ``Error:`` line on stderr,
    then a ``hint:`` line when there is something specific to do about it."""

    def __init__(self, message: str, exit_code: int, hint: str | None = None) -> None:
        super().__init__(message)
        # Click declares exit_code a ClassVar; ours varies per error, and Click only reads it.
        self.exit_code = exit_code  # type: ignore[misc]
        self.hint = hint

    def show(self, file: object = None) -> None:
        from dhis2w._printable import printable

        click.echo(f"Error: {printable(self.format_message())}", err=True)
        if self.hint:
            click.echo(f"hint: {printable(self.hint)}", err=True)


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
    from dhis2w._printable import printable

    text = str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        text = f"{exc.strerror}: {exc.filename}"
    return printable(" ".join(text.split()))


def hint_for(exc: BaseException, state: AppState) -> str | None:
    """What to run next, for the errors whose fix is not in the message itself."""
    from dhis2w.errors import AuthenticationError, UnknownProfileError

    if isinstance(exc, UnknownProfileError):
        return "`dhis2w profile list` shows the saved profiles (`-p demo` is the built-in one)"
    if isinstance(exc, AuthenticationError):
        name = state.profile.name if state.profile is not None else None
        if state.command_path.endswith(" profile verify"):
            if name:
                return f"save the right credentials with `dhis2w profile add {name} ...`"
            return "check DHIS2_PAT, or DHIS2_USERNAME and DHIS2_PASSWORD"
        if name:
            return f"check the credentials with `dhis2w profile verify {name}`"
        return "check DHIS2_PAT, or DHIS2_USERNAME and DHIS2_PASSWORD, with `dhis2w profile verify`"
    return None


def interrupted(state: AppState) -> CommandFailed:
    """Ctrl-C: exit 130; during a write, say the change may already have been made."""
    if state.writing is None:
        return CommandFailed(f"{state.command_path}: interrupted", EXIT_INTERRUPTED)
    what, check = state.writing
    return CommandFailed(
        f"{state.command_path}: interrupted while {what}: the change may already have been "
        "made on the server. Check before doing it again",
        EXIT_INTERRUPTED,
        hint=check,
    )


def to_click_exception(exc: BaseException, ctx: click.Context) -> click.ClickException:
    """Map ``exc`` for Click; with ``--debug`` print the traceback first.

    Anything that is neither a :class:`dhis2w.errors.Dhis2Error` nor an ``OSError`` is a
    bug in dhis2w: it still gets one line (exit 1), labelled as unexpected, and ``--debug``
    shows where it came from.
    """
    from dhis2w.errors import Dhis2Error

    state = ctx.find_object(AppState) or AppState()
    if state.debug:  # the traceback quotes the server's message too: printable as well
        from dhis2w._printable import printable

        text = "".join(traceback.format_exception(exc))
        sys.stderr.write(printable(text, keep_lines=True))
    if isinstance(exc, (Dhis2Error, OSError)):
        return CommandFailed(
            f"{state.command_path}: {describe(exc)}", exit_code_for(exc), hint_for(exc, state)
        )
    hint = "" if state.debug else " (run with --debug for the traceback)"
    return CommandFailed(
        f"{state.command_path}: unexpected {type(exc).__name__}: {describe(exc)}{hint}",
        EXIT_ERROR,
    )
