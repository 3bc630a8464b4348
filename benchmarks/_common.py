"""Shared helpers for the benchmarks: argument parsing, interleaved rounds, medians, ratio
lines, and peak-RSS measurement.

The machine these run on is shared and noisy, so every benchmark measures all contenders
side by side in one run, interleaving them round by round (a slow patch of the machine hits
every contender alike), and reports medians and *ratios*, never a bare absolute time as the
verdict.

Every ratio line has the same shape so tests and readers can grep it::

    RATIO  dhis2w / bare msgspec              1.04x   target <= 1.20x   MET

Memory is measured in a child process (``run_child``) that resets its own high-water mark
(``/proc/self/clear_refs``) after set-up, so "peak RSS growth" is the memory the measured
work itself needed, not the interpreter or the emulator.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Ratio",
    "Report",
    "compare",
    "current_rss",
    "machine_line",
    "median",
    "parse_args",
    "peak_rss",
    "reset_peak_rss",
    "run_child",
]

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---------------------------------------------------------------- arguments and machine


def parse_args(
    description: str,
    argv: Sequence[str] | None = None,
    *,
    rounds: int = 7,
    extra: Callable[[argparse.ArgumentParser], object] | None = None,
) -> argparse.Namespace:
    """The options every benchmark shares: ``--quick`` (tiny sizes, for the smoke test),
    ``--rounds`` (timed rounds after one warm-up round) and ``--json`` (also print the
    report as one JSON line at the end)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--rounds", type=int, default=None, help=f"timed rounds (default {rounds})")
    parser.add_argument("--json", action="store_true", help="also print the report as JSON")
    if extra is not None:
        extra(parser)
    args = parser.parse_args(argv)
    if args.rounds is None:
        args.rounds = 2 if args.quick else rounds
    return args


def machine_line() -> str:
    """One line naming the machine, so a README row can say where a number came from."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )


# ---------------------------------------------------------------- timing


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def compare(
    contenders: dict[str, Callable[[], Any]],
    rounds: int,
    *,
    warmup: int = 1,
    check: Callable[[str, Any], None] | None = None,
    disable_gc: bool = True,
) -> dict[str, list[float]]:
    """Time every contender ``rounds`` times, interleaved round by round, after ``warmup``
    untimed rounds. Returns the per-round seconds for each contender.

    The garbage collector is run before each timed call, so one contender does not pay for
    garbage another one left behind. With ``disable_gc`` (the ``timeit`` convention) it is
    also off during the call; pass ``False`` to include the collections a real program pays
    for while it allocates the result. ``check`` sees each warm-up result (use it to assert
    the contenders computed the same thing).
    """
    for _ in range(warmup):
        for name, fn in contenders.items():
            result = fn()
            if check is not None:
                check(name, result)
            del result
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            gc.collect()
            if disable_gc:
                gc.disable()
            try:
                start = time.perf_counter()
                result = fn()
                elapsed = time.perf_counter() - start
            finally:
                gc.enable()
            del result
            times[name].append(elapsed)
    gc.collect()
    return times


# ---------------------------------------------------------------- report


@dataclass
class Ratio:
    """``numerator / denominator`` of two medians, checked against a target.

    ``op`` is ``"<="`` (the ratio must not exceed ``target``) or ``">="``.
    """

    label: str
    value: float
    target: float | None
    op: str = "<="
    note: str = ""

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.value <= self.target if self.op == "<=" else self.value >= self.target

    def line(self) -> str:
        verdict = {True: "MET", False: "MISSED", None: "(info)"}[self.met]
        target = f"target {self.op} {self.target:.2f}x" if self.target is not None else ""
        text = f"RATIO  {self.label:<62} {self.value:7.2f}x   {target:<17} {verdict}"
        return f"{text}   {self.note}" if self.note else text


@dataclass
class Report:
    """Collects a benchmark's medians, ratios and facts, and prints them as one block."""

    title: str
    params: dict[str, Any] = field(default_factory=dict)
    medians: dict[str, float] = field(default_factory=dict)
    spreads: dict[str, tuple[float, float]] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    ratios: list[Ratio] = field(default_factory=list)
    facts: list[tuple[str, str, bool | None]] = field(default_factory=list)

    def add_times(self, times: dict[str, list[float]], suffix: str = "") -> None:
        for name, values in times.items():
            self.medians[name + suffix] = median(values)
            self.spreads[name + suffix] = (min(values), max(values))
            self.units[name + suffix] = "s"

    def add_value(self, name: str, value: float, unit: str) -> None:
        """A median that is not a time (throughput, bytes): shown in the same table."""
        self.medians[name] = value
        self.units[name] = unit

    def ratio(
        self,
        label: str,
        numerator: str,
        denominator: str,
        target: float | None,
        op: str = "<=",
        note: str = "",
    ) -> Ratio:
        r = Ratio(label, self.medians[numerator] / self.medians[denominator], target, op, note)
        self.ratios.append(r)
        return r

    def fact(self, label: str, value: str, met: bool | None = None) -> None:
        """A non-ratio result (a request count, an RSS figure) with an optional verdict."""
        self.facts.append((label, value, met))

    def print(self, *, as_json: bool = False) -> None:
        print(f"== {self.title}")
        print(f"machine: {machine_line()}")
        print(f"date:    {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")
        if self.params:
            print("params:  " + ", ".join(f"{k}={v}" for k, v in self.params.items()))
        if self.medians:
            print(f"{'contender':<66} {'median':>12} {'min':>12} {'max':>12}")
            for name, value in self.medians.items():
                lo, hi = self.spreads.get(name, (value, value))
                unit = self.units.get(name, "s")
                print(
                    f"{name:<66} {_fmt(value, unit):>12} {_fmt(lo, unit):>12} {_fmt(hi, unit):>12}"
                )
        for r in self.ratios:
            print(r.line())
        for label, text, met in self.facts:
            verdict = {True: "MET", False: "MISSED", None: "(info)"}[met]
            print(f"FACT   {label:<62} {text}   {verdict}")
        if as_json:
            print(
                json.dumps(
                    {
                        "title": self.title,
                        "params": self.params,
                        "medians": self.medians,
                        "ratios": [
                            {"label": r.label, "value": r.value, "target": r.target, "met": r.met}
                            for r in self.ratios
                        ],
                        "facts": [{"label": a, "value": b, "met": c} for a, b, c in self.facts],
                    }
                )
            )
        sys.stdout.flush()


