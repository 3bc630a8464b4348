"""Pure classification at the boundaries (no I/O): server file names, login pages,
the status named when a created object's Location is missing."""

from __future__ import annotations

import pytest

from dhis2w import _filenames, _wire
from dhis2w.errors import UnexpectedResponseError


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        # DHIS2's own shape: unquoted, no disposition type, the name verbatim.
        ("filename=report.pdf", "report.pdf"),
        ("filename=stock take; week 3.csv", "stock take; week 3.csv"),
        # RFC 6266 / RFC 5987: filename* is decoded and wins, wherever it stands.
        ("attachment; filename=x.pdf; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf", "résumé.pdf"),
        ("attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf; filename=x.pdf", "résumé.pdf"),
        ("filename*=UTF-8''r%C3%A9sum%C3%A9.pdf; filename=x.pdf", "résumé.pdf"),
        ("attachment; filename*=iso-8859-1'en'%E9t%E9.txt", "été.txt"),
        # filename* that is not in its charset is ignored, not turned into junk.
        ("attachment; filename*=UTF-8''%FF%FE.txt; filename=plain.txt", "plain.txt"),
        # A quoted name keeps its ';'.
        ('attachment; filename="minutes; final.pdf"', "minutes; final.pdf"),
        ('inline; filename="a \\"quoted\\" name.txt"', 'a "quoted" name.txt'),
        # Separators, controls, bidi controls and leading dots are removed.
        ("filename=../../etc/passwd", "etcpasswd"),
        ('attachment; filename="..\\\\..\\\\boot.ini"', "boot.ini"),
        ("filename=\x1b]0;PWNED\x07x.txt", "]0;PWNEDx.txt"),
        ("filename=invoice\u202efdp.exe", "invoicefdp.exe"),
        ("filename=\u2066a\u2069b\u200f.txt", "ab.txt"),
        ("filename=.bashrc", "bashrc"),
        ("filename=..", None),
        ("filename=/", None),
        # Non-ASCII names are kept as they are.
        ("filename=👩‍⚕️ 👍🏽.png", "👩‍⚕️ 👍🏽.png"),
        ("filename=ລາວ.txt", "ລາວ.txt"),
        ("filename=ሰላም.docx", "ሰላም.docx"),
        ("attachment", None),
    ],
)
def test_filename_from_disposition(header: str | None, expected: str | None) -> None:
    assert _filenames.filename_from_disposition(header) == expected


@pytest.mark.parametrize(
    ("name", "extension"),
    [("ລາວ" * 100 + ".pdf", ".pdf"), ("a" * 300 + ".tar.gz", ".gz"), ("é" * 200, "")],
)
def test_long_names_are_shortened_keeping_the_extension(name: str, extension: str) -> None:
    short = _filenames.safe_filename(name)
    assert short is not None
    assert len(short.encode("utf-8")) <= 255
    assert short.endswith(extension) and name.startswith(short[: len(short) - len(extension)])
    assert len(short.encode("utf-8")) > 240  # shortened, not gutted


def test_short_names_are_left_alone() -> None:
    name = "x" * 251 + ".pdf"  # exactly 255 bytes
    assert _filenames.safe_filename(name) == name


LOGIN_PAGES = {
    "classic form": b'<form action="login.action"><input type="password" name="p"></form>',
    "spring security": b'<form action="j_spring_security_check"><input name=j_password>',
    "DHIS2 2.41+ login app (base)": (
        b'<!doctype html><html><head><base href="/dhis-web-login/">'
        b'<script type="module" src="./assets/index-3f2a.js"></script></head>'
        b'<body><div id="root"></div></body></html>'
    ),
    "login app by script path": (
        b"<html><head><title>DHIS2</title>"
        b'<script src="/api/apps/login/static/js/main.8c1.js"></script></head></html>'
    ),
    "title Login": b"<html><head><title>DHIS 2 | Login</title></head><body></body></html>",
    "title Sign in": b"<html><head><title>Sign in to Acme SSO</title></head></html>",
    "title Log in, spaced": b"<html><head><TITLE>\n  Log In\n</TITLE></head></html>",
    "title Sign-in": b"<html><head><title>Sign-in required</title></head></html>",
    "stylesheet of a login path": b'<html><head><link rel=stylesheet href="/sso/login/a.css">',
}

OTHER_PAGES = {
    "proxy error": b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
    "maintenance": b"<html><head><title>Down for maintenance</title></head></html>",
    "some app": b'<html><head><title>Blogging tips</title><script src="/static/app.js"></script>',
    "text about logins": b"<html><body><p>Forgot your login? Ask your admin.</p></body></html>",
    "broken html": b"<html><<<title>>>",
}


@pytest.mark.parametrize("body", LOGIN_PAGES.values(), ids=LOGIN_PAGES.keys())
def test_login_pages_are_recognised(body: bytes) -> None:
    assert _wire.is_login_page(body)


@pytest.mark.parametrize("body", OTHER_PAGES.values(), ids=OTHER_PAGES.keys())
def test_other_pages_are_not_login_pages(body: bytes) -> None:
    assert not _wire.is_login_page(body)


@pytest.mark.parametrize("status", [200, 201, 202])
def test_missing_location_names_the_real_status(status: int) -> None:
    with pytest.raises(UnexpectedResponseError) as info:
        _wire.uid_from_location(None, method="POST", path="/api/x", status_code=status)
    assert info.value.status_code == status
    assert f"HTTP {status}" in str(info.value)


def test_undecodable_byte_is_named_as_not_utf8() -> None:
    from dhis2w.errors import InvalidInputError

    latin1 = b"caf\xe9".decode("utf-8", "surrogateescape")  # how argv/pipes carry it
    with pytest.raises(InvalidInputError, match=r"not UTF-8 text \(byte 0xE9 at position 3\)"):
        _wire.check_text(latin1, "text")
    with pytest.raises(InvalidInputError, match="lone surrogate"):
        _wire.check_text("a\ud800b", "text")
