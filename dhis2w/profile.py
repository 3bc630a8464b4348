"""Connection profiles: where a DHIS2 server is and how to authenticate to it.

A :class:`Profile` is a cheap, side-effect-free value (stdlib only, so the CLI can import it
without httpx). Profiles come from code, from the environment, from ``profiles.toml`` files,
or from the built-in ``demo`` profile that points at the embedded emulator.

Precedence when no name is given (design.md): ``DHIS2_PROFILE``, then the raw environment
(``DHIS2_URL`` with ``DHIS2_PAT`` or ``DHIS2_USERNAME`` + ``DHIS2_PASSWORD``), then the default
of the nearest project file (``.dhis2/profiles.toml`` walking up from the working directory),
then the default of the global file (``$XDG_CONFIG_HOME/dhis2/profiles.toml``).

Secrets never appear in a repr, a str or an error message.
"""

from __future__ import annotations

import importlib
import ipaddress
import os
import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from .errors import ProfileError, ProfilePermissionsWarning

__all__ = [
    "DEMO_PROFILE_NAME",
    "Profile",
    "Scope",
    "default_profile_name",
    "demo_profile",
    "list_profiles",
    "load_profile",
    "profile_from_env",
    "profiles_file",
    "remove_profile",
    "save_profile",
    "set_default_profile",
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
            urlsplit(url).port  # noqa: B018 - parsing the port is the check
        except ValueError as exc:
            raise ProfileError(f"base_url {url!r} is not a valid URL: {exc}") from None
        object.__setattr__(self, "base_url", url.rstrip("/"))
        if self.timeout <= 0:
            raise ProfileError("timeout must be a positive number of seconds")
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


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            _warn_if_shared(path, handle)
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path} is not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ProfileError(f"cannot read {path}: {exc.strerror}") from exc


def _ca_bundle(path: str) -> str:
    """``verify`` as a CA bundle: an existing file or folder, as an absolute path."""
    if not path.strip():
        raise ProfileError("verify must be true, false or the path of a CA bundle (got '')")
    bundle = Path(path).expanduser()
    if not bundle.exists():
        raise ProfileError(f"verify: the CA bundle {bundle} does not exist")
    return str(bundle.resolve())


def _verify_option(value: Any, *, where: str, folder: Path | None) -> bool | str:
    """``verify`` from a profiles file; a relative CA bundle path is read from the file's folder."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip():
        bundle = Path(value).expanduser()
        if folder is not None and not bundle.is_absolute():
            bundle = folder / bundle
        if not bundle.exists():
            raise ProfileError(f"{where}: verify: the CA bundle {bundle} does not exist")
        return str(bundle)
    raise ProfileError(f"{where}: verify must be true, false or the path of a CA bundle")


def _bool(value: Any, *, key: str, where: str) -> bool:
    if isinstance(value, bool):
        return value
    raise ProfileError(f"{where}: {key} must be true or false")


def _profile_from_table(
    name: str, table: Mapping[str, Any], *, source: str, folder: Path | None = None
) -> Profile:
    where = f"profile {name!r} ({source})"
    if not isinstance(table, Mapping):
        raise ProfileError(f"{where} must be a table")
    base_url = table.get("base_url")
    if not isinstance(base_url, str) or not base_url.strip():
        raise ProfileError(f"{where} has no base_url")
    auth = table.get("auth")
    token = table.get("token")
    username = table.get("username")
    password = table.get("password")
    if auth not in (None, "basic", "pat"):
        raise ProfileError(f"{where}: auth must be 'basic' or 'pat'")
    if auth == "pat" and not token:
        raise ProfileError(f"{where}: auth = 'pat' needs a token")
    if auth == "basic" and (username is None or password is None):
        raise ProfileError(f"{where}: auth = 'basic' needs username and password")
    for key, value in (("token", token), ("username", username), ("password", password)):
        if value is not None and not isinstance(value, str):
            raise ProfileError(f"{where}: {key} must be a string")
    if auth == "basic":
        token = None
    elif auth == "pat":
        username = username if isinstance(username, str) else None
        password = None
    timeout = table.get("timeout", 30.0)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise ProfileError(f"{where}: timeout must be a number of seconds")
    return Profile(
        base_url=base_url,
        username=username,
        password=password,
        token=token,
        timeout=float(timeout),
        verify=_verify_option(table.get("verify", True), where=where, folder=folder),
        allow_insecure_http=_bool(
            table.get("allow_insecure_http", False), key="allow_insecure_http", where=where
        ),
        name=name,
        source=source,
    )


def _profiles_in(path: Path | None, scope: Scope) -> tuple[dict[str, Profile], str | None]:
    """The profiles and default name of one file (empty when it does not exist)."""
    if path is None:
        return {}, None
    data = _read_file(path)
    source = f"{scope}:{path}"
    tables = data.get("profiles", {})
    if not isinstance(tables, Mapping):
        raise ProfileError(f"{path}: [profiles] must be a table of tables")
    profiles = {
        str(name): _profile_from_table(str(name), table, source=source, folder=path.parent)
        for name, table in tables.items()
    }
    default = data.get("default")
    return profiles, default if isinstance(default, str) and default else None


def list_profiles() -> dict[str, Profile]:
    """Every profile by name: built-in ``demo``, then global, then project (project wins).

    Each profile's ``source`` says where it came from.
    """
    merged: dict[str, Profile] = {DEMO_PROFILE_NAME: demo_profile()}
    merged.update(_profiles_in(_global_file(), "global")[0])
    merged.update(_profiles_in(_find_project_file(), "project")[0])
    return merged


def default_profile_name() -> str | None:
    """The ``default`` of the nearest project file, else of the global file, else ``None``."""
    project_default = _profiles_in(_find_project_file(), "project")[1]
    if project_default:
        return project_default
    return _profiles_in(_global_file(), "global")[1]


def _named_profile(name: str) -> Profile:
    profiles = list_profiles()
    found = profiles.get(name)
    if found is None:
        known = ", ".join(sorted(profiles)) or "none"
        raise ProfileError(f"unknown profile {name!r} (known profiles: {known})")
    return found


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
    except ValueError as exc:
        raise ProfileError("DHIS2_TIMEOUT must be a number of seconds") from exc
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
    """The profile to use, following design.md's precedence.

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
_BARE_KEY = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def _toml_string(value: str) -> str:
    out = ['"']
    for char in value:
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _toml_key(key: str) -> str:
    return key if key and set(key) <= _BARE_KEY else _toml_string(key)


