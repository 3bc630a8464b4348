"""``verify`` in a profile can name a CA bundle: servers behind an internal CA, verified.

Real TLS on loopback (trustme issues the CA and the server certificate), for both clients,
plus the profile rules: relative paths in a profiles file, a bundle that does not exist or is
not a certificate, and saving the path back.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
import trustme

from dhis2w import (
    AsyncClient,
    Client,
    Profile,
    ProfileError,
    TransportError,
    UnusableProfileWarning,
    load_profile,
)
from dhis2w.profile import save_profile

from .stub_servers import json_answer, serve


@pytest.fixture
def internal_ca(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context signed by a private CA, and that CA's PEM bundle on disk."""
    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    bundle = tmp_path / "ministry-ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    return context, bundle


def profile(url: str, verify: bool | str) -> Profile:
    return Profile(base_url=url, username="admin", password="district", verify=verify)


@pytest.mark.anyio
async def test_async_client_trusts_the_profiles_ca_bundle(
    internal_ca: tuple[ssl.SSLContext, Path],
) -> None:
    context, bundle = internal_ca
    with serve(json_answer, tls=context) as stub:
        async with AsyncClient(profile(stub.url, str(bundle))) as client:
            me = await client.system.me()
    assert me.username == "admin"


def test_sync_client_trusts_the_profiles_ca_bundle(
    internal_ca: tuple[ssl.SSLContext, Path],
) -> None:
    context, bundle = internal_ca
    with serve(json_answer, tls=context) as stub:
        with Client(profile(stub.url, str(bundle))) as client:
            assert client.system.me().username == "admin"
        # the default trust store does not know the internal CA: same server, refused
        refused = Client(profile(stub.url, True), backoff_base=0.0)
        with refused, pytest.raises(TransportError, match="could not be verified"):
            refused.system.me()


def test_another_ca_bundle_is_not_enough(
    internal_ca: tuple[ssl.SSLContext, Path], tmp_path: Path
) -> None:
    context, _bundle = internal_ca
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    with serve(json_answer, tls=context) as stub:
        client = Client(profile(stub.url, str(other)), backoff_base=0.0)
        with client, pytest.raises(TransportError, match="could not be verified"):
            client.system.me()
        assert stub.requests == []


def test_a_missing_bundle_is_refused_when_the_profile_is_made(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"CA bundle .*missing\.pem does not exist"):
        profile("https://dhis2.example.org", str(tmp_path / "missing.pem"))
    with pytest.raises(ProfileError, match="path of a CA bundle"):
        profile("https://dhis2.example.org", "")


def test_a_bundle_that_is_not_a_certificate_fails_before_any_request(tmp_path: Path) -> None:
    junk = tmp_path / "not-a-ca.pem"
    junk.write_text("hello\n", encoding="utf-8")
    with serve(json_answer) as stub:
        client = Client(profile(stub.url.replace("http:", "https:"), str(junk)))
        with client, pytest.raises(ProfileError, match=r"cannot use .*not-a-ca\.pem as the CA"):
            client.system.me()
        assert stub.requests == []


def test_profiles_file_paths_are_relative_to_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, internal_ca: tuple[ssl.SSLContext, Path]
) -> None:
    _context, bundle = internal_ca
    monkeypatch.delenv("DHIS2_PROFILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    project = tmp_path / "project"
    (project / ".dhis2").mkdir(parents=True)
    (project / ".dhis2" / "certs").mkdir()
    (project / ".dhis2" / "certs" / "ca.pem").write_bytes(bundle.read_bytes())
    settings = project / ".dhis2" / "profiles.toml"
    settings.write_text(
        '[profiles.moh]\nbase_url = "https://dhis2.moh.example"\nverify = "certs/ca.pem"\n',
        encoding="utf-8",
    )
    settings.chmod(0o600)
    monkeypatch.chdir(project)
    loaded = load_profile("moh")
    assert loaded.verify == str((project / ".dhis2" / "certs" / "ca.pem").resolve())

    settings.write_text(
        '[profiles.moh]\nbase_url = "https://dhis2.moh.example"\nverify = "nope.pem"\n',
        encoding="utf-8",
    )
    # a bad entry is skipped with a warning; selecting it is the error, naming the entry
    missing = r"profile 'moh'.*CA bundle .*nope\.pem does not exist"
    with (
        pytest.warns(UnusableProfileWarning, match=missing),
        pytest.raises(ProfileError, match=missing),
    ):
        load_profile("moh")


def test_a_saved_profile_keeps_its_bundle(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, internal_ca: tuple[ssl.SSLContext, Path]
) -> None:
    _context, bundle = internal_ca
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    save_profile(profile("https://dhis2.moh.example", str(bundle)), name="moh")
    assert load_profile("moh").verify == str(bundle.resolve())
