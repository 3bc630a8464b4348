"""Connection profiles: where a DHIS2 server is and how to authenticate to it.

A :class:`Profile` is a cheap, side-effect-free value (stdlib only, so the CLI can import it
without httpx). Profiles come from code, from the environment, from ``profiles.toml`` files,
or from the built-in ``demo`` profile that points at the embedded emulator.

Precedence when no name is given: ``DHIS2_PROFILE``, then the raw environment
(``DHIS2_URL`` with ``DHIS2_PAT`` or ``DHIS2_USERNAME`` + ``DHIS2_PASSWORD``), then the default
of the nearest project file (``.dhis2/profiles.toml`` walking up from the working directory),
then the default of the global file (``$XDG_CONFIG_HOME/dhis2/profiles.toml``).

Files are shared with people and other tools: an entry dhis2w cannot use is skipped with one
warning (selecting it is the error), and writing (with tomlkit, imported only then) keeps every
table, key and comment dhis2w does not manage.

Secrets never appear in a repr, a str or an error message.
"""

from __future__ import annotations

import importlib
import ipaddress
import logging
import math
import os
import re
import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from .errors import (
    ProfileError,
    ProfilePermissionsWarning,
    UnknownProfileError,
    UnusableProfileWarning,
)

_logger = logging.getLogger("dhis2w")

__all__ = [
    "DEMO_PROFILE_NAME",
    "Profile",
    "Scope",
    "UnusableProfile",
    "default_profile_name",
    "demo_profile",
    "list_profiles",
    "load_profile",
    "profile_from_env",
    "profiles_file",
    "remove_profile",
    "save_profile",
    "saved_profile_names",
    "set_default_profile",
    "unusable_profiles",
]

Scope = Literal["global", "project"]

DEMO_PROFILE_NAME = "demo"
EMBEDDED_DEMO_URL = "embedded:demo"
PROJECT_DIR_NAME = ".dhis2"
PROFILES_FILE_NAME = "profiles.toml"
_MASK = "***"
_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})

_NO_PROFILE_HELP = (
    "no DHIS2 profile configured. Set DHIS2_URL plus DHIS2_PAT (or DHIS2_USERNAME and "
    "DHIS2_PASSWORD), or set DHIS2_PROFILE to a profile name, or add a profile with "
    "`dhis2w profile add` (stored in .dhis2/profiles.toml or ~/.config/dhis2/profiles.toml). "
    "To try dhis2w without a server, use the built-in offline one: `--profile demo`."
)


