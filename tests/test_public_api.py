"""The public names dhis2w promises (``dhis2w.__all__``), and what importing them costs."""

from __future__ import annotations

import subprocess
import sys

import pytest

import dhis2w
from dhis2w import InvalidUidError, check_uid, is_uid


def test_design_md_imports() -> None:
    from dhis2w import AsyncClient, Client, Profile, load_profile, open_client, profile_from_env

    assert AsyncClient.__name__ == "AsyncClient" and Client.__name__ == "Client"
    assert callable(open_client) and callable(profile_from_env) and callable(load_profile)
    assert Profile.__name__ == "Profile"
    assert set(dhis2w.__all__) <= set(dir(dhis2w))


@pytest.mark.parametrize("value", ["M5zQapPyTZI", "a1234567890"])
def test_uid_shapes_accepted(value: str) -> None:
    assert is_uid(value) and check_uid(value) == value


@pytest.mark.parametrize(
    "value", ["", "1bcdefghijk", "abc", "abcdefghijkl", "abcdefghij-", None, 7]
)
def test_uid_shapes_refused(value: object) -> None:
    assert not is_uid(value)
    with pytest.raises(InvalidUidError, match="not a DHIS2 UID"):
        check_uid(value, "conversation")


def test_cheap_imports_stay_cheap() -> None:
    # The CLI checks UIDs and offers enum choices before it needs the HTTP stack.
    code = (
        "import sys, dhis2w, dhis2w.uids, dhis2w.enums, dhis2w.errors, dhis2w.profile;"
        "from dhis2w import check_uid, MessageType;"
        "print(sorted(m for m in ('httpx', 'msgspec', 'anyio') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
