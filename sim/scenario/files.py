"""Reading scenario files: YAML 1.2 with positions, ``extends:``, overrides.

The flow is: parse each file safely with ruamel.yaml (duplicate keys are
errors) while remembering where every value stood; merge ``extends:`` chains
child over parent; validate the result into a :class:`Scenario`; turn every
validation error into a :class:`Problem` that points at the file, line and
column the offending value came from.
"""

from __future__ import annotations

import difflib
import io
import math
import textwrap
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from sim import limits
from sim.errors import Problem, ScenarioError
from sim.language import N_, _
from sim.scenario.budget import YEAR_MONTH_PATTERN
from sim.scenario.safe_yaml import check_plain, read_text, yaml_problem
from sim.scenario.schema import NAME_PATTERN, Scenario, endless_message, endless_stages, not_a_number

FieldPath = tuple[Any, ...]
ModelT = TypeVar("ModelT", bound=BaseModel)
Position = tuple[str, int, int]  # file, line, column (1-based)

#: Mappings under these keys describe one value; a child file replaces them
#: whole instead of merging key by key (mixing two routings would be nonsense).
_REPLACED_WHOLE = {"outcomes", "dropout", "patience", "duration", "schedule"}


class _Located:
    """Plain data plus, for each field path, where it was written and the
    comment written above it (where its figure comes from, or ASSUMPTION)."""

    def __init__(self, data: dict, positions: dict[FieldPath, Position], file: str,
                 notes: dict[FieldPath, str] | None = None):
        self.data = data
        self.positions = positions
        self.file = file
        self.notes = notes if notes is not None else {}


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None, on_its_own: bool = False
                  ) -> Scenario:
    """Read, merge and validate a scenario file, with ``overrides`` (dotted
    field path -> value) applied last; raise ScenarioError on any problem.
    ``on_its_own``: the file may not name another (``extends:``), as a file
    uploaded to the web page may not reach the machine's other files."""
    located = _read_with_extends(Path(path), chain=(), on_its_own=on_its_own)
    for dotted, value in (overrides or {}).items():
        _override(located, dotted, value)
    try:
        return _validate(located)
    except ScenarioError as error:
        if not overrides:
            raise
        # A problem the file has without the options is the file's, said
        # at its line, even where an option changed part of that field.
        try:
            _validate(_read_with_extends(Path(path), chain=()))
        except ScenarioError as own:
            own_problems = {(problem.field, problem.message): problem for problem in own.problems}
            raise ScenarioError(_unique([own_problems.get((problem.field, problem.message), problem)
                                         for problem in error.problems])) from None
        raise


def read_model(path: str | Path, model: type[ModelT]) -> ModelT:
    """Read a YAML file (no ``extends:``) into ``model``, problems reported
    like a scenario file's: one line each, with file, line and field."""
    located = _read_one(Path(path))
    try:
        return model.model_validate(located.data)
    except ValidationError as error:
        raise ScenarioError(_unique([_problem(located, detail, model)
                                     for detail in error.errors(include_url=False)])) from None


def parse_overrides(assignments: list[str]) -> dict[str, Any]:
    """``path.to.field=value`` pairs as given on the command line; each value
    is read as YAML, so numbers, true/false, null and [lists] work."""
    overrides, problems = {}, []
    for assignment in assignments:
        try:
            assignment.encode("utf-8")
        except UnicodeEncodeError:  # bytes from the terminal that are no UTF-8 text
            shown = assignment.encode("utf-8", "backslashreplace").decode()
            problems.append(Problem(f"--set {shown}", None, None, "", _("is not UTF-8 text")))
            continue
        dotted, equals, text = assignment.partition("=")
        if not equals or not dotted.strip() or any(not key for key in dotted.strip().split(".")):
            problems.append(Problem(f"--set {assignment}", None, None, "", _("expected path.to.field=value")))
            continue
        try:
            check_plain(text, f"--set {assignment}", positions=False)  # the same rules as a file's
        except ScenarioError as error:
            problems.extend(error.problems)
            continue
        try:
            value = YAML(typ="safe", pure=True).load(text) if text.strip() else None
        except YAMLError:
            value = text
        overrides[dotted.strip()] = value
    if problems:
        raise ScenarioError(problems)
    return overrides