def _split_userinfo(url: str) -> tuple[str, str | None]:
    """``url`` without its ``user:password@`` part, and that part (``None`` when absent).

    Not ``urlsplit``: a pasted password often holds ``#``, ``/`` or ``?`` unencoded, which
    ``urlsplit`` reads as the start of the fragment, path or query (and a URL without a scheme
    makes it read the username as the scheme), leaving the secret in the "host". The userinfo
    is everything between ``://`` (or the start) and the last ``@``: a base URL's path has none.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    at = rest.rfind("@")
    if at < 0:
        return url, None
    prefix = f"{scheme}://" if sep else ""
    return prefix + rest[at + 1 :], rest[:at]


def _redact_url(url: str, mask: str | None = _MASK) -> str:
    """The URL with any ``user:password@`` part replaced by ``mask`` (removed when ``None``)."""
    bare, userinfo = _split_userinfo(url)
    if userinfo is None:
        return url
    if mask is None:
        return bare
    scheme, sep, rest = bare.partition("://")
    return f"{scheme}://{mask}@{rest}" if sep else f"{mask}@{bare}"


def _is_loopback(host: str) -> bool:
    if host.lower() in {"localhost", "localhost.localdomain"} or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, repr=False)
class Profile:
    """Where a DHIS2 server is and how to authenticate to it.

    ``token`` (a personal access token, ``d2pat_...``) wins over ``username``/``password``.
    ``embedded=True`` marks the built-in demo profile: the client starts the embedded
    emulator when it opens, so constructing the profile never has side effects.
    ``source`` says where the profile came from (``env``, ``built-in``, ``project:<path>``,
    ``global:<path>``), for ``dhis2w profile list``.
    ``verify`` is ``True`` (check TLS certificates against the default trust store),
    ``False`` (do not check: warns), or the path of a CA bundle to trust instead, a PEM file
    or an OpenSSL hashed-certificate folder, as for a server behind an internal CA.
    """

    base_url: str
    username: str | None = None
    password: str | None = None
    token: str | None = None
    timeout: float = 30.0
    verify: bool | str = True
    allow_insecure_http: bool = False
    name: str | None = None
    embedded: bool = False
    source: str | None = None

    def __post_init__(self) -> None:
        if self.embedded:
            return
        url = (self.base_url or "").strip()
        if not url:
            raise ProfileError("the profile has an empty base_url")
        bare, userinfo = _split_userinfo(url)
        scheme = url.partition("://")[0].lower() if "://" in url else ""
        if scheme not in {"http", "https"}:
            raise ProfileError(
                f"base_url must start with https:// or http:// (got {_redact_url(url)!r})"
            )
        if userinfo is not None:
            # ``https://user:pass@host``: the credentials move into the profile, so the URL
            # httpx sees (and logs, and puts into errors) never carries them, and the
            # plain-http check below applies to them like to any other credentials.
            if self.token is None and self.username is None and self.password is None:
                user, colon, password = userinfo.partition(":")
                object.__setattr__(self, "username", unquote(user))
                if colon:
                    object.__setattr__(self, "password", unquote(password))
            url = bare
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - parsing the port is the check
        except ValueError as exc:
            raise ProfileError(f"base_url {url!r} is not a valid URL: {exc}") from None
        if not parts.hostname:
            raise ProfileError(
                f"base_url {url!r} has no host name (e.g. https://dhis2.example.org)"
            )
        if parts.query or parts.fragment or url.endswith(("?", "#")):
            shown = re.split(r"[?#]", url, maxsplit=1)[0]  # a query may hold a token
            raise ProfileError(
                f"base_url {shown!r} is followed by a query string or fragment ('?' or '#'), "
                "which dhis2w does not send; give the "
                "server's address only, e.g. https://dhis2.example.org or https://host/dhis"
            )
        url = url.rstrip("/")
        if url.lower().endswith("/api"):
            # Every call adds /api itself; a pasted ".../api" would make it /api/api/...
            _logger.debug("base_url %s ends in /api: using %s", url, url[:-4])
            url = url[:-4].rstrip("/")
        object.__setattr__(self, "base_url", url)
        timeout = self.timeout
        if isinstance(timeout, bool) or not isinstance(timeout, int | float):
            raise ProfileError("timeout must be a number of seconds")
        if not math.isfinite(timeout) or timeout <= 0:
            raise ProfileError(f"timeout must be a positive number of seconds, not {timeout!r}")
        if isinstance(self.verify, str):
            object.__setattr__(self, "verify", _ca_bundle(self.verify))

    # --- auth -----------------------------------------------------------------------------
    @property
    def auth(self) -> Literal["pat", "basic"] | None:
        """Which scheme the client will use: ``pat`` (ApiToken), ``basic``, or none."""
        if self.token:
            return "pat"
        if self.username is not None and self.password is not None:
            return "basic"
        return None

    @property
    def has_credentials(self) -> bool:
        return self.auth is not None

    def authorization_header(self) -> str | None:
        """The ``Authorization`` header value; keep it out of logs and output."""
        import base64

        if self.token:
            return f"ApiToken {self.token}"
        if self.username is not None and self.password is not None:
            raw = f"{self.username}:{self.password}".encode()
            return "Basic " + base64.b64encode(raw).decode("ascii")
        return None

    # --- safety ---------------------------------------------------------------------------
    def check_transport_security(self) -> None:
        """Refuse credentials over plain ``http://`` to a host that is not this machine."""
        if self.embedded or not self.has_credentials or self.allow_insecure_http:
            return
        parts = urlsplit(self.base_url)
        if parts.scheme.lower() != "http":
            return
        host = parts.hostname or ""
        if _is_loopback(host):
            return
        label = f"profile {self.name!r}" if self.name else "this profile"
        raise ProfileError(
            f"refusing to send credentials over plain http:// to {host} ({label}): use an "
            "https:// URL, or set allow_insecure_http = true in the profile "
            "(DHIS2_ALLOW_INSECURE_HTTP=1 in the environment) if you accept the risk"
        )

    def resolve_base_url(self) -> str:
        """The URL to connect to; starts the embedded demo server for ``embedded`` profiles."""
        if not self.embedded:
            return self.base_url
        try:
            embedded = importlib.import_module("dhis2w.emulator.embedded")
        except ImportError as exc:  # pragma: no cover - depends on the emulator package
            raise ProfileError(
                "the built-in demo profile needs the embedded emulator "
                "(dhis2w.emulator.embedded), which is not available in this installation"
            ) from exc
        return str(embedded.demo_base_url()).rstrip("/")

    @property
    def display_url(self) -> str:
        """``base_url`` safe to print (no userinfo)."""
        return _redact_url(self.base_url)

    # --- display --------------------------------------------------------------------------
    def __repr__(self) -> str:
        fields = [
            f"name={self.name!r}",
            f"base_url={self.display_url!r}",
            f"auth={self.auth!r}",
            f"username={self.username!r}",
            f"password={_MASK if self.password else None!r}",
            f"token={_MASK if self.token else None!r}",
            f"timeout={self.timeout!r}",
            f"verify={self.verify!r}",
        ]
        if self.allow_insecure_http:
            fields.append("allow_insecure_http=True")
        if self.embedded:
            fields.append("embedded=True")
        if self.source:
            fields.append(f"source={self.source!r}")
        return f"Profile({', '.join(fields)})"

    __str__ = __repr__

    def to_public_dict(self) -> dict[str, Any]:
        """A JSON-ready description with secrets masked (for ``profile show --json``)."""
        return {
            "name": self.name,
            "base_url": self.display_url,
            "auth": self.auth,
            "username": self.username,
            "password": _MASK if self.password else None,
            "token": _MASK if self.token else None,
            "timeout": self.timeout,
            "verify": self.verify,
            "allow_insecure_http": self.allow_insecure_http,
            "embedded": self.embedded,
            "source": self.source,
        }


