"""Profiles files written by people and by other tools: a bad entry never blocks the good
ones, unreadable files are named with their line, writing keeps what dhis2w does not manage,
and base URLs / timeouts that cannot work are refused with a clear message."""

from __future__ import annotations

import logging
import os
import stat
import tomllib
from pathlib import Path

import pytest

from dhis2w import profile as profiles
from dhis2w.errors import ProfileError, UnusableProfileWarning
from dhis2w.profile import Profile

ENV_VARS = (
    "DHIS2_URL",
    "DHIS2_PAT",
    "DHIS2_USERNAME",
    "DHIS2_PASSWORD",
    "DHIS2_PROFILE",
    "DHIS2_TIMEOUT",
    "DHIS2_ALLOW_INSECURE_HTTP",
)


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    return tmp_path


def global_file(tmp: Path) -> Path:
    return tmp / "xdg" / "dhis2" / "profiles.toml"


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    path.chmod(0o600)
    return path


GOOD = '[profiles.play]\nbase_url = "https://play.example.org"\nauth = "pat"\ntoken = "d2pat_x"\n'

#: What dhis2w 1.33's ``d2w`` writes into the same file: a profile dhis2w cannot use.
OTHER_TOOL = """# written by d2w
[profiles.sso]
base_url = "https://sso.example.org"
auth = "oauth2"
client_id = "dhis2w-cli"
[profiles.sso.scopes]
read = ["ALL"]
"""


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ('[profiles.x]\nbase_url = "ftp://x"\n', "must start with https:// or http://"),
        (OTHER_TOOL, "auth = 'oauth2' is not something dhis2w supports"),
        ("[profiles.x]\nbase_url = 5\n", "base_url must be a string"),
        (
            '[profiles.x]\nbase_url = "https://x.org"\nauth = "pat"\ntoken = "t"\ntimeout = nan\n',
            "timeout must be a positive number",
        ),
        ("[profiles.x]\nauth = 'pat'\n", "has no base_url"),
    ],
)
def test_bad_entry_is_skipped_with_one_warning(isolated: Path, bad: str, reason: str) -> None:
    write(global_file(isolated), GOOD + bad)
    name = "sso" if bad is OTHER_TOOL else "x"
    with pytest.warns(UnusableProfileWarning, match=f"skipping profile '{name}' in .*{reason}"):
        listed = profiles.list_profiles()
    assert set(listed) == {"demo", "play"}
    assert profiles.load_profile("play").token == "d2pat_x"
    assert profiles.load_profile("demo").embedded
    unusable = profiles.unusable_profiles()
    assert list(unusable) == [name] and reason in unusable[name].reason
    with pytest.raises(ProfileError, match=f"profile '{name}' .*cannot be used: .*{reason}"):
        profiles.load_profile(name)


def test_bad_entry_warns_once_per_command(isolated: Path) -> None:
    write(global_file(isolated), GOOD + '[profiles.x]\nbase_url = "ftp://x"\n')
    with pytest.warns(UnusableProfileWarning) as seen:
        profiles.list_profiles()
        profiles.load_profile("play")
        profiles.default_profile_name()
    assert len(seen) == 1