def _toml_value(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    return None  # nested values are not something dhis2w writes; drop rather than corrupt


def _render(data: Mapping[str, Any]) -> str:
    lines = ["# dhis2w profiles. Holds credentials: keep this file private (mode 0600)."]
    for key, value in data.items():
        if key == "profiles":
            continue
        rendered = _toml_value(value)
        if rendered is not None:
            lines.append(f"{_toml_key(key)} = {rendered}")
    profiles = data.get("profiles", {})
    for name, table in profiles.items():
        lines.append("")
        lines.append(f"[profiles.{_toml_key(name)}]")
        for key, value in table.items():
            rendered = _toml_value(value)
            if rendered is not None:
                lines.append(f"{_toml_key(key)} = {rendered}")
    return "\n".join(lines) + "\n"


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600, replacing it atomically."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _profile_table(profile: Profile) -> dict[str, Any]:
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
    if profile.timeout != 30.0:
        table["timeout"] = profile.timeout
    if profile.verify is not True:
        table["verify"] = profile.verify  # False, or a CA bundle path
    if profile.allow_insecure_http:
        table["allow_insecure_http"] = True
    return table


def save_profile(
    profile: Profile, *, name: str, scope: Scope = "global", make_default: bool = False
) -> Path:
    """Add or replace profile ``name`` in the ``scope`` file (mode 0600); returns the file."""
    if not name or not name.strip():
        raise ProfileError("a profile needs a name")
    if profile.embedded:
        raise ProfileError("the built-in demo profile cannot be saved to a file")
    path = profiles_file(scope)
    data = _read_file(path)
    profiles = dict(data.get("profiles", {}))
    profiles[name] = _profile_table(profile)
    data["profiles"] = profiles
    if make_default:
        data = {"default": name, **{k: v for k, v in data.items() if k != "default"}}
    _write_private(path, _render(data))
    return path


def remove_profile(name: str) -> Path:
    """Remove ``name`` from the nearest file that defines it (project, then global)."""
    for path in (_find_project_file(), _global_file()):
        if path is None:
            continue
        data = _read_file(path)
        profiles = dict(data.get("profiles", {}))
        if name in profiles:
            del profiles[name]
            data["profiles"] = profiles
            if data.get("default") == name:
                del data["default"]
            _write_private(path, _render(data))
            return path
    if name == DEMO_PROFILE_NAME:
        raise ProfileError("the built-in demo profile cannot be removed")
    raise ProfileError(f"unknown profile {name!r}: it is in no profiles file")


def set_default_profile(name: str, *, scope: Scope = "global") -> Path:
    """Make ``name`` (which must exist) the default of the ``scope`` file."""
    _named_profile(name)
    path = profiles_file(scope)
    data = _read_file(path)
    data = {"default": name, **{k: v for k, v in data.items() if k != "default"}}
    data.setdefault("profiles", {})
    _write_private(path, _render(data))
    return path