def _fmt(value: float, unit: str) -> str:
    if unit == "s":
        if value < 1e-3:
            return f"{value * 1e6:.1f} us"
        if value < 1:
            return f"{value * 1e3:.1f} ms"
        return f"{value:.3f} s"
    return f"{value:.1f} {unit}"


# ---------------------------------------------------------------- memory


def _status_kib(key: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def current_rss() -> int:
    """This process's resident set size now, in bytes."""
    try:
        return _status_kib("VmRSS") * 1024
    except (OSError, KeyError):  # not Linux: the best stdlib answer is the peak
        return peak_rss()


def peak_rss() -> int:
    """This process's resident-set high-water mark, in bytes (VmHWM, else ru_maxrss)."""
    try:
        return _status_kib("VmHWM") * 1024
    except (OSError, KeyError):
        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return maxrss if sys.platform == "darwin" else maxrss * 1024


def reset_peak_rss() -> bool:
    """Reset the high-water mark to the current RSS (Linux >= 4.0). Returns whether it
    worked; when it did not, peak growth is measured against the peak so far, which
    over-states nothing but may under-state growth that stays below the set-up peak."""
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def child_emit(result: dict[str, Any]) -> None:
    """The last stdout line of a child run: its result as JSON (read by ``run_child``)."""
    print("CHILD-RESULT " + json.dumps(result))
    sys.stdout.flush()


def run_child(module: str, args: Sequence[str], *, timeout: float = 600) -> dict[str, Any]:
    """Run ``python -m <module> <args>`` from the project root and return the JSON it
    printed with ``child_emit``. Also adds ``ru_maxrss_children`` (the OS-level peak of the
    children so far, bytes) as a cross-check of the child's own figures."""
    proc = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"child {module} {' '.join(args)} failed ({proc.returncode}):\n"
            f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
        )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("CHILD-RESULT "):
            result: dict[str, Any] = json.loads(line[len("CHILD-RESULT ") :])
            maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            result["ru_maxrss_children"] = maxrss if sys.platform == "darwin" else maxrss * 1024
            return result
    raise RuntimeError(f"child {module} printed no result:\n{proc.stdout[-2000:]}")


