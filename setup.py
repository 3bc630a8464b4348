"""Build hook: packages carry a sync twin generated from dhis2w/_async at build time.

Metadata lives in setup.cfg. This file only makes wheel and sdist builds regenerate the sync
twins with build_sync.py (unasync underneath) into the build directory, so a package can
never ship a sync client that lags behind its async source. The working tree is never
written: the committed twins stay as they are for editable installs and readers, and
`python build_sync.py --check` keeps them current. Only pure-Python build requirements are
needed (no ruff: the build's copy skips formatting; CI proves it has the committed AST).
"""

from __future__ import annotations

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

import build_sync  # noqa: E402  (found through the line above, from the project or sdist root)

LIBRARY_TWIN = [(Path("dhis2w", "_async"), Path("dhis2w", "_sync"))]


class BuildPyWithSyncTwin(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install imports the committed twin from the working tree
        outputs = build_sync.generate(ROOT, formatted=False, pairs=LIBRARY_TWIN)
        build_sync.write(outputs, Path(self.build_lib), pairs=LIBRARY_TWIN)


class SdistWithSyncTwin(sdist):
    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        # write() removes each twin folder before writing: the release tree may hold hard
        # links to working-tree files, and writing through them would edit the working tree.
        build_sync.write(build_sync.generate(ROOT, formatted=False), Path(base_dir))


setup(cmdclass={"build_py": BuildPyWithSyncTwin, "sdist": SdistWithSyncTwin})
