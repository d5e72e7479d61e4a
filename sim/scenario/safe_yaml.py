"""YAML a user gives pilotsim, read safely and within limits.

A scenario file is plain data: mappings, lists, text, numbers, true/false
and null. Everything else YAML can express is refused with the line and
column where it stands, before the text is turned into values:

- tags (``!!python/object/apply:...``, ``!!omap``, ``!custom``), which other
  loaders turn into code or objects;
- more aliases than any scenario needs, and aliases that stand for more
  values than a file could hold (the "billion laughs": nine lines that
  expand to a billion strings), or for the very value they are in;
- nesting deeper than any scenario needs (thousands of brackets make a YAML
  scanner take quadratic time, and a composer run out of stack);
- files larger than a scenario can be, and anything that is not a regular
  file (a device such as /dev/zero, a pipe, a folder).

The limits are in ``sim.limits`` and stated in ``docs/limits.md``.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    MappingStartEvent,
    ScalarEvent,
)
from ruamel.yaml.reader import ReaderError

from sim import language, limits
from sim.errors import Problem, ScenarioError
from sim.language import _

#: Brackets, and the quoted scalars and comments in which brackets are text.
#: A quote opens a scalar only where a value can start; a # starts a comment
#: only after a space.
_FLOW_TOKENS = re.compile(
    r"""(?:(?<=[\s\[{,:])|^)(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*')|(?:(?<=\s)|^)\#[^\n]*|[\[\]{}]""",
    re.MULTILINE,
)

_CORE_TAG_PREFIX = "tag:yaml.org,2002:"


def read_text(path: Path) -> str:
    """The text of a scenario file, refused without reading it when it is no
    regular file or larger than the limit."""
    file = str(path)
    try:
        status = os.stat(path)
    except FileNotFoundError:
        raise ScenarioError([Problem(file, None, None, "", _("file not found"))]) from None
    except OSError as error:
        raise ScenarioError([Problem(file, None, None, "", _cannot_be_read(error))]) from None
    if stat.S_ISDIR(status.st_mode):
        raise ScenarioError([Problem(file, None, None, "", _("is a folder; give a scenario file"))])
    if not stat.S_ISREG(status.st_mode):
        raise ScenarioError([Problem(file, None, None, "", _("not a regular file (a device or a pipe); give a "
                                                             "scenario file"))])
    if status.st_size > limits.MAX_FILE_BYTES:
        raise ScenarioError([Problem(file, None, None, "", _too_large(status.st_size))])
    try:
        with open(path, "rb") as handle:
            data = handle.read(limits.MAX_FILE_BYTES + 1)  # the file may have grown since
        if len(data) > limits.MAX_FILE_BYTES:
            raise ScenarioError([Problem(file, None, None, "", _too_large(len(data)))])
        return data.decode("utf-8")
    except OSError as error:
        raise ScenarioError([Problem(file, None, None, "", _cannot_be_read(error))]) from None
    except UnicodeDecodeError as error:
        raise ScenarioError([Problem(file, None, None, "", _("cannot be read as UTF-8 text: {reason} at byte "
                                                             "{byte}").format(reason=error.reason,
                                                                              byte=error.start))]) from None


def _cannot_be_read(error: OSError) -> str:
    # The system's own words for why (strerror) are in the system's language.
    return _("cannot be read: {reason}").format(reason=error.strerror)


def check_plain(text: str, source: str, positions: bool = True) -> None:
    """Raise ScenarioError with one problem if ``text`` is more than plain data
    within the limits (see the module's text), or is no YAML: then this, the
    one pass over a file that is refused, says where."""
    problem = _deep_brackets(text, source, positions)
    if problem is None:
        try:
            problem = _walk_events(text, source, positions)
        except YAMLError as error:
            problem = yaml_problem(error, source, text)
            if not positions:
                problem = Problem(source, None, None, "", problem.message)
    if problem is not None:
        raise ScenarioError([problem])


def yaml_problem(error: YAMLError, file: str, text: str = "") -> Problem:
    """A YAML error of ruamel's as one problem at its place (``text``, the
    YAML, places a character YAML does not allow)."""
    if isinstance(error, ReaderError):
        line, column = _line_and_column(text, error.position)
        code = error.character if isinstance(error.character, int) else ord(str(error.character)[:1] or " ")
        return Problem(file, line, column, "", _("the character {code} is not allowed in YAML text; remove "
                                                 "it").format(code=f"U+{code:04X}"))
    if isinstance(error, MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        message = " ".join(str(error.problem or error.context or _("invalid YAML")).split())
        if "duplicate key" in message:
            key = message.split('"')[1] if '"' in message else "?"
            message = _("duplicate key '{key}': each key may be given only once in a mapping").format(key=key)
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        return Problem(file, line, column, "", message)
    return Problem(file, None, None, "", _("invalid YAML: {problem}").format(problem=" ".join(str(error).split())))


def _line_and_column(text: str, offset: int) -> tuple[int | None, int | None]:
    if not text:
        return None, None
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _too_large(size: int) -> str:
    shown = f"{language.number(size / 1e6)} MB" if size >= 1e6 else f"{language.number(size / 1e3)} KB"
    return _("the file is {size}; scenario files may be at most {most} KB").format(
        size=shown, most=language.number(limits.MAX_FILE_BYTES // 1024))


def _deep_brackets(text: str, source: str, positions: bool) -> Problem | None:
    """Nesting of [ and { counted before the YAML scanner sees it."""
    depth = 0
    for token in _FLOW_TOKENS.finditer(text):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
            if depth > limits.MAX_DEPTH:
                line = text.count("\n", 0, token.start()) + 1
                column = token.start() - (text.rfind("\n", 0, token.start()) + 1) + 1
                return _problem(source, (line, column) if positions else None, "", _too_deep())
        elif bracket in "]}":
            depth = max(depth - 1, 0)
    return None


def _too_deep() -> str:
    return _("mappings and lists nested more than {most} deep; a scenario needs about 6").format(
        most=limits.MAX_DEPTH)


class _Frame:
    """A mapping or list being read: its path, its anchor, and its size in
    values once aliases are expanded."""

    def __init__(self, path: tuple, anchor: str | None, mapping: bool):
        self.path, self.anchor, self.mapping = path, anchor, mapping
        self.size = 1
        self.key: object = None
        self.expecting_key = mapping
        self.index = 0

    def path_of_next(self) -> tuple:
        if not self.mapping:
            return (*self.path, self.index)
        return (*self.path, self.key) if not self.expecting_key else self.path

    def after_node(self, scalar_value: object = None) -> None:
        if self.mapping:
            if self.expecting_key:
                self.key = scalar_value if isinstance(scalar_value, str) else "?"
            self.expecting_key = not self.expecting_key
        else:
            self.index += 1


def _walk_events(text: str, source: str, positions: bool) -> Problem | None:
    frames: list[_Frame] = []
    sizes: dict[str, int] = {}      # anchor -> values it stands for
    open_anchors: set[str] = set()  # anchors of collections not yet closed
    values = aliases = 0
    for event in YAML(typ="rt").parse(text):
        if not isinstance(event, (ScalarEvent, CollectionStartEvent, CollectionEndEvent, AliasEvent)):
            continue
        where = (event.start_mark.line + 1, event.start_mark.column + 1) if positions and event.start_mark else None
        if isinstance(event, CollectionEndEvent):
            closed = frames.pop()
            if closed.anchor is not None:
                sizes[closed.anchor] = closed.size
                open_anchors.discard(closed.anchor)
            if frames:
                frames[-1].size += closed.size
                frames[-1].after_node()
            continue
        path = frames[-1].path_of_next() if frames else ()
        field = ".".join(str(step) for step in path)
        tag = getattr(event, "tag", None)
        if tag is not None:
            return _problem(source, where, field, _("tags ({tag}) are not allowed; write plain values").format(
                tag=_shown_tag(tag)))
        if isinstance(event, AliasEvent):
            aliases += 1
            if aliases > limits.MAX_ALIASES:
                return _problem(source, where, field, _("more than {most} aliases (*name); write the values "
                                                        "out").format(most=limits.MAX_ALIASES))
            if event.anchor in open_anchors:
                return _problem(source, where, field, _("the alias {alias} stands for a value it is part of, "
                                                        "which has no end").format(alias=f"*{event.anchor}"))
            size = sizes.get(event.anchor, 1)
        else:
            size = 1
        values += size
        if values > limits.MAX_VALUES:
            return _problem(source, where, field, _("stands for more than {most} values (with what its aliases "
                                                    "stand for); a scenario has a few hundred").format(
                most=language.number(limits.MAX_VALUES)))
        anchor = getattr(event, "anchor", None) if not isinstance(event, AliasEvent) else None
        if anchor is not None and anchor in sizes.keys() | open_anchors:
            return _problem(source, where, field, _("the anchor {anchor} is given twice; give each its own "
                                                    "name").format(anchor=f"&{anchor}"))
        if isinstance(event, CollectionStartEvent):
            if len(frames) >= limits.MAX_DEPTH:
                return _problem(source, where, field, _too_deep())
            frames.append(_Frame(path, anchor, isinstance(event, MappingStartEvent)))
            if anchor is not None:
                open_anchors.add(anchor)
            continue
        if anchor is not None:
            sizes[anchor] = 1
        if frames:
            frames[-1].size += size
            frames[-1].after_node(event.value if isinstance(event, ScalarEvent) else None)
    return None


def _shown_tag(tag: object) -> str:
    text = str(getattr(tag, "value", tag))
    return "!!" + text[len(_CORE_TAG_PREFIX):] if text.startswith(_CORE_TAG_PREFIX) else text


#: Longest field path shown in a problem (a deeply nested one is mostly noise).
_FIELD_SHOWN = 60


def _problem(source: str, where: tuple[int, int] | None, field: str, message: str) -> Problem:
    line, column = where if where else (None, None)
    if len(field) > _FIELD_SHOWN:
        field = field[:_FIELD_SHOWN] + "..."
    return Problem(source, line, column, field, message)
