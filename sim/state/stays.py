"""The stays file beside a state file: one row per stay in a stage that had
begun by the month of the state, as a municipality's records of each
trajectory give them (who, which stage, from when to when, how it ended).
A stay still going at that month has no end yet: right-censored.

Columns: person (as in the state file), stage, visit (1 for the first stay
in that stage, 2 ...; default 1), start_month, end_month (empty while still
in), ended (completed, dropped_out or found_work_on_own; empty while still
in). docs/running-pilot.md has the format.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.errors import Problem, ScenarioError
from sim.language import _
from sim.scenario.schema import Scenario
from sim.state.records import MAX_ROWS, _csv_line, _empty_or, _suggestion, read_table

STAY_COLUMNS = ("person", "stage", "visit", "start_month", "end_month", "ended")
ENDINGS = ("completed", "dropped_out", "found_work_on_own")


def read_stays(path: str | Path, scenario: Scenario, as_of: float, people: set[str] | None = None) -> pd.DataFrame:
    """The stays file at ``path``, checked against ``scenario`` as of month
    ``as_of`` (and, given ``people``, the state file's persons); raises
    ScenarioError with every problem found."""
    raw, name, line_of = read_table(path)
    return check_stays(raw, scenario, as_of, name, line_of, people)


def check_stays(raw: pd.DataFrame, scenario: Scenario, as_of: float, file: str = "stays", line_of=None,
                people: set[str] | None = None) -> pd.DataFrame:
    line_of = line_of or _csv_line
    columns = [str(column).strip() for column in raw.columns]
    raw = raw.set_axis(columns, axis=1)
    problems = [Problem(file, 1, position, column, _("not a column of a stays file{hint}; the columns are: "
                                                     "{columns}").format(hint=_suggestion(column, STAY_COLUMNS),
                                                                         columns=", ".join(STAY_COLUMNS)))
                for position, column in enumerate(columns, start=1) if column not in STAY_COLUMNS]
    problems += [Problem(file, None, None, needed, _("a stays file needs this column"))
                 for needed in ("person", "stage", "start_month") if needed not in columns]
    if len(raw) > MAX_ROWS:
        problems.append(Problem(file, None, None, "", _("{rows} rows; a stays file may have at most {limit}").format(
            rows=len(raw), limit=MAX_ROWS)))
    if problems:
        raise ScenarioError(problems)
    position = {column: index for index, column in enumerate(columns, start=1)}
    rows, seen = [], {}

    def problem(line: int, column: str, message: str) -> None:
        problems.append(Problem(file, line, position.get(column), column, message))

    for index, record in enumerate(raw.to_dict("records")):
        line = line_of(index)
        cells = {column: _text(record.get(column)) for column in STAY_COLUMNS}
        row = dict.fromkeys(STAY_COLUMNS)
        row["person"] = cells["person"]
        if row["person"] is None:
            problem(line, "person", _("needed"))
        elif people is not None and row["person"] not in people:
            problem(line, "person", _("not a person of the state file"))
        if cells["stage"] in scenario.stages:
            row["stage"] = cells["stage"]
        else:
            problem(line, "stage", _("expected one of {allowed}{hint}, got “{text}”").format(
                allowed=", ".join(scenario.stages), hint=_suggestion(cells["stage"] or "", scenario.stages),
                text=cells["stage"] or ""))
        visit = _number(cells["visit"]) if cells["visit"] is not None else 1.0
        if visit is None or visit < 1 or not float(visit).is_integer():
            problem(line, "visit", _("expected a whole number from 1, got “{text}”").format(text=cells["visit"]))
        else:
            row["visit"] = int(visit)
        for column in ("start_month", "end_month"):
            if cells[column] is None:
                continue
            month = _number(cells[column])
            if month is None or not 0 <= month <= as_of:
                problem(line, column, _("expected a month from 0 to {as_of} (the month of the state), got "
                                        "“{text}”").format(as_of=f"{as_of:g}", text=cells[column]))
            else:
                row[column] = month
        if cells["start_month"] is None:
            problem(line, "start_month", _("needed"))
        if cells["ended"] is not None and cells["ended"] not in ENDINGS:
            problem(line, "ended", _("expected one of {allowed}{hint}, got “{text}”").format(
                allowed=", ".join(ENDINGS), hint=_suggestion(cells["ended"], ENDINGS), text=cells["ended"]))
        else:
            row["ended"] = cells["ended"]
        if (cells["end_month"] is None) != (cells["ended"] is None):
            problem(line, "ended" if cells["ended"] is None else "end_month",
                    _("an ended stay has both its end month and how it ended; one still going has neither"))
        if row["start_month"] is not None and row["end_month"] is not None and row["end_month"] < row["start_month"]:
            problem(line, "end_month", _("{month} is before {other} ({earlier})").format(
                month=f"{row['end_month']:g}", other="start_month", earlier=f"{row['start_month']:g}"))
        key = (row["person"], row["stage"], row["visit"])
        if None not in key and key in seen:
            problem(line, "visit", _("the same stay as on line {line}").format(line=seen[key]))
        seen.setdefault(key, line)
        rows.append(row)
    if problems:
        raise ScenarioError(problems)
    return pd.DataFrame(rows, columns=list(STAY_COLUMNS))


def _text(cell) -> str | None:
    cell = _empty_or(cell)
    return None if cell is None else str(cell).strip()


def _number(text: str | None) -> float | None:
    try:
        number = float(text)
    except (TypeError, ValueError):
        return None
    return number if number == number else None
