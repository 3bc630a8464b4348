"""Issue 7: a password or token never appears in any output dhis2w produces.

Each test sweeps one channel with known secrets: a seeded user's real password and real
personal access token (``fatmata``; distinctive strings that occur nowhere else in the seeded
world), and for failure paths made-up canaries that no server accepts. Every secret is looked
for in all the forms it travels in: as given, URL-encoded, inside ``user:password``, that pair
Base64-encoded (and as the full ``Basic ...`` header value), and the full ``ApiToken ...``
header value.

Each test also checks that it really exercised its channel (the debug output holds the
request lines, the MCP result holds conversations, ...), so an empty output can never pass
for a clean one. A failing sweep names the channel and shows a snippet with every secret
masked: the secrets never reach the test report in full (log records are kept away from
pytest's own log capture for the same reason).

The last two tests are regressions for leaks this sweep found in ``dhis2w/profile.py``: a
``user:password@host`` URL without a scheme, and a password holding an unencoded ``#``.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import traceback
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import anyio
import httpx
import pytest

from dhis2w import AsyncClient, Client, Profile, load_profile, profile_from_env
from dhis2w.emulator import banner
from dhis2w.emulator import seed as S
from dhis2w.errors import (
    AuthenticationError,
    Dhis2Error,
    Dhis2Warning,
    NotFoundError,
    ProfileError,
    ServerError,
    TransportError,
)
from dhis2w.testing import EmulatorHandle

from .conftest import Tally

USER = S.FATMATA
CANARY_PASSWORD = "Canary-Pw-7f3a9"
CANARY_TOKEN = "d2pat_CanaryToken000000000000000000000"
UNKNOWN_UID = "AbCdEfGhIj1"

_PROFILE_ENV = (
    "DHIS2_PROFILE",
    "DHIS2_URL",
    "DHIS2_PAT",
    "DHIS2_USERNAME",
    "DHIS2_PASSWORD",
    "DHIS2_TIMEOUT",
    "DHIS2_ALLOW_INSECURE_HTTP",
    "DHIS2W_MCP_READONLY",
    "DHIS2W_MCP_UPLOAD_DIRS",
)


# --------------------------------------------------------------------------------------------
# The secrets, in every form they travel in, and the sweep helpers.


def basic_forms(username: str, password: str) -> tuple[str, ...]:
    """A password as given, URL-encoded, as ``user:password`` and as Basic auth."""
    pair = f"{username}:{password}"
    b64 = base64.b64encode(pair.encode()).decode("ascii")
    forms = [password, pair, b64, f"Basic {b64}"]
    encoded = quote(password, safe="")
    if encoded != password:
        forms.append(encoded)
    return tuple(forms)


def token_forms(token: str) -> tuple[str, ...]:
    """A personal access token as given and as the full ``Authorization`` value."""
    return token, f"ApiToken {token}"


REAL_PASSWORD = basic_forms(USER.username, USER.password)
REAL_TOKEN = token_forms(USER.token)
CANARY = basic_forms(USER.username, CANARY_PASSWORD) + token_forms(CANARY_TOKEN)
REAL = REAL_PASSWORD + REAL_TOKEN
EVERY_SECRET = REAL + CANARY

_MARK = "\u27eamasked "


def _mask(secret: str) -> str:
    return f"{_MARK}{secret[:3]}... ({len(secret)} chars)\u27eb"


def _masked(text: str, *extra: str) -> str:
    """``text`` with every known secret (longest first) replaced by a mask."""
    for secret in sorted({*EVERY_SECRET, *extra}, key=len, reverse=True):
        text = text.replace(secret, _mask(secret))
    return text


def assert_no_secret(text: str, *secrets: str, channel: str) -> None:
    """Fail, naming ``channel`` and showing a masked snippet, if any of ``secrets`` is in
    ``text``. Never a bare ``assert``: pytest would print the secret in its explanation."""
    for secret in secrets:
        if secret in text:
            masked = _masked(text, *secrets)
            at = masked.find(_MARK)
            snippet = masked[max(0, at - 80) : at + 160]
            pytest.fail(
                f"secret leaked on channel {channel!r}: {_mask(secret)} found in:\n...{snippet}...",
                pytrace=False,
            )


def assert_exercised(text: str, *needles: str, channel: str) -> None:
    """The sweep proved something: ``text`` is not empty and holds each of ``needles``."""
    if not text.strip():
        pytest.fail(f"channel {channel!r} produced no output: nothing was swept", pytrace=False)
    for needle in needles:
        if needle not in text:
            pytest.fail(
                f"channel {channel!r} was not exercised: {needle!r} missing from:\n"
                f"{_masked(text)[:1500]}",
                pytrace=False,
            )


def exception_text(exc: BaseException) -> str:
    """Everything an exception can show: str, repr, args, attributes and the formatted
    traceback, for it and every exception chained to it (``__cause__`` and ``__context__``,
    even a context hidden by ``raise ... from None``)."""
    parts: list[str] = []
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        parts += [type(current).__name__, str(current), repr(current), repr(current.args)]
        parts.append(repr(getattr(current, "__dict__", {})))
        parts.append("".join(traceback.format_exception(current)))
        stack += [current.__cause__, current.__context__]
    return "\n".join(parts)


class _Records(logging.Handler):
    """Keeps every record it sees; :func:`captured_logs` installs it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    @property
    def text(self) -> str:
        """Each record formatted (traceback included), plus its raw args."""
        return "\n".join(f"{self.format(r)} {r.args!r}" for r in self.records)


