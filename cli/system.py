"""``dhis2w system me|info``: who the credentials are, and which DHIS2 answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from .commands import Group, json_option, with_client
from .output import emit
from .state import AppState

if TYPE_CHECKING:
    from dhis2w import Client


@click.group(cls=Group)
def system() -> None:
    """The current user (/api/me) and the server (/api/system/info)."""


@system.command("me")
@json_option
@with_client
def me(state: AppState, client: Client) -> None:
    """Show the user the profile's credentials belong to."""
    from .views import show_me

    result = client.system.me()
    emit(state, result, show=show_me)


@system.command("info")
@json_option
@with_client
def info(state: AppState, client: Client) -> None:
    """Show the server's version and identity."""
    from .views import show_system_info

    result = client.system.info()
    emit(state, result, show=show_system_info)