def scenario_from_dict(data: dict, source: str = "<dict>") -> Scenario:
    """Validate plain data (for example a scenario built in a notebook)."""
    return _validate(_Located(data, {}, source))


def dump_scenario(scenario: Scenario) -> str:
    """The scenario as YAML, every default filled in, ready to be read back;
    each field the scenario's files commented keeps its comment above it, so
    that where a figure comes from travels with it."""
    notes = scenario.notes

    def commented(value: Any, path: tuple[str, ...], above: str | None) -> Any:
        """``above``: the comment of the list around an item (see below)."""
        if isinstance(value, list):  # a schedule of places: each period's fields by their index
            return CommentedSeq(commented(item, (*path, str(index)), notes.get(".".join(path)))
                                for index, item in enumerate(value))
        if not isinstance(value, dict):
            return value
        mapping = CommentedMap()
        in_a_list = bool(path) and path[-1].isdigit()
        # An item of a list is written after its "- ", which takes the place of one level of indent.
        indent = 2 * (len(path) - sum(part.isdigit() for part in path))
        for key, item in value.items():
            note = notes.get(".".join((*path, str(key))))
            mapping[key] = commented(item, (*path, str(key)), note)
            # In a list's item, only what it says of its own (a period's places set anew): the list's
            # comment stands above the list, and one before the item's first key would go after its "- ".
            if note and not (in_a_list and (note == above or key == next(iter(value)))):
                wrapped = textwrap.fill(note, 100 - indent, break_on_hyphens=False, break_long_words=False)
                mapping.yaml_set_comment_before_after_key(key, before=wrapped, indent=indent)
        return mapping

    stream = io.StringIO()
    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.width = 4096  # one line per value, as the file had it
    yaml.dump(commented(scenario.model_dump(mode="json", by_alias=True, exclude_none=True), (), None), stream)
    return stream.getvalue()


def notes_in(text: str) -> dict[str, str]:
    """The comment above each field of a YAML text, by dotted path (as
    ``dump_scenario`` writes them, or as a user did)."""
    yaml = YAML(typ="rt")
    document = yaml.load(text)
    notes: dict[FieldPath, str] = {}
    if isinstance(document, CommentedMap):
        _plain(document, (), {}, "", notes, text.splitlines())
    return {".".join(str(part) for part in path): note for path, note in notes.items()}


def note_for(notes: dict[str, str], path: str) -> str | None:
    """What the file says of a field: its own comment, else that of the
    nearest section above it (a comment over ``segments:`` speaks for each
    segment's share)."""
    parts = path.split(".")
    for end in range(len(parts), 0, -1):
        note = notes.get(".".join(parts[:end]))
        if note:
            return note
    return None


# --- reading -----------------------------------------------------------------


def _read_with_extends(path: Path, chain: tuple[Path, ...], on_its_own: bool = False) -> _Located:
    resolved = path.resolve()
    located = _read_one(path)
    parent_name = located.data.pop("extends", None)
    if parent_name is None:
        return located
    extends_position = located.positions.pop(("extends",), None)
    if on_its_own:
        raise _single_problem(located.file, extends_position, "extends",
                              _("an uploaded file must stand on its own: write the figures of the file it extends "
                                "into it"))
    if len(chain) + 1 >= limits.MAX_EXTENDS:
        raise _single_problem(located.file, extends_position, "extends",
                              _("more than {most} files extend one another").format(most=limits.MAX_EXTENDS))
    if not isinstance(parent_name, str):
        raise _single_problem(located.file, extends_position, "extends",
                              _("must be a file name, got {value}").format(value=repr(parent_name)))
    parent_path = path.parent / parent_name
    if not parent_path.exists():
        raise _single_problem(located.file, extends_position, "extends",
                              _("file not found: {path}").format(path=parent_path))
    if not parent_path.is_file():
        raise _single_problem(located.file, extends_position, "extends",
                              _("{path} is not a regular file; give a scenario file").format(path=parent_path))
    if parent_path.resolve() in (*chain, resolved):
        cycle = " -> ".join(p.name for p in (*chain, resolved, parent_path.resolve()))
        raise _single_problem(located.file, extends_position, "extends",
                              _("files extend each other in a cycle: {cycle}").format(cycle=cycle))
    parent = _read_with_extends(parent_path, chain=(*chain, resolved))
    return _merge(parent, located)


