"""The installed ``dhis2w`` with profiles files it cannot fully use: one bad entry (or
another tool's profile) never blocks the others, and usage errors exit 2 with the reason."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from cli_helpers import Dhis2Runner, console_script


def run(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DHIS2_")}
    clean.update(XDG_CONFIG_HOME=str(home / "xdg"), HOME=str(home), NO_COLOR="1", **env)
    return subprocess.run(
        [console_script(), *args], cwd=home, env=clean, capture_output=True, text=True, timeout=120
    )


def project_file(home: Path, text: str | bytes) -> Path:
    path = home / ".dhis2" / "profiles.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    path.chmod(0o600)
    return path


BAD = """[profiles.x]
base_url = "ftp://x"

[profiles.sso]
base_url = "https://sso.example.org"
auth = "oauth2"

[profiles.play]
base_url = "https://play.example.org"
auth = "pat"
token = "d2pat_secret"
"""


def warning_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("dhis2w: warning:")]


def test_bad_entries_do_not_block_demo(tmp_path: Path) -> None:
    project_file(tmp_path, BAD)
    done = run(tmp_path, "-p", "demo", "system", "info")
    assert done.returncode == 0, done.stderr
    warned = warning_lines(done.stderr)
    assert len(warned) == 2, done.stderr
    assert "'x'" in warned[0] and "https:// or http://" in warned[0]
    assert "'sso'" in warned[1] and "oauth2" in warned[1]
    assert "Traceback" not in done.stderr


def test_profile_list_shows_unusable_entries(tmp_path: Path) -> None:
    project_file(tmp_path, BAD)
    table = run(tmp_path, "profile", "list")
    assert table.returncode == 0, table.stderr
    rows = {line.split()[1]: line for line in table.stdout.splitlines() if line.startswith("!")}
    assert set(rows) == {"x", "sso"} and "unusable" in rows["sso"]
    listed = run(tmp_path, "--json", "profile", "list")
    entries = {e["name"]: e for e in json.loads(listed.stdout)}
    assert entries["play"]["usable"] and entries["play"]["token"] == "***"
    assert not entries["sso"]["usable"] and "oauth2" in entries["sso"]["reason"]
    assert "d2pat_secret" not in listed.stdout + table.stdout


def test_selecting_an_unusable_entry_is_a_usage_error(tmp_path: Path) -> None:
    project_file(tmp_path, BAD)
    done = run(tmp_path, "-p", "x", "system", "me")
    assert done.returncode == 2
    assert "profile 'x'" in done.stderr and "cannot be used" in done.stderr


def test_non_utf8_profiles_file_exit_2_with_file_and_line(tmp_path: Path) -> None:
    path = project_file(tmp_path, b'[profiles.a]\nbase_url = "https://caf\xe9.org"\n')
    done = run(tmp_path, "profile", "list")
    assert done.returncode == 2
    assert f"{path}, line 2: not UTF-8" in done.stderr
    assert "unexpected" not in done.stderr and "Traceback" not in done.stderr


def test_invalid_toml_exit_2_with_file_and_line(tmp_path: Path) -> None:
    path = project_file(tmp_path, '[profiles.a]\nbase_url = "https://a.org\n')
    done = run(tmp_path, "profile", "list")
    assert done.returncode == 2
    assert f"{path}, line 2: not valid TOML" in done.stderr


def test_file_demo_warns_and_demo_stays_embedded(tmp_path: Path) -> None:
    project_file(
        tmp_path,
        'default = "demo"\n[profiles.demo]\nbase_url = "https://x.org"\n'
        'auth = "pat"\ntoken = "t"\n',
    )
    done = run(tmp_path, "--json", "profile", "show", "demo")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["embedded"] is True
    assert len(warning_lines(done.stderr)) == 1 and "built-in" in done.stderr


@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
def test_bad_timeout_is_a_usage_error(tmp_path: Path, value: str) -> None:
    done = run(
        tmp_path,
        "system",
        "me",
        DHIS2_URL="https://dhis2.example.org",
        DHIS2_PAT="d2pat_x",
        DHIS2_TIMEOUT=value,
    )
    assert done.returncode == 2
    assert "DHIS2_TIMEOUT must be a positive number of seconds" in done.stderr


def test_base_url_with_api_suffix_works(dhis2_emulator: object, tmp_path: Path) -> None:
    url = dhis2_emulator.url  # type: ignore[attr-defined]
    for suffix in ("/api", "/api/"):
        done = run(
            tmp_path,
            "--json",
            "system",
            "me",
            DHIS2_URL=url + suffix,
            DHIS2_USERNAME="admin",
            DHIS2_PASSWORD="district",
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["username"] == "admin"


def test_base_url_with_query_is_refused(tmp_path: Path) -> None:
    done = run(tmp_path, "system", "me", DHIS2_URL="https://x.org/?a=1", DHIS2_PAT="d2pat_x")
    assert done.returncode == 2 and "query string or fragment" in done.stderr


def test_profile_add_existing_needs_force(isolated_env: Path) -> None:
    bare = Dhis2Runner()
    env = {"DHIS2_PASSWORD": "first"}
    bare("profile", "add", "p", "--url", "https://a.org", "--username", "u", env=env)
    refused = bare(
        "profile",
        "add",
        "p",
        "--url",
        "https://b.org",
        "--username",
        "u",
        env={"DHIS2_PASSWORD": "second"},
        code=2,
    )
    assert "--force" in refused.stderr
    from dhis2w.profile import load_profile

    assert load_profile("p").password == "first"  # the saved credentials are untouched


@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
def test_profile_add_bad_timeout_is_a_usage_error(isolated_env: Path, value: str) -> None:
    result = Dhis2Runner()(
        "profile",
        "add",
        "t",
        "--url",
        "https://a.org",
        "--auth",
        "pat",
        "--timeout",
        value,
        env={"DHIS2_PAT": "d2pat_x"},
        code=2,
    )
    assert "timeout must be a positive number of seconds" in result.stderr


def test_profile_add_saves_a_ca_bundle(isolated_env: Path) -> None:
    """``--ca-bundle`` saves ``verify = <path>``; with ``--no-verify`` it is a usage error."""
    import trustme

    bundle = isolated_env / "moh-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(bundle))
    bare = Dhis2Runner()
    pat = {"DHIS2_PAT": "d2pat_x"}
    args = ("profile", "add", "moh", "--url", "https://dhis2.moh.example", "--auth", "pat")
    both = bare(*args, "--ca-bundle", str(bundle), "--no-verify", env=pat, code=2)
    assert "--no-verify and --ca-bundle" in both.stderr
    bare(*args, "--ca-bundle", str(bundle), env=pat)
    from dhis2w.profile import load_profile

    assert load_profile("moh").verify == str(bundle.resolve())
    missing = bare(*args, "--force", "--ca-bundle", str(isolated_env / "nope.pem"), code=2)
    assert "nope.pem" in missing.stderr
