"""The one way to derive a scenario from another: set fields by their dotted
path (``stages.training.slots``) and validate the result as if it had been
read from a file, so that a derived scenario can never hold a value a file
could not. Sweeps, sizing, calibration, back-tests, sensitivity, drawn
uncertain values and the Python API all derive scenarios through here."""

from __future__ import annotations

from typing import Any

from sim.errors import Problem, ScenarioError
from sim.scenario.files import changed_note, note_for, scenario_from_dict
from sim.scenario.schema import Scenario


def with_changes(scenario: Scenario, changes: dict[str, Any], source: str) -> Scenario:
    """The scenario with fields set by dotted path (``{"stages.training.slots": 60}``),
    checked like a file; problems name ``source``."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    before = {}
    for path, value in changes.items():
        before[path] = _field(data, path)
        try:
            set_field(data, path, value)
        except _NoSuchField as error:
            raise ScenarioError([Problem(source, None, None, error.where, str(error))]) from None
    changed = scenario_from_dict(data, source=source)
    # What the file said of a field stays with it unless the field changed.
    notes = {path: note for path, note in scenario.notes.items()
             if not any(path == field or path.startswith(field + ".") for field in changes)}
    return changed.with_notes(notes | {field: changed_note(f"Set by {source}: {_as_written(value)}", before[field],
                                                            note_for(scenario.notes, field))
                                       for field, value in changes.items()})


def _as_written(value: Any) -> Any:
    """6000, as a person writes it, for 6000.0 as a page's field reads it."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _field(data: Any, path: str) -> Any:
    """The value at ``path`` in nested plain data; None where there is none."""
    for key in path.split("."):
        if isinstance(data, list) and key.isdigit() and int(key) < len(data):
            data = data[int(key)]
        elif isinstance(data, dict):
            data = data.get(key)
        else:
            return None
    return data


class _NoSuchField(ValueError):
    def __init__(self, where: str, message: str):
        super().__init__(message)
        self.where = where


def set_field(data: dict, path: str, value: Any) -> None:
    """Set ``path`` (dotted) in nested plain data, making mappings on the way;
    a number steps into a list (``stages.training.slots.1.places``)."""
    keys = path.split(".")
    for depth, key in enumerate(keys):
        where = ".".join(keys[:depth])
        if isinstance(data, list) and not _is_index(data, key):
            raise _NoSuchField(where, f"has periods 0 to {len(data) - 1}, not {key!r}")
        if not isinstance(data, (dict, list)):
            raise _NoSuchField(where, f"is {data!r}, which has no field {key!r}")
        if depth == len(keys) - 1:
            data[int(key) if isinstance(data, list) else key] = value
        else:
            data = data[int(key)] if isinstance(data, list) else data.setdefault(key, {})


def field_at(data: Any, path: str) -> Any:
    """The value at ``path`` (dotted, numbers step into lists), None if there is none."""
    for key in path.split("."):
        if _is_index(data, key):
            data = data[int(key)]
        elif isinstance(data, dict) and key in data:
            data = data[key]
        else:
            return None
    return data


def _is_index(data: Any, key: str) -> bool:
    return isinstance(data, list) and key.isdigit() and int(key) < len(data)


def with_free_values(scenario: Scenario, values: dict[str, float]) -> Scenario:
    """The scenario with free parameters set (and their complements). A
    route's chance (``stages.S.outcomes.K``) takes its share from the stage's
    routes that are not set, which keep their proportions, so that the
    routes still add up to one."""
    changes = dict(values)
    for path, value in values.items():
        complement = scenario.free[path].complement
        if complement:
            changes[complement] = 1 - value
    routes_set: dict[str, set[str]] = {}
    for path in changes:
        keys = path.split(".")
        if len(keys) == 4 and keys[0] == "stages" and keys[2] == "outcomes" and keys[1] in scenario.stages:
            routes_set.setdefault(keys[1], set()).add(keys[3])
    for stage, chosen in routes_set.items():
        rest = 1 - sum(changes[f"stages.{stage}.outcomes.{route}"] for route in chosen)
        others = {route: share for route, share in scenario.stages[stage].outcomes.items() if route not in chosen}
        total = sum(others.values())
        for route, share in others.items():
            changes[f"stages.{stage}.outcomes.{route}"] = rest * (share / total if total > 0 else 1 / len(others))
    return with_changes(scenario, changes, source="calibration")


def with_uncertain_values(scenario: Scenario, values: dict[str, float]) -> Scenario:
    """The scenario with the given fields set.

    A field that holds a whole number (places, a cap) is rounded. A route's
    chance (``stages.S.outcomes.K``) or a segment's share
    (``segments.K.share``) takes its value from the others, which keep their
    proportions, so that routes and shares still add up to one."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    for path, value in values.items():
        keys = path.split(".")
        parent = field_at(data, ".".join(keys[:-1]))
        if isinstance(field_at(data, path), int):
            value = int(round(value))
        if len(keys) == 4 and keys[0] == "stages" and keys[2] == "outcomes":
            _rescale_others(parent, keys[-1], value)
        elif len(keys) == 3 and keys[0] == "segments" and keys[2] == "share":
            shares = {name: segment["share"] for name, segment in data["segments"].items()}
            _rescale_others(shares, keys[1], value)
            for name, share in shares.items():
                data["segments"][name]["share"] = share
        set_field(data, path, value)
    source = "uncertain values " + ", ".join(f"{path}={value:.6g}" for path, value in values.items())
    return scenario_from_dict(data, source=source)


def _rescale_others(parts: dict[str, float], chosen: str, value: float) -> None:
    others = {name: share for name, share in parts.items() if name != chosen}
    total = sum(others.values())
    for name, share in others.items():
        parts[name] = (1 - value) * (share / total if total > 0 else 1 / len(others))
    parts[chosen] = value
