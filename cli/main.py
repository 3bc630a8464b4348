"""The root ``dhis2w`` group: global options, lazy sub-command loading, error mapping.

Sub-command modules are imported only when their group is actually used (or listed by
``--help``), and none of them imports httpx, msgspec or the library at module level: that
keeps ``dhis2w --help`` within a small factor of ``python -c "import click"``.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from typing import Any

import click

from .state import AppState

#: name -> ("module", "attribute"); the module is imported on first use only.
_SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "messaging": ("dhis2w.cli.messaging", "messaging"),
    "files": ("dhis2w.cli.files", "files"),
    "profile": ("dhis2w.cli.profiles", "profile"),
    "system": ("dhis2w.cli.system", "system"),
    "emulator": ("dhis2w.cli.servers", "emulator"),
    "mcp": ("dhis2w.cli.servers", "mcp"),
}


class LazyGroup(click.Group):
    """A group whose sub-commands live in modules imported on demand (Click docs pattern).

    It is also the single place where library exceptions become exit codes: ``invoke``
    wraps the whole command tree, so every command gets the same one-line error.
    """

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]] | None = None, **kw: Any):
        super().__init__(*args, **kw)
        self._lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self._lazy:
            module_name, attr = self._lazy[cmd_name]
            command = getattr(importlib.import_module(module_name), attr)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            # Click's usage errors quote the value given: a file name from a glob, written
            # by someone else, is file-system text like any other, so printable too.
            from dhis2w._printable import printable

            exc.message = printable(exc.message)  # type: ignore[misc]  # Final, Click only reads it
            raise
        except (click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            # Ctrl-C: exit 130 (not Click's "Aborted!", exit 1), and during a write say that
            # the server may already have done it, so nobody blindly runs it again.
            from .errors import interrupted

            click.echo(err=True)  # end the "^C" line the terminal echoed
            raise interrupted(ctx.ensure_object(AppState)) from None
        except BrokenPipeError:
            # `dhis2w ... | head`: the reader left; stop quietly, like git (128 + SIGPIPE).
            _silence_stdout()
            ctx.exit(141)
        except Exception as exc:  # mapped to an exit code and one stderr line
            from .errors import interrupted, to_click_exception

            if _during_ctrl_c(exc):
                click.echo(err=True)
                raise interrupted(ctx.ensure_object(AppState)) from None
            raise to_click_exception(exc, ctx) from exc


def _during_ctrl_c(exc: BaseException) -> bool:
    """Whether ``exc`` was raised while a Ctrl-C was being handled.

    Ctrl-C can land inside ``threading`` internals (a ``Condition.wait`` of a prefetched
    page), and the cleanup that runs next may then fail with an error of its own, such as
    ``RuntimeError: cannot release un-acquired lock``. The person pressed Ctrl-C: they get
    exit 130 and the interrupted message, not an "unexpected error".
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return True
        seen.add(id(current))
        current = current.__context__
    return False


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


@click.group(
    "dhis2w",
    cls=LazyGroup,
    lazy=_SUBCOMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "-p",
    "--profile",
    "profile_name",
    metavar="NAME",
    help="Profile from profiles.toml (or 'demo'). Default: DHIS2_PROFILE, DHIS2_* env, "
    "then the profiles.toml default.",
)
@click.option("-j", "--json", "as_json", is_flag=True, help="Print only JSON on stdout.")
@click.option("--debug", is_flag=True, help="Log every request on stderr; tracebacks on errors.")
@click.option(
    "--color/--no-color",
    "color",
    default=None,
    help="Force colour on or off (default: on for a terminal; NO_COLOR always wins).",
)
@click.version_option(package_name="dhis2w", prog_name="dhis2w", message="%(prog)s %(version)s")
@click.pass_context
def cli(
    ctx: click.Context,
    profile_name: str | None,
    as_json: bool,
    debug: bool,
    color: bool | None,
) -> None:
    """DHIS2 messaging and files from the shell.

    Tables for people, JSON (--json) for scripts. Try it without a server:
    `dhis2w -p demo messaging list`.
    """
    state = ctx.ensure_object(AppState)
    state.profile_name = profile_name
    state.json = state.json or as_json
    state.debug = debug
    state.color_flag = color
    if debug:
        state.enable_debug_logging()


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """Library warnings (an unverified TLS profile, a shared profiles file) as one line.

    Python's default format points at a source line of dhis2w, which means nothing to
    someone at a shell prompt.
    """
    from dhis2w._printable import printable

    stream = file if file is not None else sys.stderr
    stream.write(f"dhis2w: warning: {printable(str(message))}\n")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (``dhis2w = dhis2w.cli.main:main``)."""
    warnings.showwarning = _show_warning
    cli.main(args=argv, prog_name="dhis2w", obj=AppState())


if __name__ == "__main__":  # pragma: no cover - ``python -m dhis2w.cli.main``
    main(sys.argv[1:])