@contextmanager
def captured_logs(*names: str) -> Iterator[_Records]:
    """Every record of the ``names`` loggers at DEBUG, kept away from pytest's own log
    capture (``propagate = False``): a failing sweep must not print the secret it found in
    the report's "Captured log" section."""
    handler = _Records()
    saved = []
    for name in names:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level, logger.propagate))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
    try:
        yield handler
    finally:
        for logger, level, propagate in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _write_profiles(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def _profiles_toml(url: str) -> str:
    """Profiles holding the real secrets (``fat``, ``fatpat``), canaries (``bad``,
    ``badpat``), a canary in the URL's userinfo (``inurl``) and an insecure one."""
    return f"""
default = "fat"

[profiles.fat]
base_url = "{url}"
auth = "basic"
username = "{USER.username}"
password = "{USER.password}"

[profiles.fatpat]
base_url = "{url}"
auth = "pat"
token = "{USER.token}"

[profiles.bad]
base_url = "{url}"
auth = "basic"
username = "{USER.username}"
password = "{CANARY_PASSWORD}"

[profiles.badpat]
base_url = "{url}"
auth = "pat"
token = "{CANARY_TOKEN}"

[profiles.inurl]
base_url = "https://{USER.username}:{CANARY_PASSWORD}@dhis2.example.org/hmis"

[profiles.insecure]
base_url = "http://dhis2.example.org"
auth = "basic"
username = "{USER.username}"
password = "{CANARY_PASSWORD}"
"""


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No profile from the developer's machine; cwd and XDG config are the test's own."""
    for name in _PROFILE_ENV:
        monkeypatch.delenv(name, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return work


def _global_profiles(tmp_path: Path) -> Path:
    return tmp_path / "config" / "dhis2" / "profiles.toml"


# --------------------------------------------------------------------------------------------
# repr / str of profiles and clients, Profile.to_public_dict


def _profiles(url: str) -> list[Profile]:
    return [
        Profile(base_url=url, username=USER.username, password=USER.password, name="basic"),
        Profile(base_url=url, token=USER.token, name="pat"),
        Profile(base_url=url, username=USER.username, token=USER.token),  # PAT + username
        Profile(base_url=f"https://{USER.username}:{CANARY_PASSWORD}@dhis2.example.org/hmis"),
        # the seeded password has a '#': in a URL it must be percent-encoded
        Profile(base_url=f"https://{USER.username}:{quote(USER.password, safe='')}@h.example"),
        Profile(base_url=url, username=USER.username, password=CANARY_PASSWORD, timeout=0.5),
        Profile(base_url="http://dhis2.example.org", token=CANARY_TOKEN, allow_insecure_http=True),
        Profile(base_url="https://dhis2.example.org", token=CANARY_TOKEN, verify=False),
    ]


def test_profile_repr_and_str(dhis2_emulator: EmulatorHandle, tally: Tally) -> None:
    channel = "repr/str of Profile"
    profiles = _profiles(dhis2_emulator.url)
    # the userinfo URL really carried a secret into the profile
    assert profiles[3].password == CANARY_PASSWORD and profiles[3].username == USER.username
    assert profiles[4].password == USER.password
    texts = []
    for p in profiles:
        texts += [repr(p), str(p), f"{p}", f"{p!r}", "%s" % (p,), p.display_url]  # noqa: UP031
        texts += [repr([p]), repr({"p": p})]
    text = "\n".join(texts)
    assert_no_secret(text, *EVERY_SECRET, channel=channel)
    assert_exercised(text, "Profile(", "password='***'", "token='***'", channel=channel)
    tally.add("secret_channels")


def test_profile_public_dict(dhis2_emulator: EmulatorHandle, tally: Tally) -> None:
    channel = "Profile.to_public_dict"
    dicts = [p.to_public_dict() for p in _profiles(dhis2_emulator.url)]
    text = json.dumps(dicts) + repr(dicts)
    assert_no_secret(text, *EVERY_SECRET, channel=channel)
    assert_exercised(text, '"password": "***"', '"token": "***"', USER.username, channel=channel)
    tally.add("secret_channels")


def test_client_repr_and_str(dhis2_emulator: EmulatorHandle, tally: Tally) -> None:
    channel = "repr/str of Client and AsyncClient"
    texts: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # the verify=False warning is swept too
        for p in _profiles(dhis2_emulator.url):
            texts += _client_texts(p, dhis2_emulator.url)
    texts += [str(w.message) for w in caught]
    text = "\n".join(texts)
    assert_no_secret(text, *EVERY_SECRET, channel=channel)
    assert_exercised(
        text, "<Client ", "<AsyncClient ", dhis2_emulator.url, USER.uid, channel=channel
    )
    assert text.count(USER.uid) >= 3  # me() ran with the three real-secret profiles
    assert any(issubclass(w.category, Dhis2Warning) for w in caught)
    tally.add("secret_channels")


def _client_texts(p: Profile, url: str) -> list[str]:
    texts: list[str] = []
    with Client(p, max_retries=0) as client:
        real = p.password == USER.password or (p.token == USER.token and p.password is None)
        if p.base_url == url and real:
            me = client.system.me()  # the HTTP client and its auth header now exist
            texts += [repr(me), str(me)]
        for obj in (client, client.messaging, client.files, client.system, client.profile):
            texts += [repr(obj), str(obj)]
    async_client = AsyncClient(p)
    texts += [repr(async_client), str(async_client), repr(async_client.messaging)]
    return texts


# --------------------------------------------------------------------------------------------
# exception messages


def _failures(
    emu: EmulatorHandle, tmp_path: Path
) -> Iterator[tuple[str, type[BaseException], Any]]:
    """(label, expected exception, a callable that raises it)."""
    url = emu.url
    real_basic = Profile(base_url=url, username=USER.username, password=USER.password)
    real_pat = Profile(base_url=url, token=USER.token)

    def call(profile: Profile, action: Any) -> Any:
        def run() -> Any:
            with Client(profile, max_retries=0, backoff_base=0.01) as client:
                return action(client)

        return run

    me = lambda c: c.system.me()  # noqa: E731
    yield (
        "wrong password (401)",
        AuthenticationError,
        call(Profile(base_url=url, username=USER.username, password=CANARY_PASSWORD), me),
    )
    yield (
        "wrong token (401)",
        AuthenticationError,
        call(Profile(base_url=url, token=CANARY_TOKEN), me),
    )
    yield (
        "302 to the login page",
        AuthenticationError,
        call(
            real_basic,
            lambda c: c.post_raw(
                "/api/messageConversations/read",
                json=[S.CONV_STOCK_OUT.uid],
                headers={"Authorization": f"Bearer {CANARY_TOKEN}"},
            ),
        ),
    )
    refused = f"http://127.0.0.1:{_closed_port()}"
    yield (
        "connection refused (basic)",
        TransportError,
        call(Profile(base_url=refused, username=USER.username, password=USER.password), me),
    )
    yield (
        "connection refused on a send (pat)",
        TransportError,
        call(
            Profile(base_url=refused, token=USER.token),
            lambda c: c.messaging.send(subject="s", text="t", users=[S.ADMIN.uid]),
        ),
    )

    def timeout() -> Any:
        emu.faults.latency(1.0)
        try:
            return call(
                Profile(base_url=url, token=USER.token, timeout=0.2),
                lambda c: c.get_raw("/api/system/info"),
            )()
        finally:
            emu.faults.clear()

    yield "read timeout", TransportError, timeout

    def fault(status: int, profile: Profile, action: Any) -> Any:
        def run() -> Any:
            emu.faults.fail_next(3, status=status)
            try:
                return call(profile, action)()
            finally:
                emu.faults.clear()

        return run

    yield "500 fault", ServerError, fault(500, real_basic, me)
    yield "503 fault", ServerError, fault(503, real_pat, lambda c: c.messaging.unread_count())
    yield (
        "500 fault on a send",
        ServerError,
        fault(
            500, real_basic, lambda c: c.messaging.send(subject="s", text="t", users=[S.ADMIN.uid])
        ),
    )
    yield (
        "insecure http (basic)",
        ProfileError,
        lambda: Client(
            Profile(
                base_url="http://dhis2.example.org",
                username=USER.username,
                password=CANARY_PASSWORD,
            )
        ),
    )
    yield (
        "insecure http (pat)",
        ProfileError,
        lambda: AsyncClient(Profile(base_url="http://10.1.2.3:8080", token=CANARY_TOKEN)),
    )
    yield (
        "bad scheme with userinfo",
        ProfileError,
        lambda: Profile(base_url=f"ftp://{USER.username}:{CANARY_PASSWORD}@dhis2.example.org"),
    )
    yield (
        "not found (conversation)",
        NotFoundError,
        call(real_basic, lambda c: c.messaging.get_conversation(UNKNOWN_UID)),
    )
    yield (
        "not found (file resource)",
        NotFoundError,
        call(real_pat, lambda c: c.files.get_file_resource(UNKNOWN_UID)),
    )

    # malformed profiles.toml files, each holding a secret
    project = tmp_path / "work" / ".dhis2" / "profiles.toml"
    global_file = _global_profiles(tmp_path)
    head = (
        f'[profiles.broken]\nbase_url = "https://dhis2.example.org"\nusername = "{USER.username}"\n'
    )
    broken = {
        "unquoted password": head + f"auth = 'basic'\npassword = {CANARY_PASSWORD}\n",
        "unterminated password": head + f'auth = "basic"\npassword = "{CANARY_PASSWORD}\n',
        "unterminated token": head + f'auth = "pat"\ntoken = "{CANARY_TOKEN}\n',
        "duplicate password": head
        + f'password = "{CANARY_PASSWORD}"\npassword = "{USER.password}"\n',
        "bad auth value": head + f'auth = "{CANARY_PASSWORD}"\npassword = "{CANARY_PASSWORD}"\n',
        "basic without password": head + f'auth = "basic"\ntoken = "{CANARY_TOKEN}"\n',
        "token not a string": head + f'auth = "pat"\ntoken = ["{CANARY_TOKEN}"]\n',
        "password not a string": head + f'auth = "basic"\npassword = {{ v = "{USER.password}" }}\n',
        "profiles not a table": f'profiles = "{CANARY_PASSWORD}"\n',
        "secret in a bad timeout": head
        + f'auth = "pat"\ntoken = "{USER.token}"\ntimeout = "{USER.token}"\n',
    }
    for label, text in broken.items():

        def load_project(text: str = text) -> Any:
            _write_profiles(project, text)
            try:
                return load_profile("broken")
            finally:
                project.unlink()

        def load_global(text: str = text) -> Any:
            _write_profiles(
                global_file, 'default = "broken"\n' + text if "[profiles" in text else text
            )
            try:
                return profile_from_env()
            finally:
                global_file.unlink()

        yield f"profiles.toml: {label} (project)", ProfileError, load_project
        yield f"profiles.toml: {label} (global default)", ProfileError, load_global


def test_exception_messages(dhis2_emulator: EmulatorHandle, tmp_path: Path, tally: Tally) -> None:
    channel = "exception messages"
    swept = 0
    for label, expected, action in _failures(dhis2_emulator, tmp_path):
        try:
            # A bad profiles entry is skipped with a warning before selecting it fails:
            # the warning is an output channel too, swept like the error.
            with warnings.catch_warnings(record=True) as seen:
                warnings.simplefilter("always")
                try:
                    action()
                finally:
                    for warning in seen:
                        assert_no_secret(
                            str(warning.message), *EVERY_SECRET, channel=f"{channel}: {label}"
                        )
        except Exception as exc:  # anything else is reported masked, never raised as is
            if not isinstance(exc, expected):
                pytest.fail(
                    f"{label}: expected {expected.__name__}, got {type(exc).__name__}: "
                    f"{_masked(str(exc))}",
                    pytrace=False,
                )
            text = exception_text(exc)
            assert_no_secret(text, *EVERY_SECRET, channel=f"{channel}: {label}")
            assert_exercised(text, type(exc).__name__, "Traceback", channel=f"{channel}: {label}")
            assert str(exc).strip(), label  # a message to sweep, not an empty one
            swept += 1
        else:
            pytest.fail(f"{label}: no exception was raised", pytrace=False)
    assert swept >= 30
    tally.add("secret_channels")


def test_exception_messages_async_twin(dhis2_emulator: EmulatorHandle) -> None:
    """The async source raises the same errors; sweep a few of them too (the same channel
    as the sync test, so it adds nothing to the tally)."""
    channel = "exception messages (AsyncClient)"
    url = dhis2_emulator.url

    async def collect() -> list[BaseException]:
        caught: list[BaseException] = []
        cases = [
            (Profile(base_url=url, username=USER.username, password=CANARY_PASSWORD), "me"),
            (Profile(base_url=url, token=CANARY_TOKEN), "me"),
            (Profile(base_url=url, token=USER.token), "missing"),
            (Profile(base_url=f"http://127.0.0.1:{_closed_port()}", token=USER.token), "me"),
        ]
        for profile, what in cases:
            try:
                async with AsyncClient(profile, max_retries=0) as client:
                    if what == "me":
                        await client.system.me()
                    else:
                        await client.messaging.get_conversation(UNKNOWN_UID)
            except Dhis2Error as exc:
                caught.append(exc)
        return caught

    caught = anyio.run(collect)
    assert [type(e) for e in caught] == [
        AuthenticationError,
        AuthenticationError,
        NotFoundError,
        TransportError,
    ]
    text = "\n".join(exception_text(e) for e in caught)
    assert_no_secret(text, *EVERY_SECRET, channel=channel)
    assert_exercised(text, "AuthenticationError", "/api/me", channel=channel)


# --------------------------------------------------------------------------------------------
# the library's DEBUG logging (dhis2w, httpx, httpcore)


def test_library_debug_logging(dhis2_emulator: EmulatorHandle, tally: Tally) -> None:
    channel = "DEBUG logging (dhis2w, httpx, httpcore)"
    with captured_logs("dhis2w", "httpx", "httpcore") as logs:
        _authenticated_calls(dhis2_emulator.url, dhis2_emulator)
    text = logs.text
    url = dhis2_emulator.url
    assert_no_secret(text, *EVERY_SECRET, channel=channel)
    assert_exercised(
        text,
        f"GET {url}/api/me?fields=",  # me() asks for names: a fields selector
        f"POST {url}/api/messageConversations",
        "-> 401",
        "-> 503",
        "-> 404",
        "ConnectError",
        "HTTP Request: GET",  # httpx's own INFO line
        "send_request_headers",  # httpcore's DEBUG trace
        channel=channel,
    )
    tally.add("secret_channels")


def _authenticated_calls(url: str, emu: EmulatorHandle) -> None:
    """Successful and failing calls with the real secrets and the canaries."""
    basic = Profile(base_url=url, username=USER.username, password=USER.password)
    with Client(basic, backoff_base=0.01) as client:
        client.system.me()
        client.messaging.list_conversations()
        sent = client.messaging.send(subject="secret sweep", text="hello", users=[S.ADMIN.uid])
        client.messaging.reply(sent.id, text="again")
        client.messaging.mark_read(sent.id)
        emu.faults.fail_next(1, status=503)  # retried once, logged
        client.messaging.unread_count()
        with pytest.raises(NotFoundError):
            client.messaging.get_conversation(UNKNOWN_UID)
        with pytest.raises(NotFoundError):
            client.files.get_file_resource(UNKNOWN_UID)
    with Client(Profile(base_url=url, token=USER.token)) as client:
        client.system.me()
        list(client.messaging.iter_conversations(page_size=2, limit=5))
    failing = [
        Profile(base_url=url, username=USER.username, password=CANARY_PASSWORD),
        Profile(base_url=url, token=CANARY_TOKEN),
        Profile(base_url=f"http://127.0.0.1:{_closed_port()}", token=USER.token),
    ]
    for profile in failing:
        with (
            Client(profile, max_retries=1, backoff_base=0.01) as client,
            pytest.raises((AuthenticationError, TransportError)),
        ):
            client.system.me()


# --------------------------------------------------------------------------------------------
# the CLI, as the installed console script, with --debug


def _console_script() -> str:
    here = Path(sys.executable).with_name("dhis2w")
    if not here.exists():
        pytest.fail(f"the dhis2w console script is missing at {here}", pytrace=False)
    return str(here)


def _cli_env(tmp_path: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _PROFILE_ENV}
    env.update(
        {
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "NO_COLOR": "1",
            "COLUMNS": "200",
            "PYTHONWARNINGS": "default",
        }
    )
    env.update(extra or {})
    return env


def _cli(tmp_path: Path, *args: str, env: Mapping[str, str] | None = None, code: int = 0) -> str:
    """Run the console script; return its stdout and stderr (checked against ``code``)."""
    proc = subprocess.run(
        [_console_script(), *args],
        capture_output=True,
        text=True,
        env=_cli_env(tmp_path, env),
        cwd=tmp_path / "work",
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    out = f"$ dhis2w {' '.join(args)}\n[stdout]\n{proc.stdout}\n[stderr]\n{proc.stderr}\n"
    if proc.returncode != code:
        pytest.fail(
            f"dhis2w {' '.join(args)} exited {proc.returncode}, expected {code}:\n{_masked(out)}",
            pytrace=False,
        )
    return out


def test_cli_debug_output(dhis2_emulator: EmulatorHandle, tmp_path: Path, tally: Tally) -> None:
    channel = "CLI --debug stdout+stderr"
    url = dhis2_emulator.url
    basic = {"DHIS2_URL": url, "DHIS2_USERNAME": USER.username, "DHIS2_PASSWORD": USER.password}
    pat = {"DHIS2_URL": url, "DHIS2_PAT": USER.token}
    wrong_pw = {**basic, "DHIS2_PASSWORD": CANARY_PASSWORD}
    wrong_token = {"DHIS2_URL": url, "DHIS2_PAT": CANARY_TOKEN}
    insecure = {**wrong_pw, "DHIS2_URL": "http://dhis2.example.org"}
    _write_profiles(_global_profiles(tmp_path), _profiles_toml(url))
    outputs = [
        _cli(tmp_path, "--debug", "messaging", "list", env=basic),
        _cli(tmp_path, "--debug", "--json", "system", "me", env=basic),
        _cli(tmp_path, "--debug", "messaging", "send", "Sweep", "body", "-u", "admin", env=basic),
        _cli(tmp_path, "--debug", "--json", "messaging", "list", env=pat),
        _cli(tmp_path, "--debug", "system", "me", env=pat),
        _cli(tmp_path, "--debug", "--json", "profile", "verify", env=pat),
        _cli(tmp_path, "--debug", "-p", "fat", "messaging", "list"),
        _cli(tmp_path, "--debug", "messaging", "unread-count"),  # the file's default: fat
        _cli(tmp_path, "--debug", "-p", "fatpat", "--json", "system", "me"),
        _cli(tmp_path, "--debug", "-p", "fat", "messaging", "get", UNKNOWN_UID, code=4),
    ]
    failures = [
        _cli(tmp_path, "--debug", "system", "me", env=wrong_pw, code=3),
        _cli(tmp_path, "--debug", "--json", "messaging", "list", env=wrong_token, code=3),
        _cli(tmp_path, "--debug", "-p", "bad", "messaging", "list", code=3),
        _cli(tmp_path, "--debug", "-p", "badpat", "system", "me", code=3),
        _cli(tmp_path, "--debug", "system", "me", env=insecure, code=2),
        _cli(tmp_path, "--debug", "-p", "insecure", "messaging", "list", code=2),
        _cli(tmp_path, "system", "me", env=wrong_pw, code=3),  # and without --debug
    ]
    text = "\n".join(outputs + failures)
    assert_no_secret(text, *EVERY_SECRET, channel=channel)
    assert_exercised(
        "\n".join(outputs),
        f"debug: GET {url}/api/me?fields=",
        f"debug: POST {url}/api/messageConversations -> 201",
        f"debug: GET {url}/api/messageConversations",
        USER.uid,  # system me really ran as fatmata
        channel=channel,
    )
    assert_exercised(
        "\n".join(failures),
        "-> 401",
        "Traceback",  # --debug shows the chained traceback: that was swept too
        "AuthenticationError",
        "ProfileError",
        channel=channel,
    )
    tally.add("secret_channels")


def test_cli_profile_commands(dhis2_emulator: EmulatorHandle, tmp_path: Path, tally: Tally) -> None:
    channel = "dhis2w profile show/list/add/verify output"
    url = dhis2_emulator.url
    profiles_file = _write_profiles(_global_profiles(tmp_path), _profiles_toml(url))
    env_basic = {"DHIS2_URL": url, "DHIS2_USERNAME": USER.username, "DHIS2_PASSWORD": USER.password}
    outputs = [
        _cli(tmp_path, "--json", "profile", "list"),
        _cli(tmp_path, "profile", "list"),
        _cli(tmp_path, "--debug", "profile", "list"),
    ]
    for name in ("fat", "fatpat", "bad", "badpat", "inurl", "insecure"):
        outputs.append(_cli(tmp_path, "--json", "profile", "show", name))
        outputs.append(_cli(tmp_path, "profile", "show", name))
    outputs += [
        _cli(tmp_path, "profile", "show"),  # the default
        _cli(tmp_path, "--json", "profile", "show", env=env_basic),  # from the environment
        _cli(tmp_path, "profile", "show", env={"DHIS2_URL": url, "DHIS2_PAT": USER.token}),
        _cli(tmp_path, "profile", "verify", "fat"),
        _cli(tmp_path, "--json", "profile", "verify", "fatpat"),
        _cli(tmp_path, "profile", "verify", "bad", code=3),
        _cli(
            tmp_path,
            "profile",
            "add",
            "added",
            "--url",
            url,
            "--username",
            USER.username,
            env={"DHIS2_PASSWORD": USER.password},
        ),
        _cli(
            tmp_path,
            "--json",
            "profile",
            "add",
            "addedpat",
            "--auth",
            "pat",
            "--url",
            url,
            env={"DHIS2_PAT": USER.token},
        ),
        _cli(
            tmp_path,
            "--json",
            "profile",
            "add",
            "addedproject",
            "--project",
            "--default",
            "--url",
            url,
            "--username",
            USER.username,
            env={"DHIS2_PASSWORD": CANARY_PASSWORD},
        ),
        _cli(
            tmp_path,
            "profile",
            "add",
            "refused",
            "--url",
            "http://dhis2.example.org",
            "--username",
            USER.username,
            env={"DHIS2_PASSWORD": CANARY_PASSWORD},
            code=2,
        ),
        _cli(tmp_path, "--json", "profile", "show", "added"),
        _cli(tmp_path, "--json", "profile", "show", "addedpat"),
        _cli(tmp_path, "profile", "show", "addedproject"),
        _cli(tmp_path, "--json", "profile", "list"),
        _cli(tmp_path, "--json", "profile", "default"),
        _cli(tmp_path, "--json", "profile", "remove", "added"),
    ]
    text = "\n".join(outputs)
    assert_no_secret(text, *EVERY_SECRET, channel=channel)
    assert_exercised(
        text,
        '"password": "***"',
        '"token": "***"',
        '"name": "fatpat"',
        "https://dhis2.example.org/hmis",  # the userinfo profile, shown without its userinfo
        "saved profile 'added'",
        USER.uid,  # verify really logged in
        channel=channel,
    )
    # the secrets given through the environment really were stored (only in the files)
    stored = profiles_file.read_text() + (tmp_path / "work/.dhis2/profiles.toml").read_text()
    for secret in (USER.token, CANARY_PASSWORD):
        if secret not in stored:
            pytest.fail(f"{_mask(secret)} was not saved by profile add", pytrace=False)
    tally.add("secret_channels")


# --------------------------------------------------------------------------------------------
# MCP tool results, and the MCP server's log


@pytest.mark.anyio
async def test_mcp_tool_results(
    dhis2_emulator: EmulatorHandle, tmp_path: Path, tally: Tally
) -> None:
    pytest.importorskip("mcp")
    channel = "MCP tool results"
    url = dhis2_emulator.url
    _write_profiles(_global_profiles(tmp_path), _profiles_toml(url))
    with captured_logs("dhis2w", "mcp") as logs:
        results = await _mcp_results(url, tmp_path)
    dumps = [r.model_dump_json() for r in results]
    text = "\n".join(dumps)
    assert_no_secret(text, *EVERY_SECRET, channel=channel)
    assert_exercised(
        text,
        S.CONV_STOCK_OUT.uid,  # the success results carry real data
        '"kind":"authentication"',
        '"kind":"not_found"',
        '"kind":"profile"',
        "Sweep",
        channel=channel,
    )
    tally.add("secret_channels")

    log_channel = "MCP server log"
    log = logs.text
    assert_no_secret(log, *EVERY_SECRET, channel=log_channel)
    assert_exercised(log, "tool failed: authentication", "-> 401", channel=log_channel)
    tally.add("secret_channels")


async def _mcp_results(url: str, tmp_path: Path) -> list[Any]:
    """Tool results (and the tool list) from in-process servers whose profiles hold the
    real secrets and the canaries; the failures include the authentication ones."""
    from mcp import Client as McpClient

    from dhis2w.mcp import build_server

    basic = Profile(base_url=url, username=USER.username, password=USER.password)
    results: list[Any] = []
    others = ["fatpat", "bad", "badpat", "insecure", "no-such-profile"]
    server = build_server(basic, upload_dirs=[tmp_path], allow_profiles=others)
    async with McpClient(server) as mcp:
        tools = await mcp.list_tools()
        results.append(tools)
        calls: list[tuple[str, dict[str, Any], bool]] = [
            ("messaging_list", {}, False),
            ("messaging_get", {"uid": S.CONV_STOCK_OUT.uid}, False),
            ("messaging_send", {"subject": "Sweep", "text": "hi", "users": ["admin"]}, False),
            ("messaging_unread_count", {}, False),
            ("messaging_list", {"profile": "fatpat"}, False),
            ("messaging_get", {"uid": UNKNOWN_UID}, True),
            ("files_resource_get", {"uid": UNKNOWN_UID, "profile": "fatpat"}, True),
            ("messaging_list", {"profile": "bad"}, True),  # fails auth (wrong password)
            ("messaging_unread_count", {"profile": "badpat"}, True),  # fails auth (token)
            ("messaging_list", {"profile": "insecure"}, True),
            ("messaging_list", {"profile": "no-such-profile"}, True),
        ]
        for tool, arguments, is_error in calls:
            result = await mcp.call_tool(tool, arguments)
            if result.is_error != is_error:
                pytest.fail(
                    f"{tool} {arguments}: is_error={result.is_error}, expected {is_error}: "
                    f"{_masked(result.model_dump_json())[:800]}",
                    pytrace=False,
                )
            results.append(result)
    # a server whose own default profile has the wrong secret: the auth failure path
    for wrong in (
        Profile(base_url=url, username=USER.username, password=CANARY_PASSWORD),
        Profile(base_url=url, token=CANARY_TOKEN),
    ):
        async with McpClient(build_server(wrong, upload_dirs=[tmp_path])) as mcp:
            for tool in ("messaging_list", "messaging_send"):
                arguments = {"subject": "x", "text": "y", "users": [S.ADMIN.uid]}
                result = await mcp.call_tool(tool, arguments if tool == "messaging_send" else {})
                assert result.is_error
                results.append(result)
    return results


# --------------------------------------------------------------------------------------------
# the emulator's own output: `dhis2w --debug emulator serve` logs every request on stderr


def _wait_for_port(port: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail("the emulator exited before listening", pytrace=False)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    pytest.fail("the emulator did not start listening", pytrace=False)


def test_emulator_serve_log(tmp_path: Path, tally: Tally) -> None:
    channel = "emulator serve --debug stdout+stderr"
    port = _closed_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [_console_script(), "--debug", "emulator", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=_cli_env(tmp_path),
        cwd=tmp_path / "work",
    )
    try:
        _wait_for_port(port, proc)
        headers = [
            f"Basic {base64.b64encode(f'{USER.username}:{USER.password}'.encode()).decode()}",
            f"ApiToken {USER.token}",
            f"Basic {base64.b64encode(f'{USER.username}:{CANARY_PASSWORD}'.encode()).decode()}",
            f"ApiToken {CANARY_TOKEN}",
            f"Bearer {CANARY_TOKEN}",  # unknown scheme: the 302 to the login page
            f"Basic {CANARY_PASSWORD}",  # not Base64 at all
        ]
        with httpx.Client(base_url=url, timeout=30) as raw:
            for header in headers:
                raw.get("/api/me", headers={"Authorization": header})
                raw.get(f"/api/fileResources/{UNKNOWN_UID}", headers={"Authorization": header})
            raw.get("/api/me", auth=(USER.username, USER.password))
            raw.get("/api/me", auth=(USER.username, CANARY_PASSWORD))
        for profile in (
            Profile(base_url=url, username=USER.username, password=USER.password),
            Profile(base_url=url, token=USER.token),
        ):
            with Client(profile) as client:
                sent = client.messaging.send(subject="Sweep", text="hi", users=[S.ADMIN.uid])
                client.messaging.reply(sent.id, text="again")
                client.messaging.list_conversations()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            stdout, stderr = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
    # The banner deliberately prints the seeded demo accounts' credentials (the emulator
    # prints its URL and the demo credentials at start-up): it is the one place they may appear.
    # Take out exactly that text, and require it was there, so nothing else hides behind it.
    expected_banner = banner(SimpleNamespace(url=url, seed_name="demo"))  # type: ignore[arg-type]
    if expected_banner not in stderr:
        pytest.fail("the emulator's banner changed: update this test's carve-out", pytrace=False)
    log = f"[stdout]\n{stdout}\n[stderr]\n{stderr.replace(expected_banner, '[banner]', 1)}"
    assert_no_secret(log, *EVERY_SECRET, channel=channel)
    assert_exercised(
        log,
        "GET /api/me -> 200",
        "GET /api/me -> 401",
        "GET /api/me -> 302",
        f"GET /api/fileResources/{UNKNOWN_UID} -> 404",
        "POST /api/messageConversations -> 201",
        channel=channel,
    )
    tally.add("secret_channels")


# --------------------------------------------------------------------------------------------
# Two leaks this sweep found in profile.py (now fixed): userinfo the URL parser misread.


def test_scheme_less_userinfo_url_is_not_echoed() -> None:
    with pytest.raises(ProfileError) as caught:
        Profile(base_url=f"{USER.username}:{CANARY_PASSWORD}@dhis2.example.org")
    assert_no_secret(exception_text(caught.value), *CANARY, channel="ProfileError (no scheme)")


def test_userinfo_url_with_unencoded_reserved_characters_is_masked() -> None:
    profile = Profile(base_url=f"https://{USER.username}:{USER.password}@dhis2.example.org")
    text = "\n".join(
        [repr(profile), str(profile), json.dumps(profile.to_public_dict()), repr(Client(profile))]
    )
    assert_no_secret(text, *REAL_PASSWORD, channel="Profile with an unencoded userinfo URL")
