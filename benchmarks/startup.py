"""Start-up cost of the ``dhis2w`` command, as a person feels it (``python -m benchmarks.startup``).

Two comparisons, each a fresh process per run, interleaved round by round (``_common``):

1. ``dhis2w --help`` vs ``python -c "import click"``: the CLI's lazy loading at work (the
   help screen must import neither httpx nor msgspec nor the library). Target: within 2x.
2. ``dhis2w --json messaging list`` vs ``python -c "import click, httpx, msgspec"`` plus one
   httpx GET of the same page: the whole CLI stack (profile, client, decode, JSON output)
   against the least any Python tool could do for the same answer. Target: within 2x.

The DHIS2 server is an :class:`~dhis2w.emulator.EmulatorServer` started in this process on
a free loopback port, so the network cost is the same for both sides.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks._common import Report, compare, parse_args

BASELINE_LIST = """
import click, httpx, msgspec
r = httpx.get(
    {url!r} + "/api/messageConversations",
    params={{"fields": "id,subject,lastMessage", "order": "lastMessage:desc"}},
    auth=("admin", "district"),
)
r.raise_for_status()
msgspec.json.decode(r.content)
"""


def _console_script() -> list[str]:
    here = Path(sys.executable).with_name("dhis2w")
    found = str(here) if here.exists() else shutil.which("dhis2w")
    if found:
        return [found]
    return [sys.executable, "-m", "dhis2w"]  # not installed: same code, same cost


def _runner(argv: Sequence[str], env: dict[str, str]) -> Callable[[], int]:
    def run() -> int:
        done = subprocess.run(list(argv), env=env, stdout=subprocess.DEVNULL, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed with exit code {done.returncode}")
        return done.returncode

    return run


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(__doc__.splitlines()[0], argv, rounds=15)
    from dhis2w.emulator import EmulatorServer

    dhis2w = _console_script()
    py = sys.executable
    with EmulatorServer(port=0) as srv:
        srv.start()
        env = {
            **os.environ,
            "DHIS2_URL": srv.url,
            "DHIS2_USERNAME": "admin",
            "DHIS2_PASSWORD": "district",
            "NO_COLOR": "1",
        }
        env.pop("DHIS2_PROFILE", None)
        env.pop("DHIS2_PAT", None)
        times = compare(
            {
                "dhis2w --help": _runner([*dhis2w, "--help"], env),
                'python -c "import click"': _runner([py, "-c", "import click"], env),
                "dhis2w --json messaging list": _runner(
                    [*dhis2w, "--json", "messaging", "list"], env
                ),
                "python -c import click, httpx, msgspec + 1 GET": _runner(
                    [py, "-c", BASELINE_LIST.format(url=srv.url)], env
                ),
            },
            args.rounds,
            disable_gc=False,
        )
    report = Report("dhis2w start-up", params={"rounds": args.rounds, "command": " ".join(dhis2w)})
    report.add_times(times)
    report.ratio("dhis2w --help / import click", "dhis2w --help", 'python -c "import click"', 2.0)
    report.ratio(
        "dhis2w --json messaging list / click+httpx+msgspec+GET",
        "dhis2w --json messaging list",
        "python -c import click, httpx, msgspec + 1 GET",
        2.0,
    )
    report.print(as_json=args.json)


if __name__ == "__main__":
    main()