def _read_one(path: Path) -> _Located:
    file = str(path)
    text = read_text(path)
    check_plain(text, file)  # no tags, no alias bombs, no endless nesting: see sim.scenario.safe_yaml
    yaml = YAML(typ="rt")  # round-trip keeps line numbers; it builds no Python objects
    yaml.allow_duplicate_keys = False
    try:
        document = yaml.load(text)
    except YAMLError as error:  # what the first pass leaves: duplicate keys, undefined aliases
        raise ScenarioError([yaml_problem(error, file)]) from None
    if not isinstance(document, CommentedMap):
        got = _("an empty file") if document is None else _kind_in_words(document)
        raise ScenarioError([Problem(file, 1, 1, "", _("expected a mapping of fields, got {value}").format(
            value=got))])
    positions: dict[FieldPath, Position] = {}
    notes: dict[FieldPath, str] = {}
    data = _plain(document, (), positions, file, notes, text.splitlines())
    return _Located(data, positions, file, notes)


def _plain(node: Any, path: FieldPath, positions: dict[FieldPath, Position], file: str,
           notes: dict[FieldPath, str] | None = None, lines: list[str] | None = None) -> Any:
    """ruamel's round-trip nodes as plain Python, recording each value's
    position and (with ``lines``, the text) the comment above each key."""
    if isinstance(node, CommentedMap):
        result = {}
        for key in node:
            line, column = node.lc.value(key) if key in node.lc.data else node.lc.key(key)
            # A key that is no text (null, 5, a list) is shown as YAML writes it.
            name = key if isinstance(key, str) else _as_yaml(key)
            positions[(*path, name)] = (file, line + 1, column + 1)
            if lines is not None and key in node.lc.data:
                note = _comment_above(lines, node.lc.key(key)[0])
                if note:
                    notes[(*path, name)] = note
            result[name] = _plain(node[key], (*path, name), positions, file, notes, lines)
        return result
    if isinstance(node, CommentedSeq):
        result = []
        for index, item in enumerate(node):
            line, column = node.lc.item(index)
            positions[(*path, index)] = (file, line + 1, column + 1)
            result.append(_plain(item, (*path, index), positions, file, notes, lines))
        return result
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return str(node)


def _comment_above(lines: list[str], key_line: int) -> str:
    """The block of comment lines right above line ``key_line`` (from 0),
    without the #: what the file says of the field on that line."""
    above = []
    for line in reversed(lines[:key_line]):
        stripped = line.strip()
        if not stripped.startswith("#"):
            break
        above.append(stripped.lstrip("#").strip())
    return " ".join(reversed(above)).strip()


def _merge(parent: _Located, child: _Located) -> _Located:
    positions = dict(parent.positions)
    # A child's value comes with the child's comment, or none: the parent's
    # would describe a value that is no longer there.
    notes = {path: note for path, note in parent.notes.items()
             if not any(path[:len(changed)] == changed for changed in child.positions)}
    notes.update(child.notes)

    def merge(base: Any, over: Any, path: FieldPath) -> Any:
        if (
            isinstance(base, dict)
            and isinstance(over, dict)
            and not (path and path[-1] in _REPLACED_WHOLE)
        ):
            merged = dict(base)
            for key, value in over.items():
                merged[key] = merge(base.get(key), value, (*path, key))
            return merged
        for stale in [p for p in positions if p[: len(path)] == path and len(p) > len(path)]:
            del positions[stale]
        return over

    data = merge(parent.data, child.data, ())
    positions.update(child.positions)
    return _Located(data, positions, child.file, notes)


