"""An offline DHIS2 2.42 look-alike for messaging and files.

``EmulatorServer`` serves the same URLs, status codes, envelopes and quirks as a DHIS2 2.42
server (the behaviour it follows is written down in ``docs/dhis2-api.md``), backed by
SQLite, so clients, tests and benchmarks need no real server. ``dhis2w.emulator.seed`` holds the
seeded world.
"""

from __future__ import annotations

from dhis2w.emulator import seed
from dhis2w.emulator.faults import Faults
from dhis2w.emulator.server import EmulatorServer

__all__ = ["EmulatorServer", "Faults", "banner", "seed"]


def banner(srv: EmulatorServer) -> str:
    """What ``dhis2w emulator serve`` prints: where it listens and how to log in."""
    admin = seed.ADMIN
    lines = [
        f"DHIS2 2.42 emulator listening on {srv.url}  (seed: {srv.seed_name})",
        f"  API:        {srv.url}/api",
        f"  Basic auth: {admin.username} / {admin.password}",
        f"  PAT:        Authorization: ApiToken {admin.token}",
        f"  Try:        curl -u {admin.username}:{admin.password} {srv.url}/api/me",
    ]
    if srv.seed_name == "demo":
        others = ", ".join(f"{u.username}/{u.password}" for u in seed.USERS[1:])
        lines.append(f"  Other users: {others}")
    return "\n".join(lines)
