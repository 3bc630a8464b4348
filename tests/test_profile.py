"""Profiles: environment precedence, TOML discovery, writing, masking, insecure http."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest

from dhis2w import profile as profiles
from dhis2w.errors import ProfileError, ProfilePermissionsWarning, UnusableProfileWarning
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
    """A clean environment: no DHIS2_* variables, XDG in tmp, cwd in a tmp project."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    project = tmp_path / "project" / "sub" / "deeper"
    project.mkdir(parents=True)
    monkeypatch.chdir(project)
    return tmp_path


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


GLOBAL = """
default = "play"
[profiles.play]
base_url = "https://play.example.org"
auth = "basic"
username = "admin"
password = "district"
[profiles.prod]
base_url = "https://prod.example.org"
auth = "pat"
token = "d2pat_prodtoken"
"""


def global_file(tmp: Path) -> Path:
    return tmp / "xdg" / "dhis2" / "profiles.toml"


def test_nothing_configured_explains_what_to_set() -> None:
    with pytest.raises(ProfileError) as info:
        profiles.profile_from_env()
    message = str(info.value)
    assert "DHIS2_URL" in message and "DHIS2_PAT" in message and "--profile demo" in message


def test_env_pat_wins_over_basic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DHIS2_URL", "https://dhis2.example.org/")
    monkeypatch.setenv("DHIS2_PAT", "d2pat_abc")
    monkeypatch.setenv("DHIS2_USERNAME", "admin")
    monkeypatch.setenv("DHIS2_PASSWORD", "district")
    found = profiles.profile_from_env()
    assert found.base_url == "https://dhis2.example.org"
    assert found.auth == "pat" and found.token == "d2pat_abc" and found.password is None
    assert found.source == "env"
    assert found.authorization_header() == "ApiToken d2pat_abc"


def test_env_basic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DHIS2_URL", "https://dhis2.example.org")
    monkeypatch.setenv("DHIS2_USERNAME", "admin")
    monkeypatch.setenv("DHIS2_PASSWORD", "district")
    found = profiles.profile_from_env()
    assert found.auth == "basic"
    assert found.authorization_header() == "Basic YWRtaW46ZGlzdHJpY3Q="


def test_env_url_without_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DHIS2_URL", "https://dhis2.example.org")
    with pytest.raises(ProfileError, match="no credentials"):
        profiles.profile_from_env()


def test_global_default(isolated: Path) -> None:
    write(global_file(isolated), GLOBAL)
    found = profiles.load_profile()
    assert found.name == "play" and found.username == "admin"
    assert found.source == f"global:{global_file(isolated)}"


def test_named_profile_and_pat(isolated: Path) -> None:
    write(global_file(isolated), GLOBAL)
    found = profiles.load_profile("prod")
    assert found.auth == "pat" and found.token == "d2pat_prodtoken"