def _override(located: _Located, dotted: str, value: Any) -> None:
    # Problems with the value, or with mappings the path makes, are reported
    # against the option that gave it, as it was typed.
    option = (f"--set {dotted}={_as_yaml(value)}", None, None)
    path = dotted.split(".")
    keys: list[str | int] = []
    node = located.data
    for depth, key in enumerate(path):
        if isinstance(node, list):  # a schedule of places: a number picks its period
            if not (key.isdigit() and int(key) < len(node)):
                raise ScenarioError([Problem(*option, ".".join(path[:depth]),
                                             _("has periods 0 to {last}, not {key}").format(last=len(node) - 1,
                                                                                            key=repr(key)))])
            key = int(key)
        keys.append(key)
        if depth == len(path) - 1:
            break
        child = node[key] if isinstance(node, list) else node.get(key)
        if child is not None and not isinstance(child, (dict, list)):
            raise ScenarioError([Problem(*option, ".".join(path[:depth + 1]),
                                         _("is {value}, which has no field {key}").format(
                                             value=_as_yaml(child), key=repr(path[depth + 1])))])
        if child is None:
            node[key] = child = {}
            located.positions[tuple(keys)] = option
        node = child
    before = node[keys[-1]] if isinstance(node, list) else node.get(keys[-1])
    node[keys[-1]] = value
    keys = tuple(keys)
    for stale in [p for p in located.positions if p[: len(keys)] == keys]:
        del located.positions[stale]
    located.positions[keys] = option
    said = located.notes.get(keys)
    for stale in [p for p in located.notes if p[: len(keys)] == keys]:
        del located.notes[stale]
    located.notes[keys] = changed_note(f"Set on the command line: {option[0]}", before, said)


def changed_note(how: str, before: Any, said: str | None) -> str:
    """The comment of a field set anew: how, and what the file had, with what
    it said of it (a reader may want the source of the value replaced)."""
    if before is None or isinstance(before, (dict, list)):
        return how
    if isinstance(before, float) and before.is_integer():  # 2, as the file wrote it, not 2.0 as read back
        before = int(before)
    return f"{how}. The file had {_as_yaml(before)}" + (f": {said}" if said else ".")


def _as_yaml(value: Any) -> str:
    """A value as YAML writes it on one line: true, null, .inf, {a: 1}."""
    stream = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = True
    yaml.width = 10_000
    try:
        yaml.dump(value, stream)
    except YAMLError:  # a value plain YAML has no words for (a list as a key)
        return str(value)
    return stream.getvalue().removesuffix("\n...\n").strip()


def _single_problem(file: str, position: Position | None, field: str, message: str) -> ScenarioError:
    line, column = (position[1], position[2]) if position else (None, None)
    return ScenarioError([Problem(file, line, column, field, message)])


# --- validation --------------------------------------------------------------


def _validate(located: _Located) -> Scenario:
    stages = located.data.get("stages")
    context = {"stage_names": list(stages) if isinstance(stages, dict) else None}
    try:
        scenario = Scenario.model_validate(located.data, context=context)
    except ValidationError as error:
        problems = [_problem(located, detail) for detail in _of_the_kind_written(located.data, error.errors(
            include_url=False))]
        raise ScenarioError(_unique(problems + _endless_routing(located))) from None
    problems = []
    for path in scenario.uncertain:
        if (why := not_a_number(scenario, path)) is not None:
            file, line, column = located.positions.get(("uncertain", path), (located.file, None, None))
            problems.append(Problem(file, line, column, f"uncertain.{path}", why))
    if (why := limits.too_many_people(scenario)) is not None:
        file, line, column = _nearest_position(located.positions, ("referrals",)) or (located.file, 1, 1)
        problems.append(Problem(file, line, column, "referrals", why))
    if problems:
        raise ScenarioError(problems)
    return scenario.with_notes({".".join(str(part) for part in path): note for path, note in located.notes.items()})


def _endless_routing(located: _Located) -> list[Problem]:
    """The routing check on the raw data: pydantic skips it when any single
    stage is invalid, but the user should hear of every problem at once."""
    stages = located.data.get("stages")
    if not isinstance(stages, dict) or not all(isinstance(s, dict) for s in stages.values()):
        return []
    routes, with_dropout = {}, set()
    for name, stage in stages.items():
        outcomes = stage.get("outcomes")
        if isinstance(outcomes, dict):
            routes[name] = {k: v for k, v in outcomes.items() if isinstance(v, (int, float))}
        else:
            routes[name] = {str(stage.get("next")): 1.0}
        dropout = stage.get("dropout")
        if isinstance(dropout, dict) and any(v for v in dropout.values() if isinstance(v, (int, float))):
            with_dropout.add(name)
    endless = endless_stages(routes, with_dropout)
    if not endless:
        return []
    position = located.positions.get(("stages",))
    file, line, column = position if position else (located.file, None, None)
    return [Problem(file, line, column, "stages", endless_message(endless))]


