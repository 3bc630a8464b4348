"""Build hook: regenerate the sync twin (dhis2w/_sync) from dhis2w/_async before packaging.

Metadata lives in setup.cfg; this file only makes wheel and sdist builds run build_sync.py,
so a package can never ship a sync client that lags behind its async source.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).resolve().parent


def _regenerate_sync_twin() -> None:
    script = ROOT / "build_sync.py"
    if script.exists() and (ROOT / "dhis2w" / "_async").is_dir():
        subprocess.run([sys.executable, str(script)], cwd=ROOT, check=True)


class BuildPyWithSyncTwin(build_py):
    def run(self) -> None:
        _regenerate_sync_twin()
        super().run()


class SdistWithSyncTwin(sdist):
    def run(self) -> None:
        _regenerate_sync_twin()
        super().run()


setup(cmdclass={"build_py": BuildPyWithSyncTwin, "sdist": SdistWithSyncTwin})
