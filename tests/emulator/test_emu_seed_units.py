"""The seed world's invariants, and unit tests of the sans-HTTP pieces."""

from __future__ import annotations

import io
import re
from pathlib import Path

from dhis2w.emulator import seed
from dhis2w.emulator.app import App
from dhis2w.emulator.exchange import Request
from dhis2w.emulator.fields import parse_fields
from dhis2w.emulator.multipart import parse_multipart
from dhis2w.emulator.store import Store

UID = re.compile(r"^[a-zA-Z][a-zA-Z0-9]{10}$")


def test_seed_uids_are_dhis2_style() -> None:
    """Seed: every UID is 11 chars [a-zA-Z][a-zA-Z0-9]{10} and unique."""
    uids = (
        [u.uid for u in seed.USERS]
        + [g.uid for g in seed.USER_GROUPS]
        + [o.uid for o in seed.ORG_UNITS]
    )
    uids += [c.uid for c in seed.CONVERSATIONS] + [
        m.uid for c in seed.CONVERSATIONS for m in c.messages
    ]
    uids += [f.uid for f in seed.FILE_RESOURCES] + [d.uid for d in seed.DOCUMENTS]
    assert all(UID.match(u) for u in uids)
    assert len(uids) == len(set(uids))


def test_seed_world_shape() -> None:
    """Seed: admin superuser, 5+ users with PATs, groups, a 3-level tree, mixed inbox."""
    assert seed.ADMIN.username == "admin" and seed.ADMIN.password == "district"
    assert "ALL" in seed.ADMIN.authorities
    assert len(seed.USERS) >= 6
    assert all(u.token.startswith("d2pat_") and len(u.token) >= 38 for u in seed.USERS)
    assert {o.level for o in seed.ORG_UNITS} == {1, 2, 3}
    types = {c.message_type for c in seed.CONVERSATIONS if seed.ADMIN.uid in c.participants}
    assert {"PRIVATE", "SYSTEM", "VALIDATION_RESULT"} <= types
    assert any(c.message_type == "TICKET" for c in seed.CONVERSATIONS)


def test_parse_fields_nested() -> None:
    """fields parser: nesting with [] and ()."""
    nodes = parse_fields("id,messages[*,sender(id,displayName)],!href")
    assert [n.name for n in nodes] == ["id", "messages", "!href"]
    assert nodes[1].children is not None and nodes[1].children[1].name == "sender"


def test_multipart_parser_streams_to_disk(tmp_path: Path) -> None:
    """multipart: file parts go to disk with size and md5; fields stay in memory."""
    body = (
        b'--b\r\nContent-Disposition: form-data; name="domain"\r\n\r\nDOCUMENT\r\n'
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nhello\r\n--c\r\n--b--\r\n"
    )
    counter = iter(range(10))
    parsed = parse_multipart(io.BytesIO(body), b"b", lambda: str(tmp_path / f"f{next(counter)}"))
    assert parsed.fields == {"domain": "DOCUMENT"}
    part = parsed.files["file"]
    assert Path(part.path).read_bytes() == b"hello\r\n--c" and part.size == 10


def test_app_is_sans_http() -> None:
    """app: a Request in, a Response out, no socket needed."""
    store = Store(None, seed="demo")
    try:
        app = App(store)
        auth = "Basic YWRtaW46ZGlzdHJpY3Q="  # admin:district
        resp = app.handle(
            Request.build("GET", "/api/me?fields=id", {"Authorization": auth, "Host": "x"})
        )
        assert resp.status == 200 and resp.body == b'{"id":"M5zQapPyTZI"}'
    finally:
        store.close()