def _of_the_kind_written(data: Any, details: list[dict]) -> list[dict]:
    """A stage's ``slots`` is a number or a schedule (a list); pydantic says
    what is wrong with the value taken as either. Keep what is wrong with it
    as the kind the file has."""
    kept = []
    for detail in details:
        loc = detail["loc"]
        if "slots" in loc[:-1] and isinstance(loc[loc.index("slots") + 1], str):
            written = _value_at(data, loc[:loc.index("slots") + 1])
            if isinstance(written, list) != loc[loc.index("slots") + 1].startswith("list["):
                continue
        kept.append(detail)
    return kept


def _value_at(data: Any, loc: FieldPath) -> Any:
    for step in loc:
        data = data.get(step) if isinstance(data, dict) else None
    return data


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: dict[str, Problem] = {}
    for problem in problems:
        seen.setdefault(str(problem), problem)
    return sorted(seen.values(), key=lambda p: (p.file, p.line or 0, p.column or 0))


def _problem(located: _Located, detail: dict, model: type[BaseModel] = Scenario) -> Problem:
    data_path = _path_in_data(located.data, tuple(detail["loc"]))
    kind = detail["type"]
    shown = data_path + ((detail["loc"][-1],) if kind == "missing" else ())
    position = _nearest_position(located.positions, data_path)
    if not data_path:  # a rule across fields, whose message opens with the field to change
        named = tuple(_message(detail, tuple(detail["loc"]), model).split(":", 1)[0].split("."))
        position = located.positions.get(named, position)
    if position is None:  # a missing top-level field: point at the top of the file
        position = (located.file, 1, 1) if located.positions else (located.file, None, None)
    file, line, column = position
    return Problem(file, line, column, ".".join(str(p) for p in shown), _message(detail, tuple(detail["loc"]), model))


def _path_in_data(data: Any, loc: FieldPath) -> FieldPath:
    """Pydantic's error location has union tags and validator names in it; keep
    only the steps that exist in the data (for positions and display)."""
    data_path: list[Any] = []
    node = data
    for step in loc:
        in_mapping = isinstance(node, dict) and step in node
        if in_mapping or isinstance(node, list) and isinstance(step, int) and step < len(node):
            data_path.append(step)
            node = node[step]
    return tuple(data_path)


def _nearest_position(positions: dict[FieldPath, Position], path: FieldPath) -> Position | None:
    # A problem with a field as a whole (a schedule's order) that --set
    # changed part of: the option, as typed, is where to look.
    if path:
        for where, position in positions.items():
            if where[:len(path)] == path and position[0].startswith("--set "):
                return position
    for length in range(len(path), 0, -1):
        if path[:length] in positions:
            return positions[path[:length]]
    return None


#: What each pattern of the schema asks for, in words.
_PATTERNS = {
    NAME_PATTERN: N_("must be lower-case letters, digits, '-', '_' or '.', starting with a letter or digit"),
    YEAR_MONTH_PATTERN: N_("must be a year and month as YYYY-MM (e.g. 2021-11)"),
}

#: What pydantic's kinds of error ask for, in words; {gt} and the like are the limits.
_PHRASES = {
    "greater_than": N_("must be greater than {gt}"),
    "greater_than_equal": N_("must be at least {ge}"),
    "less_than": N_("must be less than {lt}"),
    "less_than_equal": N_("must be at most {le}"),
    "int_type": N_("must be a whole number"),
    "int_from_float": N_("must be a whole number"),
    "int_parsing": N_("must be a whole number"),
    "float_type": N_("must be a number"),
    "float_parsing": N_("must be a number"),
    "bool_type": N_("must be true or false"),
    "bool_parsing": N_("must be true or false"),
    "string_type": N_("must be text"),
    "dict_type": N_("must be a mapping of fields"),
    "model_type": N_("must be a mapping of fields"),
    "list_type": N_("must be a list"),
    "literal_error": N_("must be one of {expected}"),
    "too_short": N_("must have at least {min_length} entries"),
    "too_long": N_("must have at most {max_length} entries"),
    "string_too_long": N_("must be at most {max_length} characters"),
    "finite_number": N_("must be a finite number"),
}


