"""Fault switches, persistence of db=path across restarts, concurrency, streaming, the plugin."""

from __future__ import annotations

import concurrent.futures
import os
import socket
import threading
from pathlib import Path

import httpx
import pytest
from emu_helpers import send, uid_from_location, upload

from dhis2w.emulator import EmulatorServer, banner, seed
from dhis2w.emulator.embedded import demo_db_path
from dhis2w.testing import EmulatorHandle

MC = "/api/messageConversations"


def test_fail_next_with_retry_after(emu: EmulatorHandle, admin: httpx.Client) -> None:
    """Faults: fail_next(N, status, retry_after) answers the next N requests, then recovers."""
    emu.faults.fail_next(2, status=429, retry_after=3)
    for _ in range(2):
        r = admin.get("/api/me")
        assert r.status_code == 429 and r.headers["retry-after"] == "3"
        assert r.json()["httpStatusCode"] == 429
    assert admin.get("/api/me").status_code == 200


def test_fail_next_503_default(emu: EmulatorHandle, admin: httpx.Client) -> None:
    """Faults: the default failure is 503 without Retry-After; nothing is handled."""
    emu.faults.fail_next(1)
    r = admin.post(MC, json={"subject": "S", "text": "T", "users": [{"id": seed.FATMATA.uid}]})
    assert r.status_code == 503 and "retry-after" not in r.headers
    assert admin.get(MC, params={"filter": "subject:eq:S"}).json()["pager"]["total"] == 0


def test_fail_next_for_one_method_lets_others_through(
    emu: EmulatorHandle, admin: httpx.Client
) -> None:
    """Faults: fail_next(method="GET") skips a POST, which is handled and stored."""
    emu.faults.fail_next(1, status=503, method="GET")
    r = admin.post(MC, json={"subject": "S", "text": "T", "users": [{"id": seed.FATMATA.uid}]})
    assert r.status_code == 201
    assert admin.get("/api/me").status_code == 503
    assert admin.get(MC, params={"filter": "subject:eq:S"}).json()["pager"]["total"] == 1


def test_session_faults(emu: EmulatorHandle, admin: httpx.Client) -> None:
    """Faults: unauthorized_next is DHIS2's 401; login_page_next a proxy's 200 HTML form."""
    emu.faults.unauthorized_next(1).login_page_next(1)
    r = admin.get("/api/me")
    assert r.status_code == 401 and r.json()["message"] == "Unauthorized"
    r = admin.get("/api/me")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert b'type="password"' in r.content
    assert admin.get("/api/me").json()["username"] == "admin"


def test_drop_after_commit(emu: EmulatorHandle, admin: httpx.Client) -> None:
    """Faults: drop_after_commit commits the write, then closes without an answer."""
    emu.faults.drop_after_commit(1)
    with pytest.raises(httpx.TransportError):
        admin.post(
            MC, json={"subject": "Dropped", "text": "T", "users": [{"id": seed.FATMATA.uid}]}
        )
    assert admin.get(MC, params={"filter": "subject:eq:Dropped"}).json()["pager"]["total"] == 1


def test_drop_ignores_reads(emu: EmulatorHandle, admin: httpx.Client) -> None:
    """Faults: drop_after_commit only counts writes."""
    emu.faults.drop_after_commit(1)
    assert admin.get("/api/me").status_code == 200
    with pytest.raises(httpx.TransportError):
        admin.post(f"{MC}/read", json=[seed.CONV_IDSR_WEEKLY.uid])


def test_truncate_next(emu: EmulatorHandle, admin: httpx.Client) -> None:
    """Faults: truncate_next sends the full Content-Length but only part of the body."""
    emu.faults.truncate_next(1)
    with pytest.raises(httpx.TransportError):
        admin.get(MC, params={"fields": "*", "paging": "false"})
    assert admin.get("/api/me").status_code == 200


def test_latency_and_clear(emu: EmulatorHandle, admin: httpx.Client) -> None:
    """Faults: latency applies per request; clear() switches everything off."""
    emu.faults.latency(0.001, jitter=0.001).fail_next(5)
    emu.faults.clear()
    assert admin.get("/api/me").status_code == 200
    assert not emu.faults.active


