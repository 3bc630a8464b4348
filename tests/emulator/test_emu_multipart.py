"""multipart: a part's Content-Disposition read the way Spring's ``ContentDisposition.parse``
reads it for DHIS2 (quoted values keep ``;`` and escaped quotes; an RFC 5987 ``filename*``
is decoded and wins over ``filename``), unit by unit and through a real upload."""

from __future__ import annotations

import httpx
import pytest

from dhis2w.emulator.multipart import disposition

CASES = {
    'form-data; name="file"; filename="a;b.txt"': ("file", "a;b.txt"),
    'form-data; name="fi;le"; filename="x.txt"': ("fi;le", "x.txt"),
    'form-data; name="file"; filename="say \\"hi\\".txt"': ("file", 'say "hi".txt'),
    "form-data; name=\"file\"; filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9.pdf":
        ("file", "naïve résumé.pdf"),
    "form-data; name=\"file\"; filename=\"fallback.pdf\"; filename*=UTF-8''%E2%82%AC.pdf":
        ("file", "€.pdf"),
    "form-data; name=\"file\"; filename*=UTF-8''%E2%82%AC.pdf; filename=\"fallback.pdf\"":
        ("file", "€.pdf"),
    "form-data; name=\"file\"; filename*=ISO-8859-1''caf%E9.txt": ("file", "café.txt"),
    "form-data; name=\"file\"; filename*=utf-8'en'%E2%82%AC.pdf": ("file", "€.pdf"),
    'form-data; name="file"; filename="naïve.txt"': ("file", "naïve.txt"),
    "form-data; name=file; filename=plain.txt": ("file", "plain.txt"),
    'form-data; name="file"; filename=""': ("file", ""),
    'form-data; name="domain"': ("domain", None),
    "form-data": ("", None),
}  # fmt: skip


@pytest.mark.parametrize("header", list(CASES))
def test_disposition(header: str) -> None:
    assert disposition(header) == CASES[header]


@pytest.mark.parametrize(
    ("filename_params", "stored_name"),
    [
        ('filename="week;1.csv"', "week;1.csv"),
        ("filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9.csv", "naïve résumé.csv"),
        ("filename=\"fallback.csv\"; filename*=UTF-8''%E2%82%AC%20report.csv", "€ report.csv"),
    ],
)
def test_upload_keeps_the_filename_whole(
    admin: httpx.Client, filename_params: str, stored_name: str
) -> None:
    boundary = "dhis2wB"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; {filename_params}\r\n'
        f"Content-Type: text/csv\r\n\r\na,b\r\n--{boundary}--\r\n"
    ).encode()
    r = admin.post(
        "/api/fileResources",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert r.status_code == 202, r.text
    uid = r.json()["response"]["fileResource"]["id"]
    assert r.json()["response"]["fileResource"]["name"] == stored_name
    assert admin.get(f"/api/fileResources/{uid}").json()["name"] == stored_name