def _message(detail: dict, loc: FieldPath, model: type[BaseModel] = Scenario) -> str:
    """What was expected, in the reader's language; the field names and the
    values quoted are as the file writes them."""
    kind, ctx, value = detail["type"], detail.get("ctx", {}), detail.get("input")
    got = _(", got {value}").format(value=_show(value))
    if kind == "missing":
        return _("required field is missing")
    if kind == "extra_forbidden":
        allowed = _allowed_fields(loc[:-1], model)
        suggestion = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = _("; did you mean '{field}'?").format(field=suggestion[0]) if suggestion else ""
        listed = _(" (expected one of: {fields})").format(fields=", ".join(allowed)) if allowed else ""
        return _("unknown field") + listed + hint
    if kind == "union_tag_invalid":
        return _("unknown distribution {name} (expected one of: {expected})").format(
            name=_show(ctx.get("tag")), expected=ctx.get("expected_tags"))
    if kind == "union_tag_not_found":
        return _("a distribution needs a 'dist' key, or give a plain number for a fixed value")
    if kind == "value_error":
        return str(ctx.get("error", detail["msg"]))
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern")
        return (_(_PATTERNS[pattern]) if pattern in _PATTERNS else _("does not have the expected form")) + got
    if kind in _PHRASES:
        limits_of = {key: _bound(value) for key, value in ctx.items()}
        if kind == "literal_error":  # pydantic lists the choices as "'a', 'b' or 'c'"
            choices, last = (str(ctx.get("expected", "")).rsplit(" or ", 1) + [""])[:2]
            limits_of["expected"] = choices + (" " + _("or") + " " + last if last else "")
        return _(_PHRASES[kind]).format(**limits_of) + got
    return detail["msg"][0].lower() + detail["msg"][1:] + got


def _bound(value: Any) -> Any:
    """A limit as a person writes it: 1, not 1.0."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


#: Longest text shown back to the user in a problem.
_TEXT_SHOWN = 60


def _show(value: Any) -> str:
    """A value as the user wrote it in YAML, or its kind in words."""
    if isinstance(value, str):
        return repr(value if len(value) <= _TEXT_SHOWN else value[:_TEXT_SHOWN] + "...")
    if isinstance(value, bool) or value is None:
        return str(value).lower()  # as YAML writes them: true, false, null
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    if isinstance(value, (dict, list)):
        return _kind_in_words(value)
    return str(value)


def _kind_in_words(value: Any) -> str:
    if isinstance(value, dict):
        return _("a mapping")
    if isinstance(value, list):
        return _("a list")
    if isinstance(value, bool):
        return _("true or false")
    if isinstance(value, (int, float)):
        return _("a number")
    return _("text") if isinstance(value, str) else _("a value")


def _allowed_fields(loc: FieldPath, root: type[BaseModel] = Scenario) -> list[str]:
    """Field names of the model that the location points into, if it is one."""
    annotation: Any = root
    for step in loc:
        annotation = _step_into(annotation, step)
        if annotation is None:
            return []
    model = _as_model(annotation, None)
    if model is None:
        return []
    return [field.alias or name for name, field in model.model_fields.items()]


def _step_into(annotation: Any, step: Any) -> Any:
    model = _as_model(annotation, step)
    if model is not None:
        if model is not annotation and step == _tag_of(model):
            return model
        for name, field in model.model_fields.items():
            if step in (name, field.alias):
                return field.annotation
        return None
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _step_into(args[0], step)
    if origin in (typing.Union, types.UnionType):
        for option in args:
            found = _step_into(option, step)
            if found is not None:
                return found
        return None
    if origin is dict and isinstance(step, str):
        return args[1]
    if origin is list and isinstance(step, int):
        return args[0]
    return None


def _as_model(annotation: Any, tag: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _as_model(args[0], tag)
    if origin in (typing.Union, types.UnionType):
        models = [m for m in (_as_model(a, tag) for a in args) if m is not None]
        tagged = [m for m in models if _tag_of(m) == tag]
        if tagged:
            return tagged[0]
        return models[0] if len(models) == 1 else None
    return None


def _tag_of(model: type[BaseModel]) -> Any:
    field = model.model_fields.get("dist")
    return typing.get_args(field.annotation)[0] if field is not None else None
