"""``dhis2w profile ...``: named connections in profiles.toml, secrets never on the command
line (they would land in shell history and ``ps``): prompted with hidden input or taken
from ``DHIS2_PASSWORD`` / ``DHIS2_PAT``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import click

from .commands import Group, json_option, with_state
from .output import Column, echo, echo_fields, echo_json, echo_table, emit, info
from .state import AppState

if TYPE_CHECKING:
    from dhis2w import Profile


@click.group(cls=Group)
def profile() -> None:
    """Saved connections (profiles.toml): list, show, add, remove, default, verify."""


def masked(p: Profile, name: str | None = None) -> dict[str, Any]:
    """What may be shown of a profile: the library's own public view (secrets masked)."""
    data = p.to_public_dict()
    if name:
        data["name"] = name
    return data


@profile.command("list")
@json_option
@with_state
def list_profiles(state: AppState) -> None:
    """List saved profiles; '*' marks the default, '!' one dhis2w cannot use (and why)."""
    from dhis2w.profile import default_profile_name, list_profiles, unusable_profiles

    profiles = list_profiles()
    default = default_profile_name()
    rows = [
        masked(p, name) | {"default": name == default, "usable": True}
        for name, p in profiles.items()
    ]
    rows += [
        {"name": name, "source": entry.source, "default": name == default, "usable": False}
        | {"reason": entry.reason}
        for name, entry in unusable_profiles().items()
    ]
    if state.json:
        echo_json(rows)
        return
    echo_table(
        state,
        (
            Column(" ", max_width=1),
            Column("name", max_width=24),
            Column("url", flex=True, min_width=16),
            Column("auth", max_width=5),
            Column("username", max_width=24),
            Column("source", flex=True, min_width=8),
        ),
        [
            [
                "*" if r["default"] else "",
                r["name"],
                r["base_url"],
                r["auth"] or "",
                r["username"] or "",
                r["source"] or "",
            ]
            if r["usable"]
            else [
                "!",
                r["name"],
                f"unusable: {r['reason']}",
                "",
                "",
                r["source"] or "",
            ]
            for r in rows
        ],
    )
    if default is None:
        info("no default profile: `dhis2w profile default NAME`, or use -p NAME")


@profile.command("show")
@click.argument("name", required=False)
@json_option
@with_state
def show(state: AppState, name: str | None) -> None:
    """Show a profile (default: the one in use) with its secrets masked."""
    from dhis2w import load_profile

    p = load_profile(name or state.profile_name)
    data = masked(p, name or state.profile_name)
    if state.json:
        echo_json(data)
    else:
        echo_fields(state, data.items())


@profile.command("add")
@click.argument("name")
@click.option("--url", required=True, help="Server base URL, e.g. https://play.dhis2.org/dev")
@click.option(
    "--auth",
    type=click.Choice(["basic", "pat"], case_sensitive=False),
    default="basic",
    show_default=True,
    help="Username + password, or a personal access token.",
)
@click.option("--username", help="For --auth basic (prompted when missing).")
@click.option("--project", is_flag=True, help="Save in ./.dhis2/profiles.toml, not ~/.config.")
@click.option("--default", "make_default", is_flag=True, help="Make it the default profile.")
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Seconds.")
@click.option("--no-verify", is_flag=True, help="Do not verify TLS certificates.")
@click.option(
    "--ca-bundle",
    type=click.Path(exists=True, path_type=Path),
    help="Verify TLS against this CA bundle (a server behind an internal CA).",
)
@click.option("--allow-insecure-http", is_flag=True, help="Allow credentials over plain http://.")
@click.option("--force", is_flag=True, help="Replace a profile of the same name in the file.")
@json_option
@with_state
def add(
    state: AppState,
    name: str,
    url: str,
    auth: str,
    username: str | None,
    project: bool,
    make_default: bool,
    timeout: float,
    no_verify: bool,
    ca_bundle: Path | None,
    allow_insecure_http: bool,
    force: bool,
) -> None:
    """Save a profile. The password (DHIS2_PASSWORD) or token (DHIS2_PAT) comes from the
    environment, else a hidden prompt -- never from a flag. An existing profile of the same
    name is replaced only with --force (its credentials would be lost)."""
    from dhis2w import Profile
    from dhis2w.errors import ProfileError
    from dhis2w.profile import profiles_file, save_profile, saved_profile_names

    scope: Literal["global", "project"] = "project" if project else "global"
    if no_verify and ca_bundle is not None:
        raise click.UsageError("--no-verify and --ca-bundle contradict each other: give one")
    check_new_profile(name, url, allow_insecure_http)  # before asking for any secret
    existed = name in saved_profile_names(scope)
    if existed and not force:
        raise ProfileError(
            f"profile {name!r} already exists in {profiles_file(scope)}; add --force to "
            "replace it (its saved credentials will be lost)"
        )
    password: str | None = None
    token: str | None = None
    if auth.lower() == "pat":
        token = os.environ.get("DHIS2_PAT") or ask("Personal access token", "DHIS2_PAT", True)
    else:
        username = username or ask("Username", "--username", False)
        password = os.environ.get("DHIS2_PASSWORD") or ask("Password", "DHIS2_PASSWORD", True)
    p = Profile(
        base_url=url,
        username=username,
        password=password,
        token=token,
        timeout=timeout,
        verify=str(ca_bundle) if ca_bundle is not None else not no_verify,
        allow_insecure_http=allow_insecure_http,
        name=name,
    )
    where = str(save_profile(p, name=name, scope=scope, make_default=make_default, force=force))
    if state.json:
        echo_json(masked(p, name) | {"file": where, "default": make_default})
    else:
        verb = "replaced" if existed else "saved"
        echo(state, f"{verb} profile {name!r} in {where}" + (" (default)" if make_default else ""))


