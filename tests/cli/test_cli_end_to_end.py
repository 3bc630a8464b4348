"""The installed ``dhis2w`` console script, in real subprocesses, against
``dhis2w emulator serve`` on a free port: what a user's shell actually runs."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import UID_RE, console_script

from dhis2w.emulator import seed as S


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30  # a generous bound, never an assertion on speed
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"emulator exited early: {proc.stderr.read() if proc.stderr else ''}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("emulator did not start listening")


@pytest.fixture
def served(isolated_env: Path) -> Iterator[dict[str, Any]]:
    exe = console_script()
    port = _free_port()
    proc = subprocess.Popen(
        [exe, "emulator", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_port(port, proc)
        yield {"exe": exe, "proc": proc, "url": f"http://127.0.0.1:{port}"}
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _run(
    served: dict[str, Any], *args: str, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DHIS2_URL": served["url"],
        "DHIS2_USERNAME": S.ADMIN.username,
        "DHIS2_PASSWORD": S.ADMIN.password,
    }
    return subprocess.run(
        [served["exe"], *args], capture_output=True, text=True, env=env, input=input, timeout=60
    )


def test_console_script_against_emulator_serve(served: dict[str, Any], tmp_path: Path) -> None:
    listed = _run(served, "--json", "messaging", "list")
    assert listed.returncode == 0, listed.stderr
    page = json.loads(listed.stdout)
    assert page["pager"]["total"] == sum(
        1 for c in S.CONVERSATIONS if S.ADMIN.uid in c.participants
    )

    plan = tmp_path / "plan.txt"
    plan.write_text("the plan\n")
    fr = _run(served, "files", "resources", "upload", str(plan), "--domain", "message_attachment")
    assert fr.returncode == 0 and UID_RE.match(fr.stdout.strip()), fr.stderr

    sent = _run(served, "messaging", "send", "E2E", "-", "-u", "fatmata", "-a", fr.stdout.strip(),
                input="piped body\n")  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    uid = sent.stdout.strip()
    table = _run(served, "--no-color", "messaging", "get", uid).stdout
    assert "E2E" in table and "piped body" in table and "plan.txt" in table

    missing = _run(served, "messaging", "get", "AAAAAAAAAAA")
    assert missing.returncode == 4
    assert missing.stderr.startswith("Error: dhis2w messaging get: ")
    assert "Traceback" not in missing.stderr

    proc = served["proc"]
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=15) == 0
    banner = proc.stderr.read()
    assert served["url"] in banner and "admin" in banner
    assert proc.stdout.read() == ""  # the banner goes to stderr


def test_help_from_the_console_script() -> None:
    out = subprocess.run([console_script(), "--help"], capture_output=True, text=True, check=True)
    assert "messaging" in out.stdout and "emulator" in out.stdout
