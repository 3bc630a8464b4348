"""Print an exact pin for every runtime dependency of setup.cfg: the lowest version it allows.

CI installs these into a venv of their own and runs the suite there, so a floor that is
declared but not true (an API used that the floor release lacks) fails the build. A runtime
dependency without a ``>=`` floor is an error: it would let pip pick any ancient release.
"""

from __future__ import annotations

import configparser
import sys
from pathlib import Path

from packaging.requirements import Requirement

SETUP_CFG = Path(__file__).resolve().parent.parent / "setup.cfg"


def lowest_pins(setup_cfg: Path = SETUP_CFG) -> list[str]:
    config = configparser.ConfigParser()
    config.read(setup_cfg, encoding="utf-8")
    lines = config["options"]["install_requires"].splitlines()
    pins = []
    for line in lines:
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        requirement = Requirement(text)
        floors = [spec.version for spec in requirement.specifier if spec.operator == ">="]
        if len(floors) != 1:
            raise SystemExit(f"setup.cfg: {text!r} needs exactly one '>=' floor")
        marker = f"; {requirement.marker}" if requirement.marker else ""
        pins.append(f"{requirement.name}=={floors[0]}{marker}")
    return pins


if __name__ == "__main__":
    sys.stdout.write("\n".join(lowest_pins()) + "\n")