def demo_profile() -> Profile:
    """The built-in ``demo`` profile: the embedded offline emulator, admin/district."""
    return Profile(
        base_url=EMBEDDED_DEMO_URL,
        username="admin",
        password="district",
        name=DEMO_PROFILE_NAME,
        embedded=True,
        source="built-in",
    )


# --- files ---------------------------------------------------------------------------------
def _global_file() -> Path:
    xdg = os.environ.get("XDG_CONFIG_HOME")
    root = Path(xdg) if xdg else Path.home() / ".config"
    return root / "dhis2" / PROFILES_FILE_NAME


def _find_project_file(start: Path | None = None) -> Path | None:
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / PROJECT_DIR_NAME / PROFILES_FILE_NAME
        if candidate.is_file():
            return candidate
    return None


def profiles_file(scope: Scope = "global") -> Path:
    """The profiles file for ``scope``.

    ``project``: the nearest ``.dhis2/profiles.toml`` walking up from the working directory,
    or ``./.dhis2/profiles.toml`` when there is none yet. ``global``:
    ``$XDG_CONFIG_HOME/dhis2/profiles.toml`` (``~/.config/dhis2/profiles.toml``).
    """
    if scope == "project":
        return _find_project_file() or Path.cwd() / PROJECT_DIR_NAME / PROFILES_FILE_NAME
    if scope == "global":
        return _global_file()
    raise ProfileError(f"unknown profile scope {scope!r}; use 'global' or 'project'")


#: (file, mode) pairs already warned about, so one command warns once, not per lookup.
_WARNED_MODES: set[tuple[str, int]] = set()