def test_default_naming_a_bad_entry_is_an_error_when_used(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(global_file(isolated), 'default = "x"\n' + GOOD + '[profiles.x]\nbase_url = "ftp://x"\n')
    with pytest.warns(UnusableProfileWarning), pytest.raises(ProfileError, match="cannot be used"):
        profiles.load_profile()


def test_non_utf8_file_names_file_and_line(isolated: Path) -> None:
    path = write(global_file(isolated), GOOD.encode() + b"# caf\xe9\n[profiles.y]\n")
    with pytest.raises(ProfileError) as info:
        profiles.list_profiles()
    assert str(path) in str(info.value) and "line 5" in str(info.value)
    assert "not UTF-8" in str(info.value) and "0xE9" in str(info.value)


def test_invalid_toml_names_file_line_and_reason(isolated: Path) -> None:
    path = write(global_file(isolated), GOOD + "broken = \n")
    with pytest.raises(ProfileError) as info:
        profiles.list_profiles()
    message = str(info.value)
    assert message.startswith(f"{path}, line 5: not valid TOML: ")
    assert "Invalid value" in message


def test_demo_still_works_when_a_file_is_unreadable(isolated: Path) -> None:
    write(global_file(isolated), b"\xff\xfe")
    with pytest.warns(UnusableProfileWarning, match="not UTF-8"):
        assert profiles.load_profile("demo").embedded


def test_saving_keeps_other_tables_keys_and_comments(isolated: Path) -> None:
    path = write(
        global_file(isolated),
        "# my notes: keep me\ntheme = 'dark'\n" + OTHER_TOOL + "\n[tool.other]\nlevel = 3\n",
    )
    profiles.save_profile(
        Profile(base_url="https://b.example.org", username="u", password="p"),
        name="b",
        make_default=True,
    )
    text = path.read_text(encoding="utf-8")
    assert "# my notes: keep me" in text and "# written by d2w" in text
    data = tomllib.loads(text)
    assert data["theme"] == "dark" and data["tool"] == {"other": {"level": 3}}
    assert data["profiles"]["sso"] == {
        "base_url": "https://sso.example.org",
        "auth": "oauth2",
        "client_id": "dhis2w-cli",
        "scopes": {"read": ["ALL"]},
    }
    assert data["profiles"]["b"] == {
        "base_url": "https://b.example.org",
        "auth": "basic",
        "username": "u",
        "password": "p",
    }
    assert data["default"] == "b"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    profiles.remove_profile("b")
    after = tomllib.loads(path.read_text(encoding="utf-8"))
    assert "b" not in after["profiles"] and "default" not in after
    assert after["profiles"]["sso"]["scopes"] == {"read": ["ALL"]}
    assert "# my notes: keep me" in path.read_text(encoding="utf-8")


def test_saving_always_writes_auth(isolated: Path) -> None:
    path = profiles.save_profile(
        Profile(base_url="https://t.example.org", token="d2pat_t", username="svc"), name="t"
    )
    assert tomllib.loads(path.read_text(encoding="utf-8"))["profiles"]["t"]["auth"] == "pat"
    with pytest.raises(ProfileError, match="credentials"):
        profiles.save_profile(Profile(base_url="https://n.example.org"), name="n")


def test_saving_an_existing_name_needs_force(isolated: Path) -> None:
    first = Profile(base_url="https://a.example.org", username="u", password="old")
    second = Profile(base_url="https://a.example.org", username="u", password="new")
    profiles.save_profile(first, name="a")
    with pytest.raises(ProfileError, match=r"already exists .*force=True"):
        profiles.save_profile(second, name="a")
    assert profiles.load_profile("a").password == "old"
    profiles.save_profile(second, name="a", force=True)
    assert profiles.load_profile("a").password == "new"


def test_demo_cannot_be_saved(isolated: Path) -> None:
    with pytest.raises(ProfileError, match="built-in"):
        profiles.save_profile(Profile(base_url="https://d.example.org", token="t"), name="demo")


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "0", "NaN"])
def test_env_timeout_must_be_a_positive_finite_number(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("DHIS2_URL", "https://dhis2.example.org")
    monkeypatch.setenv("DHIS2_PAT", "d2pat_x")
    monkeypatch.setenv("DHIS2_TIMEOUT", value)
    with pytest.raises(ProfileError, match="DHIS2_TIMEOUT must be a positive number"):
        profiles.profile_from_env()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://dhis2.example.org/api", "https://dhis2.example.org"),
        ("https://dhis2.example.org/api/", "https://dhis2.example.org"),
        ("https://example.org/dhis/api/", "https://example.org/dhis"),
        ("https://example.org/dhis/API", "https://example.org/dhis"),
        ("https://example.org/apis", "https://example.org/apis"),
    ],
)
def test_base_url_ending_in_api_drops_it(
    caplog: pytest.LogCaptureFixture, url: str, expected: str
) -> None:
    with caplog.at_level(logging.DEBUG, logger="dhis2w"):
        assert Profile(base_url=url, token="t").base_url == expected
    dropped = [r for r in caplog.records if "/api" in r.getMessage()]
    assert len(dropped) == (0 if url.endswith("apis") else 1)
    assert all(r.levelno == logging.DEBUG for r in dropped)


@pytest.mark.parametrize(
    "url",
    [
        "https://dhis2.example.org/?token=s3cret",
        "https://dhis2.example.org#s3cret",
        "https://dhis2.example.org/dhis?",
    ],
)
def test_base_url_with_query_or_fragment_is_refused(url: str) -> None:
    with pytest.raises(ProfileError, match="query string or fragment") as info:
        Profile(base_url=url, token="t")
    assert "s3cret" not in str(info.value)


@pytest.mark.parametrize("url", ["http://", "https://", "https:///path"])
def test_base_url_without_host_is_refused(url: str) -> None:
    with pytest.raises(ProfileError, match="has no host name"):
        Profile(base_url=url, token="t")


@pytest.mark.parametrize("timeout", [float("nan"), float("inf"), -1.0, 0.0])
def test_profile_timeout_must_be_positive_and_finite(timeout: float) -> None:
    with pytest.raises(ProfileError, match="timeout must be a positive number of seconds"):
        Profile(base_url="https://dhis2.example.org", token="t", timeout=timeout)
