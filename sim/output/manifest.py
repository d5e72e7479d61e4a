"""manifest.json: what made a results folder (seed, command, versions) and
every file in it, so that pilotsim recognises its own folders."""

from __future__ import annotations

import json
import platform
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from sim.output.folders import MANIFEST

_VERSIONED = ("pilotsim", "simpy", "numpy", "scipy", "pandas", "pyarrow", "matplotlib", "pydantic", "ruamel.yaml")


def package_versions() -> dict[str, str | None]:
    versions = {}
    for package in _VERSIONED:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def write_manifest(folder: Path, fields: dict, command: list[str] | None) -> None:
    """manifest.json: what was run, the command that runs it again, the
    versions it ran with, and every file of the folder. Written last: the
    list of files is how pilotsim knows later that the folder is its own and
    holds nothing of the user's (``sim.output.folders``)."""
    files = sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())
    manifest = {
        **fields,
        "files": [*files, MANIFEST],
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command if command is not None else sys.argv,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": package_versions(),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
