"""The scenario files that ship with pilotsim, found by name or by path."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from ruamel.yaml import YAML

from sim.errors import Problem, ScenarioError
from sim.language import _

REFERENCE = "brunssum_logistics_2021"


def scenarios_folder() -> Path:
    """Inside an installed wheel the files sit in the package; in a source
    checkout (and an editable install) they sit beside it."""
    package = Path(__file__).parent.parent
    packaged = package / "scenarios"
    return packaged if packaged.is_dir() else package.parent / "scenarios"


def shipped_scenarios() -> list[Path]:
    return sorted(scenarios_folder().glob("*.yaml"))


def resolve(name_or_path: str) -> Path:
    """A path as given if it exists (or looks like a file's), otherwise the
    shipped scenario of that name; a name that is neither is a problem that
    suggests the nearest shipped name and lists them all."""
    path = Path(name_or_path)
    names = [known.stem for known in shipped_scenarios()]
    try:
        exists = path.exists()
    except OSError:  # in a folder this user cannot look into: reading it says so
        return path
    if exists or path.suffix in (".yaml", ".yml") or "/" in name_or_path:
        closest = None if exists else _closest(path.stem, names)
        if closest is not None:
            suggestion = _("file not found; did you mean the shipped scenario {name} ({command})?").format(
                name=closest, command=f"pilotsim run {closest}")
            raise ScenarioError([Problem(name_or_path, None, None, "", suggestion)])
        return path
    shipped = scenarios_folder() / f"{name_or_path}.yaml"
    if shipped.is_file():
        return shipped
    closest = _closest(name_or_path, names)
    hint = _("did you mean {name}? ").format(name=closest) if closest else ""
    raise ScenarioError([Problem(name_or_path, None, None, "",
                                 _("no such scenario file, nor a shipped scenario; {hint}Shipped: {names} (pilotsim "
                                   "list); pilotsim new NAME starts one of your own").format(
                                     hint=hint, names=", ".join(names)))])


def _closest(typed: str, names: list[str]) -> str | None:
    """The shipped name ``typed`` most likely meant: compared whole, and with
    as much of the start of each name as was typed (``brunsum`` for
    ``brunssum_logistics_2021``)."""
    def likeness(name: str) -> float:
        return max(difflib.SequenceMatcher(None, typed, candidate).ratio()
                   for candidate in (name, name[: len(typed) + 1]))

    best = max(names, key=likeness, default=None)
    return best if best is not None and likeness(best) >= 0.75 else None


def starting_scenario(name: str) -> str:
    """The text of a new scenario called ``name``: the reference pilot with all
    its comments (where each figure comes from, which are assumptions), to be
    changed into one's own programme."""
    reference = (scenarios_folder() / f"{REFERENCE}.yaml").read_text(encoding="utf-8")
    header = (f"# {name}: a programme of your own, started from {REFERENCE} with `pilotsim new`.\n"
              "# Every figure below is still the Brunssum pilot's: change them into your programme's, and keep\n"
              "# saying where each comes from (or mark it ASSUMPTION). Check it with `pilotsim validate`.\n#\n")
    text = re.sub(r"^name: .*$", f"name: {name}", reference, count=1, flags=re.MULTILINE)
    text = re.sub(r"^title: .*$", f"title: {name} (started from the Brunssum logistics pilot)", text, count=1,
                  flags=re.MULTILINE)
    return header + text


def one_line_description(path: Path) -> str:
    """The scenario's title, read without validating the whole file."""
    try:
        document = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    except Exception:  # a broken file still gets listed; `validate` says what is wrong
        return "(cannot be read: run `pilotsim validate` on it)"
    if not isinstance(document, dict):
        return ""
    return str(document.get("title") or document.get("description") or "")
