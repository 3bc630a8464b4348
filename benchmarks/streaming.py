"""Stream a 100 MB attachment down and a 9 MB file up, watching memory and throughput.

Target 4 of issue 6. The emulator runs in its own process with the upload limit raised to
200 MB. Set-up (untimed): a deterministic 100 MB file is uploaded as a MESSAGE_ATTACHMENT and
sent in a conversation. Then each contender downloads
``/api/messageConversations/{mc}/{msg}/attachments/{file}`` to a file on disk, in a fresh
child process that warms up, takes its RSS as the baseline, resets its high-water mark and
streams the download, so "peak RSS growth" is what the download itself held in memory:

* raw httpx ``client.stream(...)`` + ``iter_bytes()`` written to a file -- the baseline;
* ``Client.messaging.download_attachment(..., dest=path)`` (sync) and the async twin;
* ``download_attachment(..., dest=<open binary file>)``: streamed into a caller's file object;
* the installed ``dhis2w`` console script downloading to a file and to ``-`` (stdout
  redirected to a file): its peak RSS to ``-`` must be that of a download to a file (the
  whole body is never held in memory). The child reports the CLI process's own peak.

Upload: a 9 MB file through ``files.upload_file_resource(path, domain=...)`` (sync and
async), and a raw httpx multipart upload of an open file for reference, each in a child.

Targets: download peak RSS growth < 20 MB and throughput >= 80% of raw httpx; upload peak RSS
growth < 20 MB; the CLI's peak RSS for ``-`` within 20 MB of its peak for a file.

Run: ``python -m benchmarks.streaming`` (``--quick`` for a tiny smoke run).
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx

from ._common import (
    ADMIN_USER,
    EmulatorProcess,
    Report,
    child_emit,
    current_rss,
    mib,
    parse_args,
    peak_rss,
    reset_peak_rss,
    run_child,
)

MB = 1_000_000
RSS_BUDGET = 20 * MB
MAX_UPLOAD = 200 * MB


def make_file(path: Path, size: int) -> str:
    """A deterministic, incompressible-looking file of ``size`` bytes; returns its sha256."""
    block = hashlib.sha256(b"dhis2w").digest() * 32768  # 1 MiB
    digest = hashlib.sha256()
    with path.open("wb") as fh:
        written = 0
        counter = 0
        while written < size:
            chunk = (counter.to_bytes(8, "big") + block)[: min(len(block), size - written)]
            fh.write(chunk)
            digest.update(chunk)
            written += len(chunk)
            counter += 1
    return digest.hexdigest()


def _profile(url: str) -> Any:
    from dhis2w import Profile

    return Profile(base_url=url, username=ADMIN_USER[0], password=ADMIN_USER[1])


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------- set-up (parent)


def prepare_attachment(url: str, source: Path) -> tuple[str, str, str]:
    """Upload ``source`` as a message attachment and send it; returns (mc, msg, file)."""
    from dhis2w import Client
    from dhis2w.emulator.seed import FATMATA

    with Client(_profile(url), max_upload_size=MAX_UPLOAD, storage_timeout=600) as client:
        resource = client.files.upload_file_resource(source, domain="MESSAGE_ATTACHMENT")
        conversation = client.messaging.send(
            subject="Benchmark: big attachment",
            text="The 100 MB attachment for benchmarks.streaming",
            users=[FATMATA.uid],
            attachments=[resource.id],
        )
    message = next(m for m in conversation.messages if m.attachments)
    return conversation.id, message.id, message.attachments[0].id


# ---------------------------------------------------------------- children


def _download_raw(url: str, path: str, dest: Path) -> None:
    with (
        httpx.Client(base_url=url, auth=ADMIN_USER) as c,
        c.stream("GET", path) as response,
        dest.open("wb") as fh,
    ):
        response.raise_for_status()
        for chunk in response.iter_bytes():
            fh.write(chunk)


async def _download_raw_async(url: str, path: str, dest: Path) -> None:
    async with (
        httpx.AsyncClient(base_url=url, auth=ADMIN_USER) as c,
        c.stream("GET", path) as response,
    ):
        response.raise_for_status()
        with dest.open("wb") as fh:
            async for chunk in response.aiter_bytes():
                fh.write(chunk)


def _download_sync(url: str, ids: list[str], dest: Path) -> None:
    from dhis2w import Client

    with Client(_profile(url)) as client:
        client.messaging.download_attachment(ids[0], ids[1], ids[2], dest=dest)


async def _download_async(url: str, ids: list[str], dest: Path) -> None:
    from dhis2w import AsyncClient

    async with AsyncClient(_profile(url)) as client:
        await client.messaging.download_attachment(ids[0], ids[1], ids[2], dest=dest)


def _download_file_object(url: str, ids: list[str], dest: Path) -> None:
    from dhis2w import Client

    with Client(_profile(url)) as client, dest.open("wb") as fh:
        client.messaging.download_attachment(ids[0], ids[1], ids[2], dest=fh)


def _console_script() -> str:
    here = Path(sys.executable).with_name("dhis2w")
    found = str(here) if here.exists() else shutil.which("dhis2w")
    if not found:
        raise RuntimeError("the dhis2w console script is not installed")
    return found


def _download_cli(url: str, ids: list[str], dest: Path, *, to_stdout: bool) -> None:
    """``dhis2w messaging attachment download ... DEST`` or ``... - > DEST``."""
    env = {
        **os.environ,
        "DHIS2_URL": url,
        "DHIS2_USERNAME": ADMIN_USER[0],
        "DHIS2_PASSWORD": ADMIN_USER[1],
    }
    args = [_console_script(), "messaging", "attachment", "download", *ids]
    with dest.open("wb") as out:
        subprocess.run(
            [*args, "-" if to_stdout else str(dest)],
            stdout=out if to_stdout else subprocess.DEVNULL,
            env=env,
            check=True,
        )


def _children_peak_rss() -> int:
    maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return maxrss if sys.platform == "darwin" else maxrss * 1024


def _upload_raw(url: str, source: Path) -> None:
    with httpx.Client(base_url=url, auth=ADMIN_USER, timeout=300) as c, source.open("rb") as fh:
        files = {"file": (source.name, fh, "application/pdf")}
        response = c.post("/api/fileResources", files=files, data={"domain": "MESSAGE_ATTACHMENT"})
        response.raise_for_status()


def _upload_sync(url: str, source: Path) -> None:
    from dhis2w import Client

    with Client(_profile(url), max_upload_size=MAX_UPLOAD) as client:
        client.files.upload_file_resource(source, domain="MESSAGE_ATTACHMENT")


async def _upload_async(url: str, source: Path) -> None:
    from dhis2w import AsyncClient

    async with AsyncClient(_profile(url), max_upload_size=MAX_UPLOAD) as client:
        await client.files.upload_file_resource(source, domain="MESSAGE_ATTACHMENT")


def _actions(url: str, arg: str, dest: Path) -> dict[str, Callable[[], object]]:
    """Every transfer kind as a zero-argument call (``arg``: ``mc,msg,file`` or a path)."""
    if "," in arg:
        ids = arg.split(",")
        path = "/api/messageConversations/{}/{}/attachments/{}".format(*ids)
        return {
            "download-raw": lambda: _download_raw(url, path, dest),
            "download-raw_async": lambda: anyio.run(_download_raw_async, url, path, dest),
            "download-sync": lambda: _download_sync(url, ids, dest),
            "download-async": lambda: anyio.run(_download_async, url, ids, dest),
            "download-fileobj": lambda: _download_file_object(url, ids, dest),
            "download-cli_file": lambda: _download_cli(url, ids, dest, to_stdout=False),
            "download-cli_stdout": lambda: _download_cli(url, ids, dest, to_stdout=True),
        }
    source = Path(arg)
    return {
        "upload-raw": lambda: _upload_raw(url, source),
        "upload-sync": lambda: _upload_sync(url, source),
        "upload-async": lambda: anyio.run(_upload_async, url, source),
    }


def _child(kind: str, url: str, arg: str, target: str) -> None:
    """One measured transfer: warm up on a small transfer of the same kind (imports,
    connection pool, code paths), reset the peak, do the real one."""
    dest = Path(target)
    warm_arg = os.environ.get(
        "BENCH_WARM_IDS" if kind.startswith("download") else "BENCH_WARM_UPLOAD"
    )
    if warm_arg:
        _actions(url, warm_arg, dest)[kind]()
    run = _actions(url, arg, dest)[kind]
    baseline = current_rss()
    reset_peak_rss()
    start = time.perf_counter()
    run()
    elapsed = time.perf_counter() - start
    if "cli" in kind:  # the measured process is the console script this child ran
        child_emit({"baseline": 0, "peak": _children_peak_rss(), "seconds": elapsed})
        return
    child_emit({"baseline": baseline, "peak": peak_rss(), "seconds": elapsed})


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> Report:
    args = parse_args(__doc__.splitlines()[0], argv, rounds=7)
    size = 4 * MB if args.quick else 100 * MB
    up_size = 1 * MB if args.quick else 9 * MB
    report = Report(
        "streaming: 100 MB attachment download, 9 MB upload (target 4)",
        params={"download": mib(size), "upload": mib(up_size), "rounds": args.rounds},
    )
    with (
        tempfile.TemporaryDirectory(prefix="dhis2w-bench-") as tmp,
        EmulatorProcess(seed="demo", max_upload_size=MAX_UPLOAD) as emu,
    ):
        work = Path(tmp)
        big, small, upload, warm_up = (
            work / "big.pdf",
            work / "small.pdf",
            work / "upload.pdf",
            work / "warm.pdf",
        )
        big_sha = make_file(big, size)
        make_file(small, 64 * 1024)
        make_file(upload, up_size)
        make_file(warm_up, 64 * 1024)
        ids = prepare_attachment(emu.url, big)
        warm_ids = prepare_attachment(emu.url, small)
        big.unlink()  # the parent keeps nothing big around
        os.environ["BENCH_WARM_IDS"] = ",".join(warm_ids)
        os.environ["BENCH_WARM_UPLOAD"] = str(warm_up)

        kinds = {
            "download-raw": "raw httpx stream + iter_bytes (download)",
            "download-raw_async": "raw httpx async stream + aiter_bytes (download)",
            "download-sync": "dhis2w Client.download_attachment (download)",
            "download-async": "dhis2w AsyncClient.download_attachment (download)",
            "download-fileobj": "dhis2w Client.download_attachment into a file object (download)",
            "download-cli_file": "dhis2w CLI attachment download DEST (download)",
            "download-cli_stdout": "dhis2w CLI attachment download - (download)",
            "upload-raw": "raw httpx multipart, open file (upload)",
            "upload-sync": "dhis2w Client.upload_file_resource (upload)",
            "upload-async": "dhis2w AsyncClient.upload_file_resource (upload)",
        }
        seconds: dict[str, list[float]] = {k: [] for k in kinds}
        growth: dict[str, int] = dict.fromkeys(kinds, 0)
        dest = work / "download.pdf"
        for round_no in range(args.rounds + 1):  # round 0 is the warm-up round, untimed
            for kind in kinds:
                arg = ",".join(ids) if kind.startswith("download") else str(upload)
                result = run_child(
                    "benchmarks.streaming", ["--child", kind, emu.url, arg, str(dest)]
                )
                if kind.startswith("download"):
                    if round_no == 0:
                        assert _sha256(dest) == big_sha, f"{kind}: downloaded bytes differ"
                    dest.unlink()
                if round_no == 0:
                    continue
                seconds[kind].append(result["seconds"])
                growth[kind] = max(growth[kind], result["peak"] - result["baseline"])

    for kind, label in kinds.items():
        report.add_times({label: seconds[kind]})
    for kind, label in kinds.items():
        if kind.startswith("download"):
            rate = size / statistics.median(seconds[kind]) / MB
            report.add_value(f"{label} throughput", rate, "MB/s")
    # Throughput share = raw time / dhis2w time, each twin against raw httpx of its own kind
    # (the verdict). The async twin against raw *sync* httpx is for information: it mostly
    # shows httpx's own async-vs-sync per-chunk overhead (see the raw async row).
    short = {
        "download-raw": "raw httpx sync",
        "download-raw_async": "raw httpx async",
        "download-sync": "dhis2w sync",
        "download-async": "dhis2w async",
    }
    for kind, raw_kind, target in (
        ("download-sync", "download-raw", 0.8),
        ("download-async", "download-raw_async", 0.8),
        ("download-async", "download-raw", None),
        ("download-raw_async", "download-raw", None),
    ):
        report.ratio(
            f"download throughput: {short[kind]} / {short[raw_kind]}",
            kinds[raw_kind],
            kinds[kind],
            target,
            ">=",
        )
    for kind, label in kinds.items():
        if "cli" in kind:
            continue
        met = None if "raw" in kind else growth[kind] < RSS_BUDGET
        report.fact(f"peak RSS growth: {label}", f"{mib(growth[kind])} (budget 20 MB)", met)
    to_file, to_stdout = growth["download-cli_file"], growth["download-cli_stdout"]
    report.fact(
        "peak RSS: dhis2w CLI download to - vs to a file",
        f"{mib(to_stdout)} vs {mib(to_file)} (budget: within 20 MB)",
        to_stdout - to_file < RSS_BUDGET,
    )
    report.print(as_json=args.json)
    return report


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        _child(*sys.argv[2:])
    else:
        main()
