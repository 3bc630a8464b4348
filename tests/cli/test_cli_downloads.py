"""Downloads from the command line: into pipes and devices, and streamed to stdout (``-``)."""

from __future__ import annotations

import os
import stat
import subprocess
import threading
from pathlib import Path
from typing import Any

from cli_helpers import Dhis2Runner, console_script

from dhis2w.emulator import seed as S


def _env(dhis2_emulator: Any) -> dict[str, str]:
    profile = dhis2_emulator.profile("admin")
    return {
        **os.environ,
        "DHIS2_URL": profile.base_url,
        "DHIS2_USERNAME": profile.username,
        "DHIS2_PASSWORD": profile.password,
    }


def test_console_script_downloads_into_a_named_pipe(dhis2_emulator: Any, tmp_path: Path) -> None:
    # mkfifo p; dhis2w messaging attachment download ... p  -- the reader gets the file and
    # p stays a pipe (it used to be replaced by a regular file, the reader getting nothing).
    folder = tmp_path / "shared"
    folder.mkdir()
    fifo = folder / "p"
    os.mkfifo(fifo)
    conv, msg = S.CONV_STOCK_OUT.uid, S.CONV_STOCK_OUT.messages[0].uid
    fr = S.FILE_STOCK_REPORT
    received: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as pipe:
            received.append(pipe.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    done = subprocess.run(
        [console_script(), "messaging", "attachment", "download", conv, msg, fr.uid, str(fifo)],
        capture_output=True,
        text=True,
        env=_env(dhis2_emulator),
        timeout=120,
    )
    reader.join(timeout=60)
    assert done.returncode == 0, done.stderr
    assert received == [fr.content]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert done.stdout.strip() == str(fifo)
    assert sorted(p.name for p in folder.iterdir()) == ["p"]


def test_console_script_streams_dash_to_stdout(dhis2_emulator: Any, tmp_path: Path) -> None:
    fr = S.FILE_LAB_RESULTS
    done = subprocess.run(
        [console_script(), "files", "resources", "download", fr.uid, "-"],
        capture_output=True,
        env=_env(dhis2_emulator),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == fr.content


def test_dash_streams_chunks_as_they_arrive(
    dhis2: Dhis2Runner, dhis2_emulator: Any, tmp_path: Path
) -> None:
    # The server cuts the body off half-way: what arrived is already on stdout (streamed,
    # not held in memory until the end), and the error says so.
    big = tmp_path / "big.csv"
    content = bytes(range(256)) * 4096  # 1 MiB, many chunks
    big.write_bytes(content)
    uid = dhis2("files", "resources", "upload", str(big)).stdout.strip()
    dhis2_emulator.faults.truncate_next(1)
    result = dhis2("files", "resources", "download", uid, "-", code=None)
    assert result.exit_code != 0
    assert 0 < len(result.stdout_bytes) < len(content)
    assert content.startswith(result.stdout_bytes)
    assert "already written" in result.stderr
