"""The scenario files that ship with pilotsim, found by name or by path."""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML

REFERENCE = "brunssum_logistics_2021"


def scenarios_folder() -> Path:
    """Inside an installed wheel the files sit in the package; in a source
    checkout (and an editable install) they sit beside it."""
    packaged = Path(__file__).parent / "scenarios"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "scenarios"


def shipped_scenarios() -> list[Path]:
    return sorted(scenarios_folder().glob("*.yaml"))


def resolve(name_or_path: str) -> Path:
    """A path as given if it exists, otherwise the shipped scenario of that name."""
    path = Path(name_or_path)
    if path.exists() or path.suffix in (".yaml", ".yml") or "/" in name_or_path:
        return path
    return scenarios_folder() / f"{name_or_path}.yaml"


def one_line_description(path: Path) -> str:
    """The scenario's title, read without validating the whole file."""
    try:
        document = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    except Exception:  # a broken file still gets listed; `validate` says what is wrong
        return "(cannot be read: run `pilotsim validate` on it)"
    if not isinstance(document, dict):
        return ""
    return str(document.get("title") or document.get("description") or "")
