"""Smoke test for ``benchmarks/``: every benchmark module runs end to end with tiny sizes
(``--quick``) and prints its report with the ratio lines.

No timing is asserted here: the numbers mean nothing at these sizes and on a shared machine.
What is checked is that each benchmark still runs against the current client and emulator,
and that its report has the lines the README table is built from.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# module -> lines (prefixes after "RATIO  " / "FACT   ") its report must contain
EXPECTED: dict[str, list[str]] = {
    "decode": [
        "RATIO  dhis2w / bare msgspec (same types) [gc on]",
        "RATIO  pydantic model_validate_json / dhis2w [gc on]",
        "RATIO  json.loads+dataclasses / dhis2w [gc on]",
        "RATIO  json.loads+pydantic per row / dhis2w [gc on]",
    ],
    "list_all": [
        "RATIO  dhis2w sync iter / raw httpx sync loop",
        "RATIO  dhis2w async iter / raw httpx async loop",
        "RATIO  sequential paging / dhis2w async prefetch (latency)",
        "RATIO  sequential / async prefetch (replayed, client only)",
        "FACT   RSS flat in N (sync)",
        "FACT   RSS flat in N (async)",
    ],
    "streaming": [
        "RATIO  download throughput: dhis2w sync / raw httpx sync",
        "RATIO  download throughput: dhis2w async / raw httpx async",
        "FACT   peak RSS growth: dhis2w Client.download_attachment",
        "FACT   peak RSS growth: dhis2w AsyncClient.upload_file_resource",
        "FACT   peak RSS: dhis2w CLI download to - vs to a file",
    ],
    "bulk": [
        "RATIO  per-UID mark-read loop / dhis2w mark_read",
        "RATIO  concurrent / sequential send throughput",
        "FACT   mark_read(50 uids): requests",
        "FACT   delete_conversation(50 uids): requests",
        "FACT   concurrent sends arrived exactly once (listing)",
    ],
    "watch": [
        "RATIO  naive page-1 poll / idle watch poll (bytes)",
        "RATIO  naive page-1 poll / idle watch poll (server time)",
        "FACT   events seen / messages sent",
        "FACT   send -> event delay, median (interval 1 s)",
    ],
}


def _run(module: str) -> str:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{module}", "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, f"{module} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.mark.parametrize("module", sorted(EXPECTED))
def test_benchmark_runs_quick_and_prints_ratios(module: str) -> None:
    out = _run(module)
    assert out.startswith("== "), out[:500]
    assert "machine: " in out
    for line in EXPECTED[module]:
        assert line in out, f"{module}: missing {line!r} in\n{out}"
    ratio_lines = [x for x in out.splitlines() if x.startswith("RATIO  ")]
    assert ratio_lines, out
    for x in ratio_lines:  # every ratio line carries a number and a verdict
        assert "x " in x and any(v in x for v in ("MET", "MISSED", "(info)")), x


@pytest.mark.parametrize("module", ["startup", "emulator_headroom"])
def test_other_benchmarks_import(module: str) -> None:
    """startup.py and emulator_headroom.py are written by others; they must at least import
    (the README table includes their rows)."""
    if not (ROOT / "benchmarks" / f"{module}.py").exists():
        pytest.skip(f"benchmarks/{module}.py not written yet")
    proc = subprocess.run(
        [sys.executable, "-c", f"import benchmarks.{module}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
