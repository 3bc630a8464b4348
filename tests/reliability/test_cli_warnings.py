"""The installed ``dhis2w`` command and the profile-file and TLS safety rules.

``profiles.toml`` is written 0600; a group- or world-readable one makes every command print
one warning line on stderr (never the secret, never a Python warning dump); a profile with
TLS verification off says so on each run.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from dhis2w.testing import EmulatorHandle

from .stub_servers import json_answer, serve, untrusted_tls

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def console_script() -> str:
    found = Path(sys.executable).with_name("dhis2w")
    if not found.exists():
        pytest.fail("the dhis2w console script is missing; reinstall with pip install -e .")
    return str(found)


def run(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DHIS2_")}
    clean.update(XDG_CONFIG_HOME=str(home / "xdg"), HOME=str(home), NO_COLOR="1", **env)
    return subprocess.run(
        [console_script(), *args], cwd=home, env=clean, capture_output=True, text=True, timeout=60
    )


def profiles_file(home: Path) -> Path:
    return home / "xdg" / "dhis2" / "profiles.toml"


def test_profile_add_writes_0600_and_a_shared_file_warns_once_per_command(
    dhis2_emulator: EmulatorHandle, tmp_path: Path
) -> None:
    admin = dhis2_emulator.user("admin")
    secret = dhis2_emulator.user("fatmata").password
    added = run(
        tmp_path,
        "profile", "add", "hq", "--url", dhis2_emulator.url, "--auth", "basic",
        "--username", "fatmata", "--default",
        DHIS2_PASSWORD=secret,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    path = profiles_file(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "warning" not in added.stderr

    quiet = run(tmp_path, "--json", "system", "me")
    assert quiet.returncode == 0, quiet.stderr
    assert json.loads(quiet.stdout)["username"] == "fatmata"
    assert quiet.stderr == ""

    path.chmod(0o644)  # as a careless copy or editor might leave it
    shared = run(tmp_path, "--json", "system", "me")
    assert shared.returncode == 0, shared.stderr
    assert json.loads(shared.stdout)["username"] == "fatmata"  # stdout stays pure JSON
    lines = shared.stderr.splitlines()
    assert lines == [
        f"dhis2w: warning: {path} holds DHIS2 credentials but other users can access it "
        f"(mode 0644); make it private with: chmod 600 {path}"
    ]
    assert secret not in shared.stderr and admin.password not in shared.stderr


def test_a_profile_without_tls_verification_warns_on_every_run(tmp_path: Path) -> None:
    with serve(json_answer, tls=untrusted_tls()) as stub:
        refused = run(
            tmp_path, "profile", "add", "lab", "--url", stub.url, "--auth", "basic",
            "--username", "admin", DHIS2_PASSWORD="Lab-Canary-Pw-88",
        )  # fmt: skip
        assert refused.returncode == 0, refused.stderr
        verified = run(tmp_path, "--profile", "lab", "--json", "system", "me")
        assert verified.returncode == 1
        assert "certificate of 127.0.0.1 could not be verified" in verified.stderr

        run(tmp_path, "profile", "remove", "lab")
        added = run(
            tmp_path, "profile", "add", "lab", "--url", stub.url, "--auth", "basic",
            "--username", "admin", "--no-verify", DHIS2_PASSWORD="Lab-Canary-Pw-88",
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        unverified = run(tmp_path, "--profile", "lab", "--json", "system", "me")
    assert unverified.returncode == 0, unverified.stderr
    assert json.loads(unverified.stdout)["username"] == "admin"
    [line] = unverified.stderr.splitlines()
    assert line.startswith("dhis2w: warning: TLS certificate verification is off for profile")
    assert "Lab-Canary-Pw-88" not in unverified.stderr + verified.stderr
