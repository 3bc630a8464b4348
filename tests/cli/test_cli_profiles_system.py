"""``dhis2w profile ...`` (secrets never echoed) and ``dhis2w system me|info``."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from cli_helpers import Dhis2Runner

from dhis2w.emulator import seed as S


def test_system_me_and_info(dhis2: Dhis2Runner) -> None:
    me = dhis2("system", "me").stdout
    assert "admin" in me and "John Traore" in me
    assert [ln.split() for ln in me.splitlines() if ln.startswith("superuser")] == [
        ["superuser:", "yes"]
    ]
    assert dhis2.json("system", "me")["username"] == "admin"
    info = dhis2("system", "info").stdout
    assert "version:" in info and "2.42" in info
    assert dhis2.json("system", "info")["version"].startswith("2.42")


def test_debug_logs_requests_without_secrets(dhis2: Dhis2Runner) -> None:
    result = dhis2("--debug", "system", "me")
    assert "/api/me" in result.stderr and "200" in result.stderr
    assert S.ADMIN.password not in result.output
    assert "Authorization" not in result.stderr


def _add(runner: Dhis2Runner, name: str, url: str, *extra: str, **kw: Any) -> Any:
    return runner("profile", "add", name, "--url", url, *extra, **kw)


def test_profile_lifecycle(dhis2_emulator: Any, isolated_env: Path, tmp_path: Path) -> None:
    bare = Dhis2Runner()  # no DHIS2_* in the environment: profiles come from files
    url = dhis2_emulator.url
    # password from a hidden prompt
    added = _add(bare, "local", url, "--username", "admin", "--default", input="district\n")
    assert "saved profile 'local'" in added.stdout
    assert "district" not in added.output
    # token from the environment, into the project file
    _add(bare, "pat", url, "--auth", "pat", "--project", env={"DHIS2_PAT": S.FATMATA.token})
    project_file = isolated_env / ".dhis2" / "profiles.toml"
    assert project_file.is_file()
    assert stat.S_IMODE(os.stat(project_file).st_mode) == 0o600

    listing = bare("profile", "list").stdout
    assert "local" in listing and "pat" in listing and "demo" in listing
    assert S.FATMATA.token not in listing and "district" not in listing
    rows = json.loads(bare("--json", "profile", "list").stdout)
    assert {r["name"]: r["default"] for r in rows}["local"] is True

    shown = bare("profile", "show", "local").stdout
    assert "admin" in shown and "district" not in shown
    assert bare.json("profile", "show", "pat")["token"] not in (None, S.FATMATA.token)

    verified = bare("profile", "verify").stdout  # the default profile
    assert verified.startswith("ok: John Traore (admin) on DHIS2 2.42")
    assert bare.json("profile", "verify", "pat")["me"]["username"] == "fatmata"
    assert bare("-p", "pat", "system", "me").stdout.count("fatmata") >= 1

    assert bare("profile", "default").stdout.strip() == "local"
    bare("profile", "default", "pat")
    assert bare.json("profile", "default") == {"default": "pat"}
    assert "removed profile 'pat'" in bare("profile", "remove", "pat").stdout
    bare("profile", "show", "pat", code=2)  # unknown profile: a ProfileError
    assert S.FATMATA.token not in project_file.read_text()


def test_profile_add_never_takes_secrets_from_flags() -> None:
    result = Dhis2Runner()(
        "profile", "add", "x", "--url", "http://localhost:1", "--password", "p", code=2
    )
    assert "No such option" in result.stderr


def test_no_profile_is_a_usage_error() -> None:
    result = Dhis2Runner()("messaging", "list", code=2)
    assert "no DHIS2 profile configured" in result.stderr


def test_profile_add_refuses_what_could_never_work_before_asking_secrets() -> None:
    bare = Dhis2Runner()
    demo = _add(bare, "demo", "https://example.org", "--username", "u", input="pw\n", code=2)
    assert "built-in offline profile" in demo.stderr and "Password" not in demo.stderr
    assert bare.json("profile", "show", "demo")["embedded"] is True  # still the built-in
    plain = _add(bare, "lan", "http://u:secret@dhis2.lan", input="pw\n", code=2)
    assert "--allow-insecure-http" in plain.stderr and "Password" not in plain.stderr
    assert "secret" not in plain.output
    _add(bare, "lan", "http://dhis2.lan", "--username", "u", "--allow-insecure-http", input="p\n")
    assert bare.json("profile", "show", "lan")["allow_insecure_http"] is True


def test_profile_add_without_a_prompt_says_which_variable_to_set() -> None:
    result = _add(Dhis2Runner(), "x", "https://example.org", "--username", "u", input="", code=2)
    assert "set DHIS2_PASSWORD" in result.stderr and "Aborted" not in result.output
    token = _add(Dhis2Runner(), "t", "https://example.org", "--auth", "pat", input="", code=2)
    assert "set DHIS2_PAT" in token.stderr


def test_profile_add_says_when_it_replaces(isolated_env: Path) -> None:
    bare = Dhis2Runner()
    env = {"DHIS2_PASSWORD": "p"}
    assert (
        "saved profile 'x'" in _add(bare, "x", "https://a.org", "--username", "u", env=env).stdout
    )
    refused = _add(bare, "x", "https://b.org", "--username", "u", env=env, code=2)
    assert "already exists" in refused.stderr and "--force" in refused.stderr
    again = _add(bare, "x", "https://b.org", "--username", "u", "--force", env=env)
    assert "replaced profile 'x'" in again.stdout