def check_new_profile(name: str, url: str, allow_insecure_http: bool) -> None:
    """Refuse, before any prompt, a profile that could never be used as given."""
    from dhis2w import Profile
    from dhis2w.errors import ProfileError
    from dhis2w.profile import DEMO_PROFILE_NAME

    if name == DEMO_PROFILE_NAME:
        raise ProfileError(
            f"{name!r} is the built-in offline profile (the embedded emulator); "
            "choose another name for this server"
        )
    probe = Profile(base_url=url, token="probe", allow_insecure_http=allow_insecure_http)
    try:
        probe.check_transport_security()
    except ProfileError:
        raise ProfileError(
            f"{probe.display_url} is plain http:// to another machine: the password or "
            "token would cross the network unencrypted. Use https://, or add "
            "--allow-insecure-http if you accept the risk"
        ) from None


def ask(prompt: str, alternative: str, secret: bool) -> str:
    """Prompt on the terminal (hidden for secrets); without one, say what to set instead."""
    from .state import _isatty

    try:
        return str(click.prompt(prompt, hide_input=secret, err=True))
    except click.Abort:
        if _isatty(sys.stdin):
            raise  # Ctrl-C at the prompt
        from dhis2w.errors import ProfileError

        raise ProfileError(
            f"no {prompt.lower()}: standard input ended before one was given "
            f"(set {alternative}, or run `dhis2w profile add` in a terminal)"
        ) from None


@profile.command("remove")
@click.argument("name")
@json_option
@with_state
def remove(state: AppState, name: str) -> None:
    """Delete a saved profile."""
    from dhis2w.profile import remove_profile

    where = remove_profile(name)
    removed = {"name": name, "removed": True, "file": str(where)}
    emit(state, removed, f"removed profile {name!r} from {where}")


@profile.command("default")
@click.argument("name", required=False)
@click.option("--project", is_flag=True, help="Set it in ./.dhis2/profiles.toml.")
@json_option
@with_state
def default(state: AppState, name: str | None, project: bool) -> None:
    """Show the default profile, or make NAME the default."""
    from dhis2w.profile import default_profile_name, set_default_profile

    if name:
        set_default_profile(name, scope="project" if project else "global")
    current = default_profile_name()
    if state.json:
        echo_json({"default": current})
    elif current:
        echo(state, current)
    else:
        info("no default profile")


@profile.command("verify")
@click.argument("name", required=False)
@json_option
@with_state
def verify(state: AppState, name: str | None) -> None:
    """Connect with a profile: who you are (/api/me) and the server version."""
    from dhis2w import Client, load_profile

    p = load_profile(name or state.profile_name)
    state.profile = p  # an error's hint names it
    with Client(p) as client:
        me = client.system.me()
        si = client.system.info()
    if state.json:
        echo_json({"profile": masked(p, name or state.profile_name), "me": me, "systemInfo": si})
        return
    who = me.display_name or me.name or me.username or me.id
    echo(state, f"ok: {who} ({me.username}) on DHIS2 {si.version} at {p.display_url}", fg="green")