def test_fail_next_rejects_non_error_status(emu: EmulatorHandle) -> None:
    """Faults: only 429 and 5xx can be injected."""
    with pytest.raises(ValueError):
        emu.faults.fail_next(1, status=404)


def test_persistence_across_restart(tmp_path: Path) -> None:
    """Storage: db=path keeps conversations and files across a restart; no reseed."""
    db = tmp_path / "emu.sqlite3"
    with (
        EmulatorServer(db=str(db)) as srv,
        httpx.Client(base_url=srv.url, auth=("admin", "district")) as c,
    ):
        uid = send(c, [seed.FATMATA.uid], subject="Persist me")
        fr = upload(c, b"kept bytes", domain="DOCUMENT").json()["response"]["fileResource"]["id"]
        c.post(f"{MC}/read", json=[seed.CONV_IDSR_WEEKLY.uid])
    with (
        EmulatorServer(db=str(db)) as srv,
        httpx.Client(base_url=srv.url, auth=("admin", "district")) as c,
    ):
        assert c.get(f"{MC}/{uid}", params={"fields": "subject"}).json() == {
            "subject": "Persist me"
        }
        assert c.get(f"{MC}/{seed.CONV_IDSR_WEEKLY.uid}", params={"fields": "read"}).json() == {
            "read": True
        }
        assert c.get(f"/api/fileResources/{fr}").json()["contentLength"] == len(b"kept bytes")
        total = c.get(MC).json()["pager"]["total"]
        assert total == 1 + sum(1 for cv in seed.CONVERSATIONS if seed.ADMIN.uid in cv.participants)


def test_two_servers_share_a_file(tmp_path: Path) -> None:
    """Storage: two servers (like two CLI processes) on one WAL file see each other's writes."""
    db = str(tmp_path / "shared.sqlite3")
    with EmulatorServer(db=db) as a, EmulatorServer(db=db) as b:
        with httpx.Client(base_url=a.url, auth=("admin", "district")) as ca:
            uid = send(ca, [seed.FATMATA.uid])
        with httpx.Client(base_url=b.url, auth=("fatmata", seed.FATMATA.password)) as cb:
            assert cb.get(f"{MC}/{uid}", params={"fields": "read"}).json() == {"read": False}


def test_concurrent_creates_all_land(emu: EmulatorHandle) -> None:
    """Concurrency: 1,000 concurrent creates from 32 threads (each on its own keep-alive
    connection) all land exactly once: 1,000 distinct Locations, 1,000 conversations."""
    local = threading.local()
    clients: list[httpx.Client] = []
    lock = threading.Lock()

    def client() -> httpx.Client:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=emu.url, auth=("admin", "district"), timeout=60)
            with lock:
                clients.append(local.client)
        c: httpx.Client = local.client
        return c

    def create(i: int) -> str:
        r = client().post(
            MC,
            json={"subject": f"Concurrent {i}", "text": "x", "users": [{"id": seed.FATMATA.uid}]},
        )
        assert r.status_code == 201, r.text
        return uid_from_location(r)

    try:
        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            uids = list(pool.map(create, range(1000)))
    finally:
        for c in clients:
            c.close()
    assert len(set(uids)) == 1000
    with httpx.Client(base_url=emu.url, auth=("fatmata", seed.FATMATA.password)) as c:
        body = c.get(
            MC, params={"filter": "subject:like:Concurrent", "fields": "subject", "paging": "false"}
        ).json()
    subjects = sorted(cv["subject"] for cv in body["messageConversations"])
    assert subjects == sorted(f"Concurrent {i}" for i in range(1000))


def test_bulk_create_and_paging(emu: EmulatorHandle, admin: httpx.Client) -> None:
    """Bulk seeding helper: 1,200 conversations page correctly with list fields."""
    emu.bulk_create_conversations(1200, recipients=[seed.FATMATA.uid])
    page = admin.get(
        MC, params={"pageSize": 1000, "fields": "id,subject,read,lastSender[id,displayName]"}
    ).json()
    assert page["pager"]["total"] == 1200 + 8 and len(page["messageConversations"]) == 1000
    assert page["pager"]["pageCount"] == 2