def test_precedence(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(global_file(isolated), GLOBAL)
    project = write(
        isolated / "project" / ".dhis2" / "profiles.toml",
        'default = "local"\n[profiles.local]\nbase_url = "http://localhost:8080"\n'
        'auth = "basic"\nusername = "u"\npassword = "p"\n',
    )
    # project default beats global default (found walking up from project/sub/deeper)
    assert profiles.load_profile().name == "local"
    assert profiles.load_profile().source == f"project:{project}"
    # raw env beats file defaults
    monkeypatch.setenv("DHIS2_URL", "https://env.example.org")
    monkeypatch.setenv("DHIS2_PAT", "d2pat_env")
    assert profiles.load_profile().source == "env"
    # DHIS2_PROFILE beats raw env
    monkeypatch.setenv("DHIS2_PROFILE", "prod")
    assert profiles.load_profile().name == "prod"
    # explicit name beats everything
    assert profiles.load_profile("play").name == "play"


def test_unknown_name_lists_known(isolated: Path) -> None:
    write(global_file(isolated), GLOBAL)
    with pytest.raises(ProfileError, match="known profiles: demo, play, prod"):
        profiles.load_profile("nope")


def test_demo_profile_is_builtin_and_cheap() -> None:
    demo = profiles.load_profile("demo")
    assert demo.embedded and demo.base_url == "embedded:demo"
    assert demo.username == "admin" and demo.source == "built-in"
    assert "district" not in repr(demo)


def test_file_demo_never_takes_over_the_builtin(isolated: Path) -> None:
    write(
        global_file(isolated),
        'default = "demo"\n[profiles.demo]\nbase_url = "https://mine.example.org"\n'
        'auth = "pat"\ntoken = "t"\n',
    )
    with pytest.warns(UnusableProfileWarning, match="'demo' is dhis2w's built-in"):
        assert profiles.load_profile("demo").embedded
    assert profiles.load_profile().embedded  # default = "demo" is the built-in too
    assert profiles.list_profiles()["demo"].source == "built-in"


def test_list_profiles_sources(isolated: Path) -> None:
    write(global_file(isolated), GLOBAL)
    listed = profiles.list_profiles()
    assert set(listed) == {"demo", "play", "prod"}
    assert listed["demo"].source == "built-in"
    assert listed["play"].source is not None and listed["play"].source.startswith("global:")
    assert profiles.default_profile_name() == "play"


def test_bad_toml(isolated: Path) -> None:
    write(global_file(isolated), "default = \n")
    with pytest.raises(ProfileError, match="not valid TOML"):
        profiles.list_profiles()


@pytest.mark.parametrize(
    ("table", "error"),
    [
        ('auth = "pat"\n', "needs a token"),
        ('auth = "basic"\nusername = "u"\n', "needs username and password"),
        ('auth = "oauth"\n', "auth must be"),
        ('auth = "pat"\ntoken = "t"\ntimeout = "x"\n', "timeout"),
    ],
)
def test_bad_profile_tables(isolated: Path, table: str, error: str) -> None:
    write(
        global_file(isolated),
        f'[profiles.x]\nbase_url = "https://x.example.org"\n{table}',
    )
    with pytest.warns(UnusableProfileWarning, match=f"skipping profile 'x' in .*{error}"):
        assert "x" not in profiles.list_profiles()  # skipped, with one warning
    with pytest.raises(ProfileError, match=f"profile 'x' .* cannot be used: .*{error}"):
        profiles.load_profile("x")  # selecting it is the error


def test_save_profile_mode_0600_and_round_trip(isolated: Path) -> None:
    saved = Profile(
        base_url="https://play.example.org",
        username="admin",
        password='dis"trict\\ñ',
        timeout=12.5,
    )
    path = profiles.save_profile(saved, name="play test", make_default=True)
    assert path == global_file(isolated)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert data["default"] == "play test"
    loaded = profiles.load_profile()
    assert loaded.name == "play test"
    assert loaded.password == 'dis"trict\\ñ' and loaded.timeout == 12.5
    # a second profile keeps the first
    profiles.save_profile(Profile(base_url="https://b.example.org", token="d2pat_b"), name="b")
    assert set(profiles.list_profiles()) == {"demo", "play test", "b"}


def test_save_project_scope(isolated: Path) -> None:
    path = profiles.save_profile(
        Profile(base_url="https://p.example.org", token="t"), name="p", scope="project"
    )
    assert path == Path.cwd() / ".dhis2" / "profiles.toml"
    assert profiles.profiles_file("project") == path
    assert profiles.load_profile("p").source == f"project:{path}"


def test_remove_and_set_default(isolated: Path) -> None:
    write(global_file(isolated), GLOBAL)
    profiles.set_default_profile("prod")
    assert profiles.default_profile_name() == "prod"
    profiles.remove_profile("prod")
    assert "prod" not in profiles.list_profiles()
    assert profiles.default_profile_name() is None
    with pytest.raises(ProfileError):
        profiles.remove_profile("prod")
    with pytest.raises(ProfileError):
        profiles.set_default_profile("nope")


def test_masking_everywhere() -> None:
    secret = Profile(base_url="https://u:pw@dhis2.example.org", username="admin", password="s3cret")
    token = Profile(base_url="https://dhis2.example.org", token="d2pat_t0ken")
    for text in (repr(secret), str(secret), repr(token), str(token), str(token.to_public_dict())):
        assert "s3cret" not in text and "d2pat_t0ken" not in text and ":pw@" not in text
    assert "***" in repr(secret)


def test_insecure_http_refused_unless_allowed() -> None:
    remote = Profile(base_url="http://dhis2.example.org", username="admin", password="district")
    with pytest.raises(ProfileError, match="plain http") as info:
        remote.check_transport_security()
    assert "district" not in str(info.value)
    Profile(
        base_url="http://dhis2.example.org", token="t", allow_insecure_http=True
    ).check_transport_security()
    for url in ("http://localhost:8080", "http://127.0.0.1:9", "http://[::1]:80"):
        Profile(base_url=url, token="t").check_transport_security()
    Profile(base_url="http://dhis2.example.org").check_transport_security()  # no credentials


def test_bad_base_url() -> None:
    with pytest.raises(ProfileError, match="https://"):
        Profile(base_url="dhis2.example.org", token="t")
    with pytest.raises(ProfileError, match="empty"):
        Profile(base_url=" ", token="t")


def test_userinfo_in_base_url_becomes_credentials() -> None:
    profile = Profile(base_url="https://jo%40hq:p%3Ass@dhis2.example.org:8443/dhis/")
    assert profile.base_url == "https://dhis2.example.org:8443/dhis"
    assert (profile.username, profile.password, profile.auth) == ("jo@hq", "p:ss", "basic")
    for text in (repr(profile), str(profile), str(profile.to_public_dict()), profile.display_url):
        assert "p:ss" not in text and "p%3Ass" not in text
    # explicit credentials win; the userinfo is still stripped from the URL
    explicit = Profile(base_url="https://u:pw@dhis2.example.org", token="d2pat_t")
    assert explicit.base_url == "https://dhis2.example.org"
    assert (explicit.username, explicit.password, explicit.auth) == (None, None, "pat")


def test_userinfo_over_plain_http_is_refused() -> None:
    profile = Profile(base_url="http://admin:district@dhis2.example.org")
    with pytest.raises(ProfileError, match="plain http") as info:
        profile.check_transport_security()
    assert "district" not in str(info.value)


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_shared_profiles_file_warns_once(isolated: Path, mode: int) -> None:
    path = write(global_file(isolated), GLOBAL, mode=mode)
    with pytest.warns(ProfilePermissionsWarning) as caught:
        profiles.load_profile()
        profiles.list_profiles()
    assert len(caught) == 1, [str(w.message) for w in caught]
    message = str(caught[0].message)
    assert f"mode {mode:04o}" in message and f"chmod 600 {path}" in message
    assert "district" not in message and "d2pat_prodtoken" not in message


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_private_profiles_file_does_not_warn(
    isolated: Path, recwarn: pytest.WarningsRecorder
) -> None:
    write(global_file(isolated), GLOBAL, mode=0o600)
    profiles.load_profile()
    assert not [w for w in recwarn if issubclass(w.category, ProfilePermissionsWarning)]


@pytest.mark.parametrize(
    ("url", "username", "password", "base"),
    [
        (
            "https://fatmata:Fatmata#2024@h.org/dhis",
            "fatmata",
            "Fatmata#2024",
            "https://h.org/dhis",
        ),
        ("https://u:a/b?c@h.org:8443", "u", "a/b?c", "https://h.org:8443"),
        ("https://u:p%40ss@h.org", "u", "p@ss", "https://h.org"),
        ("https://me@h.org", "me", None, "https://h.org"),
    ],
)
def test_userinfo_with_reserved_characters_moves_into_the_profile(
    url: str, username: str, password: str | None, base: str
) -> None:
    profile = Profile(base_url=url)
    assert (profile.username, profile.password, profile.base_url) == (username, password, base)
    if password:
        assert password not in repr(profile) + str(profile.to_public_dict())


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("fatmata:Canary-7f3a@h.org", "must start with https:// or http://"),
        ("ftp://u:Canary-7f3a@h.org", "must start with https:// or http://"),
        ("https://u:Canary-7f3a@h.org:notaport", "not a valid URL"),
    ],
)
def test_bad_urls_are_profile_errors_without_the_secret(url: str, message: str) -> None:
    with pytest.raises(ProfileError, match=message) as info:
        Profile(base_url=url)
    assert "Canary-7f3a" not in str(info.value)