def mib(n: float) -> str:
    return f"{n / (1024 * 1024):.1f} MiB"


# ---------------------------------------------------------------- the emulator, out of process

ADMIN_USER = ("admin", "district")


class EmulatorProcess:
    """A dhis2w emulator in its own process, seeded for a benchmark.

    The emulator is pure Python; in the benchmark's own process it would share the GIL with
    the client being measured, and its memory would count in the client's RSS. Out of
    process it gets its own interpreter (and, on a multi-core machine, its own core).

    ``conversations`` are bulk-inserted from ``sender`` to ``recipients`` (usernames); their
    UIDs are in :attr:`uids`. Commands go over stdin: :meth:`latency`, :meth:`clear`,
    :meth:`bulk` (more conversations), :meth:`stop`.

    ``workers=N`` serves the port from N processes sharing one SQLite file
    (``EmulatorServer(workers=N)``), as a multi-threaded DHIS2 would not be bound to one
    core; fault switches (latency) reach every worker.
    """

    def __init__(
        self,
        *,
        seed: str = "demo",
        conversations: int = 0,
        sender: str = "admin",
        recipients: Sequence[str] = (),
        text_size: int = 80,
        max_upload_size: int | None = None,
        workers: int = 1,
    ) -> None:
        self.workers = workers
        self.config = {
            "seed": seed,
            "conversations": conversations,
            "sender": sender,
            "recipients": list(recipients),
            "text_size": text_size,
            "max_upload_size": max_upload_size,
            "workers": workers,
        }
        self.url = ""
        self.uids: list[str] = []
        self._proc: subprocess.Popen[str] | None = None

    def start(self) -> EmulatorProcess:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks._common", "serve", json.dumps(self.config)],
            cwd=PROJECT_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        ready = self._reply()
        self.url = ready["url"]
        self.uids = ready["uids"]
        return self

    def _reply(self) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line.startswith("EMU "):
            raise RuntimeError(f"emulator process failed: {line!r}")
        reply: dict[str, Any] = json.loads(line[4:])
        return reply

    def command(self, *words: Any) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write(" ".join(map(str, words)) + "\n")
        self._proc.stdin.flush()
        return self._reply()

    def latency(self, seconds: float) -> None:
        self.command("latency", seconds)

    def clear(self) -> None:
        self.command("clear")

    def bulk(self, n: int, sender: str, recipients: Sequence[str] = ()) -> list[str]:
        uids: list[str] = self.command("bulk", n, sender, ",".join(recipients))["uids"]
        return uids

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            assert proc.stdin is not None
            proc.stdin.write("stop\n")
            proc.stdin.flush()
            proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _serve(config: dict[str, Any]) -> None:
    """The emulator side of :class:`EmulatorProcess` (``python -m benchmarks._common serve``)."""
    from dhis2w.emulator import EmulatorServer

    kwargs: dict[str, Any] = {"port": 0, "seed": config["seed"]}
    if config.get("max_upload_size"):
        kwargs["max_upload_size"] = config["max_upload_size"]
    if config.get("workers", 1) > 1:
        kwargs["workers"] = config["workers"]
    srv = EmulatorServer(**kwargs)

    def reply(**values: Any) -> None:
        print("EMU " + json.dumps(values), flush=True)

    uids: list[str] = []
    if config["conversations"]:
        uids = srv.bulk_create_conversations(
            config["conversations"],
            sender=config["sender"],
            recipients=config["recipients"],
            text_size=config["text_size"],
        )
    srv.start()
    reply(url=srv.url, uids=uids)
    try:
        for line in sys.stdin:
            words = line.split()
            if not words:
                continue
            if words[0] == "stop":
                break
            if words[0] == "latency":
                srv.faults.latency(float(words[1]))
                reply(ok=True)
            elif words[0] == "clear":
                srv.faults.clear()
                reply(ok=True)
            elif words[0] == "bulk":
                recipients = [r for r in (words[3] if len(words) > 3 else "").split(",") if r]
                new = srv.bulk_create_conversations(
                    int(words[1]), sender=words[2], recipients=recipients
                )
                reply(uids=new)
            else:
                reply(error=f"unknown command {words[0]!r}")
    finally:
        srv.stop()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        _serve(json.loads(sys.argv[2]))
    else:
        sys.exit("usage: python -m benchmarks._common serve '<json config>'")