def test_streamed_large_upload_and_download(emu: EmulatorHandle, admin: httpx.Client) -> None:
    """Files: a multi-megabyte upload streams in and downloads byte-identical."""
    emu.faults.storage_delay(0)  # stored at once: this test downloads without polling
    data = os.urandom(3 * 1024 * 1024)
    fr = upload(admin, data, name="big.dat", content_type="application/octet-stream").json()[
        "response"
    ]["fileResource"]
    assert fr["contentLength"] == len(data)
    uid = send(admin, [seed.FATMATA.uid], attachments=[{"id": fr["id"]}])
    msg = admin.get(f"{MC}/{uid}", params={"fields": "messages[id]"}).json()["messages"][0]["id"]
    with admin.stream("GET", f"{MC}/{uid}/{msg}/attachments/{fr['id']}") as r:
        got = b"".join(r.iter_bytes())
    assert got == data


def test_chunked_request_body(admin: httpx.Client) -> None:
    """HTTP: a chunked (streamed) request body is accepted for replies."""

    def gen():  # type: ignore[no-untyped-def]
        yield b"part one, "
        yield b"part two"

    r = admin.post(f"{MC}/{seed.CONV_STOCK_OUT.uid}", content=gen())
    assert r.status_code == 201
    texts = admin.get(
        f"{MC}/{seed.CONV_STOCK_OUT.uid}", params={"fields": "messages[text]"}
    ).json()["messages"]
    assert texts[-1]["text"] == "part one, part two"


def test_plugin_fixture_shape(dhis2_emulator: EmulatorHandle) -> None:
    """Plugin: dhis2_emulator exposes url, faults, seed and profile()."""
    assert dhis2_emulator.url.startswith("http://127.0.0.1:")
    assert dhis2_emulator.seed is seed
    assert dhis2_emulator.user("fatmata").uid == seed.FATMATA.uid
    with socket.create_connection(("127.0.0.1", int(dhis2_emulator.url.rsplit(":", 1)[1]))):
        pass


def test_plugin_profile(dhis2_emulator: EmulatorHandle) -> None:
    """Plugin: profile(username) logs in as any seeded user (Basic or PAT)."""
    pytest.importorskip("dhis2w.profile")
    p = dhis2_emulator.profile("isatu")
    assert p.username == "isatu" and p.base_url == dhis2_emulator.url
    assert dhis2_emulator.profile("isatu", token=True).token == seed.ISATU.token


def test_plugin_fresh_state_per_test_a(dhis2_emulator: EmulatorHandle, admin: httpx.Client) -> None:
    """Plugin: state from one test does not leak into the next (part a: write)."""
    send(admin, [seed.FATMATA.uid], subject="Leak check")
    dhis2_emulator.faults.latency(0.0)


def test_plugin_fresh_state_per_test_b(admin: httpx.Client) -> None:
    """Plugin: state from one test does not leak into the next (part b: read)."""
    assert admin.get(MC, params={"filter": "subject:eq:Leak check"}).json()["pager"]["total"] == 0


def test_banner_text(dhis2_emulator: EmulatorHandle) -> None:
    """banner(): URL, admin/district and a PAT example."""
    text = banner(dhis2_emulator.server)
    assert dhis2_emulator.url in text and "admin / district" in text and "ApiToken d2pat_" in text


def test_demo_db_path_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """embedded: DHIS2W_DEMO_DB overrides, else $XDG_DATA_HOME/dhis2w/demo.sqlite3."""
    monkeypatch.setenv("DHIS2W_DEMO_DB", str(tmp_path / "x.db"))
    assert demo_db_path() == tmp_path / "x.db"
    monkeypatch.delenv("DHIS2W_DEMO_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert demo_db_path() == tmp_path / "dhis2w" / "demo.sqlite3"