def _warn_if_shared(path: Path, handle: Any) -> None:
    """Warn when a profiles file is readable or writable by anyone but its owner."""
    if os.name != "posix":
        return
    mode = os.fstat(handle.fileno()).st_mode & 0o777
    if not mode & 0o077 or (str(path), mode) in _WARNED_MODES:
        return
    _WARNED_MODES.add((str(path), mode))
    warnings.warn(
        f"{path} holds DHIS2 credentials but other users can access it (mode {mode:04o}); "
        f"make it private with: chmod 600 {path}",
        ProfilePermissionsWarning,
        stacklevel=2,
    )


#: ``auth`` values other tools write into profiles.toml (dhis2w 1.33's ``d2w`` writes
#: ``oauth2``), safe to repeat in a message.
_OTHER_AUTH_SCHEMES = frozenset({"oauth2", "oauth", "oidc", "openid", "bearer", "token", "none"})

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def _read_file(path: Path) -> dict[str, Any]:
    """A profiles file as data (empty when it does not exist).

    A file that is not UTF-8 or not valid TOML is a :class:`ProfileError` naming the file,
    the line and the reason, never a decoding traceback.
    """
    try:
        with path.open("rb") as handle:
            _warn_if_shared(path, handle)
            raw = handle.read()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ProfileError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ProfileError(
            f"{path}, line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02X}); "
            "a TOML file must be saved as UTF-8"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        reason = str(exc)
        found = _TOML_POSITION.search(reason)
        where = f"{path}, line {found.group(1)}" if found else str(path)
        reason = reason[: found.start()] if found else reason
        raise ProfileError(f"{where}: not valid TOML: {reason}") from None


def _ca_bundle(path: str) -> str:
    """``verify`` as a CA bundle: an existing file or folder, as an absolute path."""
    if not path.strip():
        raise ProfileError("verify must be true, false or the path of a CA bundle (got '')")
    bundle = Path(path).expanduser()
    if not bundle.exists():
        raise ProfileError(f"verify: the CA bundle {bundle} does not exist")
    return str(bundle.resolve())


def _verify_option(value: Any, *, folder: Path | None) -> bool | str:
    """``verify`` from a profiles file; a relative CA bundle path is read from the file's folder."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip():
        bundle = Path(value).expanduser()
        if folder is not None and not bundle.is_absolute():
            bundle = folder / bundle
        if not bundle.exists():
            raise ProfileError(f"verify: the CA bundle {bundle} does not exist")
        return str(bundle)
    raise ProfileError("verify must be true, false or the path of a CA bundle")


def _bool(value: Any, *, key: str) -> bool:
    if isinstance(value, bool):
        return value
    raise ProfileError(f"{key} must be true or false")


def _profile_from_table(
    name: str, table: Any, *, source: str, folder: Path | None = None
) -> Profile:
    """One ``[profiles.NAME]`` table as a Profile; :class:`ProfileError` says why it cannot be
    one (the message is the reason alone: callers say which entry and file). A relative CA
    bundle path in ``verify`` is read from ``folder``, the profiles file's folder."""
    if not isinstance(table, Mapping):
        raise ProfileError("it must be a table")
    if "base_url" not in table:
        raise ProfileError("it has no base_url")
    base_url = table["base_url"]
    if not isinstance(base_url, str):
        raise ProfileError(f"base_url must be a string, not {type(base_url).__name__}")
    if not base_url.strip():
        raise ProfileError("base_url is empty")
    auth = table.get("auth")
    token = table.get("token")
    username = table.get("username")
    password = table.get("password")
    if auth not in (None, "basic", "pat"):
        # Name the value only when it is a scheme another tool writes (a mistyped secret
        # could sit here too, and warnings and errors never show secrets).
        shown = f"auth = {auth!r}" if auth in _OTHER_AUTH_SCHEMES else "this auth value"
        raise ProfileError(
            f"auth must be 'basic' or 'pat'; {shown} is not something dhis2w supports"
        )
    if auth == "pat" and not token:
        raise ProfileError("auth = 'pat' needs a token")
    if auth == "basic" and (username is None or password is None):
        raise ProfileError("auth = 'basic' needs username and password")
    for key, value in (("token", token), ("username", username), ("password", password)):
        if value is not None and not isinstance(value, str):
            raise ProfileError(f"{key} must be a string")
    if auth == "basic":
        token = None
    elif auth == "pat":
        username = username if isinstance(username, str) else None
        password = None
    timeout = table.get("timeout", 30.0)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise ProfileError("timeout must be a number of seconds")
    return Profile(
        base_url=base_url,
        username=username,
        password=password,
        token=token,
        timeout=float(timeout),
        verify=_verify_option(table.get("verify", True), folder=folder),
        allow_insecure_http=_bool(
            table.get("allow_insecure_http", False), key="allow_insecure_http"
        ),
        name=name,
        source=source,
    )


@dataclass(frozen=True)
class UnusableProfile:
    """A profiles-file entry dhis2w cannot use, and why: skipped, shown by ``profile list``,
    an error only when it is selected."""

    name: str
    source: str
    reason: str

    def error(self) -> ProfileError:
        return ProfileError(f"profile {self.name!r} ({self.source}) cannot be used: {self.reason}")


@dataclass
class _FileProfiles:
    """What one profiles file holds: usable profiles, unusable entries, its default."""

    usable: dict[str, Profile]
    unusable: dict[str, UnusableProfile]
    default: str | None


#: (file, entry, reason) already warned about, so one command warns once per entry.
_WARNED_ENTRIES: set[tuple[str, str, str]] = set()


def _warn_entry(path: Path, name: str, reason: str) -> None:
    key = (str(path), name, reason)
    if key in _WARNED_ENTRIES:
        return
    _WARNED_ENTRIES.add(key)
    warnings.warn(
        f"skipping profile {name!r} in {path}: {reason}", UnusableProfileWarning, stacklevel=4
    )


def _profiles_in(path: Path | None, scope: Scope) -> _FileProfiles:
    """The profiles of one file (nothing when it does not exist). A bad entry is skipped with
    one warning and remembered as unusable; only the file itself being unreadable raises."""
    found = _FileProfiles({}, {}, None)
    if path is None:
        return found
    data = _read_file(path)
    source = f"{scope}:{path}"
    tables = data.get("profiles", {})
    if not isinstance(tables, Mapping):
        raise ProfileError(f"{path}: profiles must be a table of [profiles.NAME] tables")
    for raw_name, table in tables.items():
        name = str(raw_name)
        if name == DEMO_PROFILE_NAME:
            _warn_entry(
                path,
                name,
                "'demo' is dhis2w's built-in offline profile (the embedded emulator), which "
                "-p demo always means; rename this table to use it",
            )
            continue
        try:
            found.usable[name] = _profile_from_table(name, table, source=source, folder=path.parent)
        except ProfileError as exc:
            found.unusable[name] = UnusableProfile(name, source, str(exc))
            _warn_entry(path, name, str(exc))
    default = data.get("default")
    found.default = default if isinstance(default, str) and default else None
    return found


def _all_files() -> tuple[_FileProfiles, _FileProfiles]:
    return _profiles_in(_global_file(), "global"), _profiles_in(_find_project_file(), "project")


def list_profiles() -> dict[str, Profile]:
    """Every usable profile by name: built-in ``demo``, then global, then project (project
    wins). Each profile's ``source`` says where it came from. Entries dhis2w cannot use are
    skipped with a warning (see :func:`unusable_profiles`)."""
    merged: dict[str, Profile] = {DEMO_PROFILE_NAME: demo_profile()}
    for found in _all_files():
        merged.update(found.usable)
    return merged


def unusable_profiles() -> dict[str, UnusableProfile]:
    """Entries of the profiles files that dhis2w cannot use (and no usable one of the same
    name replaces), with the reason: for ``dhis2w profile list``."""
    usable = list_profiles()
    unusable: dict[str, UnusableProfile] = {}
    for found in _all_files():
        unusable.update(found.unusable)
    return {name: entry for name, entry in unusable.items() if name not in usable}


def default_profile_name() -> str | None:
    """The ``default`` of the nearest project file, else of the global file, else ``None``."""
    global_found, project_found = _all_files()
    return project_found.default or global_found.default


def _named_profile(name: str) -> Profile:
    if name == DEMO_PROFILE_NAME:
        # Always the embedded emulator, whatever the files hold (a file's [profiles.demo] is
        # skipped with a warning), and even when a profiles file cannot be read.
        try:
            _all_files()
        except ProfileError as exc:
            warnings.warn(str(exc), UnusableProfileWarning, stacklevel=3)
        return demo_profile()
    profiles = list_profiles()
    found = profiles.get(name)
    if found is not None:
        return found
    unusable = unusable_profiles().get(name)
    if unusable is not None:
        raise unusable.error()
    known = ", ".join(sorted(profiles)) or "none"
    raise UnknownProfileError(f"unknown profile {name!r} (known profiles: {known})")


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE_WORDS


def _profile_from_raw_env() -> Profile | None:
    url = os.environ.get("DHIS2_URL", "").strip()
    if not url:
        return None
    token = os.environ.get("DHIS2_PAT") or None
    username = os.environ.get("DHIS2_USERNAME") or None
    password = os.environ.get("DHIS2_PASSWORD")
    if token:
        username, password = None, None
    elif username is None or password is None:
        raise ProfileError(
            "DHIS2_URL is set but there are no credentials: set DHIS2_PAT (a personal access "
            "token), or DHIS2_USERNAME and DHIS2_PASSWORD"
        )
    timeout_text = os.environ.get("DHIS2_TIMEOUT", "").strip()
    try:
        timeout = float(timeout_text) if timeout_text else 30.0
    except ValueError:
        raise ProfileError("DHIS2_TIMEOUT must be a number of seconds") from None
    if not math.isfinite(timeout) or timeout <= 0:
        raise ProfileError(f"DHIS2_TIMEOUT must be a positive number of seconds, not {timeout:g}")
    return Profile(
        base_url=url,
        username=username,
        password=password,
        token=token,
        timeout=timeout,
        allow_insecure_http=_env_flag("DHIS2_ALLOW_INSECURE_HTTP"),
        name=None,
        source="env",
    )


def load_profile(name: str | None = None) -> Profile:
    """The profile to use, in the precedence the module docstring gives.

    With ``name``: that profile (project file, then global file, then built-in ``demo``).
    Without: ``DHIS2_PROFILE``, the raw environment, the project default, the global default.
    Raises :class:`ProfileError` with instructions when nothing is configured.
    """
    if name:
        return _named_profile(name)
    env_name = os.environ.get("DHIS2_PROFILE", "").strip()
    if env_name:
        return _named_profile(env_name)
    from_env = _profile_from_raw_env()
    if from_env is not None:
        return from_env
    default = default_profile_name()
    if default:
        return _named_profile(default)
    raise ProfileError(_NO_PROFILE_HELP)


def profile_from_env() -> Profile:
    """The profile the environment selects (``load_profile()`` with no explicit name)."""
    return load_profile(None)


# --- writing ---------------------------------------------------------------------------------
_HEADER = "dhis2w profiles. Holds credentials: keep this file private (mode 0600)."


def _load_document(path: Path) -> Any:
    """The file as an editable TOML document (tomlkit), keeping every table, key and comment
    dhis2w does not manage (another tool's profiles included). A file that cannot be read is
    a :class:`ProfileError`, so it is never overwritten with less than it held."""
    import tomlkit

    _read_file(path)  # the same checks and messages as reading (UTF-8, valid TOML)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        document = tomlkit.document()
        document.add(tomlkit.comment(_HEADER))
        return document
    try:
        return tomlkit.parse(text)
    except tomlkit.exceptions.TOMLKitError as exc:  # valid for tomllib, not editable here
        raise ProfileError(f"{path} cannot be edited safely ({exc}); edit it by hand") from None


def _profiles_table(document: Any, *, create: bool) -> Any:
    import tomlkit

    tables = document.get("profiles")
    if tables is None and create:
        tables = tomlkit.table(is_super_table=True)
        document["profiles"] = tables
    if tables is not None and not isinstance(tables, Mapping):
        raise ProfileError("profiles must be a table of [profiles.NAME] tables")
    return tables


def _set_default(document: Any, name: str) -> None:
    """``default = name`` (tomlkit places a new plain key before the tables)."""
    document["default"] = name


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600, replacing it atomically.

    The temporary file is created exclusively with an unpredictable name (no link planted
    next to the profiles file is ever written through) and renamed into place.
    """
    import tempfile

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _profile_table(profile: Profile) -> dict[str, Any]:
    """What a profile is saved as; ``auth`` is always written, so the entry says which
    credentials it holds without guessing (and other tools reading it need not guess)."""
    table: dict[str, Any] = {"base_url": profile.base_url}
    if profile.token:
        table["auth"] = "pat"
        table["token"] = profile.token
        if profile.username:
            table["username"] = profile.username
    elif profile.username is not None and profile.password is not None:
        table["auth"] = "basic"
        table["username"] = profile.username
        table["password"] = profile.password
    else:
        raise ProfileError(
            "a profile is saved with its credentials: give a token, or a username and password"
        )
    if profile.timeout != 30.0:
        table["timeout"] = profile.timeout
    if profile.verify is not True:
        table["verify"] = profile.verify  # False, or a CA bundle path
    if profile.allow_insecure_http:
        table["allow_insecure_http"] = True
    return table


def save_profile(
    profile: Profile,
    *,
    name: str,
    scope: Scope = "global",
    make_default: bool = False,
    force: bool = False,
) -> Path:
    """Add profile ``name`` to the ``scope`` file (mode 0600); returns the file.

    A profile of that name already in the file is replaced only with ``force=True``. Every
    other table, key and comment of the file is kept as it was.
    """
    import tomlkit

    if not name or not name.strip():
        raise ProfileError("a profile needs a name")
    if profile.embedded:
        raise ProfileError("the built-in demo profile cannot be saved to a file")
    if name == DEMO_PROFILE_NAME:
        raise ProfileError(
            f"{name!r} is the built-in offline profile (the embedded emulator); choose another name"
        )
    table = _profile_table(profile)
    path = profiles_file(scope)
    document = _load_document(path)
    tables = _profiles_table(document, create=True)
    if name in tables and not force:
        raise ProfileError(
            f"profile {name!r} already exists in {path}; replacing it would lose its "
            "credentials: use force=True (dhis2w profile add --force) to replace it"
        )
    entry = tomlkit.table()
    for key, value in table.items():
        entry[key] = value
    tables[name] = entry
    if make_default:
        _set_default(document, name)
    _write_private(path, tomlkit.dumps(document))
    return path


def remove_profile(name: str) -> Path:
    """Remove ``name`` from the nearest file that defines it (project, then global)."""
    import tomlkit

    for path in (_find_project_file(), _global_file()):
        if path is None or not path.exists():
            continue
        document = _load_document(path)
        tables = _profiles_table(document, create=False)
        if tables is not None and name in tables:
            del tables[name]
            if document.get("default") == name:
                del document["default"]
            _write_private(path, tomlkit.dumps(document))
            return path
    if name == DEMO_PROFILE_NAME:
        raise ProfileError("the built-in demo profile cannot be removed")
    raise UnknownProfileError(f"unknown profile {name!r}: it is in no profiles file")


def saved_profile_names(scope: Scope = "global") -> set[str]:
    """The names of the ``[profiles.NAME]`` tables in the ``scope`` file, usable or not."""
    tables = _read_file(profiles_file(scope)).get("profiles", {})
    return {str(name) for name in tables} if isinstance(tables, Mapping) else set()


def set_default_profile(name: str, *, scope: Scope = "global") -> Path:
    """Make ``name`` (which must exist and be usable) the default of the ``scope`` file."""
    import tomlkit

    _named_profile(name)
    path = profiles_file(scope)
    document = _load_document(path)
    _set_default(document, name)
    _write_private(path, tomlkit.dumps(document))
    return path
