"""What the installed package says about itself: one version everywhere, its license, its
command names, and no import or command name that another DHIS2 distribution also installs.

The wheel itself (build, contents, the README's commands from a clean venv, installing beside
dhis2w 1.33) is checked by .ci/run, which needs the network and minutes; this file checks
the installed metadata that every developer has.
"""

from __future__ import annotations

import configparser
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from click.testing import CliRunner
from dhis2w.cli.main import cli

import dhis2w

ROOT = Path(__file__).resolve().parent.parent

#: Top-level import names that dhis2w 1.33's distributions install (dhis2w-cli, -client,
#: -core, -mcp, -browser, -fhir, -fhir-serve, -security), read from their wheels.
DHIS2W_133_TOP_LEVEL = {
    "dhis2w_cli",
    "dhis2w_client",
    "dhis2w_core",
    "dhis2w_mcp",
    "dhis2w_browser",
    "dhis2w_fhir",
    "dhis2w_fhir_serve",
    "dhis2w_security",
}
#: Their console scripts.
DHIS2W_133_COMMANDS = {"d2w", "dhis2w-mcp"}


def test_one_version_for_metadata_library_and_cli() -> None:
    assert metadata.version("dhis2w") == dhis2w.__version__, "reinstall: pip install -e ."
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"dhis2w {dhis2w.__version__}"


def test_the_changelog_starts_with_this_release() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\]", changelog, re.MULTILINE)
    assert releases[0] == dhis2w.__version__
    assert len(releases) >= 2, "this release and the last"


def test_python_dash_m_dhis2w_is_the_cli(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dhis2w", "--version"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"dhis2w {dhis2w.__version__}"


def test_license_text_and_pep639_metadata() -> None:
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("BSD 3-Clause License")
    info = metadata.metadata("dhis2w")
    assert info["License-Expression"] == "BSD-3-Clause"
    assert "LICENSE" in (info.get_all("License-File") or [])
    assert info.get_all("Project-URL")


def test_no_name_collides_with_dhis2w_133() -> None:
    distribution = metadata.distribution("dhis2w")
    top_level = set((distribution.read_text("top_level.txt") or "").split())
    assert top_level == {"dhis2w"}
    assert not top_level & DHIS2W_133_TOP_LEVEL
    scripts = {
        ep.name: ep.value for ep in distribution.entry_points if ep.group == "console_scripts"
    }
    assert scripts["dhis2w"] == "dhis2w.cli.main:main"
    assert not set(scripts) & DHIS2W_133_COMMANDS


def test_every_package_folder_is_listed_in_setup_cfg() -> None:
    """setup.cfg lists packages by name; a new sub-package left out would not ship."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    listed = {
        line.strip()
        for line in config["options"]["packages"].splitlines()
        if line.strip() and not line.strip().startswith("#")
    }
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "dhis2w").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert found | {"dhis2w.cli"} == listed
